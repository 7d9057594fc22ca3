"""Money over time: the dated transactions of a pledge (issue #16).

A pledge is what a donor offers; its transactions are what actually happens:
commitments and disbursements (for in-kind support, deliveries, with the
quantity delivered and a value when known), in as many tranches as there are,
an implementer's expenditures against its engagement, and the recipient's
acknowledgement of incoming funds. Each has an amount, a currency, a value
date, an optional reference and note.

The pledge's status follows from them and is never set by hand
(:func:`derived_status`): offered (nothing recorded) → committed (the stored
code is ``confirmed``) → partly disbursed → disbursed (in kind: partly
delivered → delivered). Only a withdrawal is an act of its own.
Every change is audited, and the status change with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tmdesk.core import audit, notifications, validation
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.ids import given_uid
from tmdesk.core.models import Engagement, Pledge, Transaction, User, utcnow
from tmdesk.core.permissions import (
    PLEDGEABLE_STATUSES,
    can_manage_pledge,
    is_engaged_company,
    is_recipient_of,
)
from tmdesk.core.rates import RateBook
from tmdesk.core.visibility import is_officer
from tmdesk.core.vocab import CURRENCIES, TRANSACTION_KINDS

ZERO = Decimal("0")
#: The kinds that move a pledge's status.
STATUS_KINDS = ("commitment", "disbursement")
#: Statuses a transaction may no longer be recorded in.
CLOSED_STATUSES = ("withdrawn",)
MAX_REFERENCE = 100


def pledge_transactions(pledge: Pledge) -> list[Transaction]:
    """The pledge's transactions, oldest value date first."""
    return list(
        Transaction.select()
        .where(Transaction.pledge == pledge.id)
        .order_by(Transaction.value_date, Transaction.id)
    )


def _in_pledge_currency(
    pledge: Pledge, rows: Iterable[Transaction], kind: str, book: RateBook | None
) -> Decimal:
    """The sum of ``kind`` transactions in the pledge's currency, each converted at the
    rate of its value date when it is in another currency."""
    total = ZERO
    for t in rows:
        if t.kind != kind or t.amount is None:
            continue
        if t.currency == pledge.currency or not pledge.currency:
            total += t.amount
        else:
            book = book or RateBook.load()
            total += book.convert(t.amount, t.currency, pledge.currency, t.value_date)
    return total.quantize(Decimal("0.01"))


def _quantity(rows: Iterable[Transaction], kind: str) -> int:
    return sum(t.quantity or 0 for t in rows if t.kind == kind)


def money_pledge(pledge: Pledge) -> bool:
    """Whether the pledge is measured in money (else in kind, by quantity)."""
    return pledge.amount is not None


def committed(pledge: Pledge, rows: list[Transaction] | None = None) -> Decimal:
    """Money committed on the pledge, in its currency."""
    rows = pledge_transactions(pledge) if rows is None else rows
    return _in_pledge_currency(pledge, rows, "commitment", None)


def disbursed(pledge: Pledge, rows: list[Transaction] | None = None) -> Decimal:
    """Money disbursed on the pledge, in its currency."""
    rows = pledge_transactions(pledge) if rows is None else rows
    return _in_pledge_currency(pledge, rows, "disbursement", None)


def remaining(pledge: Pledge, kind: str, rows: list[Transaction] | None = None) -> Any:
    """What is left to commit (of the pledge) or to disburse (of the commitments):
    an amount for a money pledge, a quantity (or None) for an in-kind one."""
    rows = pledge_transactions(pledge) if rows is None else rows
    if money_pledge(pledge):
        if kind == "commitment":
            return max(pledge.amount - committed(pledge, rows), ZERO)
        if kind == "disbursement":
            return max(committed(pledge, rows) - disbursed(pledge, rows), ZERO)
        return None
    if pledge.in_kind_quantity is None:
        return None
    if kind == "commitment":
        return max(pledge.in_kind_quantity - _quantity(rows, "commitment"), 0)
    if kind == "disbursement":
        return max(pledge.in_kind_quantity - _quantity(rows, "disbursement"), 0)
    return None


def derived_status(pledge: Pledge, rows: list[Transaction] | None = None) -> str:
    """The status the pledge's transactions give it (see the module docstring)."""
    if pledge.status in CLOSED_STATUSES:
        return pledge.status
    rows = pledge_transactions(pledge) if rows is None else rows
    kinds = {t.kind for t in rows}
    if "commitment" not in kinds and "disbursement" not in kinds:
        return "offered"
    if "disbursement" not in kinds:
        return "confirmed"
    if money_pledge(pledge):
        done = disbursed(pledge, rows) >= committed(pledge, rows)
    else:
        target = pledge.in_kind_quantity
        done = target is None or _quantity(rows, "disbursement") >= target
    # Goods (with a value or not) are delivered, money is disbursed.
    if pledge.in_kind:
        return "delivered" if done else "partly_delivered"
    return "disbursed" if done else "partly_disbursed"


