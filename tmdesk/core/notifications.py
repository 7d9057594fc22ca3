"""In-app notifications: what happened that one person should hear about (issue #15).

A :class:`~tmdesk.core.models.Notification` stores who, what kind, and the
project (and pledge) it is about; never a text. Its words are written when it
is read, and only while the reader may still see the project under the one
visibility policy: a notification about a project that has since become
hidden from its reader is neither shown nor counted, so it can never name
what its reader may not see.

Who hears about what:

* ``pledge_new``: a pledge was recorded on a project: the recipient
  organisation's people;
* ``project_published`` / ``project_returned`` / ``project_rejected``: the
  recipient organisation's people;
* ``pledge_confirmed``: whoever recorded or proposed the pledge, and the
  donor organisation's people.

The person who did it is never told about their own action.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import peewee as pw

from tmdesk.core.i18n import N_
from tmdesk.core.models import Notification, Organisation, Pledge, Project, User, utcnow
from tmdesk.core.visibility import can_see, visibility_condition

#: Kind → the sentence shown (``%(ref)s`` the project's reference, ``%(title)s`` its
#: title, ``%(donor)s``, ``%(amount)s`` and ``%(currency)s`` for pledges).
MESSAGES: dict[str, str] = {
    "pledge_new": N_(
        "%(donor)s pledged %(amount)s %(currency)s to your project %(ref)s %(title)s."
    ),
    "project_published": N_("Your project %(ref)s %(title)s is published in the Catalogue."),
    "project_returned": N_(
        "Your project %(ref)s %(title)s was returned to you with comments: edit it and "
        "submit it again."
    ),
    "project_rejected": N_("Your project %(ref)s %(title)s was rejected."),
    "pledge_confirmed": N_(
        "%(donor)s confirmed the pledge of %(amount)s %(currency)s to %(ref)s %(title)s."
    ),
}

#: Project workflow actions that notify the recipient, and the kind they make.
PROJECT_KINDS = {
    "publish": "project_published",
    "return": "project_returned",
    "reject": "project_rejected",
}


def _organisation_people(org_id: int) -> list[User]:
    return list(
        User.select(User, Organisation)
        .join(Organisation)
        .where((User.organisation == org_id) & User.active)
    )


def _notify(
    people: Iterable[User],
    kind: str,
    project: Project,
    actor: User | None,
    pledge: Pledge | None = None,
) -> int:
    """One notification for each of ``people`` who may see ``project``, except ``actor``."""
    now = utcnow()
    seen: set[int] = set()
    rows = []
    for person in people:
        if person.id in seen or (actor is not None and person.id == actor.id):
            continue
        seen.add(person.id)
        if not person.active or not can_see(person, project):
            continue
        rows.append(
            {
                "user": person.id,
                "kind": kind,
                "project": project.id,
                "pledge": pledge.id if pledge is not None else None,
                "created_at": now,
            }
        )
    if rows:
        Notification.insert_many(rows).execute()
    return len(rows)


def project_step(actor: User, project: Project, action: str) -> int:
    """Tell the recipient organisation that ``action`` was taken on its project."""
    kind = PROJECT_KINDS.get(action)
    if kind is None:
        return 0
    return _notify(_organisation_people(project.recipient_id), kind, project, actor)


def pledge_recorded(actor: User, pledge: Pledge) -> int:
    """Tell the recipient organisation about a new pledge on its project."""
    project = pledge.project
    return _notify(_organisation_people(project.recipient_id), "pledge_new", project, actor, pledge)


def pledge_confirmed(actor: User, pledge: Pledge) -> int:
    """Tell whoever recorded the pledge, and the donor's people, that it is confirmed."""
    people = [User.get_by_id(pledge.created_by_id), *_organisation_people(pledge.donor_id)]
    return _notify(people, "pledge_confirmed", pledge.project, actor, pledge)


# --- reading --------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """One notification as its reader sees it: the sentence (English, with its
    parameters for translation), the project's reference to link to, and when."""

    id: int
    #: What pages name it by (its id would count everyone's notifications).
    uid: str
    kind: str
    message: str
    params: dict[str, Any]
    ref: str
    created_at: Any
    read: bool


def _visible(user: User) -> pw.ModelSelect:
    """The user's notifications whose project the user may see now."""
    return (
        Notification.select(Notification, Project)
        .join(Project, on=(Notification.project == Project.id))
        .where((Notification.user == user.id) & visibility_condition(user))
    )


def unread_count(user: User | None) -> int:
    """How many unread notifications ``user`` may see (0 for nobody)."""
    if user is None:
        return 0
    return _visible(user).where(Notification.read_at.is_null()).count()


def shown(user: User, notification: Notification, locale: str = "en") -> Shown | None:
    """The words of ``notification`` for ``user``, or None if it is not theirs or its
    project is hidden from them (checked again here, at display time)."""
    if notification.user_id != user.id:
        return None
    project = notification.project
    if project is None or not can_see(user, project):
        return None
    params: dict[str, Any] = {"ref": project.ref, "title": project.title(locale)}
    if notification.pledge_id is not None:
        pledge = Pledge.get_or_none(Pledge.id == notification.pledge_id)
        if pledge is None or pledge.project_id != project.id:
            return None
        params["donor"] = pledge.donor.name(locale)
        if pledge.amount is not None:
            params["amount"], params["currency"] = pledge.amount, pledge.currency or ""
        else:
            params["amount"], params["currency"] = (pledge.in_kind[:80] or "—"), ""
    return Shown(
        id=notification.id,
        uid=notification.uid,
        kind=notification.kind,
        message=MESSAGES.get(notification.kind, N_("%(ref)s %(title)s changed.")),
        params=params,
        ref=project.ref,
        created_at=notification.created_at,
        read=notification.read_at is not None,
    )


def for_user(
    user: User,
    locale: str = "en",
    limit: int = 50,
    unread_only: bool = False,
    not_emailed: bool = False,
) -> list[Shown]:
    """The user's latest notifications they may see, newest first (``unread_only``:
    not read yet; ``not_emailed``: not yet carried by an e-mail digest)."""
    query = _visible(user)
    if unread_only:
        query = query.where(Notification.read_at.is_null())
    if not_emailed:
        query = query.where(Notification.emailed_at.is_null())
    rows = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    out = []
    for row in rows:
        item = shown(user, row, locale)
        if item is not None:
            out.append(item)
    return out


def mark_read(user: User, ids: Iterable[int | str] | None = None) -> int:
    """Mark the user's notifications ``ids`` (all of them when None) read; returns how
    many. Each is a notification's id or, as pages name them, its uid."""
    query = Notification.update(read_at=utcnow()).where(
        (Notification.user == user.id) & Notification.read_at.is_null()
    )
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return 0
        uids = [i for i in wanted if isinstance(i, str)]
        rows = [int(i) for i in wanted if not isinstance(i, str)]
        query = query.where(Notification.uid.in_(uids) | Notification.id.in_(rows))
    return query.execute()
