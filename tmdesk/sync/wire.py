"""How records travel between the office and desks: rows as JSON, ids as uids.

A row travels as its stored fields (the audit log's :func:`~tmdesk.core.audit.snapshot`
form: decimals and dates as text) without the local integer ``id``; a foreign
key travels as the uid of the row it points to, because integer ids differ on
every installation. :func:`encode_row` and :func:`decode_row` are the two
directions, used by both sides, so a field added to a model travels without
touching this module.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import peewee as pw

from tmdesk.core.audit import snapshot
from tmdesk.core.db import database
from tmdesk.core.errors import ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.ids import is_uid
from tmdesk.core.models import (
    BaseModel,
    DecimalTextField,
    MoneyField,
    Organisation,
    User,
    model_update,
)

#: Fields that never travel: local file names, secrets, local bookkeeping.
LOCAL_ONLY = {
    "id",
    "stored_name",
    "password_hash",
    "session_nonce",
    "failed_logins",
    "locked_until",
    "last_login_at",
    "is_admin",
    # A link to a project the receiver may not see would leak its existence.
    "duplicate_of",
    "offer",
}

#: What the wire format's shape is; a desk refuses an office with another.
PROTOCOL_VERSION = 1


class UnknownRecord(LookupError):
    """A row points to a record the receiver does not have."""


class UidMap:
    """Integer id → uid for each model, loaded in bulk and cached for one exchange."""

    def __init__(self) -> None:
        self._maps: dict[type[BaseModel], dict[int, str]] = {}

    def preload(self, model: type[BaseModel], ids: list[int] | None = None) -> None:
        query = model.select(model.id, model.uid)
        if ids is not None:
            query = query.where(model.id.in_(ids))
        self._maps.setdefault(model, {}).update({i: u for i, u in query.tuples()})

    def uid(self, model: type[BaseModel], row_id: int | None) -> str | None:
        if row_id is None:
            return None
        known = self._maps.setdefault(model, {})
        if row_id not in known:
            self.preload(model, [row_id])
        return known.get(row_id)


class IdMap:
    """uid → local integer id for each model, on the receiving side."""

    def __init__(self) -> None:
        self._maps: dict[type[BaseModel], dict[str, int]] = {}

    def remember(self, model: type[BaseModel], uid: str, row_id: int) -> None:
        self._maps.setdefault(model, {})[uid] = row_id

    def id(self, model: type[BaseModel], uid: str | None) -> int | None:
        if uid is None:
            return None
        known = self._maps.setdefault(model, {})
        if uid not in known:
            row = model.select(model.id).where(model.uid == uid).tuples().first()
            if row is None:
                raise UnknownRecord(f"{model.__name__} {uid}")
            known[uid] = row[0]
        return known[uid]


def encode_row(obj: BaseModel, uids: UidMap, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """``obj`` as it travels: stored fields, foreign keys as uids, local fields left out."""
    data = snapshot(obj, exclude=tuple(LOCAL_ONLY) + drop)
    for name, field in obj._meta.fields.items():
        if name in data and isinstance(field, pw.ForeignKeyField):
            data[name] = uids.uid(field.rel_model, obj.__data__.get(name))
    return data


def encode_user(user: User, uids: UidMap) -> dict[str, Any]:
    """A person as other installations need them: who, which organisation; no secrets."""
    return {
        "uid": user.uid,
        "email": user.email,
        "name": user.name,
        "organisation": uids.uid(Organisation, user.organisation_id),
        "active": bool(user.active),
    }


def _decode_value(field: pw.Field, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(field, MoneyField | DecimalTextField):
        return Decimal(str(value))
    if isinstance(field, pw.DateTimeField):
        return dt.datetime.fromisoformat(value)
    if isinstance(field, pw.DateField):
        return dt.date.fromisoformat(value)
    return value


def decode_row(model: type[BaseModel], data: dict[str, Any], ids: IdMap) -> dict[str, Any]:
    """Field values for ``model`` from a travelled row (uids turned into local ids).

    Fields this version does not know are ignored, so a newer sender's extra
    fields do no harm. Raises :class:`UnknownRecord` for a key to a missing row.
    """
    out: dict[str, Any] = {}
    for name, value in data.items():
        field = model._meta.fields.get(name)
        if field is None or name in LOCAL_ONLY:
            continue
        if isinstance(field, pw.ForeignKeyField):
            out[name] = ids.id(field.rel_model, value)
        else:
            out[name] = _decode_value(field, value)
    return out


def bulk_insert(model: type, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) with one prepared statement.

    Peewee's ``insert_many`` builds its SQL value by value, which costs more
    than the database's own work for a first sync of thousands of rows; here
    the statement is built once and the driver's ``executemany`` binds the
    values (converted by each field's ``db_value``, as peewee would).
    """
    if not rows:
        return
    names = list(rows[0])
    fields = [model._meta.fields[n] for n in names]
    db = database.obj
    q = db.quote[0]  # the same quote character opens and closes on SQLite and PostgreSQL
    columns = ", ".join(f"{q}{f.column_name}{q}" for f in fields)
    marks = ", ".join([db.param] * len(fields))
    sql = f"INSERT INTO {q}{model._meta.table_name}{q} ({columns}) VALUES ({marks})"  # nosec B608: table and column names come from the models; values are bound parameters
    params = [[f.db_value(row[n]) for f, n in zip(fields, names, strict=True)] for row in rows]
    db.cursor().executemany(sql, params)


def upsert_many(
    model: type, rows: list[dict[str, Any]], ids: IdMap, extra: dict[str, dict] | None = None
) -> None:
    """Insert or update ``rows`` by uid: one query to find which exist, multi-row
    inserts for the new ones (the first sync is almost all inserts), one update
    per changed row; then remember every row's local id."""
    if not rows:
        return
    uids = [r["uid"] for r in rows]
    existing = dict(model.select(model.uid, model.id).where(model.uid.in_(uids)).tuples())
    new = []
    for row in rows:
        values = decode_row(model, row, ids)
        if row["uid"] in existing:
            model_update(model, **values).where(model.id == existing[row["uid"]]).execute()
        else:
            new.append(values | (extra or {}).get(row["uid"], {}))
    bulk_insert(model, new)
    if new:
        existing = dict(model.select(model.uid, model.id).where(model.uid.in_(uids)).tuples())
    for uid, row_id in existing.items():
        ids.remember(model, uid, row_id)


def new_record_uid(action: dict[str, Any]) -> str:
    """The uid a pushed action gives the record it creates (the desk's own)."""
    uid = action.get("uid")
    if not isinstance(uid, str) or not is_uid(uid):
        raise ValidationError({"uid": N_("The record's id is not valid.")})
    return uid


def action_data(action: dict[str, Any]) -> dict[str, Any]:
    """A pushed action's data, which must be an object."""
    data = action.get("data") or {}
    if not isinstance(data, dict):
        raise ValidationError({"data": N_("The action's data must be an object.")})
    return data
