"""Identifiers count nothing where a non-officer sees them (issue 12, item 4).

Records are made in sequence with hidden ones in between (another donor's
pledges and offers, a hidden project's documents): a donor, a recipient and a
company then read pages, links, forms and exports, and must find every record
named by its uid, never by a row id from which the hidden ones in between
could be counted. Old integer addresses move (301) to the uid address for
whoever may see the record and answer the very same 404 as a missing id for
everyone else. The API's side is tests/api/test_api_uids.py.
"""

from __future__ import annotations

import io
import re

import pytest

from tests.helpers import login
from tmdesk import paths
from tmdesk.core import notifications, offers, pledges, updates
from tmdesk.core.ids import short_uid
from tmdesk.core.models import Document, Engagement, Offer, Pledge, Project, Transaction
from tmdesk.core.reporting import build_context
from tmdesk.plugins.builtin import iati

#: A path naming a record by a number: what must never reach a non-officer again.
COUNTING_PATH = re.compile(
    r"/(pledges|offers|documents|engagements|transactions|offer-links|duplicate-decisions)"
    r"/[0-9]+(?![0-9a-f-])"
)
UID = r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@pytest.fixture
def client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _hide(project: Project) -> Project:
    """AMBER+STRICT: the recipient and the offices only, not the donors or companies."""
    Project.update(tlp="AMBER+STRICT").where(Project.id == project.id).execute()
    return Project.get_by_id(project.id)


@pytest.fixture
def seq(desk, data_dir):
    """Records made one after another, hidden ones in between."""
    visible = desk.published(title_en="Visible grid project", tlp="GREEN")
    hidden = _hide(desk.published(title_en="Hidden grid project"))
    docs = paths.documents_dir(data_dir)
    gb, ee, office = desk.user("donor"), desk.user("donor2"), desk.user("back_office")
    made: dict[str, list] = {"pledge": [], "offer": [], "doc": [], "engagement": []}
    for round_ in range(2):
        made["pledge"].append(
            pledges.create_pledge(gb, visible, {"amount": "1000", "currency": "EUR"})
        )
        # In between: another donor's pledge, and one on a project GB cannot see.
        pledges.create_pledge(ee, visible, {"amount": "5", "currency": "EUR"})
        Pledge.create(
            project=hidden, donor=ee.organisation, amount=7, currency="EUR",
            date="2026-01-01", created_by=ee,
        )  # fmt: skip
        made["offer"].append(
            offers.create_offer(gb, {"category": "training", "description": f"Course {round_}"})
        )
        offers.create_offer(ee, {"category": "training", "description": "Another's course"})
        made["doc"].append(
            updates.store_document(
                desk.user("recipient"), docs, visible, f"v{round_}.txt", io.BytesIO(b"v\n")
            )
        )
        updates.store_document(
            desk.user("recipient"), docs, hidden, f"h{round_}.txt", io.BytesIO(b"h\n")
        )
        made["engagement"].append(
            offers.create_engagement(office, visible, "CYBERCO", {"role": f"SOC {round_}"})
        )
        Engagement.create(project=hidden, company=office.organisation, role="x", created_by=office)
    pledges.transition_pledge(gb, made["pledge"][0], "confirm")
    return {"visible": visible, "hidden": hidden, **made}


def _no_counting_ids(html: str, where: str) -> None:
    found = COUNTING_PATH.findall(html)
    assert not found, f"{where} names records by number: {found}"


