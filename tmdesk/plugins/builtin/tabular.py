"""The ``csv`` and ``xlsx`` exports: the Catalogue with pledges as tables.

One row per project (plus the columns other plugins add through
``tmdesk_export_columns`` and the findings of ``tmdesk_validate_project``);
the xlsx workbook also has a Pledges sheet and an About sheet. The TLP label
of the export (the highest label inside) comes first: the first row of the
csv, the first row and the page header and footer of every sheet.

Spreadsheet programs run cells that start with ``=``, ``+``, ``-`` or ``@``
(and some read tab and carriage return the same way) as formulas, so every
text cell goes through :func:`tmdesk.plugins.contract.neutralise` first (the
one helper both formats use). Column headers are stable
English identifiers, so that a donor's import scripts do not depend on the
interface language.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any, BinaryIO

from tmdesk import __version__, hookimpl
from tmdesk.plugins.contract import (
    FIGURE_DEFINITIONS,
    N_,
    ExportColumn,
    PledgeView,
    ProjectView,
    ReportContext,
    ReportFormat,
    ReportOption,
    neutralise,
    tlp_setters,
    xml_safe,
)

#: FIRST TLP 2.0 colours (text on black).
TLP_COLOURS = {
    "CLEAR": "FFFFFF",
    "GREEN": "33FF00",
    "AMBER": "FFC000",
    "AMBER+STRICT": "FFC000",
    "RED": "FF2B2B",
}

DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}


CENT = Decimal("0.01")


def _text(value: Any) -> Any:
    """A cell value: text neutralised, money to the cent, naive datetimes, None kept."""
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if isinstance(value, str):
        value = xml_safe(value)  # an xlsx file is XML: one control character fails it all
    return neutralise(value)


def _donors(project: ProjectView) -> str:
    codes: list[str] = []
    for pledge in project.pledges:
        if pledge.status != "withdrawn" and pledge.donor.code not in codes:
            codes.append(pledge.donor.code)
    return "; ".join(codes)


Getter = Callable[[ProjectView, ReportContext], Any]

#: The project columns: (identifier, getter). Identifiers are the headers.
PROJECT_COLUMNS: tuple[tuple[str, Getter], ...] = (
    ("ref", lambda p, c: p.ref),
    ("title_en", lambda p, c: p.title_en),
    ("title_uk", lambda p, c: p.title_uk),
    ("recipient", lambda p, c: p.recipient.code),
    ("recipient_name", lambda p, c: p.recipient.name(c.locale)),
    ("category", lambda p, c: p.category),
    ("oblast", lambda p, c: p.oblast),
    ("status", lambda p, c: p.status),
    ("priority", lambda p, c: p.priority),
    ("tlp", lambda p, c: p.tlp),
    ("budget", lambda p, c: p.budget_amount),
    ("currency", lambda p, c: p.budget_currency),
    ("budget_eur", lambda p, c: p.funding.budget_eur),
    ("pledged_eur", lambda p, c: p.funding.pledged_eur),
    ("confirmed_eur", lambda p, c: p.funding.confirmed_eur),
    ("disbursed_eur", lambda p, c: p.funding.disbursed_eur),
    ("gap_eur", lambda p, c: p.funding.gap_eur),
    ("funding_state", lambda p, c: p.funding.state),
    ("planned_start", lambda p, c: p.planned_start),
    ("planned_end", lambda p, c: p.planned_end),
    ("submitted_at", lambda p, c: p.submitted_at),
    ("published_at", lambda p, c: p.published_at),
    ("updated_at", lambda p, c: p.updated_at),
    ("donors", lambda p, c: _donors(p)),
)

PLEDGE_COLUMNS: tuple[tuple[str, Callable[[PledgeView], Any]], ...] = (
    ("project_ref", lambda pl: pl.project_ref),
    ("donor", lambda pl: pl.donor.code),
    ("donor_name", lambda pl: pl.donor.name_en),
    ("status", lambda pl: pl.status),
    ("amount", lambda pl: pl.amount),
    ("currency", lambda pl: pl.currency),
    ("amount_eur", lambda pl: pl.amount_eur),
    ("in_kind", lambda pl: pl.in_kind),
    ("in_kind_quantity", lambda pl: pl.in_kind_quantity),
    ("date", lambda pl: pl.date),
)


class ColumnError(RuntimeError):
    """An extra column from another plugin failed; the message names it."""


def project_header(context: ReportContext) -> list[str]:
    """The header row: the built-in columns, the plugins' columns, ``problems``."""
    extra: Iterable[ExportColumn] = context.export_columns
    return [name for name, _ in PROJECT_COLUMNS] + [c.header for c in extra] + ["problems"]


