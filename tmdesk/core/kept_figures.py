"""The dashboard's figures kept in step with the database, part by part.

Summing every project a user may see (:func:`tmdesk.core.figures.sum_figures`)
costs a scan of the projects, their pledges and transactions: over a second at
100,000 projects. The result only changes when the data does, and a write
changes one project's share of it. So the projects are summed in parts (ranges
of :data:`PART_SIZE` project ids), each part kept, and the figures are the
parts added up (:func:`tmdesk.core.figures.merge`: every figure is a sum over
projects, a project's gap included). After a write only the parts of the
projects it touched are summed again.

What a write touched is read from the shared database, so several servers
keep their own parts and never serve each other's stale figures:

* the change log (every audited write names its project; a pledge moved from
  one project to another names the one it left in its audit event);
* new projects, pledges and transactions (bulk loads add no audit event).

Any other audited change (rates, organisations, accounts, settings) sums every
part again: they are rare, and their reach is not one project. The parts are
kept per rates, viewer (:func:`tmdesk.core.visibility.viewer_key`: two accounts
that see the same projects share them) and breakdown.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from tmdesk.core.figures import GROUPS, Figures, merge, sum_figures
from tmdesk.core.models import AuditEvent, ChangeLog, Pledge, Project, Transaction, User
from tmdesk.core.visibility import viewer_key

#: Project ids per part: a write sums this many projects again, at most.
PART_SIZE = 4096
#: Viewers (with their rates and breakdown) whose parts are kept, least recently
#: used dropped first.
MEMO_SIZE = 32
#: The audited records whose change reaches no further than their own project's
#: figures (offers and notifications reach none).
PROJECT_SCOPED = frozenset(
    {
        "project",
        "pledge",
        "transaction",
        "update",
        "document",
        "engagement",
        "offer",
        "offerlink",
        "projectlink",
        "pledgefield",
        "notification",
    }
)
#: More audited changes than this since the parts were summed: sum them all again.
MAX_CHANGES = 2000


@dataclass(frozen=True)
class Mark:
    """Where the database stood: the newest change-log entry, audit event,
    project, pledge and transaction (each a primary-key maximum: one probe)."""

    seq: int
    audit: int
    project: int
    pledge: int
    transaction: int


def mark() -> Mark:
    """Where the database stands now."""
    return Mark(
        *(
            model.select(pw.fn.MAX(key)).scalar() or 0
            for model, key in (
                (ChangeLog, ChangeLog.seq),
                (AuditEvent, AuditEvent.id),
                (Project, Project.id),
                (Pledge, Pledge.id),
                (Transaction, Transaction.id),
            )
        )
    )


def touched_projects(since: Mark, now: Mark) -> set[int] | None:
    """The ids of the projects whose figures may have changed between ``since``
    and ``now``, or None when a change may reach beyond its project."""
    events = list(
        AuditEvent.select(AuditEvent.entity_type, AuditEvent.before)
        .where((AuditEvent.id > since.audit) & (AuditEvent.id <= now.audit))
        .limit(MAX_CHANGES + 1)
        .tuples()
    )
    if len(events) > MAX_CHANGES:
        return None
    ids: set[int] = set()
    for entity_type, before in events:
        if entity_type not in PROJECT_SCOPED:
            return None
        if entity_type == "pledge" and before:
            left = json.loads(before).get("project")  # a pledge moved: the project it left
            if isinstance(left, int):
                ids.add(left)
    ids.update(
        pid
        for (pid,) in ChangeLog.select(ChangeLog.project_id)
        .where(
            (ChangeLog.seq > since.seq)
            & (ChangeLog.seq <= now.seq)
            & ChangeLog.project_id.is_null(False)
        )
        .distinct()
        .tuples()
    )
    if now.project > since.project:
        ids.update(range(since.project + 1, now.project + 1))
    if now.pledge > since.pledge:
        ids.update(
            pid
            for (pid,) in Pledge.select(Pledge.project_id)
            .where((Pledge.id > since.pledge) & (Pledge.id <= now.pledge))
            .distinct()
            .tuples()
        )
    if now.transaction > since.transaction:
        ids.update(
            pid
            for (pid,) in Pledge.select(Pledge.project_id)
            .join(Transaction, on=(Transaction.pledge == Pledge.id))
            .where((Transaction.id > since.transaction) & (Transaction.id <= now.transaction))
            .distinct()
            .tuples()
        )
    return ids


@dataclass
class _Kept:
    """One viewer's parts, as of ``at``, and their sum."""

    at: Mark
    parts: dict[int, Figures] = field(default_factory=dict)
    total: Figures = field(default_factory=Figures)


_MEMO: OrderedDict[tuple, _Kept] = OrderedDict()
_LOCK = threading.Lock()


def forget() -> None:
    """Drop every kept figure: for whatever changes the database without the
    audit log (a restore, a database opened anew, a test deleting rows)."""
    with _LOCK:
        _MEMO.clear()


def _part(user: User, rates: dict[str, Decimal], with_recipients: bool, n: int) -> Figures:
    low = n * PART_SIZE
    within = Project.id.between(low, low + PART_SIZE - 1)
    return sum_figures(user, rates, with_recipients, within)


def figures_for(
    user: User | None, rates: dict[str, Decimal], with_recipients: bool = True
) -> Figures:
    """The figures ``user`` may see (:func:`tmdesk.core.figures.sum_figures`),
    kept in step with the database part by part (see the module's text)."""
    if user is None or not user.active:
        return Figures(gap_by={g: {} for g in GROUPS})
    key = (tuple(sorted(rates.items())), viewer_key(user), with_recipients)
    now = mark()
    with _LOCK:
        kept = _MEMO.get(key)
        if kept is not None:
            _MEMO.move_to_end(key)
    if kept is not None and kept.at == now:
        return kept.total
    touched = touched_projects(kept.at, now) if kept is not None else None
    if kept is None or touched is None:
        parts = {
            n: _part(user, rates, with_recipients, n) for n in range(now.project // PART_SIZE + 1)
        }
    else:
        parts = dict(kept.parts)
        for n in sorted({pid // PART_SIZE for pid in touched}):
            parts[n] = _part(user, rates, with_recipients, n)
    fresh = _Kept(now, parts, merge(parts.values()))
    with _LOCK:
        _MEMO[key] = fresh
        _MEMO.move_to_end(key)
        while len(_MEMO) > MEMO_SIZE:
            _MEMO.popitem(last=False)
    return fresh.total
