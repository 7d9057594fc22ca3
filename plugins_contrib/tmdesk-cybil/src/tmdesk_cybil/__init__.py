"""GFCE Cybil-portal project submission (JSON), a tmdesk report plugin.

Written only against tmdesk's documented plugin contract: ``tmdesk.hookimpl``
and ``tmdesk.plugins.contract``.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO

from tmdesk import hookimpl
from tmdesk.plugins.contract import ProjectView, ReportContext, ReportFormat, ReportOption

__version__ = "1.0.0"

#: tmdesk categories → Cybil Portal themes.
THEMES: dict[str, list[str]] = {
    "assessment": ["Cyber Security Policy & Strategy", "Standards"],
    "training": ["Cybersecurity Culture & Skills"],
    "detection": ["Cyber Incident Management & Critical Infrastructure Protection"],
    "incident-response": ["Cyber Incident Management & Critical Infrastructure Protection"],
    "equipment": ["Cyber Incident Management & Critical Infrastructure Protection"],
    "connectivity": ["Cyber Incident Management & Critical Infrastructure Protection"],
    "information-sharing": ["Cyber Incident Management & Critical Infrastructure Protection"],
    "governance": ["Cyber Security Policy & Strategy"],
}

#: tmdesk project statuses → Cybil project status.
STATUSES = {
    "published": "planned",
    "in_implementation": "ongoing",
    "delivered": "completed",
    "closed": "completed",
}

SHAREABLE = {"no": ("CLEAR",), "yes": ("CLEAR", "GREEN")}


def project_entry(project: ProjectView, context: ReportContext) -> dict[str, Any]:
    funders = []
    for pledge in project.pledges:
        name = pledge.donor.name("en")
        if pledge.status != "withdrawn" and name not in funders:
            funders.append(name)
    return {
        "reference": project.ref,
        "title": project.title("en"),
        "title_uk": project.title_uk,
        "description": project.summary("en"),
        "themes": THEMES.get(project.category, []),
        "beneficiary_countries": ["UA"],
        "beneficiary_organisations": [project.recipient.name("en")],
        "funders": funders,
        "implementers": [e.company.name("en") for e in project.engagements],
        "status": STATUSES.get(project.status, "planned"),
        "start_date": project.planned_start.isoformat() if project.planned_start else None,
        "end_date": project.planned_end.isoformat() if project.planned_end else None,
        "budget": {"amount": str(project.budget_amount), "currency": project.budget_currency},
        "tlp": project.tlp,
    }


def render(context: ReportContext, out: BinaryIO, options: dict[str, Any]) -> None:
    allowed = SHAREABLE[options.get("include_green") or "no"]
    projects = [p for p in context.projects if p.tlp in allowed and p.status in STATUSES]
    requester = context.requested_by
    document = {
        "schema": "tmdesk-cybil/1",
        "generated_at": context.generated_at.isoformat() + "Z",
        "submitted_by": {
            "organisation": requester.organisation.name("en") if requester else "",
            "email": requester.email if requester else "",
        },
        "tlp": "GREEN" if any(p.tlp == "GREEN" for p in projects) else "CLEAR",
        "projects": [project_entry(p, context) for p in projects],
    }
    out.write(json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8"))


@hookimpl
def tmdesk_report_formats() -> list[ReportFormat]:
    return [
        ReportFormat(
            name="cybil",
            label="GFCE Cybil portal submission (JSON)",
            extension="json",
            media_type="application/json",
            render=render,
            description="Published projects for the public Cybil portal of the GFCE; "
            "TLP:CLEAR only unless you include TLP:GREEN.",
            roles=frozenset({"project_office", "back_office", "donor"}),
            options=(
                ReportOption(
                    name="include_green",
                    label="Include TLP:GREEN projects",
                    choices=(
                        ("no", "No: public portal, TLP:CLEAR only"),
                        ("yes", "Yes: the GFCE community only"),
                    ),
                    default="no",
                ),
            ),
        )
    ]
