"""Cross-audience writes (issue #12, item 2), judged by the visibility policy.

Every officer action that relates two projects, or a project and another
organisation's record, is tried where it would carry something further than
the policy lets it go. The judge is :func:`tmdesk.core.visibility.can_see`
over every account: after any action, (a) every project reference written
into a project's history or pledges' notes is visible to everyone who sees
that project, and (b) every organisation still sees each of its own pledges,
offer links and engagements.
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import PASSWORD, login
from tmdesk.core import (
    accounts,
    audience,
    offers,
    pledges,
    projects,
    proposals,
    similarity,
    tokens,
)
from tmdesk.core.errors import ValidationError
from tmdesk.core.models import (
    Engagement,
    OfferLink,
    Organisation,
    Pledge,
    Project,
    StatusChange,
    User,
)
from tmdesk.core.visibility import can_see

REF = re.compile(r"TM-\d{4}-\d{4}")


def _everyone() -> list[User]:
    return list(User.select())


def assert_no_widening() -> None:
    """Judge (a): a reference written into a project's records reaches nobody new."""
    people = _everyone()
    for project in Project.select():
        texts = [h.comment for h in StatusChange.select().where(StatusChange.project == project)]
        texts += [p.note for p in Pledge.select().where(Pledge.project == project)]
        texts += [lk.note for lk in OfferLink.select().where(OfferLink.project == project)]
        for ref in {r for t in texts for r in REF.findall(t or "")} - {project.ref}:
            named = Project.get(Project.ref == ref)
            for person in people:
                if can_see(person, project):
                    assert can_see(person, named), (person.email, project.ref, ref)


def assert_owners_see_their_records() -> None:
    """Judge (b): every person of the owning organisation sees the project of its record."""
    owned = [(p.donor_id, p.project) for p in Pledge.select()]
    owned += [(lk.offer.organisation_id, lk.project) for lk in OfferLink.select()]
    owned += [(e.company_id, e.project) for e in Engagement.select()]
    for org_id, project in owned:
        for person in User.select().where(User.organisation == org_id):
            assert can_see(person, project), (person.email, project.ref)


def _published(desk, **fields) -> Project:
    return desk.published(title_en="SOC analyst training programme", **fields)


def _donor_offer(desk):
    return offers.create_offer(
        desk.user("donor"),
        {"category": "training", "description": "SOC analyst training for 40", "quantity": "40"},
    )


# --- the rule itself -----------------------------------------------------------------


def test_within_compares_audiences_by_the_policy(desk):
    green = _published(desk, tlp="GREEN")
    amber = _published(desk, tlp="AMBER")
    strict = _published(desk, tlp="AMBER+STRICT")
    assert audience.within(green, amber)  # everyone who sees AMBER sees GREEN
    assert not audience.within(amber, green)  # observers see GREEN, not AMBER
    assert not audience.within(strict, amber)  # donors see AMBER, not AMBER+STRICT
    assert audience.within(amber, strict)


def test_within_counts_organisations_with_no_accounts_yet(desk):
    """No observer account exists: GREEN is still wider than AMBER, by the policy."""
    User.delete().where(
        User.organisation.in_(Organisation.select().where(Organisation.kind == "observer"))
    ).execute()
    assert not audience.within(_published(desk, tlp="AMBER"), _published(desk, tlp="GREEN"))


# --- duplicate decisions (core/similarity.py) ---------------------------------------------


def test_duplicate_never_names_a_hidden_project_in_a_wider_history(desk):
    keep = _published(desk, tlp="AMBER+STRICT")  # older: kept
    close = _published(desk, tlp="GREEN")
    donor = desk.user("donor")
    pledge = pledges.create_pledge(donor, close, {"amount": "1000", "currency": "EUR"})
    with pytest.raises(ValidationError) as exc:
        similarity.record_decision(desk.user("back_office"), close, keep, "duplicate")
    assert "related" in exc.value.fields["other"]
    assert Project.get_by_id(close.id).status == "published"
    assert Pledge.get_by_id(pledge.id).project_id == close.id
    assert_no_widening()
    assert_owners_see_their_records()
    # The other path stays open: recording the pair as related writes nothing public.
    similarity.record_decision(desk.user("back_office"), close, keep, "related")
    assert_no_widening()


def test_duplicate_into_a_wider_project_is_recorded(desk):
    keep = _published(desk, tlp="GREEN")
    close = _published(desk, tlp="AMBER")
    similarity.record_decision(desk.user("back_office"), close, keep, "duplicate")
    assert Project.get_by_id(close.id).status == "withdrawn"
    assert any(keep.ref in h.comment for h in Project.get_by_id(close.id).history)
    assert_no_widening()


def test_duplicate_pledge_never_widens_or_strands(desk):
    """An offered pledge on an AMBER duplicate is not moved onto the GREEN project
    (its in-kind text would reach observers); it stays, flagged."""
    keep = _published(desk, tlp="GREEN")
    close = _published(desk, tlp="AMBER")
    pledge = pledges.create_pledge(desk.user("donor"), close, {"in_kind": "Sensitive kit"})
    similarity.record_decision(desk.user("back_office"), close, keep, "duplicate")
    moved = Pledge.get_by_id(pledge.id)
    assert moved.project_id == close.id and keep.ref in moved.note
    assert_no_widening()
    assert_owners_see_their_records()


