"""The exchange's pieces, in one process: versions, the change log, pull filtered
at the sender, removals, push applied once, stale edits refused, the endpoints.
(The whole story with an office and two desk processes: test_sync_processes.py.)"""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.helpers import PASSWORD, login
from tmdesk.core import pledges, projects
from tmdesk.core.ids import new_uid
from tmdesk.core.models import ChangeLog, OutboxAction, Pledge, Project
from tmdesk.sync import desk as desk_side
from tmdesk.sync import office, outbox, receive


def _link(desk, key: str = "donor"):
    link, token = office.link_desk(f"{key}@example.org", PASSWORD, "laptop")
    return link, token


def test_every_audited_write_bumps_the_version_once_and_logs_the_change(desk):
    project = desk.draft()
    version = Project.get_by_id(project.id).version
    projects.update_draft(desk.user("recipient"), project, {"title_en": "New"}, partial=True)
    assert Project.get_by_id(project.id).version == version + 1
    logged = ChangeLog.select().where(ChangeLog.project_id == project.id).count()
    assert logged == 2  # create, update


def test_pull_sends_what_the_person_may_see_and_removes_what_leaves_their_view(desk):
    strict = desk.published(tlp="AMBER+STRICT", title_en="Strict one")
    green = desk.published(tlp="GREEN", title_en="Open one")
    link, _token = _link(desk)
    page = office.pull(link, "")
    assert [b["uid"] for b in page["projects"]] == [green.uid]
    assert "Strict one" not in json.dumps(page, ensure_ascii=False)
    assert page["more"] is False and page["cursor"].startswith("c:")
    # Nothing changed: nothing sent.
    assert office.pull(link, page["cursor"])["projects"] == []
    projects.change_tlp(desk.user("back_office"), green, "AMBER+STRICT")
    later = office.pull(link, page["cursor"])
    assert later["projects"] == [] and later["removed"] == [green.uid]
    assert strict.uid not in later["removed"]  # never held, never named


def test_pull_pages_are_bounded_and_cover_everything_once(desk):
    made = {desk.published(tlp="GREEN", title_en=f"P{i}").uid for i in range(5)}
    link, _token = _link(desk)
    cursor, seen = "", []
    while True:
        page = office.pull(link, cursor, page_size=2)
        assert len(page["projects"]) <= 2
        seen += [b["uid"] for b in page["projects"]]
        cursor = page["cursor"]
        if not page["more"]:
            break
    assert sorted(seen) == sorted(made)


def test_a_replayed_push_is_applied_once(desk, data_dir):
    project = desk.published(tlp="GREEN")
    action = {
        "key": new_uid(),
        "kind": "pledge.create",
        "uid": new_uid(),
        "data": {"project": project.uid, "amount": "500", "currency": "EUR"},
    }
    first = office.push(desk.user("donor"), [action], data_dir)
    again = office.push(desk.user("donor"), [action], data_dir)
    assert first[0]["status"] == "applied" and again[0]["replayed"] is True
    assert Pledge.select().where(Pledge.uid == action["uid"]).count() == 1


def test_a_stale_edit_is_refused_with_412_and_changes_nothing(desk, data_dir):
    project = desk.draft()
    base = Project.get_by_id(project.id).version
    projects.update_draft(desk.user("recipient"), project, {"title_en": "Office"}, partial=True)
    [answer] = office.push(
        desk.user("recipient"),
        [
            {
                "key": new_uid(),
                "kind": "project.update",
                "uid": project.uid,
                "base_version": base,
                "data": {"title_en": "Desk"},
            }
        ],
        data_dir,
    )
    assert answer["status"] == "refused" and answer["http_status"] == 412
    assert "changed on the office" in answer["reason"]
    assert Project.get_by_id(project.id).title_en == "Office"


def test_a_pledge_cannot_be_confirmed_on_a_withdrawn_project(desk):
    project = desk.published(tlp="GREEN")
    pledge = pledges.create_pledge(desk.user("donor"), project, {"amount": "1", "currency": "EUR"})
    projects.transition(desk.user("back_office"), project, "withdraw", "Funded elsewhere")
    with pytest.raises(Exception, match="withdrawn"):
        pledges.transition_pledge(desk.user("donor"), Pledge.get_by_id(pledge.id), "confirm")


