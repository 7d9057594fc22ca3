"""Estonia's donor return, a DAC CRS export column and Estonia's project checks.

A tmdesk plugin written only against the documented contract: ``tmdesk.hookimpl``
and ``tmdesk.plugins.contract``.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any, BinaryIO

from tmdesk import hookimpl
from tmdesk.plugins.contract import (
    ExportColumn,
    ProjectView,
    ReportContext,
    ReportFormat,
    ReportOption,
    neutralise,
)

__version__ = "1.0.0"

#: tmdesk categories → OECD DAC CRS purpose codes.
CRS_CODES: dict[str, int] = {
    "assessment": 15210,  # security system management and reform
    "training": 11430,  # advanced technical and managerial training
    "detection": 15210,
    "incident-response": 15210,
    "equipment": 22040,  # information and communication technology
    "connectivity": 22040,
    "information-sharing": 15210,
    "governance": 15110,  # public sector policy and administrative management
}

#: Estonia's checks appear in its own return and in tmdesk's csv and xlsx exports'
#: problems column (without this, a plugin's checks apply to its own formats only).
VALIDATES_FORMATS = ("ee-return", "csv", "xlsx")

HEADER = [
    "Viide",
    "Projekti nimi",
    "Partner",
    "Sektor (DAC CRS)",
    "Eelarve (EUR)",
    "Lubatud (EUR)",
    "Kinnitatud (EUR)",
    "Välja makstud (EUR)",
    "Mitterahaline abi",
    "Staatus",
    "Algus",
    "Lõpp",
    "TLP",
    "Märkused",
]

STATUS_ET = {
    "published": "avaldatud",
    "in_implementation": "elluviimisel",
    "delivered": "tarnitud",
    "closed": "suletud",
    "withdrawn": "tagasi võetud",
}


def crs_code(project: ProjectView, context: ReportContext) -> int | None:
    return CRS_CODES.get(project.category)


def _money(value: Decimal, decimal_comma: bool) -> str:
    text = format(value.quantize(Decimal("0.01")), "f")
    return text.replace(".", ",") if decimal_comma else text


def render(context: ReportContext, out: BinaryIO, options: dict[str, Any]) -> None:
    donor = context.filters.donor  # the format needs a donor: tmdesk checks it is set
    comma = (options.get("decimal") or "comma") == "comma"
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, delimiter=";")
    writer.writerow([f"TLP:{context.tlp}", f"Doonor: {donor}"])
    writer.writerow(HEADER)
    for project in context.projects:
        own = [p for p in project.pledges if p.donor.code == donor and p.status != "withdrawn"]
        if not own:
            continue
        pledged = sum((p.amount_eur or Decimal(0) for p in own), Decimal(0))
        confirmed = sum(
            (
                p.amount_eur or Decimal(0)
                for p in own
                if p.status in ("confirmed", "disbursed", "delivered")
            ),
            Decimal(0),
        )
        disbursed = sum(
            (p.amount_eur or Decimal(0) for p in own if p.status in ("disbursed", "delivered")),
            Decimal(0),
        )
        in_kind = "; ".join(p.in_kind for p in own if p.in_kind)
        row = [
            project.ref,
            project.title("en"),
            project.recipient.name("en"),
            crs_code(project, context) or "",
            _money(project.funding.budget_eur, comma),
            _money(pledged, comma),
            _money(confirmed, comma),
            _money(disbursed, comma),
            in_kind,
            STATUS_ET.get(project.status, project.status),
            project.planned_start.isoformat() if project.planned_start else "",
            project.planned_end.isoformat() if project.planned_end else "",
            project.tlp,
            "; ".join(context.validate(project)),
        ]
        writer.writerow([neutralise(v) for v in row])
    text.flush()
    text.detach()


@hookimpl
def tmdesk_report_formats() -> list[ReportFormat]:
    return [
        ReportFormat(
            name="ee-return",
            label="Estonia: donor return (CSV)",
            extension="csv",
            media_type="text/csv; charset=utf-8",
            render=render,
            description="The projects one donor supports in the Estonian return's layout.",
            roles=frozenset({"donor", "back_office", "project_office"}),
            needs_donor=True,
            options=(
                ReportOption(
                    name="decimal",
                    label="Decimal separator",
                    choices=(("comma", "comma (12 500,00)"), ("point", "point (12500.00)")),
                    default="comma",
                ),
            ),
        )
    ]


@hookimpl
def tmdesk_export_columns() -> list[ExportColumn]:
    return [ExportColumn(name="ee_dac_crs", header="dac_crs_code", value=crs_code)]


@hookimpl
def tmdesk_validate_project(project: ProjectView, context: ReportContext) -> list[str]:
    """Estonia's rules, for the projects Estonia supports."""
    if not any(p.donor.code == "EE" and p.status != "withdrawn" for p in project.pledges):
        return []
    problems = []
    if not (project.planned_start and project.planned_end):
        problems.append("EE: planned start and end dates are required")
    if not project.summary_en.strip():
        problems.append("EE: an English summary is required")
    if any(p.donor.code == "EE" and p.in_kind and not p.in_kind_quantity for p in project.pledges):
        problems.append("EE: in-kind support needs a quantity")
    return problems
