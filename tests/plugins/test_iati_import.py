"""The IATI round trip (issue #16): import a donor's activity file, matched to tmdesk's
transactions; a dry run per activity, updates in place, never duplicates, hostile
files refused."""

from __future__ import annotations

import copy
import io
import uuid
from decimal import Decimal

import pytest
from lxml import etree

from tests.plugins.test_iati import needs_shared
from tmdesk import demo
from tmdesk.core import iati_import, transactions
from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.errors import PermissionDenied
from tmdesk.core.models import Pledge, Transaction, User
from tmdesk.core.reporting import build_context
from tmdesk.plugins.builtin import iati


def _export(user: User, donor: str) -> bytes:
    out = io.BytesIO()
    iati.render(build_context(user, CatalogueFilters(donor=donor)), out, {"max_tlp": "GREEN"})
    return out.getvalue()


def _all_transactions() -> list[tuple]:
    return [
        (t.uid, t.kind, t.amount, t.currency, t.value_date)
        for t in Transaction.select().order_by(Transaction.id)
    ]


@pytest.fixture
def demo_desk(db, data_dir):
    demo.load_demo(data_dir=data_dir)
    return User.get(User.email == "donor@gb.demo")


def test_round_trip_changes_exactly_the_added_disbursement(demo_desk):
    gb = demo_desk
    exported = _export(gb, "GB")
    before = _all_transactions()
    # Importing the file as exported changes nothing.
    report = iati_import.import_iati(gb, exported, "GB")
    assert report.changes == 0 and not report.errors and not report.unmatched
    assert sum(a.unchanged for a in report.activities) >= 5

    # Add one disbursement of 1.00 to an activity whose pledge still has money to pay.
    pledge = next(
        p
        for p in Pledge.select().where(Pledge.status == "partly_disbursed")
        if p.donor.code == "GB" and p.project.tlp in ("CLEAR", "GREEN")
    )
    doc = etree.fromstring(exported)
    activity = next(
        a
        for a in doc.iter("iati-activity")
        if a.findtext("iati-identifier").endswith(pledge.project.ref)
    )
    paid = next(
        t
        for t in activity.iter("transaction")
        if t.find("transaction-type").get("code") == "3"
        and t.get("ref") in {x.uid for x in pledge.transactions}
    )
    added = copy.deepcopy(paid)
    added.set("ref", f"GB-PAY-{uuid.uuid4().hex[:8]}")
    added.find("value").text = "1.00"
    paid.addnext(added)
    edited = etree.tostring(doc, xml_declaration=True, encoding="utf-8")

    dry = iati_import.import_iati(gb, edited, "GB")
    assert dry.changes == 1 and not dry.applied
    changed = [a for a in dry.activities if a.changes]
    assert [a.ref for a in changed] == [pledge.project.ref]
    assert changed[0].changes[0].action == "add" and changed[0].changes[0].amount == Decimal("1")
    assert _all_transactions() == before  # a dry run writes nothing

    applied = iati_import.import_iati(gb, edited, "GB", apply=True)
    assert applied.applied and applied.changes == 1
    after = _all_transactions()
    assert after[: len(before)] == before and len(after) == len(before) + 1
    new = Transaction.get(Transaction.uid == after[-1][0])
    assert (new.kind, new.amount, new.pledge_id) == ("disbursement", Decimal("1.00"), pledge.id)
    # The same file again: no duplicate.
    again = iati_import.import_iati(gb, edited, "GB", apply=True)
    assert again.changes == 0 and len(_all_transactions()) == len(after)
    assert (
        transactions.derived_status(Pledge.get_by_id(pledge.id))
        == Pledge.get_by_id(pledge.id).status
    )

    # A changed value date on an exported transaction updates it in place.
    paid.find("value").set("value-date", "2025-01-02")
    report = iati_import.import_iati(gb, etree.tostring(doc), "GB", apply=True)
    assert report.changes == 1 and report.activities
    assert [c.action for a in report.activities for c in a.changes] == ["update"]
    assert str(Transaction.get(Transaction.uid == paid.get("ref")).value_date) == "2025-01-02"
    assert len(_all_transactions()) == len(after)


def test_unmatched_activities_are_listed_not_guessed(demo_desk):
    gb = demo_desk
    xml = b"""<?xml version="1.0" encoding="utf-8"?>
<iati-activities version="2.03">
 <iati-activity><iati-identifier>GB-GOV-1-SOMETHING-ELSE</iati-identifier>
  <transaction><transaction-type code="3"/><value currency="GBP" value-date="2025-01-01">5</value>
  </transaction></iati-activity>
</iati-activities>"""
    report = iati_import.import_iati(gb, xml, "GB", apply=True)
    assert [a.identifier for a in report.unmatched] == ["GB-GOV-1-SOMETHING-ELSE"]
    assert not report.applied


def test_errors_name_the_line_and_element(demo_desk):
    gb = demo_desk
    pledge = next(p for p in Pledge.select() if p.donor.code == "GB" and p.status == "confirmed")
    xml = f"""<?xml version="1.0" encoding="utf-8"?>
<iati-activities version="2.03">
 <iati-activity>
  <iati-identifier>elsewhere-1</iati-identifier>
  <other-identifier ref="{pledge.project.ref}" type="A1"/>
  <transaction><transaction-type code="9"/><value currency="GBP" value-date="2025-01-01">5</value></transaction>
  <transaction><transaction-type code="3"/>
   <value currency="GBP" value-date="2025-01-01">lots</value></transaction>
 </iati-activity>
</iati-activities>""".encode()
    report = iati_import.import_iati(gb, xml, "GB", apply=True)
    texts = [iati_import.message_text(m) for m in report.errors]
    assert any("Line 6, <transaction-type>" in t for t in texts), texts
    assert any("Line 8, <value>" in t for t in texts), texts
    assert not report.applied