def _refresh_status(user: User | None, pledge: Pledge) -> None:
    """Store the derived status if it changed, audited (inside the caller's transaction)."""
    status = derived_status(pledge)
    if status == pledge.status:
        return
    before = audit.snapshot(pledge)
    pledge.status = status
    pledge.updated_at = utcnow()
    pledge.save()
    audit.record(user, "pledge.status", pledge, before, audit.snapshot(pledge))


# --- who may record what --------------------------------------------------------


def can_record(user: User | None, pledge: Pledge, kind: str) -> bool:
    """Commitments and disbursements: the pledging donor and the offices acting for it;
    expenditures: also an engaged company; incoming commitments: also the recipient."""
    if user is None or not user.active:
        return False
    if can_manage_pledge(user, pledge):
        return True
    if kind == "expenditure":
        return is_engaged_company(user, pledge.project)
    if kind == "incoming_commitment":
        return is_recipient_of(user, pledge.project)
    return False


def can_change(user: User | None, transaction: Transaction) -> bool:
    """Editing or removing a transaction: whoever may record one of its kind."""
    if user is None:
        return False
    if (
        transaction.kind == "expenditure"
        and not is_officer(user)
        and transaction.engagement_id is not None
        and user.organisation.kind == "company"
    ):
        return transaction.engagement.company_id == user.organisation_id
    return can_record(user, transaction.pledge, transaction.kind)


def recordable_kinds(user: User | None, pledge: Pledge) -> list[str]:
    """The kinds ``user`` may record on ``pledge`` now (none on a withdrawn pledge)."""
    if pledge.status in CLOSED_STATUSES or user is None:
        return []
    return [k for k in TRANSACTION_KINDS if can_record(user, pledge, k)]


# --- cleaning ---------------------------------------------------------------------


def clean_transaction(
    pledge: Pledge, data: dict[str, Any], *, today: dt.date | None = None
) -> dict[str, Any]:
    """Validate a transaction for ``pledge``: kind, amount and currency (the pledge's by
    default), quantity (in kind), value date (today by default, never in the future),
    reference, note, engagement (expenditures)."""
    today = today or utcnow().date()
    errors = validation.Errors()
    kind = validation.choice(errors, data, "kind", TRANSACTION_KINDS)
    money = money_pledge(pledge)
    amount = validation.amount(errors, data, "amount", required=money)
    currency = validation.choice(
        errors, data, "currency", CURRENCIES, required=False, default=pledge.currency
    )
    quantity = validation.integer(errors, data, "quantity", minimum=1)
    value_date = validation.date(errors, data, "value_date") or today
    reference = validation.text(errors, data, "reference", max_length=MAX_REFERENCE)
    note = validation.text(errors, data, "note", max_length=2000)
    engagement = None
    raw_engagement = data.get("engagement")
    if raw_engagement not in (None, ""):
        engagement_id = validation.parse_id(raw_engagement)
        engagement = (
            Engagement.get_or_none(
                (Engagement.id == engagement_id) & (Engagement.project == pledge.project_id)
            )
            if engagement_id
            else None
        )
        if engagement is None:
            errors["engagement"] = N_("Choose an engagement on this project.")
    if kind == "expenditure" and engagement is None:
        errors.setdefault("engagement", N_("An expenditure is made against an engagement."))
    if amount is not None and not currency:
        errors.setdefault("currency", N_("Give the currency of the amount."))
    if quantity is not None and not pledge.in_kind:
        errors.setdefault("quantity", N_("Only in-kind support is counted in pieces."))
    if (
        not money
        and amount is None
        and quantity is None
        and kind in STATUS_KINDS
        and pledge.in_kind_quantity is not None
    ):
        errors.setdefault("quantity", N_("Say how many, or give the value."))
    if value_date > today and "value_date" not in errors:
        errors["value_date"] = N_("Record what has happened: the date cannot be in the future.")
    errors.raise_if_any()
    return {
        "kind": kind,
        "amount": amount,
        "currency": currency if amount is not None else None,
        "quantity": quantity,
        "value_date": value_date,
        "reference": reference,
        "note": note,
        "engagement": engagement,
    }


def _check_totals(pledge: Pledge, rows: list[Transaction]) -> None:
    """A pledge never has more committed than pledged, nor more disbursed than committed,
    nor a disbursement without a commitment (money in the pledge's currency, at the
    rates of the value dates; in kind, by quantity)."""
    kinds = {t.kind for t in rows}
    if "disbursement" in kinds and "commitment" not in kinds:
        raise ValidationError(
            {"kind": N_("Record the commitment first: nothing is committed on this pledge yet.")}
        )
    if money_pledge(pledge):
        done = committed(pledge, rows)
        if done > pledge.amount:
            raise ValidationError(
                {"amount": N_("That commits more than the pledge: change the pledge first.")}
            )
        if disbursed(pledge, rows) > done:
            raise ValidationError(
                {
                    "amount": N_(
                        "That disburses more than is committed: record a further commitment first."
                    )
                }
            )
    elif (
        pledge.in_kind_quantity is not None
        and _quantity(rows, "disbursement") > pledge.in_kind_quantity
    ):
        raise ValidationError({"quantity": N_("That delivers more than was pledged.")})


