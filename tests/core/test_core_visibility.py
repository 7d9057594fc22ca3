"""The visibility table of issue 2: every status × TLP label × kind of user.

A small reference implementation of the rule (written from the issue text,
not from the code) predicts, for every project in a world that holds one
project of each (status, TLP) pair, who sees it; the core's
``visible_projects``, ``can_see``, ``get_visible_project`` and the Catalogue
must all agree with it.
"""

from __future__ import annotations

import pytest

from tests.helpers import PASSWORD, WORKFLOW_PATHS
from tmdesk.core import accounts, catalogue, offers, projects
from tmdesk.core.models import Engagement, Organisation, Project
from tmdesk.core.visibility import can_see, get_visible_project, visible_projects
from tmdesk.core.vocab import TLP_LABELS

#: Lifecycle positions: every workflow status, and "withdrawn" reached three ways
#: (the rule depends on whether the project was ever submitted or published).
POSITIONS = {k: v for k, v in WORKFLOW_PATHS.items() if k != "withdrawn"} | {
    "withdrawn_draft": [("withdraw", "recipient")],
    "withdrawn_submitted": [("submit", "recipient"), ("withdraw", "recipient")],
    "withdrawn_published": [
        ("submit", "recipient"),
        ("publish", "back_office"),
        ("withdraw", "recipient"),
    ],
}

#: Every kind of user the rule distinguishes.
VIEWERS = (
    "recipient",  # the submitter (always named)
    "colleague",  # same recipient organisation, not named
    "recipient2",  # another recipient organisation
    "back_office",
    "project_office",
    "admin",  # a Project Office administrator, not named
    "donor",  # named on every RED project
    "donor2",
    "observer",
    "company",  # engaged on every project
    "company2",  # named on every RED project, engaged on none
)
NAMED_ON_RED = {"recipient", "donor", "company2"}
OWN = {"recipient", "colleague"}
OFFICES = {"back_office", "project_office", "admin"}
DONORS = {"donor", "donor2"}


def expected(viewer: str, position: str, tlp: str) -> bool:
    """The rule as issue 2 states it."""
    published_phase = position in (
        "published",
        "in_implementation",
        "delivered",
        "closed",
        "withdrawn_published",
    )
    if published_phase:
        if tlp == "RED":
            return viewer in NAMED_ON_RED
        if tlp in ("CLEAR", "GREEN"):
            return True
        if tlp == "AMBER":
            return viewer in DONORS | OFFICES | OWN | {"company"}
        return viewer in OWN | OFFICES  # AMBER+STRICT
    draft_phase = position in ("draft", "withdrawn_draft")
    allowed = viewer in OWN if draft_phase else viewer in OWN | OFFICES
    if tlp == "RED":
        allowed = allowed and viewer in NAMED_ON_RED
    return allowed


@pytest.fixture
def world(desk):
    """One project per (position, TLP); returns {project id: (position, tlp)}."""
    desk.users["colleague"] = accounts.create_user(
        None, "colleague@example.org", "SSSCIP", PASSWORD
    )
    officer = desk.user("back_office")
    cyberco = Organisation.get(Organisation.code == "CYBERCO")
    # A RED project is submitted with an officer named: one who is not a viewer here.
    red_names = [desk.users[k].email for k in sorted(NAMED_ON_RED)] + [desk.red_reviewer().email]
    made = {}
    for position, steps in POSITIONS.items():
        for tlp in TLP_LABELS:
            project = desk.draft(tlp=tlp, title_en=f"{position} {tlp}")
            if tlp == "RED":
                projects.set_members(desk.user("recipient"), project, red_names)
            # Engaged from the start (written directly: the desk now refuses to
            # engage a company on a project it could not see, issue #12), so the
            # table shows that an engagement widens nothing but published AMBER.
            Engagement.create(
                project=project, company=cyberco, role="implementer", created_by=officer
            )
            for action, who in steps:
                projects.transition(desk.user(who), project, action, comment="why")
            made[project.id] = (position, tlp)
    return made


def test_visibility_table(desk, world):
    """One world, every viewer (building the world once keeps the test fast)."""
    assert {tlp for _pos, tlp in world.values()} == set(TLP_LABELS)
    assert {Project.get_by_id(pid).status for pid in world} == {
        "draft",
        "submitted",
        "returned",
        "rejected",
        "published",
        "in_implementation",
        "delivered",
        "closed",
        "withdrawn",
    }
    problems = []
    for viewer in VIEWERS:
        user = desk.user(viewer)
        want = {pid for pid, (pos, tlp) in world.items() if expected(viewer, pos, tlp)}
        got = {p.id for p in visible_projects(user)}
        problems += [
            (viewer, world[pid], "seen" if pid in got else "hidden") for pid in sorted(want ^ got)
        ]
        # can_see and get_visible_project answer the same, project by project.
        for pid in world:
            project = Project.get_by_id(pid)
            if can_see(user, project) != (pid in want):
                problems.append((viewer, world[pid], "can_see disagrees"))
            if (get_visible_project(user, project.ref) is not None) != (pid in want):
                problems.append((viewer, world[pid], "get_visible_project disagrees"))
        # The Catalogue lists and counts exactly the same set.
        page = catalogue.search_catalogue(user, catalogue.CatalogueFilters(per_page=200))
        if page.total != len(want) or {p.id for p in page.items} != want:
            problems.append((viewer, "catalogue", page.total, len(want)))
    assert not problems, problems


def test_nobody_and_deactivated_users_see_nothing(desk):
    desk.published(tlp="CLEAR")
    desk.draft()
    assert visible_projects(None).count() == 0
    assert visible_projects(desk.user("back_office")).count() == 1
    user = desk.user("back_office")
    accounts.set_active(desk.user("admin"), user, False)
    assert visible_projects(desk.user("back_office")).count() == 0


def test_engagement_opens_amber_to_that_company_only(desk):
    project = desk.published(tlp="AMBER")
    assert not can_see(desk.user("company"), project)
    offers.create_engagement(
        desk.user("project_office"), project, "CYBERCO", {"role": "SOC deployment"}
    )
    assert can_see(desk.user("company"), project)
    assert not can_see(desk.user("company2"), project)


def test_naming_a_user_opens_red(desk):
    project = desk.published(tlp="RED")
    assert can_see(desk.user("recipient"), project)  # the submitter is always named
    assert not can_see(desk.user("donor"), project)
    projects.set_members(desk.user("recipient"), project, ["donor@example.org"])
    assert can_see(desk.user("donor"), project)
    # Removing everyone keeps the submitter.
    projects.set_members(desk.user("recipient"), project, [])
    assert can_see(desk.user("recipient"), project)
    assert not can_see(desk.user("donor"), project)
