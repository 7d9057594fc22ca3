"""The desk's own actions on their way to the office (the outbox).

On a linked desk every change its person makes goes through the core services
as always and, in the same transaction, :func:`queue_action` (an audit listener,
installed by :func:`tmdesk.sync.desk.install`) appends it to the outbox with a
fresh idempotency key. The office's answer to each is recorded here; a refused
action waits with the office's reason until redone or discarded.
"""

from __future__ import annotations

import json
from typing import Any

from tmdesk.core import offers as offer_service
from tmdesk.core import pledges as pledge_service
from tmdesk.core import projects as project_service
from tmdesk.core.db import database
from tmdesk.core.ids import new_uid
from tmdesk.core.models import (
    Document,
    Offer,
    OfficeLink,
    Organisation,
    OutboxAction,
    Pledge,
    Project,
    RefAlias,
    StatusChange,
    Transaction,
    Update,
    User,
    model_update,
    utcnow,
)
from tmdesk.sync import money

_EDITABLE = project_service.EDITABLE_FIELDS
_PLEDGE_FIELDS = pledge_service.EDITABLE_FIELDS
_UPDATE_FIELDS = ("title", "body", "date", "progress")


def _uid_of(model: type, row_id: int | None) -> str | None:
    if row_id is None:
        return None
    row = model.select(model.uid).where(model.id == row_id).tuples().first()
    return row[0] if row else None


def describe_action(
    action: str, entity: Any, before: dict | None, after: dict | None
) -> dict[str, Any] | None:
    """The action to send the office for one audited change on the desk, or None
    for changes that do not travel (logins, administration, local settings)."""
    name, _, verb = action.partition(".")
    before = before or {}
    after = after or {}
    if name == "project" and isinstance(entity, Project):
        out: dict[str, Any] = {"uid": entity.uid, "base_version": before.get("version")}
        data: dict[str, Any] = {"project": entity.uid}
        if verb == "create":
            out["kind"] = "project.create"
            data |= {f: after.get(f) for f in _EDITABLE}
        elif verb == "update":
            out["kind"] = "project.update"
            data |= {f: after.get(f) for f in _EDITABLE if before.get(f) != after.get(f)}
        elif verb == "tlp":
            out["kind"] = "project.tlp"
            data["tlp"] = after.get("tlp")
        elif verb == "members":
            out["kind"] = "project.members"
            data["emails"] = after.get("members") or []
        elif verb in project_service.TRANSITIONS:
            last = (
                StatusChange.select(StatusChange.comment)
                .where(StatusChange.project == entity.id)
                .order_by(StatusChange.id.desc())
                .first()
            )
            out["kind"] = "project.transition"
            data |= {"action": verb, "comment": last.comment if last else ""}
        else:
            return None
        return out | {"data": data}
    if name == "pledge" and isinstance(entity, Pledge):
        data = {"project": _uid_of(Project, entity.project_id)}
        out = {"uid": entity.uid, "base_version": before.get("version")}
        if verb == "create":
            donor = Organisation.get_by_id(entity.donor_id)
            data |= {f: after.get(f) for f in _PLEDGE_FIELDS} | {"donor": donor.code}
        elif verb == "update":
            data |= {f: after.get(f) for f in _PLEDGE_FIELDS}
        elif verb in pledge_service.PLEDGE_TRANSITIONS:
            data["action"] = verb
            verb = "transition"
        else:
            # A status the pledge's transactions reached travels as those
            # transactions (tmdesk.sync.money), donor fields as ``pledge.fields``.
            return money.describe(action, entity, before, after)
        return out | {"kind": f"pledge.{verb}", "data": data}
    if action == "update.create" and isinstance(entity, Update):
        data = {f: after.get(f) for f in _UPDATE_FIELDS}
        data["project"] = _uid_of(Project, entity.project_id)
        return {"kind": "update.create", "uid": entity.uid, "data": data}
    if action == "document.create" and isinstance(entity, Document):
        data = {
            "project": _uid_of(Project, entity.project_id),
            "update": _uid_of(Update, entity.update_id),
            "pledge": _uid_of(Pledge, entity.pledge_id),
            "filename": entity.filename,
            "sha256": entity.sha256,
            "size": entity.size,
        }
        return {"kind": "document.attach", "uid": entity.uid, "data": data}
    if action == "offer.create" and isinstance(entity, Offer):
        data = {f: after.get(f) for f in offer_service.EDITABLE_FIELDS}
        data["organisation"] = Organisation.get_by_id(entity.organisation_id).code
        return {"kind": "offer.create", "uid": entity.uid, "data": data}
    return money.describe(action, entity, before, after)


