"""Donors' own fields on their pledges (issue #16): declared by plugins, checked by type,
seen and edited only by that donor and the offices on every surface, exported by IATI."""

from __future__ import annotations

import io
import json

import pytest
from lxml import etree

from tests.helpers import login, post
from tests.plugins.test_iati import CODELISTS, SCHEMA, codelist, needs_shared
from tmdesk.core import donor_fields, pledges
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.models import AuditEvent, Organisation, PledgeField
from tmdesk.core.reporting import build_context
from tmdesk.plugins.builtin import iati, iati_codelists
from tmdesk.plugins.contract import DonorField
from tmdesk.plugins.manager import make_plugin_manager


def definitions():
    pm = make_plugin_manager(None, entry_points=False)
    return list(pm.donor_fields.values())


@pytest.fixture
def pledge(desk):
    project = desk.published(tlp="GREEN")
    return pledges.create_pledge(
        desk.user("donor"), project, {"amount": "50000", "currency": "GBP", "date": "2026-02-01"}
    )


def test_the_iati_plugin_declares_its_fields_with_codelist_choices():
    by_name = {d.name: d for d in definitions()}
    assert {"project_number", "crs_id", "flow_type", "finance_type", "aid_type"} <= set(by_name)
    assert by_name["flow_type"].plugin == "iati"
    assert by_name["aid_type"].label == {"en": "Aid type", "uk": "Тип допомоги"}
    assert by_name["flow_type"].type == "choice"


@needs_shared
def test_every_offered_code_is_on_its_iati_codelist():
    for name, entries in (
        ("FlowType", iati_codelists.FLOW_TYPES),
        ("FinanceType", iati_codelists.FINANCE_TYPES),
        ("AidType", iati_codelists.AID_TYPES),
        ("PolicyMarker", iati_codelists.POLICY_MARKERS),
        ("PolicySignificance", iati_codelists.POLICY_SIGNIFICANCE),
    ):
        assert entries and {code for code, _ in entries} <= codelist(name), name
    assert CODELISTS.is_dir()


def test_values_are_checked_by_type_and_stored_per_pledge(desk, pledge):
    gb = desk.user("donor")
    with pytest.raises(ValidationError) as refused:
        donor_fields.set_values(
            gb,
            pledge,
            definitions(),
            {"flow_type": "99", "channel_code": "twelve", "no_such": "x", "crs_id": "2026000123"},
        )
    assert set(refused.value.fields) == {"flow_type", "channel_code", "no_such"}
    assert PledgeField.select().count() == 0  # nothing stored when one is refused
    after = donor_fields.set_values(
        gb, pledge, definitions(), {"flow_type": "10", "channel_code": " 12001 ", "crs_id": "A1"}
    )
    assert after == {"channel_code": "12001", "crs_id": "A1", "flow_type": "10"}
    assert AuditEvent.select().where(AuditEvent.action == "pledge.donor_fields").count() == 1
    # Empty clears one field, leaves the others.
    assert "crs_id" not in donor_fields.set_values(gb, pledge, definitions(), {"crs_id": ""})


def test_a_partner_adds_a_field_without_a_schema_change(desk, pledge):
    class Partner:
        from tmdesk import hookimpl

        @hookimpl
        def tmdesk_donor_fields(self):
            return [
                DonorField("gb_programme", {"en": "Programme", "uk": "Програма"}),
                DonorField("ee_only", "EE only", type="year", donors=frozenset({"EE"})),
                DonorField("Bad Name", "bad"),
            ]

    pm = make_plugin_manager(None, extra_plugins=[Partner()], entry_points=False)
    info = pm.info("Partner")
    assert info.donor_fields == ["gb_programme", "ee_only"]
    assert any("Bad Name" in w for w in info.warnings)
    defs = list(pm.donor_fields.values())
    assert "ee_only" not in {d.name for d in donor_fields.fields_for(defs, "GB")}
    stored = donor_fields.set_values(desk.user("donor"), pledge, defs, {"gb_programme": "CSSF"})
    assert stored == {"gb_programme": "CSSF"}
    with pytest.raises(ValidationError):  # ee_only does not apply to a GB pledge
        donor_fields.set_values(desk.user("donor"), pledge, defs, {"ee_only": "2026"})


def test_only_that_donor_and_the_offices_see_or_edit_them(desk, pledge):
    donor_fields.set_values(desk.user("donor"), pledge, definitions(), {"crs_id": "SECRET-1"})
    ee = desk.user("donor2")  # sees the GREEN project and its pledge, not GB's own fields
    assert donor_fields.values_of(ee, pledge) is None
    with pytest.raises(PermissionDenied):
        donor_fields.set_values(ee, pledge, definitions(), {"crs_id": "x"})
    assert donor_fields.values_of(desk.user("back_office"), pledge) == {"crs_id": "SECRET-1"}
    donor_fields.set_values(desk.user("project_office"), pledge, definitions(), {"flow_type": "10"})
    # Reports (and so every export) follow the same rule.
    for key, expected in (
        ("donor", {"crs_id": "SECRET-1", "flow_type": "10"}),
        ("back_office", {"crs_id": "SECRET-1", "flow_type": "10"}),
        ("donor2", {}),
        ("observer", {}),
        ("recipient", {}),
    ):
        context = build_context(desk.user(key))
        seen = [p.fields for p in context.pledges() if p.id == pledge.id]
        assert seen == [expected], key


