"""Making a report: the plugins' project checks attached to the context, and the
all-or-nothing render (temporary file, fsync, rename)."""

from __future__ import annotations

import dataclasses
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from tmdesk.core.i18n import N_
from tmdesk.plugins.contract import ReportError
from tmdesk.plugins.manager.options import validate_options
from tmdesk.plugins.manager.pm import TmdeskPluginManager, get_format
from tmdesk.plugins.manager.records import PluginInfo, RenderFailed

log = logging.getLogger("tmdesk.plugins.manager")


def validation_scope(plugin: object) -> str | tuple[str, ...] | None:
    """What a plugin said its project checks apply to (``VALIDATES_FORMATS``): ``"all"``,
    a tuple of format names, or None (its own formats)."""
    scope = getattr(plugin, "VALIDATES_FORMATS", None)
    if scope == "all" or scope is None:
        return scope
    if isinstance(scope, str):
        return (scope,)
    try:
        return tuple(str(name) for name in scope)
    except TypeError:
        return None


def _checks_apply(pm: TmdeskPluginManager, info: PluginInfo, format_name: str | None) -> bool:
    """Whether plugin ``info``'s project checks apply to the format being made.

    Its own formats, unless it says otherwise (:func:`validation_scope`); a plugin
    with no formats of its own checks for every format (else its checks would
    never be seen). With no format named (a caller asking outside a report), all apply.
    """
    if format_name is None:
        return True
    scope = validation_scope(pm.get_plugin(info.name))
    if scope == "all":
        return True
    if scope is not None:
        return format_name in scope
    if not info.formats:
        return True
    return format_name in info.formats


def project_checker(pm: TmdeskPluginManager, format_name: str | None = None) -> Callable:
    """A function ``(project, context) -> list[str]`` asking the ``tmdesk_validate_project``
    of every plugin whose checks apply to ``format_name`` (:func:`_checks_apply`);
    a plugin that raises is recorded and skipped."""

    def check(project, context) -> list[str]:
        problems: list[str] = []
        for _info, result in pm.call_each(
            "tmdesk_validate_project",
            only=lambda info: _checks_apply(pm, info, format_name),
            project=project,
            context=context,
        ):
            if isinstance(result, str):
                problems.append(result)
            elif result:
                problems.extend(str(item) for item in result)
        return problems

    return check


def validate_project(pm: TmdeskPluginManager, project, context) -> list[str]:
    """Every plugin's findings about ``project`` (see ``tmdesk_validate_project``)."""
    return project_checker(pm)(project, context)


def attach(pm: TmdeskPluginManager, context, format_name: str | None = None):
    """``context`` with this manager's export columns, donor fields and project checks
    (those that apply to ``format_name``) attached."""
    return dataclasses.replace(
        context,
        export_columns=pm.export_columns,
        donor_fields=tuple(pm.donor_fields.values()),
        project_checker=project_checker(pm, format_name),
    )


def render_report(
    pm: TmdeskPluginManager,
    format_name: str,
    context,
    options: dict[str, str] | None,
    out_path: str | os.PathLike,
    saved: dict[str, str] | None = None,
) -> Path:
    """Render ``format_name`` for ``context`` into ``out_path``, all or nothing.

    The options are validated first; the format writes to a temporary file in
    the same folder, which is flushed, fsynced and renamed over ``out_path``
    only when the render returns normally. On any failure the temporary file
    is deleted, ``out_path`` is left as it was, and :class:`ReportError` is
    raised with a message for the user (the traceback goes to the log).
    ``saved`` are the requester's organisation's settings for the format.
    """
    fmt = get_format(pm, format_name)
    requester = context.requested_by
    if requester is not None and requester.role not in fmt.roles:
        raise ReportError(N_("Your role may not use the “%(name)s” format."), name=fmt.name)
    if fmt.needs_donor and not context.filters.donor:
        raise ReportError(
            N_("The “%(name)s” format is about one donor: choose the donor."), name=fmt.name
        )
    if (
        fmt.needs_donor
        and fmt.own_donor_only
        and requester is not None
        and requester.role == "donor"
        and context.filters.donor != requester.organisation.code
    ):
        raise ReportError(
            N_("The “%(name)s” format is made only about your own organisation (%(code)s)."),
            name=fmt.name,
            code=requester.organisation.code,
        )
    values = validate_options(fmt, options, saved)
    out = Path(out_path)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(N_("The folder %(folder)s does not exist."), folder=str(folder))
    context = attach(pm, context, fmt.name)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            fmt.render(context, stream, values)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, out)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, ReportError):  # what was asked cannot be made: a 400
            log.info("report %s refused: %s", fmt.name, exc)
            raise
        log.exception("report %s (plugin %s) failed", fmt.name, fmt.plugin)
        raise RenderFailed(
            N_("The “%(name)s” report could not be made (%(error)s). No file was written."),
            name=fmt.name,
            error=f"{type(exc).__name__}: {exc}"[:300],
        ) from exc
    return out
