"""The project workflow and funding rules of issue 2, tested on the core alone.

Every (status, action) pair is tried: the legal ones move the project and
record who, when and why; the illegal ones are refused with a clear message
and change nothing.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.helpers import WORKFLOW_PATHS
from tmdesk.core import catalogue, funding, pledges, projects, visibility
from tmdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from tmdesk.core.models import AuditEvent, ExchangeRate, Pledge, Project, StatusChange
from tmdesk.core.visibility import can_see
from tmdesk.core.vocab import PROJECT_STATUSES

ALL_ACTIONS = tuple(projects.TRANSITIONS)

#: How to bring a fresh draft to each status (shared with the visibility tests).
PATHS = WORKFLOW_PATHS


#: Who may take each step (someone allowed, so only the status decides).
ACTOR = {
    "submit": "recipient",
    "publish": "back_office",
    "return": "back_office",
    "reject": "project_office",
    "start": "back_office",
    "deliver": "recipient",
    "close": "back_office",
    "withdraw": "recipient",
}

LEGAL = {
    ("draft", "submit"),
    ("returned", "submit"),
    ("submitted", "publish"),
    ("submitted", "return"),
    ("submitted", "reject"),
    ("published", "start"),
    ("in_implementation", "deliver"),
    ("delivered", "close"),
    ("draft", "withdraw"),
    ("submitted", "withdraw"),
    ("returned", "withdraw"),
    ("published", "withdraw"),
    ("in_implementation", "withdraw"),
}

TARGET = {
    "submit": "submitted",
    "publish": "published",
    "return": "returned",
    "reject": "rejected",
    "start": "in_implementation",
    "deliver": "delivered",
    "close": "closed",
    "withdraw": "withdrawn",
}


def bring_to(desk, status: str, **fields) -> Project:
    project = desk.draft(**fields)
    for action, who in PATHS[status]:
        projects.transition(desk.user(who), project, action, comment=f"because {action}")
    project = Project.get_by_id(project.id)
    assert project.status == status
    return project


def test_paths_cover_every_status():
    assert set(PATHS) == set(PROJECT_STATUSES)


@pytest.mark.parametrize("status", list(PROJECT_STATUSES))
@pytest.mark.parametrize("action", ALL_ACTIONS)
def test_every_transition(desk, status, action):
    project = bring_to(desk, status)
    history_before = StatusChange.select().where(StatusChange.project == project.id).count()
    user = desk.user(ACTOR[action])
    if (status, action) in LEGAL:
        projects.transition(user, project, action, comment="a reason")
        project = Project.get_by_id(project.id)
        assert project.status == TARGET[action]
        last = (
            StatusChange.select()
            .where(StatusChange.project == project.id)
            .order_by(StatusChange.id.desc())
            .first()
        )
        assert (last.from_status, last.to_status, last.action) == (status, TARGET[action], action)
        assert last.user_id == user.id and last.comment == "a reason" and last.at
        assert (
            AuditEvent.select()
            .where(
                (AuditEvent.action == f"project.{action}")
                & (AuditEvent.entity_id == str(project.id))
            )
            .exists()
        )
    else:
        with pytest.raises(TransitionError) as info:
            projects.transition(user, project, action, comment="a reason")
        assert status in str(info.value)  # the message names where the project is
        project = Project.get_by_id(project.id)
        assert project.status == status
        assert (
            StatusChange.select().where(StatusChange.project == project.id).count()
            == history_before
        )


def test_unknown_action_refused(desk):
    project = desk.draft()
    with pytest.raises(TransitionError, match="Unknown action"):
        projects.transition(desk.user("recipient"), project, "explode")


@pytest.mark.parametrize(
    "action, who",
    [
        ("submit", "back_office"),
        ("submit", "donor"),
        ("submit", "recipient2"),
        ("publish", "recipient"),
        ("publish", "donor"),
        ("publish", "observer"),
        ("return", "recipient"),
        ("reject", "company"),
    ],
)
def test_wrong_person_refused(desk, action, who):
    status = "draft" if action == "submit" else "submitted"
    project = bring_to(desk, status)
    with pytest.raises(PermissionDenied):
        projects.transition(desk.user(who), project, action, comment="x")
    assert Project.get_by_id(project.id).status == status


@pytest.mark.parametrize("action", ["return", "reject"])
def test_return_and_reject_need_a_comment(desk, action):
    project = bring_to(desk, "submitted")
    with pytest.raises(ValidationError) as info:
        projects.transition(desk.user("back_office"), project, action, comment="   ")
    assert "comment" in info.value.fields
    assert Project.get_by_id(project.id).status == "submitted"


def test_withdraw_needs_a_comment(desk):
    project = desk.draft()
    with pytest.raises(ValidationError):
        projects.transition(desk.user("recipient"), project, "withdraw")


def test_submit_needs_summary_and_budget(desk):
    project = desk.draft(summary_en="", summary_uk="")
    with pytest.raises(ValidationError) as info:
        projects.transition(desk.user("recipient"), project, "submit")
    assert "summary_en" in info.value.fields
    assert Project.get_by_id(project.id).status == "draft"


def test_returned_project_is_editable_and_resubmitted(desk):
    project = bring_to(desk, "returned")
    projects.update_draft(desk.user("recipient"), project, {"title_en": "Better"}, partial=True)
    projects.transition(desk.user("recipient"), project, "submit")
    assert Project.get_by_id(project.id).status == "submitted"
    actions = [
        c.action
        for c in StatusChange.select()
        .where(StatusChange.project == project.id)
        .order_by(StatusChange.id)
    ]
    assert actions == ["create", "submit", "return", "submit"]


@pytest.mark.parametrize("status", ["submitted", "published", "rejected", "closed"])
def test_recipient_cannot_edit_outside_draft(desk, status):
    project = bring_to(desk, status)
    with pytest.raises(PermissionDenied):
        projects.update_draft(desk.user("recipient"), project, {"title_en": "X"}, partial=True)


def test_publish_sets_published_at_once(desk):
    project = bring_to(desk, "published")
    first = project.published_at
    assert first is not None
    projects.transition(desk.user("recipient"), project, "withdraw", comment="no longer needed")
    assert Project.get_by_id(project.id).published_at == first


def test_available_actions_by_role(desk):
    draft = desk.draft()
    assert [t.action for t in projects.available_actions(desk.user("recipient"), draft)] == [
        "submit",
        "withdraw",
    ]
    assert projects.available_actions(desk.user("donor"), draft) == []
    submitted = bring_to(desk, "submitted")
    office = [t.action for t in projects.available_actions(desk.user("back_office"), submitted)]
    assert office == ["publish", "return", "reject", "withdraw"]
    assert projects.available_actions(desk.user("donor"), submitted) == []
    assert projects.available_actions(desk.user("recipient2"), submitted) == []
    needs = {t.action for t in projects.TRANSITIONS.values() if t.needs_comment}
    assert needs == {"return", "reject", "withdraw"}


def test_create_draft_validation_collects_every_field(desk):
    with pytest.raises(ValidationError) as info:
        projects.create_draft(
            desk.user("recipient"),
            {
                "title_en": "",
                "title_uk": "",
                "category": "bogus",
                "budget_amount": "-5",
                "tlp": "PURPLE",
                "planned_start": "2026-05-01",
                "planned_end": "2026-01-01",
            },
        )
    assert {"title_en", "category", "budget_amount", "tlp", "planned_end"} <= set(info.value.fields)
    assert Project.select().count() == 0


def test_only_recipients_create_drafts(desk):
    for who in ("donor", "back_office", "company", "observer"):
        with pytest.raises(PermissionDenied):
            desk.draft(owner=who)


def test_references_count_up_at_submission_only(desk):
    """Issue 12 item 4: a draft's ref counts nothing (the random tail of its uid);
    ``TM-YYYY-NNNN`` is issued at submission, in submission order, and the draft's
    ref keeps finding the project for whoever may see it."""
    a, hidden, b = desk.draft(), desk.draft(), desk.draft()
    for draft in (a, hidden, b):
        assert draft.ref == f"DRAFT-{draft.uid.replace('-', '')[-12:].upper()}"
        assert projects.is_provisional_ref(draft.ref) and not projects.is_unsent_ref(draft.ref)
    drafted_as = b.ref
    b = bring_to_submitted(desk, b)
    a = bring_to_submitted(desk, a)
    year, num = b.ref.split("-")[1:]
    assert b.ref.startswith("TM-") and a.ref == f"TM-{year}-{int(num) + 1:04d}"
    assert visibility.get_visible_project(desk.user("recipient"), drafted_as).id == b.id
    assert visibility.get_visible_project(desk.user("donor"), drafted_as) is None
    # Returned and submitted again: the same reference, no new number taken.
    projects.transition(desk.user("back_office"), b, "return", "Add the budget lines.")
    again = bring_to_submitted(desk, Project.get_by_id(b.id))
    assert again.ref == b.ref
    assert Project.get_by_id(hidden.id).ref.startswith("DRAFT-")


def test_a_linked_desk_leaves_the_reference_to_the_office(desk):
    from tmdesk.core.models import Meta

    Meta.create(key=projects.PROVISIONAL_PREFIX_KEY, value="DESK")
    draft = desk.draft()
    assert projects.is_unsent_ref(draft.ref)
    assert bring_to_submitted(desk, draft).ref == draft.ref  # the office issues TM-…


def bring_to_submitted(desk, project: Project) -> Project:
    projects.transition(desk.user("recipient"), project, "submit")
    return Project.get_by_id(project.id)


def test_review_queue_oldest_first(desk):
    first = bring_to(desk, "submitted")
    second = bring_to(desk, "submitted")
    Project.update(submitted_at=second.submitted_at.replace(year=2020)).where(
        Project.id == second.id
    ).execute()
    bring_to(desk, "draft")
    assert [p.id for p in projects.review_queue()] == [second.id, first.id]
    assert projects.age_in_days(second.submitted_at.replace(year=2020)) > 300


# --- funding --------------------------------------------------------------


def pledge(desk, project, donor, amount, currency, confirm=False, status=None):
    p = pledges.create_pledge(
        desk.user(donor), project, {"amount": amount, "currency": currency, "date": "2026-01-15"}
    )
    if confirm:
        pledges.transition_pledge(desk.user(donor), p, "confirm")
    if status:
        Pledge.update(status=status).where(Pledge.id == p.id).execute()
    return p


def state(project) -> funding.Funding:
    return funding.project_funding(Project.get_by_id(project.id))


def test_funding_unfunded_with_only_offered_pledges(desk):
    project = desk.published(budget_amount="10000", budget_currency="EUR")
    assert state(project).state == "unfunded"
    pledge(desk, project, "donor", "5000", "GBP")
    f = state(project)
    assert f.state == "unfunded"
    assert f.pledged_eur == Decimal("5850.00")  # 5000 GBP × 1.17
    assert f.confirmed_eur == 0
    assert f.pledged_by_currency == {"GBP": Decimal("5000.00")}


def test_funding_partly_fully_over_with_mixed_currencies(desk):
    ExchangeRate.update(eur_per_unit=Decimal("0.5")).where(ExchangeRate.currency == "USD").execute()
    project = desk.published(budget_amount="1000", budget_currency="EUR")
    pledge(desk, project, "donor", "400", "EUR", confirm=True)
    assert state(project).state == "partly"
    pledge(desk, project, "donor2", "1200", "USD", confirm=True)  # 600 EUR
    f = state(project)
    assert f.state == "fully"
    assert f.confirmed_eur == Decimal("1000")
    assert f.confirmed_by_currency == {"EUR": Decimal("400.00"), "USD": Decimal("1200.00")}
    assert f.gap_eur == 0
    pledge(desk, project, "donor2", "0.02", "USD", confirm=True)
    assert state(project).state == "over"


def test_funding_budget_in_other_currency(desk):
    project = desk.published(budget_amount="100000", budget_currency="UAH")  # 2200 EUR
    pledge(desk, project, "donor", "1100", "EUR", confirm=True)
    f = state(project)
    assert f.budget_eur == Decimal("2200.000")
    assert f.state == "partly"
    assert f.gap_eur == Decimal("1100.000")
    assert f.confirmed_share == pytest.approx(0.5)


def test_funding_withdrawn_pledges_do_not_count(desk):
    project = desk.published(budget_amount="1000", budget_currency="EUR")
    p = pledge(desk, project, "donor", "1000", "EUR", confirm=True)
    assert state(project).state == "fully"
    pledges.transition_pledge(desk.user("donor"), p, "withdraw")
    f = state(project)
    assert f.state == "unfunded" and f.pledged_eur == 0


def test_funding_disbursed_counts_as_confirmed(desk):
    project = desk.published(budget_amount="1000", budget_currency="EUR")
    p = pledge(desk, project, "donor", "1000", "EUR", confirm=True)
    pledges.transition_pledge(desk.user("donor"), p, "disburse")
    f = state(project)
    assert f.state == "fully" and f.disbursed_eur == Decimal("1000")


def test_in_kind_pledge_does_not_move_money(desk):
    project = desk.published(budget_amount="1000", budget_currency="EUR")
    p = pledges.create_pledge(
        desk.user("donor"), project, {"in_kind": "Starlink terminals", "in_kind_quantity": "20"}
    )
    pledges.transition_pledge(desk.user("donor"), p, "confirm")
    assert state(project).state == "unfunded"


def test_funding_state_is_derived_not_stored():
    assert "funding" not in Project._meta.fields
    assert not any("funding" in name for name in Project._meta.fields)


def test_funding_follows_exchange_rate_changes(desk):
    project = desk.published(budget_amount="1170", budget_currency="EUR")
    pledge(desk, project, "donor", "1000", "GBP", confirm=True)  # 1170 EUR
    assert state(project).state == "fully"
    ExchangeRate.update(eur_per_unit=Decimal("1.10")).where(
        ExchangeRate.currency == "GBP"
    ).execute()
    assert state(project).state == "partly"


def test_funding_totals_sum_projects(desk):
    a = desk.published(budget_amount="1000", budget_currency="EUR")
    b = desk.published(budget_amount="500", budget_currency="EUR")
    pledge(desk, a, "donor", "200", "EUR", confirm=True)
    pledge(desk, b, "donor", "100", "GBP", confirm=True)
    per = funding.funding_for([Project.get_by_id(a.id), Project.get_by_id(b.id)])
    total = funding.totals(per.values())
    assert total.budget_eur == Decimal("1500")
    assert total.confirmed_by_currency == {"EUR": Decimal("200.00"), "GBP": Decimal("100.00")}


def test_funding_state_function_edges():
    assert funding.funding_state(Decimal("0"), Decimal("0")) == "unfunded"
    assert funding.funding_state(Decimal("1"), Decimal("0")) == "over"
    assert funding.funding_state(Decimal("5"), Decimal("10")) == "partly"
    assert funding.funding_state(Decimal("10"), Decimal("10")) == "fully"


# --- catalogue filters ------------------------------------------------------


def _args(**kw):
    def getlist(name):
        value = kw.get(name)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def get(name):
        value = kw.get(name)
        return value[0] if isinstance(value, list) else value

    return getlist, get


def test_catalogue_filters_parse_and_refuse_bad_values():
    f = catalogue.parse_filters(
        *_args(category=["training,equipment"], sort="budget_desc", page="2", recipient="sssCIP")
    )
    assert f.category == ["training", "equipment"] and f.sort == "budget_desc" and f.page == 2
    assert f.recipient == ["SSSCIP"]
    with pytest.raises(ValidationError) as info:
        catalogue.parse_filters(*_args(category="nope", page="0", sort="sideways"))
    assert {"category", "page", "sort"} <= set(info.value.fields)


def test_catalogue_funding_filter_and_count(desk):
    funded = desk.published(budget_amount="100", budget_currency="EUR")
    desk.published(budget_amount="100", budget_currency="EUR")
    pledge(desk, funded, "donor", "100", "EUR", confirm=True)
    page = catalogue.search_catalogue(
        desk.user("donor"), catalogue.parse_filters(*_args(funding="fully"))
    )
    assert [p.id for p in page.items] == [funded.id] and page.total == 1
    page = catalogue.search_catalogue(
        desk.user("donor"), catalogue.parse_filters(*_args(funding="unfunded"))
    )
    assert page.total == 1 and page.items[0].id != funded.id


def test_catalogue_pagination_and_sort(desk):
    for amount in ("300", "100", "200"):
        desk.published(budget_amount=amount)
    f = catalogue.parse_filters(*_args(sort="budget_asc", per_page="2"))
    first = catalogue.search_catalogue(desk.user("donor"), f)
    assert first.total == 3 and first.pages == 2
    assert [p.budget_amount for p in first.items] == [Decimal("100.00"), Decimal("200.00")]
    f.page = 2
    second = catalogue.search_catalogue(desk.user("donor"), f)
    assert [p.budget_amount for p in second.items] == [Decimal("300.00")]


def test_a_red_project_needs_an_officer_named_before_submitting(desk):
    """Only the named people see a TLP:RED project: without an officer among them it
    would wait in nobody's review queue."""
    recipient = desk.user("recipient")
    red = desk.draft(tlp="RED")
    with pytest.raises(ValidationError) as caught:
        projects.transition(recipient, red, "submit")
    assert "members" in caught.value.fields and "officer" in caught.value.fields["members"]
    assert Project.get_by_id(red.id).status == "draft"
    projects.set_members(recipient, red, [desk.user("donor").email])  # not an officer
    with pytest.raises(ValidationError):
        projects.transition(recipient, red, "submit")
    officer = desk.user("back_office")
    officer.active = False
    officer.save()
    projects.set_members(recipient, red, [officer.email])  # an officer who left
    with pytest.raises(ValidationError):
        projects.transition(recipient, red, "submit")
    projects.set_members(recipient, red, [desk.user("project_office").email])
    projects.transition(recipient, red, "submit")
    assert Project.get_by_id(red.id).status == "submitted"
    assert can_see(desk.user("project_office"), red)
    # Other labels need no one named.
    projects.transition(recipient, desk.draft(tlp="AMBER+STRICT"), "submit")


def test_officers_to_name_lists_active_officers_only(desk):
    names = {u.email for u in projects.officers_to_name()}
    assert desk.user("back_office").email in names and desk.user("project_office").email in names
    assert desk.user("donor").email not in names and desk.user("recipient").email not in names
