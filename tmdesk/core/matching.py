"""Offers matched to needs, and donors' warnings: reading only (a match becomes a
proposed pledge in :mod:`tmdesk.core.proposals`).

* :func:`matches_for_offer`: the published projects an offer could serve,
  ranked, with reasons (category, what is offered against what is needed,
  quantity, unfunded gap, priority, region);
* :func:`offers_for_project`: the open offers that could serve a project;
* :func:`pledge_warnings`: what a donor should know before a pledge is saved.

Everything starts from ``visible_projects(user)`` and ``visible_offers(user)``.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from tmdesk.core import search, similarity, textnorm
from tmdesk.core.funding import (
    Funding,
    UnknownCurrency,
    exchange_rates,
    funding_for,
    project_funding,
    to_eur,
)
from tmdesk.core.i18n import N_
from tmdesk.core.models import Offer, Organisation, Project, User
from tmdesk.core.permissions import PLEDGEABLE_STATUSES
from tmdesk.core.similarity import Reason
from tmdesk.core.validation import parse_amount
from tmdesk.core.visibility import visible_offers, visible_projects
from tmdesk.core.vocab import OBLASTS, PRIORITY_RANK

OPEN_OFFER_STATUSES = ("open", "matched")
_PRIORITY_BONUS = {"critical": 1.0, "high": 0.7, "medium": 0.35, "low": 0.0}
_NUMBER_RE = re.compile(r"\b\d[\d\s.,]*\b")


@dataclass
class Match:
    project: Project
    offer: Offer
    score: float
    reasons: list[Reason]
    funding: Funding | None = None

    @property
    def ref(self) -> str:
        return self.project.ref


# --- text and numbers -------------------------------------------------------------


@lru_cache(maxsize=100_000)
def _bag(text: str) -> Counter:
    """The text's features (cached by content: callers must not change the Counter)."""
    return Counter(similarity.features(text))


def _project_bag(p: Project) -> Counter:
    return _bag(
        " ".join(
            filter(
                None,
                (
                    p.title_en,
                    p.title_en,
                    p.title_uk,
                    p.title_uk,
                    p.summary_en,
                    p.summary_uk,
                    p.beneficiaries,
                ),
            )
        )
    )


def _numbers(text: str) -> list[int]:
    return list(_numbers_in(text or ""))


@lru_cache(maxsize=100_000)
def _numbers_in(text: str) -> tuple[int, ...]:
    out = []
    for raw in _NUMBER_RE.findall(text):
        digits = re.sub(r"[\s.,]", "", raw)
        if digits.isdigit() and 0 < len(digits) <= 7:
            out.append(int(digits))
    return tuple(out)


@lru_cache(maxsize=10_000)
def _offer_words(description: str) -> frozenset[str]:
    """The offer's features and folded words (where a region's name is looked for)."""
    return frozenset(_bag(description)) | frozenset(textnorm.words(description))


def _oblast_stems() -> dict[str, tuple[str, str]]:
    """Oblast code → (English stem, Ukrainian stem) of its name, for spotting regions in text."""
    out = {}
    for code, (en, uk) in OBLASTS.items():
        if code == "UA":
            continue
        out[code] = (textnorm.fold(en.split()[0])[:6], textnorm.fold(uk.split()[0])[:6])
    return out


_OBLAST_STEMS = _oblast_stems()


def _mentions_oblast(text_words: AbstractSet[str], oblast: str) -> bool:
    stems = _OBLAST_STEMS.get(oblast)
    if not stems:
        return False
    return any(w.startswith(s) for w in text_words for s in stems if len(s) >= 4)


def _value_eur(offer: Offer, rates: dict[str, Decimal]) -> Decimal | None:
    if offer.value_amount is None or not offer.value_currency:
        return None
    try:
        return to_eur(offer.value_amount, offer.value_currency, rates)
    except UnknownCurrency:
        return None


# --- scoring one offer against one project -------------------------------------------------


