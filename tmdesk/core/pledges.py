"""Pledges: a donor's support for one project, money and/or in kind.

Lifecycle: offered → committed (stored as ``confirmed``) → partly disbursed →
disbursed (money) / partly delivered → delivered (in kind), following from the
pledge's dated transactions (:mod:`tmdesk.core.transactions`); withdrawn from
offered or committed, before anything is disbursed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tmdesk.core import audience, audit, notifications, transactions, validation
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.ids import given_uid
from tmdesk.core.models import Offer, Organisation, Pledge, Project, User, utcnow
from tmdesk.core.permissions import PLEDGEABLE_STATUSES, can_manage_pledge, can_pledge
from tmdesk.core.visibility import is_officer
from tmdesk.core.vocab import CURRENCIES

DONOR_CANNOT_SEE = N_(
    "The donor cannot see this project, so no pledge of theirs can be recorded on it."
)

PLEDGE_TRANSITIONS: dict[str, tuple[tuple[str, ...], str, str]] = {
    # action: (from statuses, to status, label). "confirm", "disburse" and
    # "deliver" record the whole remainder as one transaction dated today (the
    # pages ask for amount and date instead: "Record a disbursement").
    "confirm": (("offered",), "confirmed", N_("Confirm")),
    "disburse": (("confirmed", "partly_disbursed"), "disbursed", N_("Mark disbursed")),
    "deliver": (("confirmed", "partly_delivered"), "delivered", N_("Mark delivered")),
    "withdraw": (("offered", "confirmed"), "withdrawn", N_("Withdraw")),
}
#: The steps that are transactions, and the kind each records.
TRANSACTION_STEPS = {"confirm": "commitment", "disburse": "disbursement", "deliver": "disbursement"}
#: Fields of a pledge its donor gives and edits (what :func:`clean_pledge_data` reads):
#: the pledge form's, the API's and what a desk sends the office.
EDITABLE_FIELDS = ("amount", "currency", "in_kind", "in_kind_quantity", "date", "note")


def validate_together(*steps: Callable[[], Any]) -> tuple[Any, ...]:
    """Run each step and return their results; if any raise :class:`ValidationError`,
    raise one with the fields of all of them, so a form shows every problem at once."""
    results, fields = [], {}
    for step in steps:
        try:
            results.append(step())
        except ValidationError as exc:
            fields.update({k: v for k, v in exc.fields.items() if k not in fields})
            results.append(None)
    if fields:
        raise ValidationError(fields)
    return tuple(results)


def clean_pledge_data(data: dict[str, Any]) -> dict[str, Any]:
    """Validate a pledge: money (amount + currency) and/or in-kind support, and a date."""
    errors = validation.Errors()
    amount = validation.amount(errors, data, "amount")
    currency = validation.choice(errors, data, "currency", CURRENCIES, required=False)
    in_kind = validation.text(errors, data, "in_kind", max_length=2000)
    quantity = validation.integer(errors, data, "in_kind_quantity", minimum=1)
    date = validation.date(errors, data, "date")
    note = validation.text(errors, data, "note", max_length=2000)
    if amount is not None and not currency:
        errors.setdefault("currency", N_("Give the currency of the amount."))
    if amount is None and not in_kind and "amount" not in errors:
        errors["amount"] = N_("Pledge an amount, in-kind support, or both.")
    if quantity is not None and not in_kind:
        errors.setdefault("in_kind", N_("Say what the quantity is of."))
    errors.raise_if_any()
    return {
        "amount": amount,
        "currency": currency if amount is not None else None,
        "in_kind": in_kind,
        "in_kind_quantity": quantity,
        "date": date or utcnow().date(),
        "note": note,
    }


def acting_organisation(
    user: User,
    code: str | None,
    kinds: tuple[str, ...],
    *,
    field: str,
    own_only: str,
    outsider: str,
    choose: str,
) -> Organisation:
    """The organisation a donor-side record (pledge, offer) is for.

    A user of one of ``kinds`` acts for their own organisation (naming another:
    PermissionDenied ``own_only``); an officer names one of ``kinds`` by ``code``
    (none such: ValidationError ``choose`` on ``field``); anyone else is refused
    with ``outsider``.
    """
    if user.organisation.kind in kinds:
        if code and code != user.organisation.code:
            raise PermissionDenied(own_only)
        return user.organisation
    if not is_officer(user):
        raise PermissionDenied(outsider)
    org = Organisation.get_or_none(
        (Organisation.code == (code or "")) & Organisation.kind.in_(kinds)
    )
    if org is None:
        raise ValidationError({field: choose})
    return org


def resolve_donor(user: User, donor_code: str | None) -> Organisation:
    """The pledging organisation: the user's own, or (for officers) the one named."""
    return acting_organisation(
        user,
        donor_code,
        ("donor",),
        field="donor",
        own_only=N_("Donors pledge for their own organisation only."),
        outsider=N_("Only donors and the coordinating offices record pledges."),
        choose=N_("Choose the donor organisation."),
    )


