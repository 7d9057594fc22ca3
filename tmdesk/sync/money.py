"""Money as it moves, between desks and the office (issue #16): a pledge's dated
transactions, its donor's own fields, and the office's dated exchange rates.

* **Office → desk.** Every project a desk receives carries its pledges'
  transactions (whoever may see the project sees its pledges' money) and the
  donor fields of those of its pledges the person may see: the pledging
  donor's own and, for the offices, every one
  (:func:`tmdesk.core.visibility.donor_fields_condition`, filtered here at the
  sender). The reference data carries the office's whole table of dated rates,
  which replaces the desk's, so every desk converts a transaction at the same
  rate of its value date.
* **Desk → office.** Recording, changing or deleting a transaction and setting
  donor fields on a desk queue ``transaction.create/update/delete`` and
  ``pledge.fields`` actions, which the office applies through the same core
  services as its own pages (permissions, totals, types checked there again).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from tmdesk.core import donor_fields as donor_field_service
from tmdesk.core import transactions as transaction_service
from tmdesk.core.errors import NotFound, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import (
    DatedRate,
    Engagement,
    Pledge,
    PledgeField,
    Project,
    Transaction,
    User,
    utcnow,
)
from tmdesk.core.visibility import can_see, donor_fields_condition
from tmdesk.sync.wire import (
    IdMap,
    UidMap,
    action_data,
    bulk_insert,
    decode_row,
    encode_row,
    new_record_uid,
    upsert_many,
)

#: What a transaction action carries besides its pledge and engagement.
TRANSACTION_FIELDS = ("kind", "amount", "currency", "quantity", "value_date", "reference", "note")


# --- office → desk ------------------------------------------------------------------


def bundle_money(
    user: User, project_ids: list[int], uids: UidMap
) -> tuple[dict[int, list[dict]], dict[int, list[dict]], set[int]]:
    """The transactions and the donor fields ``user`` may see under ``project_ids``, by
    project id, and the people those transactions name (who recorded them)."""
    transactions: dict[int, list[dict]] = defaultdict(list)
    fields: dict[int, list[dict]] = defaultdict(list)
    people: set[int] = set()
    if not project_ids:
        return transactions, fields, people
    project_of = dict(
        Pledge.select(Pledge.id, Pledge.project).where(Pledge.project.in_(project_ids)).tuples()
    )
    rows = list(
        Transaction.select()
        .where(Transaction.pledge.in_(list(project_of)))
        .order_by(Transaction.value_date, Transaction.id)
    )
    uids.preload(Pledge, list(project_of))
    uids.preload(Engagement, [t.engagement_id for t in rows if t.engagement_id])
    for t in rows:
        transactions[project_of[t.pledge_id]].append(encode_row(t, uids))
        if t.created_by_id:
            people.add(t.created_by_id)
    query = (
        PledgeField.select(PledgeField.name, PledgeField.value, Pledge.uid, Pledge.project)
        .join(Pledge)
        .where(Pledge.project.in_(project_ids) & donor_fields_condition(user))
        .order_by(PledgeField.pledge, PledgeField.name)
    )
    for name, value, pledge_uid, project_id in query.tuples():
        fields[project_id].append({"pledge": pledge_uid, "name": name, "value": value})
    return transactions, fields, people


def apply_money(bundles: list[dict[str, Any]], ids: IdMap, keep: set[str]) -> None:
    """On a desk: the transactions and donor fields of a page of projects become the
    office's (after the pledges were applied). Those the office no longer has are
    deleted, unless an action on them still waits to be sent."""
    project_ids = [ids.id(Project, b["uid"]) for b in bundles]
    rows = [row for b in bundles for row in b.get("transactions", [])]
    upsert_many(Transaction, rows, ids)
    wanted = {r["uid"] for r in rows} | keep
    gone = [
        row_id
        for row_id, uid in Transaction.select(Transaction.id, Transaction.uid)
        .join(Pledge)
        .where(Pledge.project.in_(project_ids))
        .tuples()
        if uid not in wanted
    ]
    if gone:
        Transaction.delete().where(Transaction.id.in_(gone)).execute()
    pledges = dict(
        Pledge.select(Pledge.uid, Pledge.id).where(Pledge.project.in_(project_ids)).tuples()
    )
    settled = [pid for uid, pid in pledges.items() if uid not in keep]
    if settled:
        PledgeField.delete().where(PledgeField.pledge.in_(settled)).execute()
    bulk_insert(
        PledgeField,
        [
            {
                "pledge": pledges[f["pledge"]],
                "name": f["name"],
                "value": f["value"],
                "updated_at": utcnow(),
            }
            for b in bundles
            for f in b.get("donor_fields", [])
            if f.get("pledge") in pledges and pledges[f["pledge"]] in settled
        ],
    )


def encode_rates() -> list[dict[str, Any]]:
    """The office's dated rates as they travel (who set them stays on the office)."""
    return [
        {"currency": currency, "effective_from": str(day), "eur_per_unit": str(rate)}
        for currency, day, rate in DatedRate.select(
            DatedRate.currency, DatedRate.effective_from, DatedRate.eur_per_unit
        )
        .order_by(DatedRate.currency, DatedRate.effective_from)
        .tuples()
    ]


