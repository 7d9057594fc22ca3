"""URL converters that bound what a path may carry, registered app-wide.

:func:`register` replaces Werkzeug's ``int`` and ``default`` converters on the
app's URL map, so every ``<int:…>`` and ``<name>`` of every blueprint, including
routes added later, is bounded without anyone remembering to: an id that cannot
name a row (20 digits, "-1", "١٢٣") or a segment no reference can be (NUL, a
control character, thousands of characters) matches no route, which is a 404.
The bound itself lives in the core (:func:`tmdesk.core.validation.parse_id`),
shared with query strings and form fields.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import BaseConverter, Map, UnicodeConverter, ValidationError

from tmdesk.core.validation import parse_id

#: The longest path segment a ``<name>`` converter accepts (references, format
#: names and currency codes are far shorter).
MAX_SEGMENT = 200


class IdConverter(BaseConverter):
    """A row id: ASCII digits naming a row that can exist (see ``parse_id``)."""

    regex = r"[0-9]+"  # ASCII digits only; how many, and how large: parse_id
    part_isolating = True

    def to_python(self, value: str) -> int:
        parsed = parse_id(value)
        if parsed is None:
            raise ValidationError()
        return parsed

    def to_url(self, value: Any) -> str:
        return str(int(value))


class BoundedStringConverter(UnicodeConverter):
    """Werkzeug's default segment, at most :data:`MAX_SEGMENT` characters and without
    control characters (PostgreSQL refuses a NUL in any text it is asked to compare)."""

    def __init__(self, map: Map, minlength: int = 1, maxlength: int = MAX_SEGMENT, length=None):
        super().__init__(map, minlength=minlength, maxlength=maxlength, length=length)

    def to_python(self, value: str) -> str:
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            raise ValidationError()
        return value


def register(app: Flask) -> None:
    """Bound ``<int:…>`` and plain ``<…>`` on ``app`` (before any route is added);
    ``<id:…>`` names the id converter outright."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["default"] = BoundedStringConverter
    app.url_map.converters["string"] = BoundedStringConverter
