"""Asking the loaded plugins, once, for what they contribute: formats (checked,
first name wins) and export columns."""

from __future__ import annotations

import dataclasses
import logging

from tmdesk.plugins.contract import ALL_ROLES, ExportColumn, ReportFormat
from tmdesk.plugins.manager.pm import TmdeskPluginManager
from tmdesk.plugins.manager.records import FORMAT_NAME

log = logging.getLogger("tmdesk.plugins.manager")


def _check_format(fmt: object) -> str | None:
    """Why ``fmt`` is not a usable format (None when it is)."""
    if not isinstance(fmt, ReportFormat):
        return f"{fmt!r} is not a ReportFormat"
    if not FORMAT_NAME.match(fmt.name or ""):
        return f"format name {fmt.name!r} must be lowercase letters, digits and '-'"
    if not callable(fmt.render):
        return f"format {fmt.name!r} has no render function"
    unknown = set(fmt.roles) - ALL_ROLES
    if unknown:
        return f"format {fmt.name!r} names unknown roles {sorted(unknown)}"
    return None


def collect(pm: TmdeskPluginManager) -> None:
    """Ask every plugin for its formats and export columns (once, at load)."""
    for info, result in pm.call_each("tmdesk_report_formats"):
        plugin_name = info.name
        for fmt in result or ():
            problem = _check_format(fmt)
            if problem:
                info.warnings.append(f"{problem}; ignored")
                log.warning("tmdesk plugin %s: %s", plugin_name, problem)
                continue
            taken = pm.formats.get(fmt.name)
            if taken is not None:
                message = (
                    f"format {fmt.name!r} is already provided by plugin "
                    f"{taken.plugin!r}; this one is ignored"
                )
                info.warnings.append(message)
                log.warning("tmdesk plugin %s: %s", plugin_name, message)
                continue
            pm.formats[fmt.name] = dataclasses.replace(fmt, plugin=plugin_name)
            info.formats.append(fmt.name)
    names: set[str] = set()
    for info, result in pm.call_each("tmdesk_export_columns"):
        for column in result or ():
            if not isinstance(column, ExportColumn) or not callable(column.value):
                info.warnings.append(f"{column!r} is not an ExportColumn; ignored")
                continue
            if column.name in names:
                info.warnings.append(
                    f"export column {column.name!r} is already provided; this one is ignored"
                )
                continue
            names.add(column.name)
            pm.add_column(info.name, column)