def queue_action(
    user: User | None, action: str, entity: Any, before: dict | None, after: dict | None
) -> None:
    """Audit listener: on a linked desk, queue its person's change for the office
    (in the transaction of the change itself, so both happen or neither)."""
    if user is None or isinstance(entity, tuple):
        return
    link = OfficeLink.select(OfficeLink.user).first()
    if link is None or link.user_id != user.id:
        return
    described = describe_action(action, entity, before, after)
    if described is None:
        return
    OutboxAction.create(
        key=new_uid(),
        kind=described["kind"],
        entity_uid=described["uid"],
        payload=json.dumps(described, ensure_ascii=False),
        local_copy=json.dumps(after, ensure_ascii=False) if after is not None else None,
        user=user,
    )


def pending_uids() -> set[str]:
    return {
        uid
        for (uid,) in OutboxAction.select(OutboxAction.entity_uid)
        .where(OutboxAction.state == "pending")
        .tuples()
    }


def record_answer(action: OutboxAction, answer: dict[str, Any]) -> None:
    now = utcnow()
    if answer.get("status") == "applied":
        action.state = "done"
        ref = answer.get("ref")
        project = Project.get_or_none(Project.uid == answer.get("uid")) if ref else None
        if project is not None and project.ref != ref:
            RefAlias.insert(ref=project.ref, project=project.id).on_conflict_ignore().execute()
            model_update(Project, ref=ref).where(Project.id == project.id).execute()
    elif answer.get("status") == "refused":
        action.state = "refused"
        action.http_status = answer.get("http_status")
        action.reason = json.dumps(
            {k: answer.get(k) for k in ("reason", "message", "params", "fields")},
            ensure_ascii=False,
        )
    else:
        return
    action.answered_at = now
    action.save()


# --- the refused list -------------------------------------------------------------


def refused_actions() -> list[OutboxAction]:
    return list(
        OutboxAction.select().where(OutboxAction.state == "refused").order_by(OutboxAction.id)
    )


def discard(action: OutboxAction) -> None:
    """Give up a refused action. A record that exists only on this desk (a draft,
    pledge, update or offer the office refused to create) is deleted with it."""
    with database.atomic():
        if action.kind.endswith(".create") or action.kind == "document.attach":
            model = {
                "project": Project,
                "pledge": Pledge,
                "update": Update,
                "offer": Offer,
                "document": Document,
                "transaction": Transaction,
            }[action.kind.split(".")[0]]
            # The database's ON DELETE CASCADE takes whatever hangs on the record.
            model.delete().where(model.uid == action.entity_uid).execute()
        action.state = "discarded"
        action.save()


def redo(action: OutboxAction) -> OutboxAction:
    """Send a refused action again as a new action (new key), made on the desk's
    current copy: an edit is now made on the version the office last sent."""
    payload = json.loads(action.payload)
    if payload.get("base_version") is not None:
        model = Pledge if action.kind.startswith("pledge.") else Project
        record = model.get_or_none(model.uid == action.entity_uid)
        if record is not None:
            payload["base_version"] = record.version
    with database.atomic():
        again = OutboxAction.create(
            key=new_uid(),
            kind=action.kind,
            entity_uid=action.entity_uid,
            payload=json.dumps(payload, ensure_ascii=False),
            local_copy=action.local_copy,
            user=action.user_id,
        )
        action.state = "redone"
        action.save()
    return again
