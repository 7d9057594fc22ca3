"""URL converters that bound what a path may carry, registered app-wide.

:func:`register` replaces Werkzeug's ``int`` and ``default`` converters on the
app's URL map, so every ``<int:…>`` and ``<name>`` of every blueprint, including
routes added later, is bounded without anyone remembering to: an id that cannot
name a row (20 digits, "-1", "١٢٣") or a segment no reference can be (NUL, a
control character, thousands of characters) matches no route, which is a 404.
The bound itself lives in the core (:func:`tmdesk.core.validation.parse_id`),
shared with query strings and form fields.

``<uid:…>`` names a record by its uid (:mod:`tmdesk.core.ids`), which pages and
the API use for everything a policy may hide (pledges, offers, documents…):
a sequential id would tell how many such records exist. It matches only the
36-character lower-case form, so anything else is a 404 before any lookup.
"""

from __future__ import annotations

import re
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


class UidConverter(BaseConverter):
    """A record's uid: exactly the text form :func:`tmdesk.core.ids.new_uid` writes."""

    # Any UUID version: records made elsewhere keep the uid they arrived with.
    regex = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    part_isolating = True

    def to_url(self, value: Any) -> str:
        # A row id here is a mistake that would put a counting number into a link.
        if not isinstance(value, str) or not UID_TEXT.fullmatch(value):
            raise ValueError(f"not a uid: {value!r}")
        return value


#: What :class:`UidConverter` accepts, for checking values it is asked to build.
UID_TEXT = re.compile(UidConverter.regex)


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
    ``<id:…>`` names the id converter outright, ``<uid:…>`` a record's uid."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["uid"] = UidConverter
    app.url_map.converters["default"] = BoundedStringConverter
    app.url_map.converters["string"] = BoundedStringConverter