def test_pages_name_every_record_by_uid(client, desk, seq):
    visible = seq["visible"]
    login(client, desk.users["donor"])
    first, second = seq["pledge"]
    pages = {
        "project": client.get(f"/projects/{visible.ref}").get_data(as_text=True),
        "pledges": client.get("/pledges").get_data(as_text=True),
        "pledge": client.get(f"/pledges/{first.uid}").get_data(as_text=True),
        "offers": client.get("/offers").get_data(as_text=True),
        "offer": client.get(f"/offers/{seq['offer'][1].uid}").get_data(as_text=True),
        "matches": client.get(f"/offers/{seq['offer'][1].uid}/matches").get_data(as_text=True),
        "search": client.get("/search?q=course").get_data(as_text=True),
    }
    for where, html in pages.items():
        _no_counting_ids(html, where)
    assert (
        f"/pledges/{first.uid}" in pages["pledges"] and f"/pledges/{second.uid}" in pages["pledges"]
    )
    for doc in seq["doc"]:
        assert f"/documents/{doc.uid}" in pages["project"]
    for offer in seq["offer"]:
        assert f"/offers/{offer.uid}" in pages["offers"]
    # An offer is called by the random end of its uid, not "Offer 3".
    offer = seq["offer"][1]
    assert f"Offer {short_uid(offer.uid)}" in pages["offer"]
    assert not re.search(r"Offer #?[0-9]+\b", pages["offer"] + pages["matches"])
    # The transaction the confirmation recorded can be removed by its uid (the donor's own).
    commitment = Transaction.get(Transaction.pledge == first.id)
    assert f"/transactions/{commitment.uid}/delete" in pages["pledge"]


def test_forms_offer_records_by_uid(app, client, desk, seq):
    """Select boxes and hidden fields carry uids too (their values are in the page)."""
    visible = seq["visible"]
    login(client, desk.users["donor"])
    form = client.get(
        f"/pledges/{seq['pledge'][0].uid}/transactions/new?kind=disbursement"
    ).get_data(as_text=True)
    _no_counting_ids(form, "transaction form")
    options = re.findall(r'<option[^>]*value="([^"]*)"', form)
    for engagement in seq["engagement"]:
        assert engagement.uid in options
    assert not [v for v in options if v.isdigit()], options
    pledge_form = client.get(
        f"/projects/{visible.ref}/pledges/new?offer={seq['offer'][0].uid}"
    ).get_data(as_text=True)
    assert "Course 0" in pledge_form  # the offer, found by its uid, fills the form
    assert f"offer={seq['offer'][0].uid}" in pledge_form
    # The recipient marks a notification read by its uid: everyone's share one id sequence.
    recipient = desk.user("recipient")
    other = app.test_client()
    login(other, recipient)
    page = other.get("/notifications").get_data(as_text=True)
    marks = re.findall(r'name="id" value="([^"]*)"', page)
    assert marks and all(re.fullmatch(UID, v) for v in marks), marks
    shown = notifications.for_user(recipient)
    assert {n.uid for n in shown} >= set(marks)


def test_officers_links_and_decisions_are_named_by_uid(client, desk, seq):
    visible = seq["visible"]
    office = desk.user("back_office")
    link = offers.link_offer(office, seq["offer"][0], visible, "fits")
    login(client, office)
    html = client.get(f"/projects/{visible.ref}").get_data(as_text=True)
    _no_counting_ids(html, "project page (officer)")
    assert f"/offer-links/{link.uid}/delete" in html
    for engagement in seq["engagement"]:
        assert f"/engagements/{engagement.uid}/edit" in html


def test_exports_carry_no_row_ids(desk, seq):
    """The report context a plugin sees names pledges and offers by uid; IATI's
    transaction references are built from it."""
    from tmdesk.core.catalogue import CatalogueFilters
    from tmdesk.core.models import Organisation

    Organisation.update(iati_id="GB-GOV-1").where(Organisation.code == "GB").execute()
    gb = desk.user("donor")
    context = build_context(gb, CatalogueFilters(donor="GB"))
    views = [pl for p in context.projects for pl in p.pledges]
    assert views and all(re.fullmatch(UID, pl.id) for pl in views)
    assert all(re.fullmatch(UID, o.id) for o in context.offers)
    out = io.BytesIO()
    iati.render(context, out, {})
    xml = out.getvalue().decode()
    second = seq["pledge"][1]  # offered: one IATI pledge transaction named after it
    assert f"-{second.uid}-P" in xml and f"-{second.id}-P" not in xml