def project_rows(context: ReportContext) -> Iterable[list[Any]]:
    """One row per project, values not yet neutralised (shared by csv and xlsx)."""
    extra: tuple[ExportColumn, ...] = tuple(context.export_columns)
    for project in context.projects:
        row = [get(project, context) for _name, get in PROJECT_COLUMNS]
        for column in extra:
            try:
                row.append(column.value(project, context))
            except Exception as exc:  # noqa: BLE001 - name the culprit for the user
                raise ColumnError(
                    f"the export column {column.name!r} failed on "
                    f"{project.ref}: {type(exc).__name__}: {exc}"
                ) from exc
        row.append("; ".join(context.validate(project)))
        yield row


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def render_csv(context: ReportContext, out: BinaryIO, options: dict[str, Any]) -> None:
    """UTF-8 with a BOM (so Excel reads the Cyrillic), the TLP label in the first row."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text, delimiter=DELIMITERS[options.get("delimiter") or "comma"])
        writer.writerow([f"TLP:{context.tlp}"])
        writer.writerow(project_header(context))
        for row in project_rows(context):
            writer.writerow([_csv_value(_text(v)) for v in row])
        text.flush()
    finally:
        text.detach()  # the caller owns ``out``


def render_xlsx(context: ReportContext, out: BinaryIO, options: dict[str, Any]) -> None:
    """A workbook with Projects, Pledges and About sheets (openpyxl write-only mode)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    label = f"TLP:{context.tlp}"
    wb = Workbook(write_only=True)
    wb.properties.title = "tmdesk export"
    wb.properties.creator = f"tmdesk {__version__}"
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], widths: dict[int, int] | None = None):
        ws = wb.create_sheet(title)
        for part in (ws.oddHeader.right, ws.oddFooter.right):
            part.text = label
            part.size = 12
            part.color = (
                TLP_COLOURS.get(context.tlp, "000000") if context.tlp != "CLEAR" else "000000"
            )
        ws.oddFooter.center.text = "&P / &N"
        ws.freeze_panes = "B3"
        for index, width in (widths or {}).items():
            ws.column_dimensions[_column_letter(index)].width = width
        tlp_cell = WriteOnlyCell(ws, value=label)
        tlp_cell.font = Font(bold=True, size=12, color=TLP_COLOURS.get(context.tlp, "FFFFFF"))
        tlp_cell.fill = PatternFill("solid", fgColor="000000")
        ws.append([tlp_cell])
        cells = []
        for name in header:
            cell = WriteOnlyCell(ws, value=neutralise(name))
            cell.font = bold
            cells.append(cell)
        ws.append(cells)
        return ws

    header = project_header(context)
    projects = sheet("Projects", header, {1: 16, 2: 48, 3: 48, 5: 36})
    for row in project_rows(context):
        projects.append([_text(v) for v in row])

    pledges = sheet("Pledges", [name for name, _ in PLEDGE_COLUMNS], {1: 16, 3: 30, 8: 40})
    for pledge in context.pledges():
        pledges.append([_text(get(pledge)) for _name, get in PLEDGE_COLUMNS])

    about = wb.create_sheet("About")
    requester = context.requested_by
    totals = context.totals
    # The one set of figures, each with its definition in the third column.
    for key, amount, definition in (
        ("open_projects", totals.open_projects, "projects"),
        ("budget_eur", totals.budget_eur, "budget"),
        ("pledged_eur", totals.pledged_eur, "pledged"),
        ("confirmed_eur", totals.confirmed_eur, "confirmed"),
        ("disbursed_eur", totals.disbursed_eur, "disbursed"),
        ("gap_eur", totals.gap_eur, "gap"),
    ):
        about.append([key, _text(amount), FIGURE_DEFINITIONS[definition]])
    about.append(["tlp_set_by", ", ".join(tlp_setters(context.projects))])
    for key, value in (
        ("tlp", label),
        ("generated_at", context.generated_at),
        ("generated_by", requester.email if requester else ""),
        ("organisation", requester.organisation.code if requester else ""),
        ("projects", totals.projects),
        ("filters", _describe_filters(context)),
        ("tmdesk", __version__),
    ):
        about.append([key, _text(value)])
    wb.save(out)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


def _describe_filters(context: ReportContext) -> str:
    f = context.filters
    parts = []
    for name in ("category", "status", "funding", "recipient", "oblast", "priority"):
        values = getattr(f, name)
        if values:
            parts.append(f"{name}={','.join(values)}")
    for name in ("tlp_max", "donor", "since", "until"):
        value = getattr(f, name)
        if value:
            parts.append(f"{name}={value}")
    return " ".join(parts) or "none"


@hookimpl
def tmdesk_report_formats() -> list[ReportFormat]:
    return [
        ReportFormat(
            name="csv",
            label=N_("Catalogue table (CSV)"),
            extension="csv",
            media_type="text/csv; charset=utf-8",
            render=render_csv,
            description=N_("One row per project with funding and donors; UTF-8 with BOM."),
            options=(
                ReportOption(
                    name="delimiter",
                    label=N_("Column separator"),
                    choices=(
                        ("comma", "comma (,)"),
                        ("semicolon", "semicolon (;)"),
                        ("tab", "tab"),
                    ),
                    default="comma",
                    help=N_("Excel in many European locales expects a semicolon."),
                ),
            ),
        ),
        ReportFormat(
            name="xlsx",
            label=N_("Catalogue workbook (Excel)"),
            extension="xlsx",
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            render=render_xlsx,
            description=N_("Projects and Pledges sheets, the TLP label on every sheet."),
        ),
    ]