def test_duplicate_pledge_moves_only_where_everyone_who_saw_it_still_does(desk):
    """Two RED projects: the donor's pledge moves to the kept one while the same
    people are named on both; once a donor colleague is named only on the closed
    one, closing it would strand the pledge out of the colleague's sight: refused."""
    donor = desk.user("donor")
    colleague = accounts.create_user(None, "colleague@example.org", "GB", PASSWORD)
    officer = desk.red_reviewer()
    named = [officer.email, donor.email, colleague.email]
    keep, close, other = (_published(desk, tlp="RED") for _ in range(3))
    for project in (keep, close, other):
        projects.set_members(desk.user("recipient"), project, named)
    moved = pledges.create_pledge(donor, close, {"amount": "5", "currency": "EUR"})
    stays = pledges.create_pledge(donor, other, {"amount": "5", "currency": "EUR"})
    similarity.record_decision(officer, close, keep, "duplicate")
    assert Pledge.get_by_id(moved.id).project_id == keep.id
    assert_no_widening()
    projects.set_members(desk.user("recipient"), keep, named[:2])
    with pytest.raises(ValidationError):
        similarity.record_decision(officer, other, keep, "duplicate")
    assert Pledge.get_by_id(stays.id).project_id == other.id
    assert can_see(colleague, Pledge.get_by_id(stays.id).project)


# --- offers, proposed pledges, pledges for donors, engagements ----------------------------


def test_proposing_a_pledge_on_a_project_the_donor_cannot_see_is_refused(desk):
    project = _published(desk, tlp="AMBER+STRICT")
    offer = _donor_offer(desk)
    with pytest.raises(ValidationError) as exc:
        proposals.propose_pledge(desk.user("back_office"), offer, project)
    assert "donor" in exc.value.fields
    assert not Pledge.select().exists() and not OfferLink.select().exists()


def test_proposed_pledge_names_nothing_of_the_private_offer(desk):
    project = _published(desk, tlp="GREEN")
    offer = _donor_offer(desk)
    pledge = proposals.propose_pledge(desk.user("back_office"), offer, project)
    link = OfferLink.get(OfferLink.offer == offer)
    for text in (pledge.note, link.note):
        assert str(offer.id) not in text and str(pledge.id) not in text
    assert pledge.offer_id == offer.id
    assert_owners_see_their_records()


def test_linking_an_offer_to_a_project_its_organisation_cannot_see_is_refused(desk):
    offer = _donor_offer(desk)
    for tlp in ("AMBER+STRICT", "RED"):
        with pytest.raises(ValidationError):
            offers.link_offer(desk.user("back_office"), offer, _published(desk, tlp=tlp))
    assert not OfferLink.select().exists()
    offers.link_offer(desk.user("back_office"), offer, _published(desk, tlp="AMBER"))
    assert_owners_see_their_records()


def test_an_office_cannot_pledge_in_a_donors_name_where_the_donor_cannot_see(desk):
    project = _published(desk, tlp="AMBER+STRICT")
    with pytest.raises(ValidationError) as exc:
        pledges.create_pledge(
            desk.user("back_office"), project, {"amount": "1", "currency": "EUR"}, donor_code="GB"
        )
    assert "donor" in exc.value.fields
    assert not Pledge.select().exists()


def test_a_pledge_takes_only_the_donors_own_offer(desk):
    project = _published(desk, tlp="GREEN")
    offer = _donor_offer(desk)
    with pytest.raises(ValidationError):
        pledges.create_pledge(
            desk.user("back_office"),
            project,
            {"amount": "1", "currency": "EUR"},
            donor_code="EE",
            offer=offer,
        )


def test_engaging_a_company_that_could_not_see_the_project_is_refused(desk):
    strict = _published(desk, tlp="AMBER+STRICT")
    with pytest.raises(ValidationError):
        offers.create_engagement(desk.user("back_office"), strict, "CYBERCO", {"role": "SOC"})
    assert not Engagement.select().exists()
    amber = _published(desk, tlp="AMBER")  # engaged companies see AMBER
    offers.create_engagement(desk.user("back_office"), amber, "CYBERCO", {"role": "SOC"})
    assert_owners_see_their_records()


def test_web_and_api_paths_answer_the_refusal_clearly(desk, client):
    project = _published(desk, tlp="AMBER+STRICT")
    offer = _donor_offer(desk)
    _, token = tokens.create_token(None, desk.user("back_office"))
    answer = client.post(
        f"/api/v1/offers/{offer.id}/matches/{project.ref}/pledge",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 422
    assert "donor" in answer.get_json()["fields"]
    login(client, desk.user("back_office"))
    page = client.post(
        f"/offers/{offer.id}/links",
        data={"ref": project.ref, "csrf_token": _csrf(client, f"/offers/{offer.id}")},
    )
    assert page.status_code == 400
    assert b"cannot see this project" in page.data
    assert not Pledge.select().exists() and not OfferLink.select().exists()


def _csrf(client, path: str) -> str:
    from tests.helpers import csrf_token

    return csrf_token(client, path)
