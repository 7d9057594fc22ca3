"""The hooks a tmdesk plugin can implement.

Every hook is documented here and in docs/plugins.md (a test checks the two
agree). Implement them with ``from tmdesk import hookimpl``::

    from tmdesk import hookimpl
    from tmdesk.plugins.contract import ReportFormat

    @hookimpl
    def tmdesk_report_formats() -> Sequence[ReportFormat]:  # type: ignore[empty-body]
        return [ReportFormat(name="my-format", ...)]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from tmdesk.plugins.contract import (
        DonorField,
        ExportColumn,
        ProjectView,
        ReportContext,
        ReportFormat,
    )

hookspec = pluggy.HookspecMarker("tmdesk")


@hookspec
def tmdesk_report_formats() -> Sequence[ReportFormat]:  # type: ignore[empty-body]
    """Return a list of :class:`~tmdesk.plugins.contract.ReportFormat` objects.

    Each format becomes available on the Reports page, to ``tmdesk report``,
    and to the roles it names. Names must be unique across plugins; a later
    plugin with a name already taken is reported as failed for that format.
    """


@hookspec
def tmdesk_export_columns() -> Sequence[ExportColumn]:  # type: ignore[empty-body]
    """Return a list of :class:`~tmdesk.plugins.contract.ExportColumn` objects.

    The columns are appended to the tabular exports (``csv`` and ``xlsx``), in
    plugin load order, so a partner can add the field its donor asks for
    without writing a whole format.
    """


@hookspec
def tmdesk_validate_project(project: ProjectView, context: ReportContext) -> Sequence[str] | None:
    """Check a project against a donor's own rules; return a list of problems.

    ``project`` is a :class:`~tmdesk.core.report_views.ProjectView`, ``context``
    the :class:`~tmdesk.core.report_views.ReportContext` it came from. Return
    human-readable strings (empty list or None when all is well). A format
    collects every plugin's findings with ``context.validate(project)``
    (:meth:`~tmdesk.core.report_views.ReportContext.validate`), e.g. to flag
    projects in an export. The findings apply to the plugin's own formats; a
    plugin says otherwise with a module attribute ``VALIDATES_FORMATS``: a tuple
    of format names, or ``"all"``. tmdesk asks the hook once on sample data
    when the plugin loads, so one that raises is reported as failed (and
    skipped) before any report runs.
    """


@hookspec
def tmdesk_donor_fields() -> Sequence[DonorField]:  # type: ignore[empty-body]
    """Return a list of :class:`~tmdesk.plugins.contract.DonorField` objects.

    The fields a donor's format needs on each of that donor's pledges (a
    project number, a CRS id, a flow type…): name, label in English and
    Ukrainian, type, choices, and optionally the donors they apply to. The
    donor (and the offices) fill them in on the pledge's page or through the
    API; formats read them from ``PledgeView.fields``. A name already declared
    by an earlier plugin is ignored and reported on the later plugin's record.
    """