def test_pledge_page_shows_and_saves_them_for_the_donor_only(client, desk, pledge):
    login(client, desk.user("donor"))
    project_page = client.get(f"/projects/{pledge.project.ref}").get_data(as_text=True)
    assert f"/pledges/{pledge.id}/fields" in project_page
    page = f"/pledges/{pledge.id}/fields"
    html = client.get(page).get_data(as_text=True)
    assert "CRS identifier" in html and "Flow type" in html and "10: ODA" in html
    bad = post(client, page, {"f_channel_code": "abc", "f_flow_type": "10"})
    assert bad.status_code == 400 and "whole number" in bad.get_data(as_text=True)
    ok = post(client, page, {"f_crs_id": "2026000123", "f_flow_type": "10"})
    assert ok.status_code == 302
    assert donor_fields.stored_values(pledge) == {"crs_id": "2026000123", "flow_type": "10"}
    assert "2026000123" in client.get(page).get_data(as_text=True)
    uk = client.get(page, headers={"Accept-Language": "uk"}).get_data(as_text=True)
    assert "Ідентифікатор CRS" in uk and "Тип потоку" in uk

    client = client.application.test_client()
    login(client, desk.user("donor2"))
    assert client.get(page).status_code == 403
    other = client.get(f"/projects/{pledge.project.ref}").get_data(as_text=True)
    assert f"/pledges/{pledge.id}/fields" not in other and "2026000123" not in other


def _token(desk, key: str) -> dict[str, str]:
    from tmdesk.core.tokens import create_token

    return {"Authorization": f"Bearer {create_token(None, desk.user(key), 'test')[1]}"}


def test_api_reads_and_writes_them_under_the_same_rule(client, desk, pledge):
    gb, ee = _token(desk, "donor"), _token(desk, "donor2")
    url = f"/api/v1/pledges/{pledge.id}/fields"
    put = client.put(url, json={"fields": {"crs_id": "C-1", "aid_type": "D02"}}, headers=gb)
    assert put.status_code == 200, put.get_data(as_text=True)
    body = put.get_json()
    by_name = {f["name"]: f for f in body["fields"]}
    assert by_name["crs_id"]["value"] == "C-1" and by_name["flow_type"]["value"] is None
    assert by_name["crs_id"]["label"] == {"en": "CRS identifier", "uk": "Ідентифікатор CRS"}
    assert {"value": "10", "label": {"en": "ODA", "uk": "ODA"}} in by_name["flow_type"]["choices"]
    refused = client.put(url, json={"fields": {"flow_type": "77"}}, headers=gb)
    assert refused.status_code == 422 and "flow_type" in json.dumps(refused.get_json())
    assert client.put(url, json={"fields": "x"}, headers=gb).status_code == 422
    assert client.get(url, headers=ee).status_code == 403
    assert client.put(url, json={"fields": {"crs_id": "x"}}, headers=ee).status_code == 403
    mine = client.get(f"/api/v1/pledges/{pledge.id}", headers=gb).get_json()
    theirs = client.get(f"/api/v1/pledges/{pledge.id}", headers=ee).get_json()
    assert mine["donor_fields"] == {"aid_type": "D02", "crs_id": "C-1"}
    assert theirs["donor_fields"] is None
    listed = client.get(f"/api/v1/projects/{pledge.project.ref}/pledges", headers=ee).get_json()
    assert [p["donor_fields"] for p in listed["items"]] == [None]


@needs_shared
def test_iati_export_carries_them_and_stays_valid(desk, pledge):
    Organisation.update(iati_id="GB-GOV-1").where(Organisation.code == "GB").execute()
    donor_fields.set_values(
        desk.user("donor"),
        pledge,
        definitions(),
        {
            "project_number": "GB-CSSF-7",
            "crs_id": "2026000123",
            "flow_type": "10",
            "finance_type": "110",
            "aid_type": "D02",
            "gender_marker": "1",
        },
    )
    out = io.BytesIO()
    iati.render(build_context(desk.user("donor"), CatalogueFilters(donor="GB")), out, {})
    doc = etree.fromstring(out.getvalue())
    schema = etree.XMLSchema(etree.parse(str(SCHEMA)))
    assert schema.validate(doc), schema.error_log
    activity = doc.find("iati-activity")
    ids = {e.get("type"): e.get("ref") for e in activity.iter("other-identifier")}
    assert ids == {"A1": "GB-CSSF-7", "A2": "2026000123"}
    assert activity.find("default-flow-type").get("code") == "10"
    assert activity.find("default-finance-type").get("code") == "110"
    assert activity.find("default-aid-type").get("code") == "D02"
    marker = activity.find("policy-marker")
    assert (marker.get("code"), marker.get("significance")) == ("1", "1")
    assert marker.get("code") in codelist("PolicyMarker")
    assert marker.get("significance") in codelist("PolicySignificance")
    # The recipient's finer kind gives the channel when the donor named none.
    accountable = [p for p in activity.iter("participating-org") if p.get("role") == "2"]
    assert accountable[0].get("crs-channel-code") == "12001"  # SSSCIP: a central body


def test_cli_lists_and_sets_them_under_the_same_rule(desk, pledge, data_dir):
    from click.testing import CliRunner

    from tmdesk.cli import cli
    from tmdesk.core.db import database

    database.close()

    def run(*args: str):
        return CliRunner().invoke(
            cli, ["--data-dir", str(data_dir), "pledge", "fields", str(pledge.id), *args]
        )

    ok = run("--as", "donor@example.org", "--set", "crs_id=C-9", "--set", "flow_type=10")
    assert ok.exit_code == 0, ok.output
    assert "crs_id\tC-9\tCRS identifier (text)" in ok.output
    uk = run("--as", "back_office@example.org", "--lang", "uk")
    assert "flow_type\t10\tТип потоку (choice)" in uk.output
    bad = run("--as", "donor@example.org", "--set", "channel_code=abc")
    assert bad.exit_code != 0 and "channel_code" in bad.output
    other = run("--as", "donor2@example.org")
    assert other.exit_code != 0 and "C-9" not in other.output
    database.connect(reuse_if_open=True)