def test_a_linked_desk_queues_its_persons_changes_with_the_version_they_were_made_on(desk):
    from tmdesk.core.models import OfficeLink

    OfficeLink.create(office_url="http://office.invalid", token="x", user=desk.user("recipient"))
    desk_side.install()
    try:
        project = desk.draft()
        before = Project.get_by_id(project.id).version
        projects.update_draft(desk.user("recipient"), project, {"title_en": "Desk"}, partial=True)
        queued = list(OutboxAction.select().order_by(OutboxAction.id))
        assert [a.kind for a in queued] == ["project.create", "project.update"]
        edit = json.loads(queued[1].payload)
        assert edit["base_version"] == before
        assert edit["data"] == {"project": project.uid, "title_en": "Desk"}
        assert len({a.key for a in queued}) == 2
    finally:
        from tmdesk.core import audit

        audit.remove_listener(outbox.queue_action)


def test_sync_endpoints_authenticate_by_desk_token(client, desk):
    wrong = client.post(
        "/api/v1/sync/link", json={"email": "donor@example.org", "password": "nope!"}
    )
    assert wrong.status_code == 403
    linked = client.post(
        "/api/v1/sync/link", json={"email": "donor@example.org", "password": PASSWORD}
    )
    assert linked.status_code == 201
    auth = {"Authorization": f"Bearer {linked.get_json()['token']}"}
    assert client.get("/api/v1/sync/pull", headers=auth).status_code == 200
    assert client.get("/api/v1/sync/pull?cursor=zz", headers=auth).status_code == 400
    assert client.get("/api/v1/sync/pull").status_code == 401
    body = b"%PDF-1.4 bytes"
    wrong_hash = "0" * 64
    assert (
        client.put(f"/api/v1/sync/blobs/{wrong_hash}", data=body, headers=auth).status_code == 422
    )
    good = hashlib.sha256(body).hexdigest()
    assert client.put(f"/api/v1/sync/blobs/{good}", data=body, headers=auth).status_code == 201
    # Revoked on the office: the desk is told at its next sync.
    from tmdesk.core.models import ApiToken

    ApiToken.update(revoked_at=ApiToken.created_at).execute()
    assert client.get("/api/v1/sync/pull", headers=auth).status_code == 401


def test_a_fresh_desk_offers_to_connect_and_a_set_up_one_only_to_its_administrator(client):
    fresh = client.get("/office", headers={"Accept-Language": "en"})
    assert fresh.status_code == 200 and "Connect to an office" in fresh.get_data(as_text=True)
    from tmdesk.core import accounts

    accounts.create_organisation(
        None, {"code": "TMPO", "kind": "project_office", "country": "UA", "name_en": "TMPO"}
    )
    accounts.create_user(None, "a@example.org", "TMPO", PASSWORD, is_admin=True)
    accounts.create_user(None, "b@example.org", "TMPO", PASSWORD)
    # Set up: a stranger is asked to log in, a person who is not its administrator refused.
    assert "/login" in client.get("/office").headers["Location"]
    other, admin = client.application.test_client(), client.application.test_client()
    login(other, "b@example.org")
    assert other.get("/office").status_code == 403
    login(admin, "a@example.org")
    assert "Connect to an office" in admin.get("/office").get_data(as_text=True)


