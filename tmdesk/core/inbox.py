""" "Needs your action": what waits for this person, by role (issue #15).

Every Start page opens with it. Each group is one kind of work, computed here
under the one visibility policy (nothing the user may not see is listed or
counted):

* ``pledges_to_confirm`` (donors): pledges proposed to the donor by someone
  outside it (an office turning an offer into a pledge), still "offered";
* ``returned`` (recipients): the organisation's projects returned with comments;
* ``resubmitted`` (offices): submitted projects that were returned before;
* ``duplicates`` (offices): likely duplicates of submitted projects, undecided;
* ``updates_due`` (companies): engagements on projects in implementation with
  no progress update for :data:`UPDATE_DUE_DAYS` days;
* ``offers_expiring`` (offerers and offices): open offers whose validity ends
  within :data:`OFFER_EXPIRY_DAYS` days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from tmdesk.core import projects as project_service
from tmdesk.core import similarity
from tmdesk.core.i18n import N_
from tmdesk.core.ids import short_uid
from tmdesk.core.models import (
    Engagement,
    Offer,
    Organisation,
    Pledge,
    Project,
    StatusChange,
    Update,
    User,
    utcnow,
)
from tmdesk.core.visibility import is_officer, visibility_condition, visible_offers

#: An engagement's project needs an update after this many days without one.
UPDATE_DUE_DAYS = 30
#: An offer "about to expire" ends within this many days.
OFFER_EXPIRY_DAYS = 14
#: Likely duplicates are looked for among this many of the oldest submissions.
DUPLICATE_SCAN = 50
#: At most this many items are listed per group (the count says how many in all).
GROUP_LIMIT = 10

TITLES: dict[str, str] = {
    "pledges_to_confirm": N_("Pledges proposed to you to confirm"),
    "returned": N_("Your projects returned with comments"),
    "resubmitted": N_("Resubmitted projects to review"),
    "duplicates": N_("Likely duplicates to decide"),
    "updates_due": N_("Progress updates due on your engagements"),
    "offers_expiring": N_("Offers about to expire"),
}


@dataclass(frozen=True)
class Item:
    """One thing to do: the project it is about (None for an offer alone), what to
    say beside it (an English message with its parameters) and what to link to."""

    project: Project | None
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    pledge_id: int | None = None
    #: The offer's uid (pages name offers by uid).
    offer_id: str | None = None


@dataclass(frozen=True)
class Group:
    kind: str
    title: str
    count: int
    items: list[Item]


def _group(kind: str, items: list[Item]) -> Group | None:
    if not items:
        return None
    return Group(kind, TITLES[kind], len(items), items[:GROUP_LIMIT])


def pledges_to_confirm(user: User) -> list[Item]:
    rows = (
        Pledge.select(Pledge, Project)
        .join(Project)
        .switch(Pledge)
        .join(User, on=(Pledge.created_by == User.id))
        .where(
            (Pledge.donor == user.organisation_id)
            & (Pledge.status == "offered")
            & (User.organisation != user.organisation_id)
            & visibility_condition(user)
        )
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
    )
    out = []
    for pledge in rows:
        if pledge.amount is not None:
            message, params = (
                N_("%(amount)s %(currency)s proposed"),
                {
                    "amount": pledge.amount,
                    "currency": pledge.currency,
                },
            )
        else:
            message, params = N_("in kind: %(what)s"), {"what": pledge.in_kind[:80]}
        out.append(Item(pledge.project, message, params, pledge_id=pledge.id))
    return out


def _returned_at(project_ids: list[int]) -> dict[int, StatusChange]:
    latest: dict[int, StatusChange] = {}
    if project_ids:
        for change in (
            StatusChange.select()
            .where(StatusChange.project.in_(project_ids) & (StatusChange.action == "return"))
            .order_by(StatusChange.at, StatusChange.id)
        ):
            latest[change.project_id] = change
    return latest


def returned(user: User) -> list[Item]:
    own = list(
        Project.select()
        .where(
            (Project.recipient == user.organisation_id)
            & (Project.status == "returned")
            & visibility_condition(user)
        )
        .order_by(Project.updated_at.desc(), Project.id.desc())
    )
    changes = _returned_at([p.id for p in own])
    out = []
    for p in own:
        change = changes.get(p.id)
        comment = (change.comment if change else "")[:200]
        out.append(Item(p, N_("Comment: %(comment)s"), {"comment": comment}))
    return out


def _queue(user: User) -> list[Project]:
    return list(project_service.review_queue(Project.select().where(visibility_condition(user))))


def resubmitted(user: User, queue: list[Project]) -> list[Item]:
    ids = [p.id for p in queue]
    if not ids:
        return []
    was_returned = {
        pid
        for (pid,) in StatusChange.select(StatusChange.project)
        .where(StatusChange.project.in_(ids) & (StatusChange.action == "return"))
        .distinct()
        .tuples()
    }
    return [
        Item(
            p,
            N_("waiting %(days)s days"),
            {"days": project_service.age_in_days(p.submitted_at)},
        )
        for p in queue
        if p.id in was_returned
    ]


def duplicates(user: User, queue: list[Project]) -> list[Item]:
    # The batched check (a few queries for all of them), over the oldest of the
    # queue only, so the Start page stays fast however long the queue grows.
    found = similarity.quick_duplicates(user, queue[:DUPLICATE_SCAN], limit=1)
    return [
        Item(
            p,
            N_("looks like %(other)s (%(score)s%%)"),
            {"other": c.ref, "score": round(c.score * 100)},
        )
        for p, c in found
    ]


def updates_due(user: User, today: dt.date) -> list[Item]:
    since = today - dt.timedelta(days=UPDATE_DUE_DAYS)
    engaged = list(
        Project.select()
        .join(Engagement, on=(Engagement.project == Project.id))
        .where(
            (Engagement.company == user.organisation_id)
            & (Project.status == "in_implementation")
            & visibility_condition(user)
        )
        .distinct()
        .order_by(Project.ref)
    )
    if not engaged:
        return []
    last = {
        pid: latest
        for pid, latest in Update.select(Update.project, pw.fn.MAX(Update.date))
        .where(Update.project.in_([p.id for p in engaged]))
        .group_by(Update.project)
        .tuples()
    }
    out = []
    for p in engaged:
        latest = last.get(p.id)
        if isinstance(latest, str):
            latest = dt.date.fromisoformat(latest[:10])
        if latest is None:
            out.append(Item(p, N_("no update yet")))
        elif latest < since:
            out.append(Item(p, N_("last update on %(date)s"), {"date": latest}))
    return out


def offers_expiring(user: User, today: dt.date) -> list[Item]:
    query = visible_offers(user, Offer.select(Offer, Organisation).join(Organisation)).where(
        Offer.status.in_(("open", "matched"))
        & Offer.valid_until.between(today, today + dt.timedelta(days=OFFER_EXPIRY_DAYS))
    )
    if not is_officer(user):
        query = query.where(Offer.organisation == user.organisation_id)
    return [
        Item(
            None,
            N_("Offer %(id)s of %(org)s: valid until %(date)s"),
            {"id": short_uid(o.uid), "org": o.organisation.code, "date": o.valid_until},
            offer_id=o.uid,
        )
        for o in query.order_by(Offer.valid_until, Offer.id)
    ]


def needs_action(user: User, today: dt.date | None = None) -> list[Group]:
    """What waits for ``user``, one group per kind of work, empty kinds left out."""
    today = today or utcnow().date()
    kind = user.organisation.kind
    groups: list[Group | None] = []
    if kind == "donor":
        groups.append(_group("pledges_to_confirm", pledges_to_confirm(user)))
    if kind == "recipient":
        groups.append(_group("returned", returned(user)))
    if is_officer(user):
        queue = _queue(user)
        groups.append(_group("resubmitted", resubmitted(user, queue)))
        groups.append(_group("duplicates", duplicates(user, queue)))
    if kind == "company":
        groups.append(_group("updates_due", updates_due(user, today)))
    if kind in ("donor", "company") or is_officer(user):
        groups.append(_group("offers_expiring", offers_expiring(user, today)))
    return [g for g in groups if g is not None]