def score_match(
    offer: Offer,
    project: Project,
    funding: Funding,
    offer_bag: Counter,
    project_bag: Counter,
    idf: dict[str, float],
    rates: dict[str, Decimal],
    offer_vector: tuple[dict[str, float], float] | None = None,
    project_vector: tuple[dict[str, float], float] | None = None,
) -> Match:
    """How well ``offer`` could serve ``project``, with the reasons in words.

    ``offer_vector`` / ``project_vector``: the bags weighted by ``idf``
    (``similarity._weighted``), when the caller compares one side with many.
    """
    reasons: list[Reason] = []
    score = 0.0
    if offer.category == project.category:
        score += 0.3
        reasons.append(Reason(N_("same category")))
    text = similarity._cosine_w(
        offer_vector or similarity._weighted(offer_bag, idf),
        project_vector or similarity._weighted(project_bag, idf),
    )
    score += 0.35 * min(1.0, text * 1.5)
    if text >= 0.1:
        reasons.append(
            Reason(
                N_("%(pct)d%% of what is offered matches what is needed"),
                pct=round(min(1.0, text * 1.5) * 100),
            )
        )
    gap = funding.gap_eur
    if funding.budget_eur > 0:
        share = float(gap / funding.budget_eur)
        score += 0.12 * share
        if gap > 0:
            reasons.append(
                Reason(
                    N_("unfunded gap %(gap)s EUR (%(pct)d%% of the estimate)"),
                    gap=_whole(gap),
                    pct=round(share * 100),
                )
            )
    value = _value_eur(offer, rates)
    if value and gap > 0:
        fit = float(min(value, gap) / max(value, gap))
        score += 0.08 * fit
        if fit >= 0.5:
            reasons.append(Reason(N_("the offer's value fits the gap")))
    if offer.quantity:
        wanted = _numbers(
            " ".join(
                filter(
                    None,
                    (
                        project.title_en,
                        project.summary_en,
                        project.title_uk,
                        project.summary_uk,
                        project.beneficiaries,
                    ),
                )
            )
        )
        close = [n for n in wanted if n > 1 and 0.5 <= offer.quantity / n <= 2.0]
        if close:
            score += 0.05
            reasons.append(
                Reason(
                    N_("quantity fits (%(needed)d needed, %(offered)d offered)"),
                    needed=close[0],
                    offered=offer.quantity,
                )
            )
    bonus = _PRIORITY_BONUS.get(project.priority, 0.0)
    score += 0.05 * bonus
    if project.priority in ("critical", "high"):
        reasons.append(Reason(N_("priority: %(priority)s"), priority=project.priority))
    if project.oblast != "UA" and _mentions_oblast(
        _offer_words(offer.description or ""), project.oblast
    ):
        score += 0.05
        reasons.append(Reason(N_("the offer names the project's region")))
    return Match(project, offer, round(min(score, 1.0), 3), reasons, funding)


def _idf(bags: list[Counter]) -> dict[str, float]:
    df: Counter = Counter()
    for b in bags:
        df.update(set(b))
    n = len(bags)
    return {f: math.log((n + 1) / (d + 0.5)) + 1.0 for f, d in df.items()}


def _terms(text: str, limit: int = 14) -> list[str]:
    terms: list[str] = []
    for w in textnorm.content_words(text):
        if len(w) < 3 or w.isdigit():
            continue
        s = textnorm.stem(w)
        if s not in terms:
            terms.append(s)
    extra = sorted(
        {
            textnorm.fold(p)
            for f in similarity.features(text)
            if f.startswith("~")
            for p in similarity.GLOSSARY[f[1:]]
            if " " not in p and len(p) >= 3
        }
    )
    return terms[:limit] + [t for t in extra if t not in terms][:10]


def _pair_groups(text: str, limit: int = 6) -> list[list[list[str]]]:
    """Any two of the text's leading stems, or of its glossary concepts (see similarity)."""
    stems: list[list[str]] = []
    for w in textnorm.content_words(text):
        if len(w) >= 3 and not w.isdigit() and [textnorm.stem(w)] not in stems:
            stems.append([textnorm.stem(w)])
        if len(stems) >= limit:
            break
    concepts: list[list[str]] = []
    for f in similarity.features(text):
        if f.startswith("~"):
            alts = sorted(
                {
                    textnorm.fold(x)
                    for x in similarity.GLOSSARY[f[1:]]
                    if " " not in x and len(x) >= 3
                }
            )
            if alts not in concepts:
                concepts.append(alts)
    groups = []
    for members in (stems, concepts[:5]):
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                groups.append([members[i], members[j]])
    if not groups and stems:
        groups = [[m] for m in stems]
    return groups


# --- offers → projects ---------------------------------------------------------------------


def matches_for_offer(user: User | None, offer: Offer, limit: int = 20) -> list[Match]:
    """Published projects ``offer`` could serve, best first (the caller may see the offer).

    Fully funded projects are left out: nothing is needed there.
    """
    if user is None:
        return []
    pool = visible_projects(user, Project.select()).where(Project.status.in_(PLEDGEABLE_STATUSES))
    ids: set[int] = set()
    groups = _pair_groups(offer.description)
    if groups:
        ids.update(pid for pid, _ in search.rank_any("project", pool, groups, limit=150))
    priority_rank = Project.priority  # text; order by id within category for stability
    same = (
        pool.where(Project.category == offer.category)
        .order_by(priority_rank, Project.id.desc())
        .limit(80)
    )
    ids.update(pid for (pid,) in same.select(Project.id).tuples())
    if not ids:
        return []
    projects = list(Project.select().where(Project.id.in_(list(ids))))
    rates = exchange_rates()
    funding = funding_for(projects, rates)
    offer_bag = _bag(offer.description)
    bags = {p.id: _project_bag(p) for p in projects}
    idf = _idf([offer_bag, *bags.values()])
    offer_vector = similarity._weighted(offer_bag, idf)
    found = [
        score_match(
            offer, p, funding[p.id], offer_bag, bags[p.id], idf, rates, offer_vector=offer_vector
        )
        for p in projects
        if funding[p.id].gap_eur > 0
    ]
    found.sort(key=lambda m: (-m.score, PRIORITY_RANK.get(m.project.priority, 9), m.project.id))
    return found[:limit]


