"""A match becomes a proposed pledge: the Back Office turns an offer into a pledge
(status ``offered``) for the offering donor, who confirms or withdraws it through
the ordinary pledge steps, and an offer is never proposed beyond its value across
projects (issue 15). Every step is audited by the services it calls."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tmdesk.core import engine
from tmdesk.core import offers as offer_service
from tmdesk.core import pledges as pledge_service
from tmdesk.core.db import database
from tmdesk.core.errors import DomainError, PermissionDenied, TransitionError, ValidationError
from tmdesk.core.funding import UnknownCurrency, exchange_rates, project_funding, to_eur
from tmdesk.core.i18n import N_
from tmdesk.core.matching import OPEN_OFFER_STATUSES
from tmdesk.core.models import Offer, Pledge, Project, User, utcnow
from tmdesk.core.permissions import PLEDGEABLE_STATUSES, can_link_offers
from tmdesk.core.validation import parse_amount

CENT = Decimal("0.01")


class BeyondOffer(DomainError):
    """A proposal would take more than is left of its offer."""

    http_status = 422


def offer_remaining(offer: Offer, rates: dict[str, Decimal] | None = None) -> Decimal | None:
    """What is left of an offer's value, in its own currency: the value less every
    pledge proposed from it that is not withdrawn (converted at the rates table).
    None for an offer without a value (in kind only)."""
    if offer.value_amount is None or not offer.value_currency:
        return None
    rates = rates if rates is not None else exchange_rates()
    used = Decimal(0)
    for amount, currency in (
        Pledge.select(Pledge.amount, Pledge.currency)
        .where(
            (Pledge.offer == offer.id)
            & (Pledge.status != "withdrawn")
            & Pledge.amount.is_null(False)
        )
        .tuples()
    ):
        used += _convert(amount, currency, offer.value_currency, rates)
    return max(offer.value_amount - used, Decimal(0)).quantize(CENT)


def _convert(amount: Decimal, currency: str, target: str, rates: dict[str, Decimal]) -> Decimal:
    """``amount`` of ``currency`` in ``target`` through the euro rates."""
    if currency == target:
        return Decimal(amount)
    try:
        return to_eur(Decimal(amount), currency, rates) / rates[target]
    except (KeyError, UnknownCurrency, ArithmeticError):
        raise ValidationError(
            {"currency": N_("No exchange rate is recorded for this currency.")}
        ) from None


@dataclass(frozen=True)
class ProposalPreset:
    """What the "Propose as pledge" form starts with: the smaller of what the project
    still needs (budget less everything pledged) and what is left of the offer, in
    the offer's currency."""

    amount: Decimal | None
    currency: str | None
    remaining: Decimal | None
    still_needed: Decimal
    still_needed_currency: str


def proposal_preset(offer: Offer, project: Project) -> ProposalPreset:
    rates = exchange_rates()
    funding = project_funding(project, rates)
    needed_eur = max(funding.budget_eur - funding.pledged_eur, Decimal(0))
    remaining = offer_remaining(offer, rates)
    currency = offer.value_currency or project.budget_currency
    try:
        needed = (needed_eur / rates[currency]).quantize(CENT)
    except (KeyError, ArithmeticError):
        needed, currency = needed_eur.quantize(CENT), "EUR"
    amount = None
    if remaining is not None:
        amount = min(remaining, needed)
    return ProposalPreset(amount, offer.value_currency, remaining, needed, currency)


def propose_pledge(
    user: User, offer: Offer, project: Project, data: dict[str, Any] | None = None
) -> Pledge:
    """Turn a match into a pledge (status ``offered``) for the offering donor.

    The offer is linked to the project (and marked matched). ``data``
    overrides the pledge fields taken from the offer (amount, currency,
    in_kind, in_kind_quantity, date, note). The donor confirms or withdraws
    the pledge through the ordinary pledge steps.
    """
    if not can_link_offers(user):
        raise PermissionDenied(N_("Only the coordinating offices turn matches into pledges."))
    if offer.status not in OPEN_OFFER_STATUSES:
        raise TransitionError(N_("Only an open or matched offer can become a pledge."))
    if offer.organisation.kind != "donor":
        raise ValidationError(
            {
                "offer": N_(
                    "Only a donor's offer becomes a pledge; record a company's offer as an engagement."
                )
            }
        )
    if project.status not in PLEDGEABLE_STATUSES:
        raise TransitionError(N_("Only published projects take pledges."))
    # The pledge records its offer (``Pledge.offer``); its note is read by
    # everyone who sees the project, so it names nothing of the offer.
    fields: dict[str, Any] = {
        "date": utcnow().date().isoformat(),
        "note": N_("Proposed from an offer"),
    }
    if offer.value_amount is not None:
        # Without an amount given, what is left of the offer (not its whole value).
        fields["amount"] = str(offer_remaining(offer))
        fields["currency"] = offer.value_currency
    if offer.value_amount is None or offer.quantity:
        fields["in_kind"] = offer.description[:2000]
        if offer.quantity:
            fields["in_kind_quantity"] = str(offer.quantity)
    fields.update(data or {})
    with database.atomic():
        # An offer cannot be proposed beyond its value across projects: what is
        # left of it is read inside the transaction that records the pledge.
        _check_within_offer(offer, fields)
        pledge = pledge_service.create_pledge(
            user, project, fields, donor_code=offer.organisation.code, offer=offer
        )
        offer_service.link_offer(user, offer, project, note=N_("Proposed as a pledge"))
    return pledge


def _check_within_offer(offer: Offer, fields: dict[str, Any]) -> None:
    engine.serialise(f"offer-drawdown-{offer.id}")
    remaining = offer_remaining(offer)
    amount = parse_amount(fields.get("amount"))
    currency = fields.get("currency") or ""
    if remaining is None or amount is None or not currency:
        return
    in_offer_currency = _convert(amount, currency, offer.value_currency, exchange_rates())
    if in_offer_currency.quantize(CENT) > remaining:
        raise BeyondOffer(
            N_(
                "The offer has only %(remaining)s %(currency)s left to propose; "
                "propose at most that."
            ),
            remaining=remaining,
            currency=offer.value_currency,
        )
