"""The audit log in words: what each event did, said as a sentence.

"Olena Kovalenko returned TM-2026-0048 “Mobile data centre”", not
"project.return project 24". A sentence names a project only to a reader who
may see it (the one visibility policy, :mod:`tmdesk.core.visibility`); for
anyone else the project is "a project you may not see", so administering
accounts never widens what a person may read.

Sentences are returned as a message marked for translation and its
parameters; the page translates them in the reader's language.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from tmdesk.core.i18n import N_
from tmdesk.core.ids import short_uid
from tmdesk.core.models import (
    AuditEvent,
    Document,
    Engagement,
    Offer,
    OfferLink,
    Pledge,
    Project,
    ProjectLink,
    Transaction,
    Update,
    User,
)
from tmdesk.core.visibility import visible_projects

#: Snapshot keys that name a project (derived rows carry their project's id).
PROJECT_KEYS = ("project", "project_a", "project_b")

#: What a hidden project is called in a sentence.
HIDDEN_PROJECT = N_("a project you may not see")

#: action → sentence. ``%(who)s`` is the person; ``%(project)s`` the project (or
#: HIDDEN_PROJECT); other parameters come from the event's before/after.
SENTENCES: dict[str, str] = {
    "project.create": N_("%(who)s created the draft %(project)s"),
    "project.update": N_("%(who)s edited %(project)s"),
    "project.submit": N_("%(who)s submitted %(project)s for review"),
    "project.publish": N_("%(who)s published %(project)s"),
    "project.return": N_("%(who)s returned %(project)s to the recipient"),
    "project.reject": N_("%(who)s rejected %(project)s"),
    "project.start": N_("%(who)s started the implementation of %(project)s"),
    "project.deliver": N_("%(who)s marked %(project)s as delivered"),
    "project.close": N_("%(who)s closed %(project)s"),
    "project.withdraw": N_("%(who)s withdrew %(project)s"),
    "project.members": N_("%(who)s changed the people named on %(project)s"),
    "project.duplicate_of": N_("%(who)s closed %(project)s as a duplicate"),
    "project.link": N_("%(who)s recorded how %(project)s and %(other)s relate"),
    "project.unlink": N_("%(who)s removed the decision about %(project)s and %(other)s"),
    "pledge.create": N_("%(who)s recorded a pledge of %(amount)s on %(project)s"),
    "pledge.update": N_("%(who)s edited a pledge of %(amount)s on %(project)s"),
    "pledge.confirm": N_("%(who)s confirmed a pledge of %(amount)s on %(project)s"),
    "pledge.disburse": N_("%(who)s marked a pledge of %(amount)s on %(project)s as disbursed"),
    "pledge.deliver": N_("%(who)s marked a pledge of %(amount)s on %(project)s as delivered"),
    "pledge.withdraw": N_("%(who)s withdrew a pledge of %(amount)s on %(project)s"),
    "document.create": N_("%(who)s attached “%(file)s” to %(project)s"),
    "update.create": N_("%(who)s posted the update “%(title)s” on %(project)s"),
    "engagement.create": N_("%(who)s engaged a company on %(project)s"),
    "engagement.update": N_("%(who)s changed a company's engagement on %(project)s"),
    "engagement.delete": N_("%(who)s ended a company's engagement on %(project)s"),
    "offer.create": N_("%(who)s recorded offer %(id)s"),
    "offer.update": N_("%(who)s edited offer %(id)s"),
    "offer.link": N_("%(who)s linked offer %(offer)s to %(project)s"),
    "offer.unlink": N_("%(who)s unlinked offer %(offer)s from %(project)s"),
    "organisation.create": N_("%(who)s added the organisation %(code)s"),
    "organisation.update": N_("%(who)s edited the organisation %(code)s"),
    "user.create": N_("%(who)s created the account %(email)s"),
    "user.update": N_("%(who)s edited the account %(email)s"),
    "user.password": N_("%(who)s set a new password for %(email)s"),
    "user.activate": N_("%(who)s reactivated the account %(email)s"),
    "user.deactivate": N_("%(who)s deactivated the account %(email)s"),
    "login": N_("%(who)s logged in"),
    "login.failed": N_("A login to %(email)s failed"),
    "token.create": N_("%(who)s created an API token for %(email)s"),
    "token.revoke": N_("%(who)s revoked an API token of %(email)s"),
    "rate.update": N_("%(who)s set the rate of %(currency)s to %(rate)s euros"),
}
#: Any other action: the words we have, and the code for the rest.
FALLBACK = N_("%(who)s: %(action)s (%(what)s %(id)s)")
SYSTEM = N_("The system")


#: Records the log names by (the end of) their uid, never by their sequential id,
#: which would tell how many of them exist (issue 12).
NAMED_BY_UID = {
    "pledge": Pledge,
    "offer": Offer,
    "document": Document,
    "engagement": Engagement,
    "update": Update,
    "transaction": Transaction,
    "offerlink": OfferLink,
    "projectlink": ProjectLink,
}


def _uid_words(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """(entity type, id as text) → the short uid the log names that record by; offers
    named inside link events too. A record deleted since is missing (named by nothing)."""
    wanted: dict[str, set[int]] = {}
    for e in events:
        if e.entity_type in NAMED_BY_UID and str(e.entity_id).isdigit():
            wanted.setdefault(e.entity_type, set()).add(int(e.entity_id))
        offer = (snapshot_data(e.after) or snapshot_data(e.before)).get("offer")
        if isinstance(offer, int) and not isinstance(offer, bool):
            wanted.setdefault("offer", set()).add(offer)
    out: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        model = NAMED_BY_UID[kind]
        rows = model.select(model.id, model.uid).where(model.id.in_(sorted(ids))).tuples()
        out.update({(kind, str(row_id)): short_uid(uid or "") for row_id, uid in rows})
    return out


@dataclass
class Sentence:
    """One event in words: ``message`` (marked for translation) and its ``params``;
    ``translate`` lists the params that are themselves messages to translate."""

    message: str
    params: dict[str, Any]
    translate: tuple[str, ...] = field(default_factory=tuple)


def snapshot_data(text: str | None) -> dict[str, Any]:
    """An event's ``before`` or ``after`` as a dict (a bare value under ``"value"``)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def project_ids(event: AuditEvent) -> set[int]:
    """The projects an event is about: its entity, or the project its rows belong to."""
    ids = set()
    if event.entity_type == "project" and str(event.entity_id).isdigit():
        ids.add(int(event.entity_id))
    for text in (event.before, event.after):
        data = snapshot_data(text)
        ids.update(v for k in PROJECT_KEYS if isinstance(v := data.get(k), int))
    return ids