def _as_rows(pledge: Pledge, replacing: Transaction | None, new: Transaction | None):
    rows = [t for t in pledge_transactions(pledge) if replacing is None or t.id != replacing.id]
    return rows + ([new] if new is not None else [])


# --- recording ----------------------------------------------------------------


def record_transaction(
    user: User | None, pledge: Pledge, data: dict[str, Any], uid: str | None = None
) -> Transaction:
    """Record one transaction on ``pledge``; the pledge's status follows.

    ``user`` None is the system itself (an import or an upgrade acting on
    already-checked data); pages, API and CLI always pass the acting user.
    ``uid`` is the one a desk gave the transaction (sync), so both copies match.
    """
    fields = clean_transaction(pledge, data)
    if user is not None and not can_record(user, pledge, fields["kind"]):
        raise PermissionDenied(N_("You may not record this on the pledge."))
    if pledge.status in CLOSED_STATUSES:
        raise TransitionError(N_("A withdrawn pledge takes no transactions."))
    if (
        fields["kind"] == "commitment"
        and pledge.status == "offered"
        and pledge.project.status not in PLEDGEABLE_STATUSES
    ):
        # The commitment would confirm the pledge: as "Confirm" itself, refused on a
        # project no longer open for support (a desk's offline commitment too).
        raise TransitionError(
            N_("The project is “%(status)s”: a pledge on it can no longer be confirmed."),
            status=pledge.project.status,
        )
    candidate = Transaction(pledge=pledge, **fields)
    _check_totals(pledge, _as_rows(pledge, None, candidate))
    was = pledge.status
    with database.atomic():
        now = utcnow()
        transaction = Transaction.create(
            pledge=pledge,
            created_by=user,
            created_at=now,
            updated_at=now,
            **fields,
            **given_uid(uid),
        )
        audit.record(user, "transaction.create", transaction, None, audit.snapshot(transaction))
        _refresh_status(user, pledge)
        # The commitment that confirms an offered pledge tells whoever recorded or
        # proposed it, whichever way it came (form, API, "Confirm").
        if user is not None and was == "offered" and pledge.status != "offered":
            notifications.pledge_confirmed(user, pledge)
    return transaction


def update_transaction(
    user: User | None, transaction: Transaction, data: dict[str, Any]
) -> Transaction:
    """Change a transaction in place (its kind stays); the pledge's status follows."""
    pledge = transaction.pledge
    if user is not None and not can_change(user, transaction):
        raise PermissionDenied(N_("You may not change this transaction."))
    fields = clean_transaction(pledge, {**data, "kind": transaction.kind})
    candidate = Transaction(pledge=pledge, **fields)
    _check_totals(pledge, _as_rows(pledge, transaction, candidate))
    with database.atomic():
        audit.update(user, transaction, fields, "transaction.update")
        _refresh_status(user, pledge)
    return transaction


def delete_transaction(user: User | None, transaction: Transaction) -> None:
    """Remove a transaction recorded in error; the pledge's status follows."""
    pledge = transaction.pledge
    if user is not None and not can_change(user, transaction):
        raise PermissionDenied(N_("You may not change this transaction."))
    _check_totals(pledge, _as_rows(pledge, transaction, None))
    with database.atomic():
        before = audit.snapshot(transaction)
        transaction.delete_instance()
        # The row itself (not its id): the change log names its project and uid, so
        # the removal reaches desks, and a linked desk queues it for the office.
        audit.record(user, "transaction.delete", transaction, before, None)
        _refresh_status(user, pledge)


def record_remaining(user: User, pledge: Pledge, kind: str) -> Transaction:
    """The whole remainder in one transaction dated today: what "Confirm" and "Mark
    disbursed/delivered" used to do, now recorded as a commitment or disbursement."""
    left = remaining(pledge, kind)
    data: dict[str, Any] = {"kind": kind}
    if money_pledge(pledge):
        if not left:
            raise TransitionError(
                N_("Nothing is left to commit on this pledge.")
                if kind == "commitment"
                else N_("Nothing is left to disburse on this pledge.")
            )
        data.update(amount=left, currency=pledge.currency)
    elif left:
        data["quantity"] = left
    return record_transaction(user, pledge, data)


def transaction_defaults(pledge: Pledge, kind: str) -> dict[str, Any]:
    """What a "Record …" form starts with: the remaining amount (or quantity), the
    pledge's currency, today's date."""
    left = remaining(pledge, kind)
    out: dict[str, Any] = {"value_date": utcnow().date().isoformat()}
    if money_pledge(pledge):
        out.update(amount=left if left else "", currency=pledge.currency or "")
    elif left:
        out["quantity"] = left
    return out
