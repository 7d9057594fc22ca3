"""Every surface shows a record's fields to exactly those who see the record's own page
(issue #12, item 3).

One GREEN and one AMBER project each carry a linked donor offer and company
offer, people named on them, a pledge, an engagement, an update and a
document, every one with a marker word of its own. For every role, what
each surface exposes (the project page, the JSON API, the report context
plugins receive, search) is compared with what that role sees on the
record's own page: the offer's page for offers, the download route for
documents, and the project page for what is shown only there (people named,
pledges, engagements, updates).
"""

from __future__ import annotations

import io

import pytest

from tests.helpers import PASSWORD, login
from tmdesk import paths
from tmdesk.core import accounts, offers, pledges, projects, reporting, search, tokens, updates
from tmdesk.core.models import Document, Offer, User

ROLES = (
    "recipient",
    "recipient2",
    "back_office",
    "project_office",
    "donor",
    "donor2",
    "observer",
    "company",
    "company2",
    "admin",
)


@pytest.fixture
def world(desk, data_dir):
    out = {}
    for tlp in ("GREEN", "AMBER"):
        tag = tlp.lower()
        project = desk.published(title_en=f"Project {tag}", tlp=tlp)
        named = accounts.create_user(
            None, f"named{tag}@example.org", "SSSCIP", PASSWORD, name=f"Namedperson{tag}"
        )
        projects.set_members(desk.user("recipient"), project, [named.email])
        donor_offer = offers.create_offer(
            desk.user("donor"),
            {"category": "training", "description": f"Donoroffer{tag}", "quantity": "4242"},
        )
        company_offer = offers.create_offer(
            desk.user("company"), {"category": "equipment", "description": f"Companyoffer{tag}"}
        )
        offers.create_engagement(
            desk.user("back_office"), project, "CYBERCO", {"role": f"Engagerole{tag}"}
        )
        for offer in (donor_offer, company_offer):
            offers.link_offer(desk.user("back_office"), offer, project, f"Linknote{tag}")
        pledge = pledges.create_pledge(
            desk.user("donor"),
            project,
            {"amount": "1000", "currency": "EUR", "in_kind": f"Pledgekind{tag}"},
        )
        pledges.transition_pledge(desk.user("donor"), pledge, "confirm")
        updates.post_update(desk.user("recipient"), project, {"title": f"Updatetitle{tag}"})
        doc = updates.store_document(
            desk.user("recipient"),
            paths.documents_dir(data_dir),
            project,
            f"Docname{tag}.txt",
            io.BytesIO(b"hello\n"),
        )
        out[tag] = {
            "project": project,
            "offers": {"Donoroffer": donor_offer, "Companyoffer": company_offer},
            "people": (named.name, named.email),
            "doc": doc,
        }
    return out


def _api(client, user: User, path: str):
    _, token = tokens.create_token(None, user)
    return client.get(path, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("role", ROLES)
def test_every_surface_agrees_with_the_records_own_page(client, desk, world, role):
    user = desk.user(role)
    login(client, user)
    context = repr(reporting.build_context(user))
    offers_api = _api(client, user, "/api/v1/offers?per_page=100").get_data(as_text=True)
    for tag, w in world.items():
        project = w["project"]
        page = client.get(f"/projects/{project.ref}")
        sees_project = page.status_code == 200
        html = page.get_data(as_text=True) if sees_project else ""
        pledges_api = _api(client, user, f"/api/v1/projects/{project.ref}/pledges")
        pledges_json = pledges_api.get_data(as_text=True) if pledges_api.status_code == 200 else ""

        # Offers: their own page is /offers/ID.
        for word, offer in w["offers"].items():
            marker = f"{word}{tag}"
            own = client.get(f"/offers/{offer.id}").status_code == 200
            assert (marker in html) == (own and sees_project), (role, marker, "project page")
            assert (marker in context) == own, (role, marker, "report context")
            assert (marker in offers_api) == own, (role, marker, "API")
            found = [r.key for r in search.search(user, marker, type="offer")]
            assert (offer.id in found) == own, (role, marker, "search")
            in_project = offer.id in _offer_ids(user, project.ref)
            assert in_project == (own and sees_project), (role, marker, "report offer_ids")
            as_pledge_offer = f'"offer":{offer.id}' in pledges_json.replace(" ", "")
            assert not as_pledge_offer or own, (role, marker, "pledge JSON")
        any_offer = any(
            client.get(f"/offers/{o.id}").status_code == 200 for o in w["offers"].values()
        )
        assert (f"Linknote{tag}" in html) == (sees_project and any_offer), (role, "link note")

        # People named on the project: shown on the project page only to some roles.
        name, email = w["people"]
        own = email in html
        assert (email in context) == own and (name in context) == own, (role, email, "report")

        # Pledges, engagements, updates: seen with the project, on its page.
        for marker in (f"Pledgekind{tag}", f"Engagerole{tag}", f"Updatetitle{tag}"):
            own = marker in html
            assert own == sees_project, (role, marker, "project page")
            assert (marker in context) == own, (role, marker, "report context")
        assert (f"Pledgekind{tag}" in pledges_json) == sees_project, (role, "pledge API")
        found = [r.title for r in search.search(user, f"Updatetitle{tag}", type="update")]
        assert bool(found) == sees_project, (role, "update search")

        # Documents: their own page is the download route.
        own = client.get(f"/documents/{w['doc'].id}").status_code == 200
        assert (f"Docname{tag}" in html) == own, (role, "document")


def _offer_ids(user: User, ref: str) -> tuple[int, ...]:
    context = reporting.build_context(user)
    for view in context.projects:
        if view.ref == ref:
            return view.offer_ids
    return ()


def test_observer_sees_the_green_project_but_not_its_offers_or_people(client, desk, world):
    """The reported leak itself, spelled out."""
    login(client, desk.user("observer"))
    html = client.get(f"/projects/{world['green']['project'].ref}").get_data(as_text=True)
    assert "Project green" in html
    for word in ("Donoroffer", "Companyoffer", "4242", "namedgreen@example.org"):
        assert word not in html
    context = reporting.build_context(desk.user("observer"))
    assert all(not v.contacts and not v.offer_ids for v in context.projects)
    assert Offer.select().count() == 4 and Document.select().count() == 2
