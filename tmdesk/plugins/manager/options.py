"""Checking a report's options against its format's declared options."""

from __future__ import annotations

from typing import Any

from tmdesk.plugins.contract import ReportFormat
from tmdesk.plugins.manager.records import MAX_OPTION_LENGTH, OptionError


def validate_options(fmt: ReportFormat, given: dict[str, str] | None) -> dict[str, Any]:
    """``given`` checked against ``fmt.options``, with defaults filled in.

    Raises :class:`OptionError` naming each bad option.
    """
    given = dict(given or {})
    known = {opt.name: opt for opt in fmt.options}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in given:
        if name not in known:
            errors[name] = "unknown option" + (
                f" (this format takes: {', '.join(known)})"
                if known
                else " (this format takes none)"
            )
    for name, opt in known.items():
        value = given.get(name)
        if value is None or value == "":
            value = opt.default
        if value is not None:
            value = str(value)
            if opt.choices is not None and value not in {c[0] for c in opt.choices}:
                errors[name] = f"choose one of {', '.join(c[0] for c in opt.choices)}"
                continue
            if len(value) > MAX_OPTION_LENGTH:
                errors[name] = f"at most {MAX_OPTION_LENGTH} characters"
                continue
        values[name] = value
    if errors:
        raise OptionError(errors)
    return values