def hidden_project_ids(reader: User, events: list[AuditEvent]) -> set[int]:
    """Projects named by ``events`` that ``reader`` may not see."""
    ids = set().union(*(project_ids(e) for e in events)) if events else set()
    if not ids:
        return set()
    seen = {
        p.id
        for p in visible_projects(reader, Project.select(Project.id)).where(
            Project.id.in_(list(ids))
        )
    }
    return ids - seen


def _amount(data: dict[str, Any]) -> str:
    raw, currency = data.get("amount"), data.get("currency") or ""
    if raw in (None, ""):
        return str(data.get("in_kind") or "—")[:80]
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return f"{raw} {currency}".strip()
    if value == value.to_integral_value():
        value = value.quantize(Decimal(1))
    return f"{value:,} {currency}".strip()


def describe(reader: User, events: list[AuditEvent], locale: str = "en") -> dict[int, Sentence]:
    """Each event of ``events`` (by id) as a sentence for ``reader``: projects the
    reader may not see are never named, not even by reference."""
    hidden = hidden_project_ids(reader, events)
    wanted = set().union(*(project_ids(e) for e in events)) - hidden if events else set()
    projects = {p.id: p for p in Project.select().where(Project.id.in_(list(wanted)))}
    people_ids = {e.user_id for e in events if e.user_id} | {
        int(e.entity_id) for e in events if e.entity_type == "user" and str(e.entity_id).isdigit()
    }
    people = {u.id: u for u in User.select().where(User.id.in_(list(people_ids)))}
    uid_words = _uid_words(events)

    def project_words(pid: int | None) -> tuple[str, bool]:
        if pid is None or pid in hidden or pid not in projects:
            return HIDDEN_PROJECT, True
        p = projects[pid]
        title = p.title(locale)
        return (f"{p.ref} “{title}”" if title else p.ref), False

    out: dict[int, Sentence] = {}
    for e in events:
        actor = people.get(e.user_id) if e.user_id else None
        who = (actor.name or actor.email) if actor else (e.user_email or "")
        data = snapshot_data(e.after) or snapshot_data(e.before)
        translate: list[str] = []
        params: dict[str, Any] = {"who": who}
        if not who:
            params["who"] = SYSTEM
            translate.append("who")
        pids = sorted(project_ids(e))
        if e.entity_type == "project":
            first = int(e.entity_id) if str(e.entity_id).isdigit() else None
        else:
            first = data.get("project") or data.get("project_a")
        params["project"], hid = project_words(first if isinstance(first, int) else None)
        if hid:
            translate.append("project")
        other = data.get("project_b")
        if isinstance(other, int):
            params["other"], hid = project_words(other)
            if hid:
                translate.append("other")
        subject = (
            people.get(int(e.entity_id))
            if e.entity_type == "user" and str(e.entity_id).isdigit()
            else None
        )
        params.update(
            amount=_amount(data),
            file=str(data.get("filename") or "")[:120],
            title=str(data.get("title") or "")[:120],
            id=(
                short_uid(data["uid"])
                if isinstance(data.get("uid"), str)
                else uid_words.get((e.entity_type, str(e.entity_id)), "")
            )
            if e.entity_type in NAMED_BY_UID
            else e.entity_id,
            offer=uid_words.get(("offer", str(data.get("offer", ""))), ""),
            code=data.get("code", e.entity_id),
            email=data.get("user") or data.get("email") or (subject.email if subject else ""),
            currency=data.get("currency", e.entity_id),
            rate=data.get("eur_per_unit", ""),
            action=e.action,
            what=e.entity_type,
        )
        message = SENTENCES.get(e.action, FALLBACK)
        if message is FALLBACK and pids:
            # An unknown action about a project: never show its id if hidden.
            params["id"] = "" if set(pids) & hidden else params["id"]
        out[e.id] = Sentence(message, params, tuple(translate))
    return out
