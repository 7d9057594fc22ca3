"""Input cleaning shared by pages, API and CLI: one rule per field.

Each ``clean_*`` function takes raw values (strings from a form, JSON values
from the API) and returns typed values, collecting messages per field in an
:class:`Errors` so that one answer reports every problem at once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from tmdesk.core.errors import ValidationError
from tmdesk.core.i18n import N_

MAX_AMOUNT = Decimal("1000000000000")  # a trillion: anything above is a typo
MAX_TEXT = 20_000
MAX_LINE = 300
#: The largest row id: PostgreSQL's ``integer`` columns (SQLite's are wider). An id
#: beyond it cannot exist, and would fail inside the database driver.
MAX_ID = 2**31 - 1
#: A whole number as a person or a program writes it: ASCII digits, an optional
#: minus, and no more digits than a 64-bit number has (``int()`` would also take
#: "١٢٣", "1_000" and four thousand digits).
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,19}", re.ASCII)


class Errors(dict):
    """Field name to message; raise with :meth:`raise_if_any`."""

    def raise_if_any(self) -> None:
        if self:
            raise ValidationError(dict(self))


def _noncharacters() -> str:
    """U+FDD0–U+FDEF and the last two code points of every plane (U+FFFE, U+FFFF,
    U+1FFFE…): Unicode's permanent non-characters."""
    points = [chr(c) for c in range(0xFDD0, 0xFDF0)]
    points += [chr((plane << 16) | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)]
    return "".join(points)


#: Characters no stored text may hold: what XML 1.0 forbids (C0 controls other than
#: tab, line feed and carriage return; lone surrogates; U+FFFE and U+FFFF), the C1
#: controls and the other non-characters XML discourages. One of them in a title
#: would break every IATI file naming the project, so :func:`text` refuses them and
#: the XML exports drop them (:func:`without_forbidden`) from older data.
FORBIDDEN_CHARACTERS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff" + re.escape(_noncharacters()) + "]"
)


def without_forbidden(value: str) -> str:
    """``value`` without any of :data:`FORBIDDEN_CHARACTERS` (for writing XML)."""
    return FORBIDDEN_CHARACTERS.sub("", value)


