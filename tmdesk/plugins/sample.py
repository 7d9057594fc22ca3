"""A small, made-up report context the plugin manager tries plugins' hooks on at load.

Project checks and export columns otherwise run only inside a report, so a
hook that always fails would be found by the first person making one. Asking
them once on these two projects (a funded one with pledges from two donors,
donor fields filled in, and a bare draft with nothing optional set) reports
such a plugin as failed in ``tmdesk plugins`` and on the Plugins page at once.
No database is touched.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.report_views import (
    FundingView,
    OrgView,
    PledgeView,
    ProjectView,
    ReportContext,
    UpdateView,
)
from tmdesk.core.reporting import compute_totals

_AT = dt.datetime(2026, 1, 15, 9, 30)


def sample_context() -> ReportContext:
    """Two sample projects with their organisations; see the module docstring."""
    recipient = OrgView(
        "SAMPLE-MIN",
        "recipient",
        "UA",
        None,
        "Sample Ministry",
        "Зразкове міністерство",
        "ministry",
    )
    donor_a = OrgView("EE", "donor", "EE", "XM-DAC-82", "Estonia", "Естонія")
    donor_b = OrgView("GB", "donor", "GB", "GB-GOV-1", "United Kingdom", "Велика Британія")
    funded = FundingView(
        "partly",
        Decimal("100000"),
        Decimal("60000"),
        Decimal("50000"),
        Decimal("10000"),
        Decimal("40000"),
    )
    pledges = (
        PledgeView(
            "019c1a2e-4f00-7a10-8b3c-5d9e0f1a2b01",
            "TM-2026-9001",
            donor_a,
            Decimal("50000"),
            "EUR",
            Decimal("50000"),
            "",
            None,
            "confirmed",
            dt.date(2026, 2, 1),
            _AT,
            _AT,
            {"project_number": "EE-2026-001", "flow_type": "10"},
        ),
        PledgeView(
            "019c1a2e-4f00-7a10-8b3c-5d9e0f1a2b02",
            "TM-2026-9001",
            donor_b,
            None,
            None,
            None,
            "40 laptops",
            40,
            "offered",
            dt.date(2026, 3, 1),
            _AT,
            _AT,
        ),
    )
    first = ProjectView(
        "TM-2026-9001",
        "Sample SOC training",
        "Зразкове навчання SOC",
        "A summary.",
        "Опис.",
        "training",
        recipient,
        "UA-63",
        Decimal("100000"),
        "EUR",
        "high",
        "GREEN",
        "published",
        dt.date(2026, 3, 1),
        dt.date(2026, 12, 31),
        "40 analysts",
        _AT,
        _AT,
        _AT,
        _AT,
        funded,
        pledges,
        latest_update=UpdateView(dt.date(2026, 4, 1), "Started", "", 10, "Sample"),
    )
    bare = ProjectView(
        "TM-2026-9002",
        "",
        "Порожній проєкт",
        "",
        "",
        "equipment",
        recipient,
        "UA",
        Decimal("0"),
        "UAH",
        "medium",
        "CLEAR",
        "submitted",
        None,
        None,
        "",
        _AT,
        _AT,
        None,
        None,
        FundingView(
            "unfunded", Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0"), Decimal("0")
        ),
    )
    projects = (first, bare)
    return ReportContext(
        projects=projects,
        offers=(),
        organisations=(donor_a, donor_b, recipient),
        totals=compute_totals(list(projects)),
        tlp="GREEN",
        locale="en",
        requested_by=None,
        generated_at=_AT,
        filters=CatalogueFilters(),
        exchange_rates={"EUR": Decimal("1"), "UAH": Decimal("0.022")},
    )
