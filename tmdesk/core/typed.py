"""Typed values a plugin declares: report options and donors' own fields.

A plugin names a type (``integer``, ``year``, ``date``, ``boolean``,
``choice``, ``text``, and for fields also ``decimal``); tmdesk reads what a
person typed (a form, ``--option name=value``, JSON) with :func:`parse_typed`
and refuses what does not fit with a message naming the expected shape, so a
plugin never receives a value of the wrong type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from tmdesk.core import validation
from tmdesk.core.i18n import N_

#: The types tmdesk checks (``decimal`` only for donors' fields).
TYPES = ("text", "integer", "year", "date", "boolean", "choice", "decimal")

MAX_TEXT = 200
TRUE_WORDS = frozenset({"1", "true", "yes", "on", "y"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", "n"})


class TypedValueError(ValueError):
    """``raw`` does not fit the type; ``message`` is marked with ``N_``, ``params`` apart."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def parse_typed(kind: str, raw: Any, choices: Iterable[str] | None = None) -> Any:
    """``raw`` read as a value of ``kind``; None when empty.

    Returns ``int`` (integer, year), ``datetime.date``, ``bool``, ``Decimal``
    or ``str`` (choice, text). Raises :class:`TypedValueError` otherwise.
    """
    if isinstance(raw, str):
        raw = raw.strip()
    if raw is None or raw == "":
        return None
    if kind == "boolean":
        if isinstance(raw, bool):
            return raw
        word = str(raw).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise TypedValueError(N_("Must be yes or no (true/false)."))
    if kind in ("integer", "year"):
        errors = validation.Errors()
        minimum, maximum = (1990, 2100) if kind == "year" else (-(10**12), 10**12)
        value = validation.integer(errors, {"v": raw}, "v", minimum=minimum, maximum=maximum)
        if value is None:
            if kind == "year":
                raise TypedValueError(N_("Must be a year between 1990 and 2100."))
            raise TypedValueError(N_("Must be a whole number."))
        return value
    if kind == "date":
        errors = validation.Errors()
        date = validation.date(errors, {"v": raw}, "v")
        if date is None:
            raise TypedValueError(N_("Must be a date such as 2026-03-31."))
        return date
    if kind == "decimal":
        amount = validation.amount(validation.Errors(), {"v": raw}, "v", allow_zero=True)
        if amount is None:
            raise TypedValueError(N_("Must be a number such as 12500.00."))
        return amount
    # choice and text
    if not isinstance(raw, str):
        raw = str(raw)
    if validation.FORBIDDEN_CHARACTERS.search(raw):
        raise TypedValueError(N_("Contains a character that cannot be stored; remove it."))
    if kind == "choice":
        allowed = list(choices or ())
        if raw not in allowed:
            raise TypedValueError(
                N_("Choose one of: %(choices)s."), choices=", ".join(allowed[:40])
            )
        return raw
    if len(raw) > MAX_TEXT:
        raise TypedValueError(N_("Too long: at most %(max)d characters."), max=MAX_TEXT)
    return raw


def to_text(value: Any) -> str:
    """A parsed value as stored and passed on: ISO dates, ``true``/``false``, plain numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