def _page(response, url: str) -> str:
    """The page, but for the address asked (the language form's "next" repeats it) and
    the CSRF token (signed with the second it was made in)."""
    text = response.get_data(as_text=True).replace(url, "")
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*', r"\1", text)


OLD_PAGES = [
    ("pledge", "/pledges/{}", "/pledges/{}"),
    ("pledge", "/pledges/{}/edit", "/pledges/{}/edit"),
    ("pledge", "/pledges/{}/fields", "/pledges/{}/fields"),
    ("pledge", "/pledges/{}/transactions/new?kind=commitment", "/pledges/{}/transactions/new"),
    ("offer", "/offers/{}", "/offers/{}"),
    ("offer", "/offers/{}/edit", "/offers/{}/edit"),
    ("offer", "/offers/{}/matches", "/offers/{}/matches"),
    ("doc", "/documents/{}", "/documents/{}"),
    ("engagement", "/engagements/{}/edit", "/engagements/{}/edit"),
]


@pytest.mark.parametrize(("kind", "old", "new"), OLD_PAGES)
def test_old_addresses_move_for_the_visible_and_404_alike(app, client, desk, seq, kind, old, new):
    """An old integer address: 301 to the uid address when the record is visible; for
    a hidden record exactly the 404 of an id that never existed (no oracle)."""
    model = {"pledge": Pledge, "offer": Offer, "doc": Document, "engagement": Engagement}[kind]
    mine = seq[kind][0]
    ids = [row.id for row in model.select(model.id)]
    hidden = [row for row in model.select() if row.id not in {r.id for r in seq[kind]}]
    login(client, desk.users["donor"])
    if kind != "offer":  # the others on the visible project are visible: only the hidden ones
        hidden = [row for row in hidden if row.project_id == seq["hidden"].id]
    assert hidden
    response = client.get(old.format(mine.id))
    assert response.status_code == 301
    assert response.location.split("?")[0].endswith(new.format(mine.uid))
    if "?" in old:
        assert response.location.endswith("?" + old.split("?")[1])  # the query string stays
    nobody = old.format(max(ids) + 1000)
    missing = client.get(nobody)
    assert missing.status_code == 404
    for row in hidden:
        url = old.format(row.id)
        answer = client.get(url)
        assert answer.status_code == 404
        assert _page(answer, url) == _page(missing, nobody), url
    # Logged out: the login page, as for the uid address.
    assert "/login" in app.test_client().get(old.format(mine.id)).location


def test_hostile_uids_are_404(client, desk, seq):
    login(client, desk.users["back_office"])
    uid = seq["pledge"][0].uid
    for value in (uid.upper(), uid + "0", uid[:-1], uid.replace("-", ""), "0" * 36):
        assert client.get(f"/pledges/{value}").status_code == 404, value
    assert client.get(f"/pledges/{uid}%00").status_code == 400  # a NUL: refused before routing
    assert client.get(f"/pledges/{uid}").status_code == 200


def test_audit_log_names_offers_and_links_by_uid(client, desk, seq):
    """The audit log's words name an offer by the end of its uid, as its page does,
    never "offer no. 3" (an administrator may not see every offer)."""
    from tmdesk.core import auditlog
    from tmdesk.core.models import AuditEvent

    offer = seq["offer"][1]
    link = offers.link_offer(desk.user("back_office"), offer, seq["visible"], "")
    events = list(AuditEvent.select().where(AuditEvent.action.in_(("offer.create", "offer.link"))))
    words = auditlog.describe(desk.user("admin"), events)
    said = {(e.action, e.entity_id): words[e.id].params for e in events}
    assert said[("offer.create", str(offer.id))]["id"] == short_uid(offer.uid)
    assert said[("offer.link", str(link.id))]["offer"] == short_uid(offer.uid)
    login(client, desk.users["admin"])
    page = client.get("/admin/audit").get_data(as_text=True)
    assert f"offer {short_uid(offer.uid)}" in page
    assert not re.search(r"offer (no\. )?[0-9]+\b", page)
