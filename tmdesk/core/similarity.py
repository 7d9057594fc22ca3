"""Duplicate-effort detection: likely duplicates and overlaps of a project, and decisions.

For one project, :func:`similar_projects` lists the projects the user may
see that look like the same need (the recipient sees only its own
organisation's), each with a score from 0 to 1 and the reasons in words.

How it works, in two steps so it stays fast on tens of thousands of projects:

1. *Candidates*: the search index finds visible projects sharing the
   project's words (and, through a small bilingual glossary, their
   translations), ranked by how many pairs of them each has (no corpus
   statistics: see :mod:`tmdesk.core.search`), plus the latest projects with
   the same recipient and category.
2. *Scoring*: each candidate is compared with the project: text similarity
   (TF-IDF cosine of word stems and glossary concepts, per language and
   across both, the best of them), same recipient, same category, same
   oblast, overlapping dates and similar budget.

An officer's decision about a pair (duplicate, related, not a duplicate) is
kept in :class:`~tmdesk.core.models.ProjectLink`; a decided pair is not
raised again. Marking a duplicate closes the less advanced project of the
two (rejects or withdraws it with a comment naming the other), records
``duplicate_of``, moves its offered pledges to the kept project and flags
the others with a note. A duplicate decision whose comment would name a
project some readers of the closed one may not see is refused, and a pledge
moves only onto a project its donor can see (:mod:`tmdesk.core.audience`).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

import peewee as pw

from tmdesk.core import audience, audit, search, textnorm, validation
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.funding import exchange_rates
from tmdesk.core.glossary import GLOSSARY, concept_of
from tmdesk.core.i18n import N_
from tmdesk.core.models import (
    AuditEvent,
    Pledge,
    Project,
    ProjectLink,
    StatusChange,
    User,
    utcnow,
)
from tmdesk.core.permissions import PLEDGEABLE_STATUSES, can_review
from tmdesk.core.visibility import can_see, is_officer, visible_projects

#: A candidate scoring at least this is "likely a duplicate" (raised to officers).
ALARM_THRESHOLD = 0.6
#: Candidates below this are not shown at all.
MIN_SCORE = 0.3

LINK_KINDS: dict[str, str] = {
    "duplicate": N_("Duplicate"),
    "related": N_("Related"),
    "not_duplicate": N_("Not a duplicate"),
}
#: Statuses that are no longer effort anyone could duplicate.
INACTIVE = ("withdrawn", "rejected")


class Reason(str):
    """A reason in words: the English text, with ``message`` and ``params`` for translation."""

    message: str
    params: dict[str, Any]

    def __new__(cls, message: str, **params: Any) -> Reason:
        english = {k: f"{v:,}" if isinstance(v, Decimal) else v for k, v in params.items()}
        obj = super().__new__(cls, message % english if params else message)
        obj.message = message
        obj.params = params
        return obj


# --- text features -----------------------------------------------------------


@lru_cache(maxsize=200_000)
def feature(word: str) -> str:
    """A word's feature: its glossary concept (``~train``), else its stem.

    Cached: the same words come back in every project's text.
    """
    concept = concept_of(word)
    return "~" + concept if concept is not None else textnorm.stem(word)


def features(text: str) -> list[str]:
    return [feature(w) for w in textnorm.content_words(text)]


@dataclass(frozen=True)
class ProjectText:
    """A project's features per language (title words count twice)."""

    en: Counter
    uk: Counter
    both: Counter
    #: The log-scaled term frequencies (1 + ln count) of en, uk and both, computed once.
    tf: tuple[dict[str, float], ...] = ()


def _log_tf(bag: Counter) -> dict[str, float]:
    return {f: 1 + math.log(c) for f, c in bag.items()}


@lru_cache(maxsize=100_000)
def _text_of(title_en: str, title_uk: str, summary_en: str, summary_uk: str) -> ProjectText:
    bags = []
    for title, summary in ((title_en, summary_en), (title_uk, summary_uk)):
        bag = Counter(features(title or ""))
        bags.append(bag + bag + Counter(features(summary or "")))
    both = bags[0] + bags[1]
    return ProjectText(bags[0], bags[1], both, (_log_tf(bags[0]), _log_tf(bags[1]), _log_tf(both)))


def project_text(p: Project) -> ProjectText:
    """The project's features (cached by content, so repeated comparisons are cheap)."""
    return _text_of(p.title_en or "", p.title_uk or "", p.summary_en or "", p.summary_uk or "")


