"""The exchange-rates table: how many euros one unit of each currency is worth.

Funding in euros is always computed from this table (see
:mod:`tmdesk.core.funding`), so changing a rate moves every EUR total at
once; each change is therefore an administrator's act, validated and audited.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from tmdesk.core import audit
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import ExchangeRate, Organisation, User, utcnow
from tmdesk.core.permissions import can_administer
from tmdesk.core.vocab import CURRENCIES

#: The base currency: its rate is 1 by definition and cannot be edited.
BASE_CURRENCY = "EUR"
#: Sanity bounds: no real currency is worth more than 100 000 EUR or less
#: than a millionth of a euro per unit; anything outside is a typo.
MIN_RATE = Decimal("0.000001")
MAX_RATE = Decimal("100000")
MAX_PLACES = 10


#: The currency of each country whose currency is not the euro (ISO 3166-1 → ISO 4217);
#: every other country (the euro area, the EU, NATO) pledges in euros by default.
COUNTRY_CURRENCIES = {
    "GB": "GBP",
    "US": "USD",
    "CA": "CAD",
    "DK": "DKK",
    "PL": "PLN",
    "SE": "SEK",
    "CH": "CHF",
    "NO": "NOK",
    "JP": "JPY",
    "UA": "UAH",
}


def home_currency(organisation: Organisation | None) -> str:
    """The currency an organisation counts in: its country's, else the euro."""
    if organisation is None:
        return BASE_CURRENCY
    currency = COUNTRY_CURRENCIES.get((organisation.country or "").upper(), BASE_CURRENCY)
    return currency if currency in CURRENCIES else BASE_CURRENCY


def rates_date() -> dt.date | None:
    """The date of the exchange-rates table: when its latest rate was set (None if empty)."""
    latest = (
        ExchangeRate.select(ExchangeRate.updated_at)
        .order_by(ExchangeRate.updated_at.desc())
        .first()
    )
    return latest.updated_at.date() if latest is not None else None


def from_eur(amount_eur: Decimal, currency: str, rates: dict[str, Decimal]) -> Decimal | None:
    """``amount_eur`` euros in ``currency`` (unrounded); None when it has no rate."""
    rate = rates.get(currency)
    if not rate:
        return None
    return amount_eur / rate


def all_rates() -> list[ExchangeRate]:
    """Every recorded rate, in the order of :data:`~tmdesk.core.vocab.CURRENCIES`."""
    order = {code: i for i, code in enumerate(CURRENCIES)}
    return sorted(ExchangeRate.select(), key=lambda r: (order.get(r.currency, 999), r.currency))


def clean_rate(raw: Any) -> Decimal:
    """A positive decimal rate; raises :class:`ValidationError` on ``rate``."""
    if isinstance(raw, bool) or raw is None:
        raise ValidationError({"rate": N_("This field is required.")})
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        raise ValidationError({"rate": N_("This field is required.")})
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValidationError({"rate": N_("Must be a number such as 0.92.")}) from None
    if not value.is_finite():
        raise ValidationError({"rate": N_("Must be a number such as 0.92.")})
    if value <= 0:
        raise ValidationError({"rate": N_("Must be more than zero.")})
    if not MIN_RATE <= value <= MAX_RATE:
        raise ValidationError({"rate": N_("Between 0.000001 and 100000 euros per unit.")})
    exponent = value.as_tuple().exponent  # an int for every finite value
    if isinstance(exponent, int) and -exponent > MAX_PLACES:
        raise ValidationError({"rate": N_("At most 10 decimal places.")})
    return value


def set_exchange_rate(actor: User, currency: str, rate: Any) -> ExchangeRate:
    """Set (or add) the rate of ``currency`` in euros per unit; administrators only."""
    if actor is None or not can_administer(actor):
        raise PermissionDenied(N_("Only administrators change exchange rates."))
    currency = (currency or "").strip().upper() if isinstance(currency, str) else ""
    if currency not in CURRENCIES:
        raise ValidationError({"currency": N_("Not one of the allowed values.")})
    if currency == BASE_CURRENCY:
        raise ValidationError(
            {"currency": N_("The euro is the base currency: its rate is always 1.")}
        )
    value = clean_rate(rate)
    with database.atomic():
        existing = ExchangeRate.get_or_none(ExchangeRate.currency == currency)
        before = audit.snapshot(existing) if existing else None
        if existing is None:
            existing = ExchangeRate.create(
                currency=currency, eur_per_unit=value, updated_at=utcnow()
            )
        else:
            existing.eur_per_unit = value
            existing.updated_at = utcnow()
            existing.save()
        audit.record(actor, "rate.update", existing, before, audit.snapshot(existing))
    return existing
