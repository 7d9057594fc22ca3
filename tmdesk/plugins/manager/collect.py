"""Asking the loaded plugins, once, for what they contribute: formats (checked,
first name wins) and export columns."""

from __future__ import annotations

import dataclasses
import logging

from tmdesk.core.donor_fields import check_definition
from tmdesk.core.i18n import check_text
from tmdesk.core.typed import TypedValueError, parse_typed
from tmdesk.plugins.contract import ALL_ROLES, OPTION_TYPES, ExportColumn, ReportFormat
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
    for what, text in (("label", fmt.label), ("description", fmt.description)):
        problem = check_text(text, f"format {fmt.name!r} {what}")
        if problem:
            return problem
    for opt in fmt.options:
        problem = _check_option(fmt, opt)
        if problem:
            return problem
    return None


def _check_option(fmt: ReportFormat, opt) -> str | None:
    """Why option ``opt`` of ``fmt`` is not usable (None when it is)."""
    where = f"format {fmt.name!r} option {getattr(opt, 'name', opt)!r}"
    if opt.kind not in OPTION_TYPES:
        return f"{where} has unknown type {opt.kind!r} (one of {', '.join(OPTION_TYPES)})"
    if opt.kind == "choice" and not opt.choices:
        return f"{where} is a choice without choices"
    texts = [("label", opt.label), ("help", opt.help)]
    texts += [("choice label", label) for _value, label in opt.choices or ()]
    for what, text in texts:
        problem = check_text(text, f"{where} {what}")
        if problem:
            return problem
    if not callable(opt.default) and opt.default is not None and opt.default != "":
        try:
            parse_typed(opt.kind, opt.default, [c[0] for c in opt.choices or ()])
        except TypedValueError as exc:
            return f"{where} default {opt.default!r}: {exc}"
    return None


def collect(pm: TmdeskPluginManager) -> None:
    """Ask every plugin for its formats, export columns and donor fields (once, at load),
    then try the hooks that otherwise run only in a report on sample data (:func:`_probe`)."""
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
    for info, result in pm.call_each("tmdesk_donor_fields"):
        for definition in result or ():
            problem = check_definition(definition)
            if problem:
                info.warnings.append(f"{problem}; ignored")
                continue
            declared = pm.donor_fields.get(definition.name)
            if declared is not None:
                info.warnings.append(
                    f"donor field {definition.name!r} is already declared by plugin "
                    f"{declared.plugin!r}; this one is ignored"
                )
                continue
            pm.donor_fields[definition.name] = dataclasses.replace(definition, plugin=info.name)
            info.donor_fields.append(definition.name)
    _probe(pm)


def _probe(pm: TmdeskPluginManager) -> None:
    """Ask the hooks that otherwise run only inside a report (project checks, export
    columns' values) once on sample data, so a plugin whose hook fails is reported by
    ``tmdesk plugins`` and the Plugins page at load, not first in someone's report."""
    from tmdesk.plugins.manager.rendering import attach
    from tmdesk.plugins.sample import sample_context

    context = attach(pm, sample_context())
    for project in context.projects:
        pm.call_each("tmdesk_validate_project", project=project, context=context)
    for plugin_name, column in list(pm._columns):
        info = pm._registered.get(plugin_name)
        if info is None:
            continue
        try:
            for project in context.projects:
                column.value(project, context)
        except Exception as exc:  # noqa: BLE001 - isolating partner code is the point
            pm.fail(info, exc, f"export column {column.name!r} on sample data")