def test_desk_pages_show_the_link_and_the_refused_list(client, desk):
    from tests.helpers import login
    from tmdesk.core.models import OfficeLink

    user = desk.user("donor")
    OfficeLink.create(office_url="http://office.invalid", token="x", user=user)
    project = desk.published(tlp="GREEN")
    refused = OutboxAction.create(
        key=new_uid(),
        kind="pledge.transition",
        entity_uid=new_uid(),
        payload=json.dumps({"kind": "pledge.transition", "data": {"project": project.uid}}),
        state="refused",
        http_status=409,
        reason=json.dumps(
            {
                "reason": "x",
                "message": "The project is “%(status)s”: a pledge on it can no longer be confirmed.",
                "params": {"status": "withdrawn"},
            }
        ),
        local_copy=json.dumps({"status": "confirmed"}),
        user=user,
    )
    login(client, user)
    page = client.get("/office/refused", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "a pledge on it can no longer be confirmed" in page
    assert "1 refused" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    from tests.helpers import post

    post(client, f"/office/refused/{refused.id}/discard")
    assert OutboxAction.get_by_id(refused.id).state == "discarded"


def test_a_linked_desks_draft_has_a_provisional_ref_that_keeps_resolving(client, desk):
    from tests.helpers import login
    from tmdesk.core.models import Meta, RefAlias
    from tmdesk.core.visibility import get_visible_project

    Meta.create(key=projects.PROVISIONAL_PREFIX_KEY, value="DESK")
    draft = desk.draft()
    assert projects.is_provisional_ref(draft.ref) and draft.ref.startswith("DESK-")
    login(client, desk.user("recipient"))
    page = client.get(f"/projects/{draft.ref}", headers={"Accept-Language": "en"})
    assert "Not yet sent to the office" in page.get_data(as_text=True)
    # The office's reference arrives; the provisional one still finds the project.
    RefAlias.create(ref=draft.ref, project=draft)
    Project.update(ref="TM-2026-0042").where(Project.id == draft.id).execute()
    found = get_visible_project(desk.user("recipient"), draft.ref)
    assert found is not None and found.ref == "TM-2026-0042"
    moved = client.get(f"/projects/{draft.ref}", follow_redirects=True)
    assert moved.request.path == "/projects/TM-2026-0042"
    assert "Not yet sent" not in moved.get_data(as_text=True)


def test_administrators_see_linked_desks_and_unlink_them(client, desk):
    from tests.helpers import login, post
    from tmdesk.core.models import ApiToken

    link, token = _link(desk)
    login(client, desk.user("admin"))
    page = client.get("/admin/desks", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "donor@example.org" in page and "laptop" in page
    assert "<strong>expired</strong>" not in page
    ApiToken.update(expires_at=ApiToken.created_at).execute()
    page = client.get("/admin/desks", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<strong>expired</strong>" in page  # the person renews it on their profile
    post(client, f"/admin/desks/{link.id}/revoke")
    assert ApiToken.get_by_id(link.token_id).revoked_at is not None
    assert office.link_for_token(token) is None


def test_the_import_page_refuses_a_file_that_is_not_an_exchange_file(client, desk):
    import io

    from tests.helpers import csrf_token, login
    from tmdesk.core.models import OfficeLink

    user = desk.user("donor")
    OfficeLink.create(office_url="", token="", user=user)
    login(client, user)
    token = csrf_token(client, "/office/import")
    page = client.post(
        "/office/import",
        data={"csrf_token": token, "file": (io.BytesIO(b"hello"), "x.tmx")},
        headers={"Accept-Language": "en"},
        content_type="multipart/form-data",
    )
    assert page.status_code == 400
    assert "not a tmdesk exchange file" in page.get_data(as_text=True)
    assert "exchange by file only" in client.get("/office").get_data(as_text=True)


def test_the_connect_page_says_what_is_wrong_in_the_readers_language(client):
    from tests.helpers import csrf_token

    token = csrf_token(client, "/office")
    page = client.post(
        "/office",
        data={"csrf_token": token, "url": "ftp://office", "email": "a@b.c", "password": "x"},
        headers={"Accept-Language": "uk"},
    )
    assert page.status_code == 400
    assert "Це не адреса офісу" in page.get_data(as_text=True)


def test_a_desk_token_follows_every_token_rule(client, desk):
    """Issue 12 item 11 for desks: the office issues a read-write token that expires
    (renewable like any other), notes its use, and dies with a password change."""
    import datetime as dt

    from tmdesk.core import accounts, tokens
    from tmdesk.core.models import ApiToken, utcnow

    linked = client.post(
        "/api/v1/sync/link", json={"email": "donor@example.org", "password": PASSWORD}
    )
    auth = {"Authorization": f"Bearer {linked.get_json()['token']}"}
    token = ApiToken.get(ApiToken.name == "desk: desk")
    assert token.scope == "read_write" and token.last_used_at is None
    left = token.expires_at - utcnow()
    assert dt.timedelta(days=tokens.TOKEN_DEFAULT_DAYS - 1) < left
    assert client.get("/api/v1/sync/pull", headers=auth).status_code == 200
    assert ApiToken.get_by_id(token.id).last_used_at is not None
    # Expired: refused like a revoked one, until its owner renews it.
    ApiToken.update(expires_at=utcnow() - dt.timedelta(seconds=1)).execute()
    assert client.get("/api/v1/sync/pull", headers=auth).status_code == 401
    tokens.renew_token(desk.user("donor"), ApiToken.get_by_id(token.id))
    assert client.get("/api/v1/sync/pull", headers=auth).status_code == 200
    # A password change revokes it (the default), so the desk stops.
    user = desk.user("donor")
    accounts.set_password(user, user, "another long passphrase 2026")
    assert client.get("/api/v1/sync/pull", headers=auth).status_code == 401


# --- money as it moves (issue 16): transactions, donor fields, dated rates -----------


def _money_world(desk):
    """A GREEN project with a GB pledge, two tranches and GB's own fields; a project
    raised to AMBER+STRICT whose tranche's reference must never reach a desk that
    may not see it."""
    from tests.core.test_donor_fields import definitions
    from tmdesk.core import donor_fields, transactions

    gb = desk.user("donor")
    green = desk.published(tlp="GREEN", title_en="Open one")
    pledge = pledges.create_pledge(gb, green, {"amount": "1000", "currency": "EUR"})
    transactions.record_transaction(
        gb, pledge, {"kind": "commitment", "amount": "1000", "value_date": "2025-02-01"}
    )
    transactions.record_transaction(
        gb,
        Pledge.get_by_id(pledge.id),
        {"kind": "disbursement", "amount": "400", "value_date": "2025-06-01", "reference": "T1"},
    )
    donor_fields.set_values(gb, Pledge.get_by_id(pledge.id), definitions(), {"crs_id": "C-77"})
    # Pledged while GREEN, raised to AMBER+STRICT since: the donor no longer sees it.
    strict = desk.published(tlp="GREEN", title_en="Strict one")
    hidden = pledges.create_pledge(gb, strict, {"amount": "5", "currency": "EUR"})
    transactions.record_transaction(
        gb, hidden, {"kind": "commitment", "amount": "5", "reference": "STRICT-TRANCHE-9q"}
    )
    projects.change_tlp(desk.user("back_office"), strict, "AMBER+STRICT")
    return Pledge.get_by_id(pledge.id)


def test_the_offices_transactions_and_donor_fields_reach_only_desks_that_may_see_them(desk):
    from tests.core.test_donor_fields import definitions
    from tmdesk.core import donor_fields, transactions

    pledge = _money_world(desk)
    gb_link, _token = _link(desk, "donor")
    ee_link, _token = _link(desk, "donor2")
    gb_page = office.pull(gb_link, "")
    assert "STRICT-TRANCHE-9q" not in json.dumps(gb_page)
    [gb_bundle] = [b for b in gb_page["projects"] if b["uid"] == pledge.project.uid]
    assert [(t["kind"], t["amount"], t["pledge"]) for t in gb_bundle["transactions"]] == [
        ("commitment", "1000.00", pledge.uid),
        ("disbursement", "400.00", pledge.uid),
    ]
    assert gb_bundle["donor_fields"] == [{"pledge": pledge.uid, "name": "crs_id", "value": "C-77"}]
    # Another donor sees the project and its money, not GB's own fields, and never
    # the AMBER+STRICT project's tranche.
    ee_page = office.pull(ee_link, "")
    [ee_bundle] = ee_page["projects"]
    assert len(ee_bundle["transactions"]) == 2 and ee_bundle["donor_fields"] == []
    assert "C-77" not in json.dumps(ee_page)
    assert "STRICT-TRANCHE-9q" not in json.dumps(ee_page)
    # A further tranche (the status stays "partly disbursed"), a removal and a field
    # changed on the office each bring the project again.
    cursor = ee_page["cursor"]
    second = transactions.record_transaction(
        desk.user("donor"), pledge, {"kind": "disbursement", "amount": "100", "reference": "T2"}
    )
    later = office.pull(ee_link, cursor)
    assert [t["reference"] for t in later["projects"][0]["transactions"]] == ["", "T1", "T2"]
    transactions.delete_transaction(desk.user("donor"), second)
    again = office.pull(ee_link, later["cursor"])
    assert [t["reference"] for t in again["projects"][0]["transactions"]] == ["", "T1"]
    donor_fields.set_values(desk.user("back_office"), pledge, definitions(), {"crs_id": "C-78"})
    fields = office.pull(gb_link, gb_page["cursor"])["projects"][0]["donor_fields"]
    assert fields == [{"pledge": pledge.uid, "name": "crs_id", "value": "C-78"}]
    # Applied as a desk applies a page, the same rows result (here on the same database).
    from tmdesk.core.models import OfficeLink, PledgeField, Transaction

    before = sorted(Transaction.select(Transaction.uid, Transaction.amount).tuples())
    link = OfficeLink.create(office_url="http://office.invalid", token="x", user=desk.user("donor"))
    receive.apply_page(office.pull(gb_link, ""), link, {})
    assert sorted(Transaction.select(Transaction.uid, Transaction.amount).tuples()) == before
    assert [(f.name, f.value) for f in PledgeField.select()] == [("crs_id", "C-78")]


def test_a_desks_transactions_and_donor_fields_are_queued_not_its_status(desk):
    from tests.core.test_donor_fields import definitions
    from tmdesk.core import audit, donor_fields, transactions
    from tmdesk.core.models import OfficeLink, Transaction

    gb = desk.user("donor")
    pledge = pledges.create_pledge(
        gb, desk.published(tlp="GREEN"), {"amount": "900", "currency": "EUR"}
    )
    OfficeLink.create(office_url="http://office.invalid", token="x", user=gb)
    desk_side.install()
    try:
        pledges.transition_pledge(gb, pledge, "confirm")  # records the commitment
        paid = transactions.record_transaction(
            gb, Pledge.get_by_id(pledge.id), {"kind": "disbursement", "amount": "300"}
        )
        donor_fields.set_values(gb, Pledge.get_by_id(pledge.id), definitions(), {"crs_id": "C-1"})
        transactions.delete_transaction(gb, paid)
    finally:
        audit.remove_listener(outbox.queue_action)
    queued = [json.loads(a.payload) for a in OutboxAction.select().order_by(OutboxAction.id)]
    assert [a["kind"] for a in queued] == [
        "transaction.create",
        "transaction.create",
        "pledge.fields",
        "transaction.delete",
    ]
    assert queued[0]["data"]["kind"] == "commitment" and queued[0]["data"]["amount"] == "900.00"
    assert queued[1]["uid"] == paid.uid == queued[3]["uid"]
    assert queued[2] == {
        "kind": "pledge.fields",
        "uid": pledge.uid,
        "data": {"fields": {"crs_id": "C-1"}},
    }
    # A tranche the office refused is given up with the record that exists only here.
    made = transactions.record_transaction(
        gb, Pledge.get_by_id(pledge.id), {"kind": "disbursement", "amount": "5"}
    )
    refused = OutboxAction.create(
        key=new_uid(), kind="transaction.create", entity_uid=made.uid, payload="{}", user=gb
    )
    refused.state = "refused"
    outbox.discard(refused)
    assert not Transaction.select().where(Transaction.uid == made.uid).exists()


def test_the_office_applies_a_desks_transactions_and_fields_through_its_own_rules(desk, data_dir):
    from tests.core.test_donor_fields import definitions
    from tmdesk.core.models import PledgeField, Transaction

    gb, ee = desk.user("donor"), desk.user("donor2")
    pledge = pledges.create_pledge(
        gb, desk.published(tlp="GREEN"), {"amount": "900", "currency": "EUR"}
    )
    uid = new_uid()

    def act(kind, data, who=gb, record=None):
        action = {"key": new_uid(), "kind": kind, "uid": record or uid, "data": data}
        [answer] = office.push(who, [action], data_dir, definitions())
        return answer

    create = {
        "pledge": pledge.uid,
        "kind": "commitment",
        "amount": "900",
        "value_date": "2025-01-10",
    }
    assert act("transaction.create", create)["status"] == "applied"
    made = Transaction.get(Transaction.uid == uid)
    assert made.amount == 900 and str(made.value_date) == "2025-01-10"
    assert Pledge.get_by_id(pledge.id).status == "confirmed"
    # The office's rules hold: another donor may not, nor more than committed.
    refused = act("transaction.create", create | {"kind": "disbursement"}, ee, new_uid())
    assert refused["status"] == "refused" and refused["http_status"] == 403
    too_much = act(
        "transaction.create", create | {"kind": "disbursement", "amount": "5000"}, gb, new_uid()
    )
    assert too_much["status"] == "refused" and "more than is committed" in too_much["reason"]
    fields = act("pledge.fields", {"fields": {"crs_id": "C-9"}}, gb, pledge.uid)
    assert fields["status"] == "applied"
    assert PledgeField.get(PledgeField.pledge == pledge.id).value == "C-9"
    theirs = act("pledge.fields", {"fields": {"crs_id": "X"}}, ee, pledge.uid)
    assert theirs["status"] == "refused" and theirs["http_status"] == 403
    unknown = act("pledge.fields", {"fields": {"nope": "1"}}, gb, pledge.uid)
    assert unknown["status"] == "refused" and "no such field" in unknown["reason"]
    assert act("transaction.delete", {"pledge": pledge.uid})["status"] == "applied"
    assert not Transaction.select().where(Transaction.uid == uid).exists()
    assert Pledge.get_by_id(pledge.id).status == "offered"


def test_a_commitment_made_offline_on_a_project_withdrawn_meanwhile_is_refused(desk, data_dir):
    gb = desk.user("donor")
    project = desk.published(tlp="GREEN")
    pledge = pledges.create_pledge(gb, project, {"amount": "1", "currency": "EUR"})
    projects.transition(desk.user("back_office"), project, "withdraw", "Funded elsewhere")
    action = {
        "key": new_uid(),
        "kind": "transaction.create",
        "uid": new_uid(),
        "data": {"pledge": pledge.uid, "kind": "commitment", "amount": "1"},
    }
    [answer] = office.push(gb, [action], data_dir)
    assert answer["http_status"] == 409 and "withdrawn" in answer["reason"]


def test_the_office_publishes_its_dated_rates_and_a_desk_converts_with_them(desk):
    import datetime as dt
    from decimal import Decimal

    from tmdesk.core import rates
    from tmdesk.core.models import DatedRate
    from tmdesk.sync.wire import IdMap

    admin = desk.user("admin")
    rates.set_exchange_rate(admin, "GBP", "1.10", "2024-01-01")
    rates.set_exchange_rate(admin, "GBP", "1.20", "2025-01-01")
    link, _token = _link(desk, "donor")
    sent = office.pull(link, "")["reference"]["dated_rates"]
    assert [r for r in sent if r["currency"] == "GBP" and r["effective_from"] > "2020"] == [
        {"currency": "GBP", "effective_from": "2024-01-01", "eur_per_unit": "1.10"},
        {"currency": "GBP", "effective_from": "2025-01-01", "eur_per_unit": "1.20"},
    ]
    # On the desk the office's table replaces its own, and conversions follow it.
    DatedRate.delete().execute()
    rates.set_exchange_rate(admin, "GBP", "9", "2024-06-01")
    receive.apply_reference({"dated_rates": sent}, IdMap(), None)
    book = rates.RateBook.load()
    assert book.rate("GBP", dt.date(2024, 7, 1)) == Decimal("1.10")
    assert book.rate("GBP", dt.date(2025, 7, 1)) == Decimal("1.20")


def test_an_implementers_expenditure_from_its_desk_names_its_engagement_by_uid(desk, data_dir):
    from tmdesk.core import offers, transactions
    from tmdesk.core.models import Transaction

    project = desk.published(tlp="GREEN")
    gb = desk.user("donor")
    pledge = pledges.create_pledge(gb, project, {"amount": "900", "currency": "EUR"})
    transactions.record_transaction(gb, pledge, {"kind": "commitment", "amount": "900"})
    engagement = offers.create_engagement(
        desk.user("back_office"), project, "CYBERCO", {"role": "Integrator"}
    )

    def spend(who, engagement_uid):
        action = {
            "key": new_uid(),
            "kind": "transaction.create",
            "uid": new_uid(),
            "data": {
                "pledge": pledge.uid,
                "kind": "expenditure",
                "amount": "300",
                "engagement": engagement_uid,
            },
        }
        return office.push(who, [action], data_dir)[0]

    done = spend(desk.user("company"), engagement.uid)
    assert done["status"] == "applied", done
    assert Transaction.get(Transaction.uid == done["uid"]).engagement_id == engagement.id
    other = spend(desk.user("company2"), engagement.uid)
    assert other["status"] == "refused" and other["http_status"] in (403, 404)
    unknown = spend(desk.user("company"), new_uid())
    assert unknown["status"] == "refused" and "engagement" in unknown["reason"]
