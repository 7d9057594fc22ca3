"""The exchange-rates table: how many euros one unit of each currency is worth.

Funding in euros is always computed from this table (see
:mod:`tmdesk.core.funding`), so changing a rate moves every EUR total at
once; each change is therefore an administrator's act, validated and audited.

Rates have effective dates (:class:`~tmdesk.core.models.DatedRate`): a
transaction converts at the rate in force on its value date, and a report may
choose the rates "as of" one day instead (:class:`RateBook`). The
``ExchangeRate`` table keeps the rate in force today, so figures without a date
(the funding state, the gap) read it as before.
"""

from __future__ import annotations

import bisect
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from tmdesk.core import audit, validation
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.funding import UnknownCurrency, to_eur
from tmdesk.core.i18n import N_
from tmdesk.core.models import DatedRate, ExchangeRate, User, utcnow
from tmdesk.core.permissions import can_administer
from tmdesk.core.vocab import CURRENCIES

#: The base currency: its rate is 1 by definition and cannot be edited.
BASE_CURRENCY = "EUR"
#: Sanity bounds: no real currency is worth more than 100 000 EUR or less
#: than a millionth of a euro per unit; anything outside is a typo.
MIN_RATE = Decimal("0.000001")
MAX_RATE = Decimal("100000")
MAX_PLACES = 10


class RateBook:
    """Every dated rate, loaded once: the rate of a currency on any day.

    The rate on a day is the latest one effective on or before it; a day before
    a currency's first dated rate takes that first one (there is nothing
    better). A currency with no dated rate at all uses the current table.
    Conversion itself is :func:`tmdesk.core.funding.to_eur`, the one converter.
    """

    def __init__(
        self,
        history: dict[str, list[tuple[dt.date, Decimal]]],
        current: dict[str, Decimal],
        as_of: dt.date | None = None,
    ) -> None:
        self._dates = {c: [d for d, _r in rows] for c, rows in history.items()}
        self._rates = {c: [r for _d, r in rows] for c, rows in history.items()}
        self._current = dict(current)
        self._current.setdefault(BASE_CURRENCY, Decimal(1))
        #: When set, every conversion uses the rates in force on this day.
        self.as_of = as_of
        self._on_cache: dict[dt.date, dict[str, Decimal]] = {}

    @classmethod
    def load(cls, as_of: dt.date | None = None) -> RateBook:
        """The book from the database (two queries)."""
        history: dict[str, list[tuple[dt.date, Decimal]]] = {}
        for row in DatedRate.select().order_by(DatedRate.currency, DatedRate.effective_from):
            history.setdefault(row.currency, []).append((row.effective_from, row.eur_per_unit))
        current = {r.currency: r.eur_per_unit for r in ExchangeRate.select()}
        return cls(history, current, as_of)

    def rate(self, currency: str, day: dt.date) -> Decimal:
        """Euros per unit of ``currency`` in force on ``day`` (or on :attr:`as_of`)."""
        day = self.as_of or day
        if currency == BASE_CURRENCY:
            return Decimal(1)
        dates = self._dates.get(currency)
        if not dates:
            try:
                return self._current[currency]
            except KeyError:
                raise UnknownCurrency(currency) from None
        index = max(bisect.bisect_right(dates, day) - 1, 0)
        return self._rates[currency][index]

    def on(self, day: dt.date) -> dict[str, Decimal]:
        """Every currency's rate in force on ``day``, as ``{currency: euros per unit}``."""
        day = self.as_of or day
        rates = self._on_cache.get(day)
        if rates is None:
            rates = dict(self._current)
            rates.update({c: self.rate(c, day) for c in self._dates})
            self._on_cache[day] = rates
        return rates

    def to_eur(self, amount: Decimal, currency: str, day: dt.date) -> Decimal:
        """``amount`` of ``currency`` in euros at the rate of ``day`` (unrounded)."""
        return to_eur(amount, currency, {currency: self.rate(currency, day)})

    def convert(self, amount: Decimal, currency: str, target: str, day: dt.date) -> Decimal:
        """``amount`` of ``currency`` in ``target`` at the rates of ``day`` (unrounded)."""
        if currency == target:
            return amount
        return self.to_eur(amount, currency, day) / self.rate(target, day)


def rate_history(currency: str | None = None) -> list[DatedRate]:
    """The dated rates, newest first (of one currency, or all)."""
    query = DatedRate.select().order_by(
        DatedRate.effective_from.desc(), DatedRate.currency, DatedRate.id.desc()
    )
    if currency:
        query = query.where(DatedRate.currency == currency)
    return list(query)


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


def set_exchange_rate(
    actor: User, currency: str, rate: Any, effective_from: Any = None
) -> ExchangeRate:
    """Set (or add) the rate of ``currency`` in euros per unit from ``effective_from``
    (today when not given); administrators only.

    A rate for a day that already has one replaces it. The current table then
    holds the rate in force today, which a future-dated rate does not change yet.
    Returns the current-table row.
    """
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
    today = utcnow().date()
    errors = validation.Errors()
    effective = validation.date(errors, {"effective_from": effective_from}, "effective_from")
    errors.raise_if_any()
    effective = effective or today
    with database.atomic():
        dated = DatedRate.get_or_none(
            (DatedRate.currency == currency) & (DatedRate.effective_from == effective)
        )
        before_dated = audit.snapshot(dated) if dated else None
        if dated is None:
            dated = DatedRate.create(
                currency=currency, effective_from=effective, eur_per_unit=value, created_by=actor
            )
        else:
            dated.eur_per_unit = value
            dated.created_by = actor
            dated.created_at = utcnow()
            dated.save()
        audit.record(actor, "rate.dated", dated, before_dated, audit.snapshot(dated))
        in_force = RateBook.load().rate(currency, today)
        existing = ExchangeRate.get_or_none(ExchangeRate.currency == currency)
        if existing is not None and existing.eur_per_unit == in_force:
            return existing
        before = audit.snapshot(existing) if existing else None
        if existing is None:
            existing = ExchangeRate.create(
                currency=currency, eur_per_unit=in_force, updated_at=utcnow()
            )
        else:
            existing.eur_per_unit = in_force
            existing.updated_at = utcnow()
            existing.save()
        audit.record(actor, "rate.update", existing, before, audit.snapshot(existing))
    return existing