def _cosine(a: Counter, b: Counter, idf: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    return _cosine_w(_weighted(a, idf), _weighted(b, idf))


def _weighted(bag: Counter, idf: dict[str, float]) -> tuple[dict[str, float], float]:
    """``bag``'s TF-IDF weights (log-scaled counts) and their Euclidean norm."""
    return _weighted_tf(_log_tf(bag), idf)


def _weighted_tf(tf: dict[str, float], idf: dict[str, float]) -> tuple[dict[str, float], float]:
    get = idf.get
    w = {f: t * get(f, 1.0) for f, t in tf.items()}
    return w, math.sqrt(sum(v * v for v in w.values()))


def _cosine_w(a: tuple[dict[str, float], float], b: tuple[dict[str, float], float]) -> float:
    (wa, na), (wb, nb) = a, b
    if not na or not nb:
        return 0.0
    if len(wa) > len(wb):
        wa, wb = wb, wa
    dot = sum(v * wb[f] for f, v in wa.items() if f in wb)
    return dot / (na * nb) if dot else 0.0


#: A project's weighted features per language (en, uk, both) under one IDF.
Vectors = tuple[tuple[dict[str, float], float], ...]


def vectors(t: ProjectText, idf: dict[str, float]) -> Vectors:
    """``t`` weighted by ``idf``: comparing one project with many computes each
    side's weights and norms once instead of once per pair."""
    return tuple(_weighted_tf(tf, idf) for tf in t.tf)


def text_similarity(
    a: ProjectText,
    b: ProjectText,
    idf: dict[str, float],
    va: Vectors | None = None,
    vb: Vectors | None = None,
) -> float:
    """The best of: English with English, Ukrainian with Ukrainian, everything with everything.

    ``va`` / ``vb``: the two texts' :func:`vectors` under ``idf``, when the caller has them.
    """
    va = va or vectors(a, idf)
    vb = vb or vectors(b, idf)
    return max(_cosine_w(va[0], vb[0]), _cosine_w(va[1], vb[1]), _cosine_w(va[2], vb[2]))


def pool_idf(texts: list[ProjectText]) -> dict[str, float]:
    """Inverse document frequencies over a pool of projects (the candidates and the project)."""
    df: Counter = Counter()
    for t in texts:
        df.update(set(t.both))
    n = len(texts)
    return {f: math.log((n + 1) / (d + 0.5)) + 1.0 for f, d in df.items()}


# --- structural features -----------------------------------------------------


def _months(start: dt.date, end: dt.date) -> str:
    return f"{start:%Y-%m} – {end:%Y-%m}"


def _overlap(a: Project, b: Project) -> tuple[float, dt.date | None, dt.date | None]:
    """Share of the shorter project's dates that the two have in common (0 to 1)."""
    if not (a.planned_start and a.planned_end and b.planned_start and b.planned_end):
        return 0.0, None, None
    start = max(a.planned_start, b.planned_start)
    end = min(a.planned_end, b.planned_end)
    if end < start:
        return 0.0, None, None
    shorter = min((a.planned_end - a.planned_start).days, (b.planned_end - b.planned_start).days)
    return min(1.0, ((end - start).days + 1) / (shorter + 1)), start, end


def _budget_eur(p: Project, rates: dict[str, Decimal]) -> float | None:
    rate = rates.get(p.budget_currency)
    if rate is None or not p.budget_amount:
        return None
    return float(p.budget_amount * rate)


@dataclass
class Candidate:
    project: Project
    score: float
    reasons: list[Reason]
    text: float = 0.0

    @property
    def ref(self) -> str:
        return self.project.ref

    @property
    def alarming(self) -> bool:
        return self.score >= ALARM_THRESHOLD


WEIGHTS = {
    "text": 0.6,
    "recipient": 0.12,
    "category": 0.1,
    "oblast": 0.04,
    "dates": 0.08,
    "budget": 0.06,
}


def compare(
    a: Project,
    b: Project,
    ta: ProjectText,
    tb: ProjectText,
    idf: dict[str, float],
    rates: dict[str, Decimal],
    va: Vectors | None = None,
    vb: Vectors | None = None,
) -> Candidate:
    """Score how likely ``b`` duplicates or overlaps ``a``, with the reasons in words.

    ``va`` / ``vb``: the texts' :func:`vectors` under ``idf``, when the caller has them.
    """
    text = text_similarity(ta, tb, idf, va, vb)
    score = WEIGHTS["text"] * text
    reasons: list[Reason] = []
    if a.recipient_id == b.recipient_id:
        score += WEIGHTS["recipient"]
        reasons.append(Reason(N_("same recipient")))
    if a.category == b.category:
        score += WEIGHTS["category"]
        reasons.append(Reason(N_("same category")))
    if text >= 0.15:
        reasons.append(Reason(N_("%(pct)d%% text similarity"), pct=round(text * 100)))
    if a.oblast == b.oblast and a.oblast != "UA":
        score += WEIGHTS["oblast"]
        reasons.append(Reason(N_("same oblast")))
    share, start, end = _overlap(a, b)
    if share > 0 and start and end:  # (a share implies both dates)
        score += WEIGHTS["dates"] * share
        reasons.append(Reason(N_("overlaps %(months)s"), months=_months(start, end)))
    ea, eb = _budget_eur(a, rates), _budget_eur(b, rates)
    if ea and eb:
        ratio = min(ea, eb) / max(ea, eb)
        if ratio >= 0.7:
            score += WEIGHTS["budget"] * (ratio - 0.7) / 0.3
            reasons.append(
                Reason(
                    N_("similar budget (within %(pct)d%%)"), pct=max(1, round((1 - ratio) * 100))
                )
            )
    # Shared words without a shared need are weak evidence: unrelated text caps the score.
    if text < 0.2:
        score = min(score, 0.45)
    return Candidate(b, round(min(score, 1.0), 3), reasons, text)


# --- candidates and the answer ------------------------------------------------


def _candidate_groups(p: Project) -> list[list[list[str]]]:
    """Word groups a duplicate would share: any two of the project's leading terms.

    Per language, the first title stems (summary stems when there is no
    title); and, for the other
    language, the glossary's word beginnings of the title's concepts. Asking
    for pairs instead of single words keeps the index from ranking thousands
    of projects that share one common word.
    """
    members: list[list[list[str]]] = []
    for title, summary in ((p.title_en, p.summary_en), (p.title_uk, p.summary_uk)):
        terms: list[str] = []
        for text, cap in ((title, 4), (summary, 0 if title else 4)):
            if not cap:
                continue
            found = 0
            for w in textnorm.content_words(text or ""):
                if len(w) < 3 or w.isdigit():
                    continue
                s = textnorm.stem(w)
                if s not in terms:
                    terms.append(s)
                    found += 1
                if found >= cap:
                    break
        groups_lang = [[t] for t in terms]
        members.append(groups_lang)
    concepts: list[list[str]] = []
    for f in features(" ".join(filter(None, (p.title_en, p.title_uk)))):
        if f.startswith("~"):
            alts = sorted(
                {textnorm.fold(x) for x in GLOSSARY[f[1:]] if " " not in x and len(x) >= 3}
            )
            if alts and alts not in concepts:
                concepts.append(alts)
    groups: list[list[list[str]]] = []
    for member_list in (*members, concepts[:3]):
        for i in range(len(member_list)):
            for j in range(i + 1, len(member_list)):
                groups.append([member_list[i], member_list[j]])
    return groups


def decided_ids(project: Project) -> set[int]:
    """Projects already decided about together with ``project`` (never raised again)."""
    rows = (
        ProjectLink.select(ProjectLink.project_a, ProjectLink.project_b)
        .where((ProjectLink.project_a == project.id) | (ProjectLink.project_b == project.id))
        .tuples()
    )
    return {b if a == project.id else a for a, b in rows}


def candidate_pool(user: User | None, project: Project) -> pw.ModelSelect:
    """The projects ``user`` may compare ``project`` with (recipients: their own only)."""
    query = visible_projects(user, Project.select()).where(
        (Project.id != project.id) & Project.status.not_in(INACTIVE)
    )
    if user is not None and user.organisation.kind == "recipient":
        query = query.where(Project.recipient == user.organisation_id)
    return query


def similar_projects(
    user: User | None,
    project: Project,
    limit: int = 10,
    min_score: float = MIN_SCORE,
    include_decided: bool = False,
    pool: pw.ModelSelect | None = None,
    use_index: bool = True,
) -> list[Candidate]:
    """Likely duplicates and overlaps of ``project`` that ``user`` may see, best first.

    The caller has checked that ``user`` may see ``project`` itself. ``pool``
    replaces the projects compared with (it must already be narrowed to
    what may be shown). Without ``use_index`` only the same recipient's
    projects in the same category are compared (a quick check).
    """
    if pool is None:
        if user is None:
            return []
        pool = candidate_pool(user, project)
    ids: dict[int, float] = {}
    if use_index:
        groups = _candidate_groups(project)
        if groups:
            for pid, _score in search.rank_any("project", pool, groups, limit=80):
                ids.setdefault(pid, 0.0)
    same = (
        pool.where(
            (Project.recipient == project.recipient_id) & (Project.category == project.category)
        )
        .order_by(Project.id.desc())
        .limit(40)
    )
    for (pid,) in same.select(Project.id).tuples():
        ids.setdefault(pid, 0.0)
    if not include_decided:
        for pid in decided_ids(project):
            ids.pop(pid, None)
    if not ids:
        return []
    others = list(Project.select().where(Project.id.in_(list(ids))))
    return _scored(project, others, exchange_rates(), limit, min_score)


def _scored(
    project: Project, others: list[Project], rates: dict[str, Decimal], limit: int, min_score: float
) -> list[Candidate]:
    """``others`` compared with ``project`` (IDF over them and the project), best first."""
    texts = {p.id: project_text(p) for p in others}
    mine = project_text(project)
    idf = pool_idf([mine, *texts.values()])
    va = vectors(mine, idf)
    found = [
        compare(project, p, mine, texts[p.id], idf, rates, va, vectors(texts[p.id], idf))
        for p in others
    ]
    found = [c for c in found if c.score >= min_score]
    found.sort(key=lambda c: (-c.score, c.project.id))
    return found[:limit]


#: How many of the same recipient's latest projects in the category the quick check compares.
QUICK_POOL = 40


def quick_duplicates(
    user: User | None, projects: list[Project], limit: int = 3, min_score: float = ALARM_THRESHOLD
) -> list[tuple[Project, Candidate]]:
    """Likely duplicates of each of ``projects`` among the same recipient's latest projects
    in the same category, undecided: the answer of ``similar_projects(user, p,
    use_index=False)`` for every ``p``, in four queries for all of them.

    The caller has checked that ``user`` may see ``projects``.
    """
    if user is None or not projects:
        return []
    pairs = {(p.recipient_id, p.category) for p in projects}
    same = None
    for recipient, category in sorted(pairs):
        cond = (Project.recipient == recipient) & (Project.category == category)
        same = cond if same is None else (same | cond)
    pool = visible_projects(
        user, Project.select(Project.id, Project.recipient_id, Project.category)
    ).where(Project.status.not_in(INACTIVE) & same)
    if user.organisation.kind == "recipient":
        pool = pool.where(Project.recipient == user.organisation_id)
    latest: dict[tuple[int, str], list[int]] = {}
    for pid, recipient, category in pool.order_by(Project.id.desc()).tuples():
        latest.setdefault((recipient, category), []).append(pid)
    ids = {p.id for p in projects}
    decided: dict[int, set[int]] = {i: set() for i in ids}
    for a, b in (
        ProjectLink.select(ProjectLink.project_a, ProjectLink.project_b)
        .where(ProjectLink.project_a.in_(list(ids)) | ProjectLink.project_b.in_(list(ids)))
        .tuples()
    ):
        for mine, other in ((a, b), (b, a)):
            if mine in decided:
                decided[mine].add(other)
    wanted: dict[int, list[int]] = {}
    for p in projects:
        mates = [i for i in latest.get((p.recipient_id, p.category), []) if i != p.id]
        wanted[p.id] = [i for i in mates[:QUICK_POOL] if i not in decided[p.id]]
    every = {i for v in wanted.values() for i in v}
    if not every:
        return []
    # Text first, from the texts alone: only a candidate whose text similarity could
    # still lift it to ``min_score`` is loaded whole and compared on everything else.
    texts = {
        pid: _text_of(te or "", tu or "", se or "", su or "")
        for pid, te, tu, se, su in Project.select(
            Project.id, Project.title_en, Project.title_uk, Project.summary_en, Project.summary_uk
        )
        .where(Project.id.in_(list(every)))
        .tuples()
    }
    kept: dict[int, tuple[dict[str, float], Vectors, list[tuple[int, Vectors]]]] = {}
    for p in projects:
        mine = project_text(p)
        idf = pool_idf([mine, *(texts[i] for i in wanted[p.id])])
        va = vectors(mine, idf)
        close = []
        for i in wanted[p.id]:
            vb = vectors(texts[i], idf)
            if could_reach(text_similarity(mine, texts[i], idf, va, vb), min_score):
                close.append((i, vb))
        kept[p.id] = (idf, va, close)
    survivors = {i for _idf, _va, close in kept.values() for i, _vb in close}
    loaded = (
        {o.id: o for o in Project.select().where(Project.id.in_(list(survivors)))}
        if survivors
        else {}
    )
    rates = exchange_rates()
    out: list[tuple[Project, Candidate]] = []
    for p in projects:
        idf, va, close = kept[p.id]
        mine = project_text(p)
        found = [compare(p, loaded[i], mine, texts[i], idf, rates, va, vb) for i, vb in close]
        found = [c for c in found if c.score >= min_score]
        found.sort(key=lambda c: (-c.score, c.project.id))
        out.extend((p, c) for c in found[:limit])
    return out


#: The most the structural features (everything but text) add to a score.
_MAX_STRUCTURE = sum(w for k, w in WEIGHTS.items() if k != "text")


def could_reach(text: float, min_score: float) -> bool:
    """Whether a candidate with this text similarity could score ``min_score`` (see
    :func:`compare`: text plus every structural feature at its best, and the cap on
    unrelated text); ``compare`` never scores higher than this bound."""
    bound = WEIGHTS["text"] * text + _MAX_STRUCTURE
    if text < 0.2:
        bound = min(bound, 0.45)
    return round(min(bound, 1.0), 3) >= min_score


def pair_score(a: Project, b: Project, pool: list[Project] | None = None) -> Candidate:
    """The score of one pair, with IDF over ``pool`` (default: the two alone)."""
    texts = [project_text(p) for p in (pool or [])]
    ta, tb = project_text(a), project_text(b)
    return compare(a, b, ta, tb, pool_idf([ta, tb, *texts]), exchange_rates())


# --- decisions ------------------------------------------------------------------


def _ordered(a: Project, b: Project) -> tuple[Project, Project]:
    return (a, b) if a.id < b.id else (b, a)


def link_for(a: Project, b: Project) -> ProjectLink | None:
    first, second = _ordered(a, b)
    return ProjectLink.get_or_none(
        (ProjectLink.project_a == first.id) & (ProjectLink.project_b == second.id)
    )


_PROGRESS = (
    "draft",
    "returned",
    "submitted",
    "published",
    "in_implementation",
    "delivered",
    "closed",
)


def which_to_close(a: Project, b: Project) -> tuple[Project, Project]:
    """``(keep, close)``: keep the more advanced project, or the older when equal."""
    rank_a = _PROGRESS.index(a.status) if a.status in _PROGRESS else -1
    rank_b = _PROGRESS.index(b.status) if b.status in _PROGRESS else -1
    if rank_a != rank_b:
        return (a, b) if rank_a > rank_b else (b, a)
    return (a, b) if a.id < b.id else (b, a)


def record_decision(
    user: User, project: Project, other: Project, kind: str, note: str = ""
) -> ProjectLink:
    """Record an officer's decision about a pair; ``duplicate`` also closes one of them."""
    from tmdesk.core import projects as project_service

    if not can_review(user):
        raise PermissionDenied(N_("Only the coordinating offices decide about duplicates."))
    if kind not in LINK_KINDS:
        raise ValidationError({"kind": N_("Choose duplicate, related or not a duplicate.")})
    if other.id == project.id:
        raise ValidationError({"other": N_("Choose another project.")})
    if not can_see(user, other) or not can_see(user, project):
        raise ValidationError({"other": N_("No such project.")})
    errors = validation.Errors()
    note = validation.text(errors, {"note": note}, "note", max_length=2000)
    errors.raise_if_any()
    if kind == "duplicate":
        keep, close = which_to_close(project, other)
        # The closed project's history will say "Duplicate of <keep>".
        audience.require_within(
            keep,
            close,
            "other",
            N_(
                "Not everyone who may see the project to be closed may see the one it "
                "duplicates, and its history would name it. Record the pair as related, "
                "or close the project yourself with a comment that names nothing hidden."
            ),
        )
    with database.atomic():
        link = link_for(project, other)
        before = audit.snapshot(link) if link else None
        first, second = _ordered(project, other)
        if link is None:
            link = ProjectLink(project_a=first, project_b=second)
        link.kind, link.note, link.created_by, link.created_at = kind, note, user, utcnow()
        link.save()
        audit.record(user, "project.link", link, before, audit.snapshot(link))
        if kind == "duplicate":
            _close_as_duplicate(user, keep, close, project_service)
    return link


@dataclass(frozen=True)
class DuplicateConsequence:
    """What recording a pair as duplicates will do, for the confirmation page."""

    keep: Project
    close: Project
    #: The workflow step that closes ``close`` ("reject", "withdraw"), or None when
    #: it is already closed and only the record of duplication is added.
    step: str | None
    #: Offered pledges that move to ``keep``, and pledges that stay, flagged.
    moving: int
    flagged: int


def _close_step(close: Project) -> str | None:
    if close.status == "submitted":
        return "reject"
    if close.status in ("draft", "returned", "published", "in_implementation"):
        return "withdraw"
    return None


def duplicate_consequence(user: User, project: Project, other: Project) -> DuplicateConsequence:
    """What marking ``project`` and ``other`` duplicates would do, without doing it
    (refused as :func:`record_decision` would refuse it)."""
    if not can_review(user):
        raise PermissionDenied(N_("Only the coordinating offices decide about duplicates."))
    if other.id == project.id:
        raise ValidationError({"other": N_("Choose another project.")})
    if not can_see(user, other) or not can_see(user, project):
        raise ValidationError({"other": N_("No such project.")})
    keep, close = which_to_close(project, other)
    may_move = keep.status in PLEDGEABLE_STATUSES and audience.within(close, keep)
    moving = flagged = 0
    for (status,) in (
        Pledge.select(Pledge.status)
        .where((Pledge.project == close.id) & (Pledge.status != "withdrawn"))
        .tuples()
    ):
        if status == "offered" and may_move:
            moving += 1
        else:
            flagged += 1
    return DuplicateConsequence(keep, close, _close_step(close), moving, flagged)


def _close_as_duplicate(user: User, keep: Project, close: Project, project_service) -> None:
    comment = N_("Duplicate of %(ref)s") % {"ref": keep.ref}
    before = audit.snapshot(close)
    close.duplicate_of = keep
    close.save()
    audit.record(user, "project.duplicate_of", close, before, audit.snapshot(close))
    step = _close_step(close)
    if step is not None:
        project_service.transition(user, close, step, comment)
    # delivered, closed, withdrawn or rejected: the record of duplication is enough.
    # Everyone who sees the closed project sees the kept one (checked before), so
    # a moved pledge stays in its donor's sight; it moves only where nobody new
    # would see it, else it stays, flagged.
    may_move = keep.status in PLEDGEABLE_STATUSES and audience.within(close, keep)
    for pledge in Pledge.select().where(
        (Pledge.project == close.id) & (Pledge.status != "withdrawn")
    ):
        before = audit.snapshot(pledge)
        if pledge.status == "offered" and may_move:
            pledge.project = keep
            action = "pledge.moved"
        else:
            pledge.note = ((pledge.note + "\n") if pledge.note else "") + comment
            action = "pledge.flagged"
        pledge.updated_at = utcnow()
        pledge.save()
        audit.record(user, action, pledge, before, audit.snapshot(pledge))


def undoable_duplicate(link: ProjectLink) -> tuple[Project, Project] | None:
    """``(keep, closed)`` of a duplicate decision that can still be undone, else None."""
    if link.kind != "duplicate":
        return None
    a, b = link.project_a, link.project_b
    for keep, closed in ((a, b), (b, a)):
        if closed.duplicate_of_id == keep.id:
            return keep, closed
    return None


def _closing_change(keep: Project, closed: Project) -> StatusChange | None:
    """The status change that closed ``closed`` as a duplicate of ``keep``, if it is
    still the project's latest (nothing else happened to it since)."""
    latest = (
        StatusChange.select()
        .where(StatusChange.project == closed.id)
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
        .first()
    )
    expected = N_("Duplicate of %(ref)s") % {"ref": keep.ref}
    if (
        latest is not None
        and latest.action in ("reject", "withdraw")
        and latest.comment == expected
        and latest.to_status == closed.status
    ):
        return latest
    return None


def undo_duplicate(user: User, link: ProjectLink, note: str = "") -> Project:
    """Reverse an officer's duplicate decision: the closed project goes back to the
    status it had, is no longer a duplicate, the pledges moved off it come back and
    the flags added to the others are taken off; the decision is forgotten (the pair
    may be raised again). Every change is audited. Returns the restored project."""
    if not can_review(user):
        raise PermissionDenied(N_("Only the coordinating offices decide about duplicates."))
    pair = undoable_duplicate(link)
    if pair is None:
        raise ValidationError({"link": N_("This decision is not a duplicate that can be undone.")})
    keep, closed = pair
    if not can_see(user, keep) or not can_see(user, closed):
        raise ValidationError({"link": N_("No such project.")})
    errors = validation.Errors()
    note = validation.text(errors, {"note": note}, "note", max_length=2000)
    errors.raise_if_any()
    comment = N_("Duplicate of %(ref)s") % {"ref": keep.ref}
    with database.atomic():
        change = _closing_change(keep, closed)
        before = audit.snapshot(closed)
        now = utcnow()
        closed.duplicate_of = None
        if change is not None:
            closed.status = change.from_status
            closed.updated_at = now
            StatusChange.create(
                project=closed,
                from_status=change.to_status,
                to_status=change.from_status,
                action="undo_duplicate",
                user=user,
                at=now,
                comment=note or N_("Not a duplicate of %(ref)s after all") % {"ref": keep.ref},
            )
        closed.save()
        audit.record(user, "project.duplicate_undo", closed, before, audit.snapshot(closed))
        _restore_pledges(user, keep, closed, comment)
        audit.record(user, "project.unlink", link, audit.snapshot(link), None)
        link.delete_instance()
    return closed


def _restore_pledges(user: User, keep: Project, closed: Project, comment: str) -> None:
    """Move back the pledges the decision moved from ``closed`` to ``keep``, and take
    the decision's flag off the pledges that stayed."""
    on_keep = {str(p.id): p for p in Pledge.select().where(Pledge.project == keep.id)}
    moved: set[str] = set()
    if on_keep:
        for event in AuditEvent.select().where(
            (AuditEvent.action == "pledge.moved")
            & (AuditEvent.entity_type == "pledge")
            & AuditEvent.entity_id.in_(list(on_keep))
        ):
            before = json.loads(event.before or "{}")
            after = json.loads(event.after or "{}")
            if before.get("project") == closed.id and after.get("project") == keep.id:
                moved.add(event.entity_id)
    for pledge_id in sorted(moved, key=int):
        pledge = on_keep[pledge_id]
        before = audit.snapshot(pledge)
        pledge.project = closed
        pledge.updated_at = utcnow()
        pledge.save()
        audit.record(user, "pledge.moved_back", pledge, before, audit.snapshot(pledge))
    for pledge in Pledge.select().where(Pledge.project == closed.id):
        lines = pledge.note.split("\n") if pledge.note else []
        if comment not in lines:
            continue
        before = audit.snapshot(pledge)
        lines.reverse()
        lines.remove(comment)  # the last flag added, which the decision wrote
        lines.reverse()
        pledge.note = "\n".join(lines)
        pledge.updated_at = utcnow()
        pledge.save()
        audit.record(user, "pledge.unflagged", pledge, before, audit.snapshot(pledge))


def remove_decision(user: User, link: ProjectLink) -> None:
    """Forget a decision (the pair may be raised again); closing is not undone."""
    if not can_review(user):
        raise PermissionDenied(N_("Only the coordinating offices decide about duplicates."))
    with database.atomic():
        audit.record(user, "project.unlink", link, audit.snapshot(link), None)
        link.delete_instance()


def decisions_for(user: User | None, project: Project) -> list[tuple[ProjectLink, Project]]:
    """Recorded decisions about ``project`` with the other project, when ``user`` may see it."""
    links = list(
        ProjectLink.select().where(
            (ProjectLink.project_a == project.id) | (ProjectLink.project_b == project.id)
        )
    )
    other_ids = [
        lk.project_b_id if lk.project_a_id == project.id else lk.project_a_id for lk in links
    ]
    visible = (
        {p.id: p for p in visible_projects(user).where(Project.id.in_(other_ids))}
        if other_ids
        else {}
    )
    out = []
    for link, oid in zip(links, other_ids, strict=True):
        if oid in visible:
            out.append((link, visible[oid]))
    return out


def may_see_duplicates(user: User | None, project: Project) -> bool:
    """Officers, and the recipient organisation for its own project."""
    if user is None:
        return False
    return is_officer(user) or (
        user.organisation.kind == "recipient" and project.recipient_id == user.organisation_id
    )