def _clean_str(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError
    return unicodedata.normalize("NFC", value).strip()


def text(
    errors: Errors,
    data: dict,
    name: str,
    *,
    required: bool = False,
    max_length: int = MAX_LINE,
    default: str = "",
) -> str:
    """A text field; ``max_length`` in characters."""
    if name not in data:
        if required:
            errors[name] = N_("This field is required.")
        return default
    try:
        value = _clean_str(data[name])
    except TypeError:
        errors[name] = N_("Must be text.")
        return default
    if FORBIDDEN_CHARACTERS.search(value):
        errors[name] = N_(
            "Contains a control character or non-character (such as U+0000 or U+FFFF) "
            "that cannot be stored; remove it."
        )
        return default
    if required and not value:
        errors[name] = N_("This field is required.")
    elif len(value) > max_length:
        errors[name] = N_("Too long: at most %(max)d characters.") % {"max": max_length}
    return value


def choice(
    errors: Errors,
    data: dict,
    name: str,
    choices,
    *,
    required: bool = True,
    default: str | None = None,
) -> str | None:
    """One of ``choices`` (a dict or sequence of codes)."""
    raw = data.get(name)
    if raw in (None, ""):
        if required and default is None:
            errors[name] = N_("This field is required.")
        return default
    if not isinstance(raw, str) or raw not in choices:
        errors[name] = N_("Not one of the allowed values.")
        return default
    return raw


def amount(
    errors: Errors, data: dict, name: str, *, required: bool = False, allow_zero: bool = False
) -> Decimal | None:
    """A money amount with at most two decimal places."""
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors[name] = N_("This field is required.")
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
        errors[name] = N_("Must be an amount such as 12500.00.")
        return None
    try:
        value = Decimal(_normalise_number(raw) if isinstance(raw, str) else str(raw))
    except (InvalidOperation, ValueError):
        errors[name] = N_("Must be an amount such as 12500.00.")
        return None
    if not value.is_finite():
        errors[name] = N_("Must be an amount such as 12500.00.")
        return None
    if value < 0 or (value == 0 and not allow_zero):
        errors[name] = N_("Must be more than zero.")
        return None
    if value > MAX_AMOUNT:
        errors[name] = N_("Too large.")
        return None
    if value != value.quantize(Decimal("0.01")):
        errors[name] = N_("At most two decimal places.")
        return None
    return value.quantize(Decimal("0.01"))


def parse_amount(raw: Any) -> Decimal | None:
    """``raw`` read exactly as :func:`amount` reads a form field; None when it is not
    a valid amount (for checks that must agree with what will be saved)."""
    return amount(Errors(), {"amount": raw}, "amount")


def _normalise_number(raw: str) -> str:
    """Accept "12 500,50" (Ukrainian) and "12,500.50" (English) as 12500.50."""
    value = raw.strip().replace("\u00a0", "").replace(" ", "")
    if value.count(",") == 1 and "." not in value:
        return value.replace(",", ".")
    return value.replace(",", "")


def _whole_number(raw: Any) -> int | None:
    """``raw`` (text or an int) as an int, or None when it is not a plain whole number."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and _WHOLE_NUMBER.fullmatch(raw.strip()):
        return int(raw.strip())
    return None


def parse_int(raw: Any, *, minimum: int, maximum: int) -> int | None:
    """A whole number between ``minimum`` and ``maximum``, or None: the one reading of
    every number a request carries outside a form (query strings, cookies, URLs)."""
    value = _whole_number(raw)
    return value if value is not None and minimum <= value <= maximum else None


def parse_id(raw: Any) -> int | None:
    """A row id from a URL, a query string or a form field, or None when it cannot
    name a row (not digits, zero, negative, beyond :data:`MAX_ID`): callers answer
    404 or 400, never pass it to the database."""
    return parse_int(raw, minimum=1, maximum=MAX_ID)


def integer(
    errors: Errors,
    data: dict,
    name: str,
    *,
    required: bool = False,
    minimum: int = 0,
    maximum: int = 10**9,
) -> int | None:
    raw = data.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors[name] = N_("This field is required.")
        return None
    value = _whole_number(raw)
    if value is None:
        errors[name] = N_("Must be a whole number.")
        return None
    if not minimum <= value <= maximum:
        errors[name] = N_("Must be between %(min)d and %(max)d.") % {"min": minimum, "max": maximum}
        return None
    return value


_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_date(text: str) -> dt.date | None:
    """An ISO 8601 date (YYYY-MM-DD), or a date written the Ukrainian way
    (DD.MM.YYYY, the format the Ukrainian pages name); None if it is neither."""
    text = text.strip()
    dotted = _DOTTED_DATE.fullmatch(text)
    try:
        if dotted:
            day, month, year = (int(g) for g in dotted.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def date(errors: Errors, data: dict, name: str, *, required: bool = False) -> dt.date | None:
    """An ISO 8601 date (YYYY-MM-DD) or DD.MM.YYYY (:func:`parse_date`)."""
    raw = data.get(name)
    if raw is None or raw == "":
        if required:
            errors[name] = N_("This field is required.")
        return None
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if not isinstance(raw, str):
        errors[name] = N_("Must be a date such as 2026-03-31.")
        return None
    value = parse_date(raw)
    if value is None:
        errors[name] = N_("Must be a date such as 2026-03-31.")
        return None
    if not 1990 <= value.year <= 2100:
        errors[name] = N_("The year looks wrong.")
        return None
    return value


def email(errors: Errors, data: dict, name: str = "email") -> str:
    value = text(errors, data, name, required=True, max_length=254).lower()
    if value and (
        "@" not in value
        or value.startswith("@")
        or value.endswith("@")
        or any(c.isspace() for c in value)
    ):
        errors[name] = N_("Must be an e-mail address.")
    return value
