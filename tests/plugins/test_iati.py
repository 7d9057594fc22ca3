"""The IATI export: XSD-valid, every code on the codelists, stable, visible-only."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path

import pytest
from lxml import etree

from tmdesk.core import offers, pledges
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.models import Organisation
from tmdesk.core.reporting import build_context
from tmdesk.plugins.builtin import iati

SHARED = Path(os.environ.get("TMDESK_SHARED_DIR", Path(__file__).resolve().parents[3] / "shared"))
SCHEMA = SHARED / "iati" / "schema" / "iati-activities-schema.xsd"
CODELISTS = SHARED / "iati" / "codelists"
needs_shared = pytest.mark.skipif(
    not SCHEMA.exists(), reason=f"IATI reference data not found at {SHARED} (set TMDESK_SHARED_DIR)"
)


def codelist(name: str) -> set[str]:
    tree = etree.parse(str(CODELISTS / f"{name}.xml"))
    return {item.findtext("code") for item in tree.iter("codelist-item")}


def render(context, **options) -> bytes:
    out = io.BytesIO()
    iati.render(context, out, options)
    return out.getvalue()


@pytest.fixture
def funded(desk):
    """Three GB-funded projects (one AMBER), with every pledge state and an engagement."""
    Organisation.update(iati_id="GB-GOV-1").where(Organisation.code == "GB").execute()
    gb, bo = desk.user("donor"), desk.user("back_office")
    a = desk.published(
        title_uk="Навчання аналітиків SOC для обласних адміністрацій",
        planned_start="2026-01-15",
        planned_end="2027-06-30",
        category="training",
        tlp="GREEN",
    )
    b = desk.published(
        title_en="Backup data centre for Ukrenergo",
        title_uk="",
        category="connectivity",
        tlp="CLEAR",
        budget_currency="USD",
    )
    c = desk.published(
        title_en="Incident response retainer", category="incident-response", tlp="AMBER"
    )
    for project, amount, steps in (
        (a, "30000", ["confirm", "disburse"]),
        (a, "10000", []),
        (b, "50000", ["confirm"]),
        (c, "20000", ["confirm"]),
    ):
        pledge = pledges.create_pledge(
            gb, project, {"amount": amount, "currency": "GBP", "date": "2026-02-01"}
        )
        for step in steps:
            pledges.transition_pledge(gb, pledge, step)
    kind = pledges.create_pledge(
        gb,
        b,
        {
            "amount": "12000",
            "currency": "EUR",
            "in_kind": "Starlink terminals",
            "in_kind_quantity": "40",
        },
    )
    pledges.transition_pledge(gb, kind, "confirm")
    pledges.transition_pledge(gb, kind, "deliver")
    offers.create_engagement(bo, a, "CYBERCO", {"role": "Trainer"})
    return a, b, c


@needs_shared
def test_export_is_valid_against_the_xsd_and_codelists(desk, funded):
    context = build_context(desk.user("donor"), CatalogueFilters(donor="GB"))
    assert_valid(render(context))


def assert_valid(data: bytes) -> etree._Element:
    """``data`` validates against the IATI 2.03 schema and every code used is on its
    codelist; the parsed document."""
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    doc = etree.fromstring(data)
    assert schema.validate(doc), schema.error_log
    checks = {
        "Sector": [e.get("code") for e in doc.iter("sector") if e.get("vocabulary") == "1"],
        "SectorVocabulary": [e.get("vocabulary") for e in doc.iter("sector")],
        "Country": [e.get("code") for e in doc.iter("recipient-country")],
        "Currency": [e.get("currency") for e in doc.iter("value")]
        + [e.get("default-currency") for e in doc.iter("iati-activity")],
        "TransactionType": [e.get("code") for e in doc.iter("transaction-type")],
        "ActivityStatus": [e.get("code") for e in doc.iter("activity-status")],
        "OrganisationRole": [e.get("role") for e in doc.iter("participating-org")],
        "OrganisationType": [
            e.get("type")
            for e in doc.iter("participating-org", "reporting-org", "provider-org", "receiver-org")
        ],
        "ActivityDateType": [e.get("type") for e in doc.iter("activity-date")],
        "BudgetType": [e.get("type") for e in doc.iter("budget")],
        "BudgetStatus": [e.get("status") for e in doc.iter("budget")],
        "AidType": [e.get("code") for e in doc.iter("aid-type", "default-aid-type")],
        "Language": [
            lang
            for e in doc.iter("narrative")
            if (lang := e.get("{http://www.w3.org/XML/1998/namespace}lang"))
        ],
    }
    for name, used in checks.items():
        assert used, f"nothing checked for {name}"
        unknown = set(used) - codelist(name)
        assert not unknown, f"codes not on the {name} codelist: {unknown}"
    return doc


def test_activities_transactions_and_languages(desk, funded):
    a, b, c = funded
    doc = etree.fromstring(render(build_context(desk.user("donor"), CatalogueFilters(donor="GB"))))
    activities = {e.findtext("iati-identifier"): e for e in doc.iter("iati-activity")}
    # AMBER is left out by default: IATI files are for publication.
    assert set(activities) == {f"GB-GOV-1-{a.ref}", f"GB-GOV-1-{b.ref}"}
    first = activities[f"GB-GOV-1-{a.ref}"]
    assert first.find("reporting-org").get("ref") == "GB-GOV-1"
    uk = first.find("title/narrative[@{http://www.w3.org/XML/1998/namespace}lang='uk']")
    assert uk.text.startswith("Навчання аналітиків")
    types = sorted(t.find("transaction-type").get("code") for t in first.iter("transaction"))
    assert types == ["12", "2", "3"]  # pledge offered; a commitment and its disbursement
    assert {p.get("role") for p in first.iter("participating-org")} == {"1", "2", "4"}
    implementer = [p for p in first.iter("participating-org") if p.get("role") == "4"][0]
    assert implementer.get("ref") == "XM-TMDESK-CYBERCO" and implementer.get("type") == "70"
    # 2026-01-15 .. 2027-06-30 is split into budgets of at most a year, summing to the estimate.
    budgets = first.findall("budget")
    assert len(budgets) == 2
    assert sum(float(b.findtext("value")) for b in budgets) == pytest.approx(100000)
    second = activities[f"GB-GOV-1-{b.ref}"]
    in_kind = [t for t in second.iter("transaction") if t.find("aid-type") is not None]
    assert in_kind and "Starlink" in in_kind[0].findtext("description/narrative")


def test_amber_only_when_asked_and_identifiers_stable(desk, funded):
    context = build_context(desk.user("donor"), CatalogueFilters(donor="GB"))
    with_amber = etree.fromstring(render(context, max_tlp="AMBER"))
    assert len(with_amber.findall("iati-activity")) == 3
    again = etree.fromstring(
        render(build_context(desk.user("donor"), CatalogueFilters(donor="GB")), max_tlp="AMBER")
    )
    assert [e.findtext("iati-identifier") for e in with_amber.iter("iati-activity")] == [
        e.findtext("iati-identifier") for e in again.iter("iati-activity")
    ]


def test_respects_visibility_of_the_requesting_user(desk, funded):
    _a, _b, c = funded
    # An observer may not see AMBER projects: even asking for AMBER, it is not there.
    context = build_context(desk.user("observer"), CatalogueFilters(donor="GB"))
    doc = etree.fromstring(render(context, max_tlp="AMBER"))
    refs = [e.findtext("iati-identifier") for e in doc.iter("iati-activity")]
    assert not any(r.endswith(c.ref) for r in refs) and len(refs) == 2


def test_clear_errors(desk, funded):
    with pytest.raises(iati.IatiExportError, match="one donor"):
        render(build_context(desk.user("donor"), CatalogueFilters()))
    with pytest.raises(iati.IatiExportError, match="Nothing to export"):
        render(build_context(desk.user("donor"), CatalogueFilters(donor="EE")))
    with pytest.raises(iati.IatiExportError, match="max_tlp"):
        render(build_context(desk.user("donor"), CatalogueFilters(donor="GB")), max_tlp="RED")


def test_budget_periods_split_pro_rata():
    periods = iati.budget_periods(
        dt.date(2024, 2, 29), dt.date(2026, 3, 1), iati.Decimal("1000.00")
    )
    assert [p[0] for p in periods] == [
        dt.date(2024, 2, 29),
        dt.date(2025, 2, 28),
        dt.date(2026, 2, 28),
    ]
    assert sum(p[2] for p in periods) == iati.Decimal("1000.00")
    assert all((end - start).days < 366 for start, end, _ in periods)


@needs_shared
def test_one_iati_transaction_per_real_transaction(desk, funded):
    """Tranches, an implementer's expenditure and the recipient's incoming commitment,
    each with its own value date and currency, in a file that stays XSD- and
    codelist-valid (issue #16)."""
    from tmdesk.core import transactions
    from tmdesk.core.models import Engagement, Pledge

    a, b, _c = funded
    gb = desk.user("donor")
    pledge = pledges.create_pledge(gb, b, {"amount": "90000", "currency": "USD"})
    for kind, amount, day in (
        ("commitment", "90000", "2025-02-01"),
        ("disbursement", "30000", "2025-06-15"),
        ("disbursement", "30000", "2026-01-20"),
    ):
        transactions.record_transaction(
            gb, pledge, {"kind": kind, "amount": amount, "value_date": day, "reference": "T"}
        )
    transactions.record_transaction(
        desk.user("recipient"),
        pledge,
        {"kind": "incoming_commitment", "amount": "85000", "currency": "EUR"},
    )
    engagement = offers.create_engagement(desk.user("back_office"), b, "CYBERCO", {"role": "NOC"})
    transactions.record_transaction(
        desk.user("company"),
        Pledge.get_by_id(pledge.id),
        {"kind": "expenditure", "amount": "12000", "engagement": str(engagement.id)},
    )
    assert Engagement.select().count() == 2
    doc = etree.fromstring(render(build_context(gb, CatalogueFilters(donor="GB"))))
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(doc), schema.error_log
    mine = {
        t.get("ref"): t
        for t in doc.iter("transaction")
        if t.get("ref") in {x.uid for x in Pledge.get_by_id(pledge.id).transactions}
    }
    assert len(mine) == 5
    types = sorted(t.find("transaction-type").get("code") for t in mine.values())
    assert types == ["11", "2", "3", "3", "4"]
    assert set(types) <= codelist("TransactionType")
    dates = sorted(t.find("transaction-date").get("iso-date") for t in mine.values())
    assert dates[:3] == ["2025-02-01", "2025-06-15", "2026-01-20"]
    values = {t.find("transaction-type").get("code"): t.find("value") for t in mine.values()}
    assert values["11"].get("currency") == "EUR" and values["2"].get("currency") == "USD"
    assert values["2"].get("value-date") == "2025-02-01" and values["2"].text == "90000.00"
    expenditure = [t for t in mine.values() if t.find("transaction-type").get("code") == "4"][0]
    assert expenditure.find("receiver-org").get("ref") == "XM-TMDESK-CYBERCO"
    # A committed pledge is no longer also an offered one (no type 12 for it).
    assert not [t for t in doc.iter("transaction") if t.get("ref", "").endswith(f"-{pledge.id}-P")]
