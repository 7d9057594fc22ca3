"""The audit log: every change, who and when, before and after.

Events are hash-chained: each carries the SHA-256 of its own content and of
the event before it, so an edited or deleted row breaks the chain and
:func:`verify_chain` finds the first broken link. Call :func:`record` inside
the same transaction as the change it describes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tmdesk.core import engine
from tmdesk.core.db import database
from tmdesk.core.models import (
    AuditEvent,
    BaseModel,
    ChangeLog,
    Pledge,
    User,
    model_update,
    utcnow,
)

GENESIS = "0" * 64

#: Called as ``listener(user, action, entity, before, after)`` inside the
#: transaction of every recorded change (a linked desk queues its actions so).
Listener = Callable[[User | None, str, Any, dict[str, Any] | None, dict[str, Any] | None], None]
_listeners: list[Listener] = []


def add_listener(listener: Listener) -> None:
    """Call ``listener`` for every change recorded from now on (once per listener)."""
    if listener not in _listeners:
        _listeners.append(listener)


def remove_listener(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _project_id_of(entity: BaseModel) -> int | None:
    """The project a record belongs to (itself for a project), for the change log."""
    if type(entity).__name__ == "Project":
        return entity._pk
    project_id = getattr(entity, "project_id", None)
    pledge_id = getattr(entity, "pledge_id", None)
    if project_id is None and pledge_id is not None:
        # A pledge's transaction changes its project: desks pull it again.
        project_id = Pledge.select(Pledge.project).where(Pledge.id == pledge_id).scalar()
    return project_id


def _note_change(entity: BaseModel, removed: bool) -> None:
    """Bump the record's ``version`` and append it to the change log: the one place
    every audited write passes, so no service function can forget either."""
    model = type(entity)
    fields = model._meta.fields
    if "version" in fields and not removed:
        bump = model_update(model, version=model.version + 1)
        bump.where(model._meta.primary_key == entity._pk).execute()
        entity.__data__["version"] = (entity.__data__.get("version") or 1) + 1
    if "uid" in fields or _project_id_of(entity) is not None:
        ChangeLog.create(
            entity_type=model.__name__.lower(),
            entity_uid=entity.__data__.get("uid"),
            project_id=_project_id_of(entity),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, BaseModel):
        return value.get_id()
    return value


def snapshot(obj: BaseModel, exclude: tuple[str, ...] = ("password_hash",)) -> dict[str, Any]:
    """A JSON-ready dict of a model instance's stored fields (secrets left out)."""
    data = {}
    for name, field in obj._meta.fields.items():
        if name in exclude:
            continue
        value = obj.__data__.get(field.name)
        data[name] = _jsonable(value)
    return data


def _dump(data: dict[str, Any] | None) -> str | None:
    return None if data is None else json.dumps(data, sort_keys=True, ensure_ascii=False)


def _event_hash(
    prev_hash: str,
    at: dt.datetime,
    user_email: str,
    action: str,
    entity_type: str,
    entity_id: str,
    before: str | None,
    after: str | None,
) -> str:
    payload = json.dumps(
        [prev_hash, at.isoformat(), user_email, action, entity_type, entity_id, before, after],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    user: User | None,
    action: str,
    entity: BaseModel | tuple[str, Any],
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event; ``entity`` is a model instance or ``(type, id)``."""
    if isinstance(entity, tuple):
        entity_type, entity_id = entity
    else:
        # The primary key itself (User.get_id() is flask-login's session id, not a key).
        entity_type, entity_id = type(entity).__name__.lower(), entity._pk
        if not action.startswith("login"):
            _note_change(entity, removed=after is None and before is not None)
    with database.atomic():
        # Reading the head and appending after it is one step per database: two
        # connections doing it at once would fork the chain (and the unique index
        # on prev_hash makes the second fail loudly if anything ever let them).
        engine.serialise("audit-chain")
        last = AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
        prev_hash = last.hash if last else GENESIS
        at = utcnow()
        email = user.email if user is not None else ""
        before_s, after_s = _dump(before), _dump(after)
        digest = _event_hash(
            prev_hash, at, email, action, entity_type, str(entity_id), before_s, after_s
        )
        event = AuditEvent.create(
            at=at,
            user=user,
            user_email=email,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            before=before_s,
            after=after_s,
            prev_hash=prev_hash,
            hash=digest,
        )
        for listener in list(_listeners):
            listener(user, action, entity, before, after)
    return event


def update(user: User | None, obj: BaseModel, fields: dict[str, Any], action: str) -> None:
    """Set ``fields`` on ``obj`` (and stamp its ``updated_at`` where the model has
    one), save it and record ``action`` with the before and after, all in one
    transaction: how every core service edits a record from cleaned form data."""
    with database.atomic():
        before = snapshot(obj)
        for name, value in fields.items():
            setattr(obj, name, value)
        if "updated_at" in obj._meta.fields:
            obj.updated_at = utcnow()
        obj.save()
        record(user, action, obj, before, snapshot(obj))


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def verify_chain() -> ChainReport:
    """Walk the audit log in order and report the first broken link, if any."""
    prev_hash = GENESIS
    checked = 0
    query = AuditEvent.select().order_by(AuditEvent.id)
    for event in query.iterator():
        if event.prev_hash != prev_hash:
            return ChainReport(False, checked, event.id, "previous-hash link does not match")
        expected = _event_hash(
            prev_hash,
            event.at,
            event.user_email,
            event.action,
            event.entity_type,
            event.entity_id,
            event.before,
            event.after,
        )
        if event.hash != expected:
            return ChainReport(False, checked, event.id, "event content was altered")
        prev_hash = event.hash
        checked += 1
    return ChainReport(True, checked)
