"""Scoring one pair of projects: text similarity plus the structural features, in words.

Read-only: nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from tmdesk.core.funding import exchange_rates
from tmdesk.core.i18n import N_
from tmdesk.core.models import Project
from tmdesk.core.similarity.text import (
    ProjectText,
    Reason,
    Vectors,
    pool_idf,
    project_text,
    text_similarity,
)

#: A candidate scoring at least this is "likely a duplicate" (raised to officers).
ALARM_THRESHOLD = 0.6
#: Candidates below this are not shown at all.
MIN_SCORE = 0.3


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