@pytest.mark.parametrize(
    "payload, words",
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;">]><iati-activities>&lol2;</iati-activities>',
            "DTD",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            b"<iati-activities>&e;</iati-activities>",
            "DTD",
        ),
        (b"<iati-activities><unclosed></iati-activities>", "line 1"),
        (b"<html/>", "iati-activities"),
    ],
)
def test_hostile_or_malformed_files_are_refused(db, payload, words):
    with pytest.raises(iati_import.ImportRefused) as exc:
        iati_import.parse(payload)
    assert words in str(exc.value)


def test_only_that_donor_and_the_offices_import(desk):
    with pytest.raises(PermissionDenied):
        iati_import.import_iati(desk.user("donor2"), b"<iati-activities/>", "GB")
    report = iati_import.import_iati(desk.user("back_office"), b"<iati-activities/>", "GB")
    assert report.activities == []


def test_command_line_dry_run_then_apply(desk, data_dir, tmp_path):
    from click.testing import CliRunner

    from tmdesk.cli import cli
    from tmdesk.core import pledges
    from tmdesk.core.db import database
    from tmdesk.core.models import Organisation

    Organisation.update(iati_id="GB-GOV-1").where(Organisation.code == "GB").execute()
    gb = desk.user("donor")
    project = desk.published(tlp="GREEN")
    pledge = pledges.create_pledge(gb, project, {"amount": "900", "currency": "EUR"})
    transactions.record_transaction(
        gb, pledge, {"kind": "commitment", "amount": "900", "value_date": "2025-05-05"}
    )
    doc = etree.fromstring(_export(gb, "GB"))
    tx = doc.find(".//transaction")
    added = copy.deepcopy(tx)
    added.set("ref", "GB-2025-77")
    added.find("transaction-type").set("code", "3")
    added.find("value").text = "300.00"
    tx.addnext(added)
    path = tmp_path / "gb.xml"
    path.write_bytes(etree.tostring(doc))
    database.close()
    runner = CliRunner()
    args = ["--data-dir", str(data_dir), "import", "iati", str(path), "--donor", "GB"]
    dry = runner.invoke(cli, args, catch_exceptions=False)
    assert dry.exit_code == 0, dry.output
    assert f"{project.ref} (GB-GOV-1-{project.ref}): 1 to change" in dry.output
    assert "add disbursement 300.00 EUR" in dry.output and "dry run: 1 change" in dry.output
    done = runner.invoke(cli, [*args, "--apply"], catch_exceptions=False)
    assert done.exit_code == 0 and "applied: 1 change" in done.output, done.output
    database.connect(reuse_if_open=True)
    assert Pledge.get_by_id(pledge.id).status == "partly_disbursed"
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<iati-activities><oops></iati-activities>")
    refused = runner.invoke(
        cli, ["--data-dir", str(data_dir), "import", "iati", str(bad), "--donor", "GB"]
    )
    assert refused.exit_code == 1 and "not well-formed" in refused.output


def test_import_page_dry_run_then_apply(app, desk, tmp_path):
    from tests.helpers import csrf_token, login
    from tmdesk.core import pledges
    from tmdesk.core.models import Organisation

    Organisation.update(iati_id="GB-GOV-1").where(Organisation.code == "GB").execute()
    gb = desk.user("donor")
    project = desk.published(tlp="GREEN")
    pledge = pledges.create_pledge(gb, project, {"amount": "900", "currency": "EUR"})
    transactions.record_transaction(
        gb, pledge, {"kind": "commitment", "amount": "900", "value_date": "2025-05-05"}
    )
    doc = etree.fromstring(_export(gb, "GB"))
    tx = doc.find(".//transaction")
    added = copy.deepcopy(tx)
    added.set("ref", "GB-2025-78")
    added.find("transaction-type").set("code", "3")
    added.find("value").text = "250.00"
    tx.addnext(added)
    data = etree.tostring(doc)
    client = app.test_client()
    login(client, desk.users["donor"])

    def send(apply: bool):
        form = {
            "csrf_token": csrf_token(client, "/pledges/import-iati"),
            "file": (io.BytesIO(data), "gb.xml"),
        }
        if apply:
            form["apply"] = "y"
        return client.post("/pledges/import-iati", data=form, content_type="multipart/form-data")

    dry = send(False).get_data(as_text=True)
    assert "What would change" in dry and project.ref in dry and "250.00 EUR" in dry
    assert Transaction.select().count() == 1
    done = send(True)
    assert done.status_code == 200 and "Changes made" in done.get_data(as_text=True)
    assert Transaction.select().count() == 2
    uk = client.get("/pledges/import-iati", headers={"Accept-Language": "uk"})
    assert "Імпорт файлу IATI" in uk.get_data(as_text=True)


@needs_shared
def test_the_demo_datas_export_is_valid_with_transactions_of_several_types(demo_desk):
    """Issue #16's "Done means": the demo's IATI export validates against the XSD and
    the codelists, with commitments, disbursements, expenditures and incoming
    commitments."""
    from collections import Counter

    from tests.plugins.test_iati import assert_valid

    officer = User.get(User.email == "officer@backoffice.demo")
    for donor in ("GB", "EE"):
        doc = assert_valid(_export(officer, donor))
        types = Counter(e.get("code") for e in doc.iter("transaction-type"))
        assert {"2", "3", "4", "11"} <= set(types), (donor, types)
        assert len({e.get("iso-date") for e in doc.iter("transaction-date")}) > 10