def apply_rates(rows: list[dict[str, Any]] | None, ids: IdMap) -> None:
    """On a desk: the office's dated rates replace the desk's own (one table for the
    network). An office that sends none (an older one) leaves them as they are."""
    if rows is None:
        return
    DatedRate.delete().execute()
    now = utcnow()
    bulk_insert(DatedRate, [decode_row(DatedRate, r, ids) | {"created_at": now} for r in rows])


# --- desk → office: the queue ---------------------------------------------------------


def _uid(model: type, row_id: int | None) -> str | None:
    if row_id is None:
        return None
    row = model.select(model.uid).where(model.id == row_id).tuples().first()
    return row[0] if row else None


def describe(
    action: str, entity: Any, before: dict | None, after: dict | None
) -> dict[str, Any] | None:
    """The action to queue for a money change on a linked desk, or None."""
    if isinstance(entity, Transaction) and action.startswith("transaction."):
        verb = action.partition(".")[2]
        data: dict[str, Any] = {"pledge": _uid(Pledge, entity.pledge_id)}
        if verb in ("create", "update"):
            data |= {f: (after or {}).get(f) for f in TRANSACTION_FIELDS}
            data["engagement"] = _uid(Engagement, entity.engagement_id)
        elif verb != "delete":
            return None
        return {"kind": f"transaction.{verb}", "uid": entity.uid, "data": data}
    if isinstance(entity, Pledge) and action == "pledge.donor_fields":
        was = (before or {}).get("fields") or {}
        now = (after or {}).get("fields") or {}
        changed = {k: now.get(k, "") for k in set(was) | set(now) if was.get(k) != now.get(k)}
        return {"kind": "pledge.fields", "uid": entity.uid, "data": {"fields": changed}}
    return None


# --- desk → office: applying ----------------------------------------------------------


def _pledge(user: User, uid: Any) -> Pledge:
    pledge = Pledge.get_or_none(Pledge.uid == str(uid or ""))
    if pledge is None or not can_see(user, pledge.project):
        raise NotFound(N_("The pledge is not on the office, or you may no longer see it."))
    return pledge


def _transaction(user: User, uid: Any) -> Transaction:
    transaction = Transaction.get_or_none(Transaction.uid == str(uid or ""))
    if transaction is None or not can_see(user, transaction.pledge.project):
        raise NotFound(N_("The transaction is not on the office, or you may no longer see it."))
    return transaction


def _form(pledge: Pledge, data: dict[str, Any]) -> dict[str, Any]:
    """The transaction's fields as the core service takes them (engagement by id)."""
    form = {f: data.get(f) for f in TRANSACTION_FIELDS if data.get(f) is not None}
    if data.get("engagement"):
        engagement = Engagement.get_or_none(
            (Engagement.uid == str(data["engagement"])) & (Engagement.project == pledge.project_id)
        )
        if engagement is None:
            raise NotFound(N_("The engagement of this expenditure is not on the office."))
        form["engagement"] = engagement.id
    return form


def apply_transaction_create(user: User, action: dict[str, Any], ctx: dict[str, Any]) -> Any:
    uid = new_record_uid(action)
    data = action_data(action)
    pledge = _pledge(user, data.get("pledge"))
    return transaction_service.record_transaction(user, pledge, _form(pledge, data), uid=uid)


def apply_transaction_update(user: User, action: dict[str, Any], ctx: dict[str, Any]) -> Any:
    transaction = _transaction(user, action.get("uid"))
    form = _form(transaction.pledge, action_data(action))
    return transaction_service.update_transaction(user, transaction, form)


def apply_transaction_delete(user: User, action: dict[str, Any], ctx: dict[str, Any]) -> Any:
    transaction = _transaction(user, action.get("uid"))
    transaction_service.delete_transaction(user, transaction)
    return None


def apply_pledge_fields(user: User, action: dict[str, Any], ctx: dict[str, Any]) -> Any:
    pledge = _pledge(user, action.get("uid"))
    given = action_data(action).get("fields") or {}
    if not isinstance(given, dict):
        raise ValidationError({"fields": N_("The action's data must be an object.")})
    definitions: Sequence = ctx.get("donor_fields") or ()
    donor_field_service.set_values(user, pledge, definitions, given)
    return pledge


APPLIERS = {
    "transaction.create": apply_transaction_create,
    "transaction.update": apply_transaction_update,
    "transaction.delete": apply_transaction_delete,
    "pledge.fields": apply_pledge_fields,
}
