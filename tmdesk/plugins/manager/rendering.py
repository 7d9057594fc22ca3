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
from tmdesk.plugins.contract import ReportRefused
from tmdesk.plugins.manager.options import validate_options
from tmdesk.plugins.manager.pm import TmdeskPluginManager, get_format
from tmdesk.plugins.manager.records import RenderFailed, ReportError

log = logging.getLogger("tmdesk.plugins.manager")


def project_checker(pm: TmdeskPluginManager) -> Callable:
    """A function ``(project, context) -> list[str]`` asking every plugin's
    ``tmdesk_validate_project``; a plugin that raises is recorded and skipped."""

    def check(project, context) -> list[str]:
        problems: list[str] = []
        for _plugin, result in pm.call_each(
            "tmdesk_validate_project", project=project, context=context
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


def attach(pm: TmdeskPluginManager, context):
    """``context`` with this manager's export columns and project checks attached."""
    return dataclasses.replace(
        context, export_columns=pm.export_columns, project_checker=project_checker(pm)
    )


def render_report(
    pm: TmdeskPluginManager,
    format_name: str,
    context,
    options: dict[str, str] | None,
    out_path: str | os.PathLike,
) -> Path:
    """Render ``format_name`` for ``context`` into ``out_path``, all or nothing.

    The options are validated first; the format writes to a temporary file in
    the same folder, which is flushed, fsynced and renamed over ``out_path``
    only when the render returns normally. On any failure the temporary file
    is deleted, ``out_path`` is left as it was, and :class:`ReportError` is
    raised with a message for the user (the traceback goes to the log).
    """
    fmt = get_format(pm, format_name)
    requester = context.requested_by
    if requester is not None and requester.role not in fmt.roles:
        raise ReportError(N_("Your role may not use the “%(name)s” format."), name=fmt.name)
    if fmt.needs_donor and not context.filters.donor:
        raise ReportError(
            N_("The “%(name)s” format is about one donor: choose the donor."), name=fmt.name
        )
    values = validate_options(fmt, options)
    out = Path(out_path)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(N_("The folder %(folder)s does not exist."), folder=str(folder))
    context = attach(pm, context)
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
        if isinstance(exc, ReportRefused):  # what was asked cannot be made: a 400
            log.info("report %s refused: %s", fmt.name, exc)
            raise ReportError(exc.message, **exc.params) from exc
        log.exception("report %s (plugin %s) failed", fmt.name, fmt.plugin)
        if isinstance(exc, ReportError):
            raise
        raise RenderFailed(
            N_("The “%(name)s” report could not be made (%(error)s). No file was written."),
            name=fmt.name,
            error=f"{type(exc).__name__}: {exc}"[:300],
        ) from exc
    return out
