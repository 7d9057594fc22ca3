"""A recipient organisation's finer kind (ministry, regional administration…).

Donors' channel codes depend on it (a ministry is a central government
channel, an oblast administration a local one). The schema upgrade that
introduced it (version 7) reads existing recipients' names with
:func:`guess_recipient_type`; an administrator corrects it on the
organisation's page.
"""

from __future__ import annotations

import re

from tmdesk.core.vocab import RECIPIENT_TYPES

# Checked in this order, on the English and the Ukrainian name alike.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "regional",
        re.compile(r"\b(oblast|regional)\b|обласн", re.IGNORECASE),
    ),
    (
        "local",
        re.compile(
            r"\b(city|municipal|hromada|village|town|district)\b|міськ|сільськ|селищн|громад",
            re.IGNORECASE,
        ),
    ),
    (
        "state_enterprise",
        re.compile(
            r"\b(jsc|pjsc|npc|enterprise|company|naftogaz)\b|^(ДП|АТ|ПАТ|НЕК|НАК)\b|підприємств",
            re.IGNORECASE,
        ),
    ),
    (
        "ministry",
        re.compile(
            r"\b(ministry|service|agency|council|cent(er|re)|committee|cabinet|inspectorate)\b"
            r"|міністерств|служба|агентств|рада|центр|комітет",
            re.IGNORECASE,
        ),
    ),
)


def guess_recipient_type(name_en: str, name_uk: str = "") -> str:
    """The finer kind a recipient's names suggest (``other`` when nothing fits)."""
    for code, pattern in _RULES:
        if pattern.search(name_en or "") or pattern.search(name_uk or ""):
            return code
    return "other"


def recipient_type_or_default(code: str | None) -> str:
    """``code`` if it is a known type, else ``other``."""
    return code if code in RECIPIENT_TYPES else "other"