def create_pledge(
    user: User,
    project: Project,
    data: dict[str, Any],
    donor_code: str | None = None,
    offer: Offer | None = None,
    uid: str | None = None,
) -> Pledge:
    """Record a pledge (status ``offered``) for a published project."""
    if not can_pledge(user, project):
        if project.status not in ("published", "in_implementation"):
            raise TransitionError(N_("Only published projects take pledges."))
        raise PermissionDenied(N_("You may not pledge for this project."))
    # Report a missing donor and bad values together, not one after the other.
    donor, fields = validate_together(
        lambda: resolve_donor(user, donor_code), lambda: clean_pledge_data(data)
    )
    if offer is not None and offer.organisation_id != donor.id:
        raise ValidationError({"offer": N_("The offer is not the donor's own.")})
    if donor.id != user.organisation_id:
        # An office recording a pledge in a donor's name: the donor must be
        # able to see it (issue #12), or it would get 404 on its own pledge.
        audience.require_organisation_sees(donor, project, "donor", DONOR_CANNOT_SEE)
    with database.atomic():
        now = utcnow()
        pledge = Pledge.create(
            **given_uid(uid),
            project=project,
            donor=donor,
            status="offered",
            offer=offer,
            created_by=user,
            created_at=now,
            updated_at=now,
            **fields,
        )
        audit.record(user, "pledge.create", pledge, None, audit.snapshot(pledge))
        notifications.pledge_recorded(user, pledge)
    return pledge


def update_pledge(user: User, pledge: Pledge, data: dict[str, Any]) -> Pledge:
    """Edit an offered pledge (confirmed ones change only through their steps)."""
    if not can_manage_pledge(user, pledge):
        raise PermissionDenied(N_("You may not change this pledge."))
    if pledge.status != "offered":
        raise TransitionError(N_("Only an offered pledge can be edited."))
    audit.update(user, pledge, clean_pledge_data(data), "pledge.update")
    return pledge


def available_pledge_actions(user: User, pledge: Pledge) -> list[tuple[str, str]]:
    """``(action, label)`` pairs the user may take on the pledge now as a plain button:
    only a withdrawal (money moves through "Record a commitment/disbursement")."""
    if not can_manage_pledge(user, pledge):
        return []
    return [
        (action, label)
        for action, (_s, _t, label) in PLEDGE_TRANSITIONS.items()
        if action not in TRANSACTION_STEPS and _step_applies(action, pledge)
    ]


def _step_applies(action: str, pledge: Pledge) -> bool:
    """Whether ``action`` fits the pledge: its status, and money to disburse or goods
    to deliver."""
    sources, _target, _label = PLEDGE_TRANSITIONS[action]
    if pledge.status not in sources:
        return False
    if action == "disburse":
        return pledge.amount is not None
    if action == "deliver":
        return bool(pledge.in_kind)
    return True


def transition_pledge(user: User, pledge: Pledge, action: str) -> Pledge:
    """Move a pledge along its lifecycle."""
    step = PLEDGE_TRANSITIONS.get(action)
    if step is None:
        raise TransitionError(N_("Unknown action “%(action)s”."), action=str(action)[:40])
    if not can_manage_pledge(user, pledge):
        raise PermissionDenied(N_("You may not change this pledge."))
    _sources, target, _label = step
    if action == "confirm" and pledge.project.status not in PLEDGEABLE_STATUSES:
        raise TransitionError(
            N_("The project is “%(status)s”: a pledge on it can no longer be confirmed."),
            status=pledge.project.status,
        )
    if not _step_applies(action, pledge):
        if pledge.status in _sources:
            raise TransitionError(
                N_("Only money is disbursed and only in-kind support is delivered.")
            )
        raise TransitionError(
            N_("A pledge that is “%(status)s” cannot be sent to “%(target)s”."),
            status=pledge.status,
            target=target,
        )
    if action in TRANSACTION_STEPS:
        # Recording the commitment notifies (core.transactions.record_transaction).
        transactions.record_remaining(user, pledge, TRANSACTION_STEPS[action])
        return pledge
    with database.atomic():
        before = audit.snapshot(pledge)
        pledge.status = target
        pledge.updated_at = utcnow()
        pledge.save()
        audit.record(user, f"pledge.{action}", pledge, before, audit.snapshot(pledge))
    return pledge
