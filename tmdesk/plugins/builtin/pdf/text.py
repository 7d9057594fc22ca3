"""Text for the PDFs: labels in the report's language, user text made safe for
reportlab's Paragraph markup, money, numbers and dates in the locale's form."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as _xml_escape  # nosec B406: escape() quotes text for reportlab markup; nothing is parsed

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics

from tmdesk.plugins.contract import xml_safe

#: ``tmdesk/translations``: the message catalogue that holds every PDF label.
TRANSLATIONS_DIR = Path(__file__).resolve().parents[3] / "translations"


# --- labels -----------------------------------------------------------------


@functools.cache
def _catalogue(locale: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def translate(locale: str, text: str) -> str:
    """``text`` (an English label marked with ``N_``) in ``locale``.

    The tmdesk message catalogue (Babel, ``tmdesk/translations``) holds every
    label of the built-in PDFs (issue 11: no table of its own here); a label it
    does not translate stays in English.
    """
    if locale == "en" or not text:
        return text
    return _catalogue(locale).gettext(text)


def translator(locale: str) -> Callable[[str], str]:
    """A one-argument ``translate`` bound to ``locale`` (the ``t`` of the renderers)."""
    return functools.partial(translate, locale)


# --- text -------------------------------------------------------------------


def clean(text: Any) -> str:
    """User text as a plain string: what XML forbids removed (Paragraph markup is XML)."""
    if text is None:
        return ""
    return xml_safe(str(text)).replace("\r\n", "\n").replace("\r", "\n")


def esc(text: Any, max_length: int | None = None) -> str:
    """User text made safe for Paragraph markup (``&``, ``<``, ``>`` and quotes escaped).

    Line breaks become ``<br/>``; ``max_length`` cuts overly long text with an ellipsis.
    """
    value = clean(text)
    if max_length is not None and len(value) > max_length:
        value = value[: max_length - 1].rstrip() + "…"
    value = _xml_escape(value, {'"': "&quot;", "'": "&#39;"})
    return value.replace("\n", "<br/>")


def shorten(text: str, length: int) -> str:
    text = clean(text).replace("\n", " ")
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# --- numbers and dates ------------------------------------------------------


def money(value: Decimal | float | int | None, locale: str, currency: str = "EUR") -> str:
    """A whole amount with its currency: ``€1,234,567`` / ``1 234 567 €``."""
    if value is None:
        return "–"
    whole = int(round(Decimal(value)))
    # Grouping by hand: Babel's formatter is exact but slow, and a pack prints
    # tens of thousands of amounts. en: 1,234,567; uk: 1 234 567 (no-break spaces).
    amount = f"{whole:,}" if locale == "en" else f"{whole:,}".replace(",", "\u00a0")
    symbol = "€" if currency == "EUR" else currency
    if locale == "en" and currency == "EUR":
        return f"{symbol}{amount}" if value >= 0 else f"-{symbol}{amount.lstrip('-')}"
    return f"{amount}\u00a0{symbol}"


def compact_money(value: float, locale: str) -> str:
    """Short axis labels: 250k, 1.2M (uk: 250 тис., 1,2 млн)."""
    value = float(value)
    if abs(value) >= 1_000_000:
        number = format_decimal(round(value / 1_000_000, 1), locale=locale)
        return f"{number}\u00a0млн" if locale == "uk" else f"{number}M"
    if abs(value) >= 1_000:
        number = format_decimal(round(value / 1_000), locale=locale)
        return f"{number}\u00a0тис." if locale == "uk" else f"{number}k"
    return format_decimal(round(value), locale=locale)


def number(value: int | float, locale: str) -> str:
    return format_decimal(value, locale=locale)


def date(value: dt.date | dt.datetime | None, locale: str) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        value = value.date()
    return format_date(value, "d MMM y", locale=locale)


def timestamp(value: dt.datetime, locale: str) -> str:
    """A UTC timestamp as shown on covers: ``22 Nov 2026, 19:12 UTC``."""
    return format_datetime(value, "d MMM y, HH:mm", locale=locale) + " UTC"


def percent(part: Decimal, whole: Decimal) -> int:
    if not whole:
        return 0
    return int(round(part * 100 / whole))


def wrap_text(text: str, font: str, size: float, width: float) -> list[str]:
    """Plain text broken into lines no wider than ``width`` (words longer than a
    line are cut), for the flowables that draw strings themselves."""
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        for line in simpleSplit(paragraph, font, size, width) or [""]:
            while pdfmetrics.stringWidth(line, font, size) > width and len(line) > 1:
                cut = len(line) - 1
                while cut > 1 and pdfmetrics.stringWidth(line[:cut], font, size) > width:
                    cut = max(1, int(cut * 0.8))
                lines.append(line[:cut])
                line = line[cut:]
            lines.append(line)
    return lines