def offers_for_project(
    user: User | None, project: Project, limit: int = 10, min_score: float = 0.35
) -> list[Match]:
    """Open offers ``user`` may see that could serve ``project``, best first."""
    if user is None or project.status not in PLEDGEABLE_STATUSES:
        return []
    pool = visible_offers(user, Offer.select()).where(Offer.status.in_(OPEN_OFFER_STATUSES))
    ids: set[int] = set()
    text = " ".join(
        filter(None, (project.title_en, project.title_uk, project.summary_en, project.summary_uk))
    )
    terms = _terms(text)
    if terms:
        ids.update(oid for oid, _ in search.rank("offer", pool, terms, "OR", limit=100))
    same = pool.where(Offer.category == project.category).order_by(Offer.id.desc()).limit(200)
    ids.update(oid for (oid,) in same.select(Offer.id).tuples())
    if not ids:
        return []
    offers = list(
        Offer.select(Offer, Organisation).join(Organisation).where(Offer.id.in_(list(ids)))
    )
    rates = exchange_rates()
    funding = project_funding(project, rates)
    project_bag = _project_bag(project)
    bags = {o.id: _bag(o.description) for o in offers}
    idf = _idf([project_bag, *bags.values()])
    project_vector = similarity._weighted(project_bag, idf)
    found = [
        score_match(
            o, project, funding, bags[o.id], project_bag, idf, rates, project_vector=project_vector
        )
        for o in offers
    ]
    found = [m for m in found if m.score >= min_score]
    found.sort(key=lambda m: (-m.score, m.offer.id))
    return found[:limit]


# --- donor-side warnings ----------------------------------------------------------------------


def pledge_warnings(
    project: Project, amount: Decimal | str | None, currency: str | None, user: User | None = None
) -> list[Reason]:
    """What a donor should know before pledging ``amount`` ``currency`` to ``project``.

    * the project is already fully funded;
    * the pledge would over-fund it (everything pledged so far plus this);
    * a similar project of the same recipient is already funded or delivered
      (possible double funding); only projects ``user`` may see are
      considered (without ``user``: only projects every account may see).

    Each warning is a ``str`` (English) with ``message`` and ``params`` for
    translation (``tr(w.message, **w.params)`` in the web layer).
    """
    warnings: list[Reason] = []
    rates = exchange_rates()
    funding = project_funding(project, rates)
    if funding.budget_eur > 0 and funding.state in ("fully", "over"):
        warnings.append(
            Reason(
                N_(
                    "This project is already fully funded (confirmed %(confirmed)s "
                    "EUR of an estimate of %(budget)s EUR)."
                ),
                confirmed=_whole(funding.confirmed_eur),
                budget=_whole(funding.budget_eur),
            )
        )
    elif amount not in (None, "") and currency:
        # Read as the pledge itself will be ("150 000,00" is 150000.00), so a
        # warning is never skipped because the donor typed the Ukrainian way.
        parsed = parse_amount(amount)
        try:
            eur = to_eur(parsed, currency, rates) if parsed is not None else None
        except (UnknownCurrency, ArithmeticError, ValueError):
            eur = None
        if (
            eur is not None
            and funding.budget_eur > 0
            and funding.pledged_eur + eur > funding.budget_eur
        ):
            warnings.append(
                Reason(
                    N_(
                        "This pledge would over-fund the project: %(pledged)s EUR already pledged "
                        "plus %(amount)s EUR is more than the estimate of %(budget)s EUR."
                    ),
                    pledged=_whole(funding.pledged_eur),
                    amount=_whole(eur),
                    budget=_whole(funding.budget_eur),
                )
            )
    warnings.extend(_double_funding(project, user, rates))
    return warnings


def _whole(value: Decimal) -> Decimal:
    """An amount in whole euros (the web layer writes it the reader's way)."""
    return value.quantize(Decimal("1"))


def _double_funding(project: Project, user: User | None, rates) -> list[Reason]:
    if user is not None:
        pool = visible_projects(user, Project.select())
    else:
        pool = Project.select().where(
            Project.published_at.is_null(False) & Project.tlp.in_(("CLEAR", "GREEN"))
        )
    pool = pool.where(
        (Project.recipient == project.recipient_id)
        & (Project.id != project.id)
        & Project.status.not_in(similarity.INACTIVE)
    )
    found = similarity.similar_projects(
        user, project, limit=10, min_score=similarity.ALARM_THRESHOLD, pool=pool
    )
    if not found:
        return []
    funding = funding_for([c.project for c in found], rates)
    out = []
    for c in found:
        other = c.project
        if other.status in ("delivered", "closed"):
            out.append(
                Reason(
                    N_(
                        "A similar project of the same recipient, %(ref)s, is already "
                        "delivered: possible double funding."
                    ),
                    ref=other.ref,
                )
            )
        elif funding[other.id].state in ("fully", "over"):
            out.append(
                Reason(
                    N_(
                        "A similar project of the same recipient, %(ref)s, is already "
                        "fully funded: possible double funding."
                    ),
                    ref=other.ref,
                )
            )
    return out
