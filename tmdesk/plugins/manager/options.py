"""Checking a report's options against its format's declared options: typed, with the
organisation's saved settings and the (computed) defaults filled in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from tmdesk.core.models import utcnow
from tmdesk.core.typed import TypedValueError, parse_typed, to_text
from tmdesk.plugins.contract import ReportFormat
from tmdesk.plugins.manager.records import MAX_OPTION_LENGTH, OptionError


def validate_options(
    fmt: ReportFormat,
    given: dict[str, str] | None,
    saved: dict[str, str] | None = None,
    today: dt.date | None = None,
) -> dict[str, Any]:
    """``given`` checked against ``fmt.options`` and read as each option's type, with
    the organisation's ``saved`` settings, then the (computed) defaults, filled in.

    Raises :class:`OptionError` naming each bad option.
    """
    given = dict(given or {})
    saved = dict(saved or {})
    today = today or utcnow().date()
    known = {opt.name: opt for opt in fmt.options}
    errors: dict[str, str | TypedValueError] = {}
    values: dict[str, Any] = {}
    for name in given:
        if name not in known:
            errors[name] = "unknown option" + (
                f" (this format takes: {', '.join(known)})"
                if known
                else " (this format takes none)"
            )
    for name, opt in known.items():
        value: Any = given.get(name)
        if value is None or value == "":
            value = saved.get(name) if opt.setting else None
        if value is None or value == "":
            value = opt.default_value(today)
        if isinstance(value, str) and len(value) > MAX_OPTION_LENGTH:
            errors[name] = f"at most {MAX_OPTION_LENGTH} characters"
            continue
        try:
            value = parse_typed(opt.kind, value, [c[0] for c in opt.choices or ()])
        except TypedValueError as exc:
            errors[name] = exc
            continue
        if value is None and opt.required:
            errors[name] = "required"
            continue
        values[name] = value
    if errors:
        raise OptionError(errors)
    return values


def check_settings(fmt: ReportFormat, given: Mapping[str, str]) -> dict[str, str]:
    """``given`` values of ``fmt``'s settings (options with ``setting=True``) checked by
    type, as text to save ("" clears one). Raises :class:`OptionError`."""
    settings = {opt.name: opt for opt in fmt.options if opt.setting}
    errors: dict[str, str | TypedValueError] = {}
    values: dict[str, str] = {}
    for name, raw in given.items():
        opt = settings.get(name)
        if opt is None:
            errors[name] = "not a setting of this format"
            continue
        if isinstance(raw, str) and len(raw) > MAX_OPTION_LENGTH:
            errors[name] = f"at most {MAX_OPTION_LENGTH} characters"
            continue
        try:
            values[name] = to_text(parse_typed(opt.kind, raw, [c[0] for c in opt.choices or ()]))
        except TypedValueError as exc:
            errors[name] = exc
    if errors:
        raise OptionError(errors)
    return values
