"""Property-based test: random sequences of desk actions by random users.

After every sequence the invariants hold:
* funding totals equal the sum of confirmed pledges, converted at the table's rates;
* who sees what equals an independent, plain-Python reading of the policy in
  issue #2 (so visibility can never be wider than the rule says);
* the audit chain verifies, and refused actions left nothing behind.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import pg
from tests.helpers import ORGS, PASSWORD
from tmdesk.core import accounts, audit, offers, pledges, projects
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import database
from tmdesk.core.errors import DomainError
from tmdesk.core.funding import exchange_rates, project_funding
from tmdesk.core.models import (
    AuditEvent,
    Engagement,
    Pledge,
    Project,
    ProjectMember,
    User,
)
from tmdesk.core.visibility import visible_projects

USERS = [key for key in ORGS]
ACTIONS = [
    "draft",
    "submit",
    "publish",
    "return",
    "reject",
    "withdraw",
    "start",
    "deliver",
    "close",
    "pledge",
    "confirm",
    "disburse",
    "unpledge",
    "engage",
    "name",
    "retag",
]

#: Who would normally take each action; steps mostly use one of these (so the
#: workflow really advances) and sometimes anybody (so refusals are exercised).
ACTORS = {
    "draft": ["recipient", "recipient2"],
    "submit": ["recipient", "recipient2"],
    "retag": ["recipient", "recipient2"],
    "name": ["recipient", "recipient2", "back_office"],
    "publish": ["back_office", "project_office"],
    "return": ["back_office"],
    "reject": ["project_office"],
    "close": ["back_office"],
    "engage": ["project_office"],
    "withdraw": ["recipient", "back_office"],
    "start": ["recipient", "project_office"],
    "deliver": ["recipient2", "back_office"],
    "pledge": ["donor", "donor2", "back_office"],
    "confirm": ["donor", "back_office"],
    "disburse": ["donor", "back_office"],
    "unpledge": ["donor", "donor2"],
}


@st.composite
def actor_for(draw, name: str) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from(USERS))
    return draw(st.sampled_from(ACTORS[name]))


action = st.sampled_from(ACTIONS).flatmap(
    lambda name: st.tuples(
        st.just(name),
        actor_for(name),
        st.integers(min_value=0, max_value=3),  # which project / pledge (0: any)
        st.sampled_from(["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"]),
        st.sampled_from(["EUR", "USD", "GBP"]),
        st.integers(min_value=1, max_value=200_000),
    )
)


def expected_visible(user: User, project: Project) -> bool:
    """The policy of issue #2, written independently of tmdesk.core.visibility."""
    kind = user.organisation.kind
    own = project.recipient_id == user.organisation_id
    officer = kind in ("back_office", "project_office")
    named = (
        ProjectMember.select()
        .where((ProjectMember.project == project.id) & (ProjectMember.user == user.id))
        .exists()
    )
    published = project.status in ("published", "in_implementation", "delivered", "closed") or (
        project.status == "withdrawn" and project.published_at is not None
    )
    if not published:
        draft_like = project.status == "draft" or (
            project.status == "withdrawn" and project.submitted_at is None
        )
        allowed = own if draft_like else (own or officer)
        return allowed and (project.tlp != "RED" or named)
    if project.tlp in ("CLEAR", "GREEN"):
        return True
    if project.tlp == "AMBER":
        engaged = (
            Engagement.select()
            .where(
                (Engagement.project == project.id) & (Engagement.company == user.organisation_id)
            )
            .exists()
        )
        return kind == "donor" or officer or own or (kind == "company" and engaged)
    if project.tlp == "AMBER+STRICT":
        return own or officer
    return named  # RED


def _world(tmp: Path) -> dict[str, User]:
    """A fresh desk for one example: a new SQLite file, or on PostgreSQL the worker's
    database emptied again (hypothesis runs many examples within one test)."""
    if pg.on_postgresql():
        if database.obj is not None:
            database.close()
        pg.resetter().reset()
    open_database(tmp)
    database.connect(reuse_if_open=True)
    users = {}
    for key, (code, kind, country, name) in ORGS.items():
        accounts.create_organisation(
            None, {"code": code, "kind": kind, "country": country, "name_en": name}
        )
        users[key] = accounts.create_user(None, f"{key}@example.org", code, PASSWORD)
    return users


#: Which pledges each pledge action normally applies to.
PLEDGE_SOURCES = {
    "confirm": ("offered",),
    "disburse": ("confirmed",),
    "unpledge": ("offered", "confirmed"),
}


def _pick(items: list, index: int):
    return items[index % len(items)] if items else None


def _target(name: str, index: int) -> Project | None:
    """Mostly a project the action could apply to, so that the workflow advances."""
    everything = list(Project.select().order_by(Project.id))
    if index == 0:  # sometimes any project at all, to exercise refusals
        return _pick(everything, index)
    if name in projects.TRANSITIONS:
        sources = projects.TRANSITIONS[name].sources
    elif name in ("pledge", "engage"):
        sources = ("published", "in_implementation")
    elif name == "retag":
        sources = ("draft", "returned")
    else:
        sources = None
    eligible = [p for p in everything if sources is None or p.status in sources]
    return _pick(eligible or everything, index)


def _apply(users, step) -> None:
    name, who, index, tlp, currency, amount = step
    user = User.get_by_id(users[who].id)
    if name == "draft":
        projects.create_draft(
            user,
            {
                "title_en": f"P {amount}",
                "summary_en": "Need",
                "category": "training",
                "budget_amount": str(amount),
                "budget_currency": currency,
                "tlp": tlp,
            },
        )
        return
    if name in PLEDGE_SOURCES:
        candidates = list(
            Pledge.select().where(Pledge.status.in_(PLEDGE_SOURCES[name])).order_by(Pledge.id)
        ) or list(Pledge.select().order_by(Pledge.id))
        pledge = _pick(candidates, index)
        if pledge is not None:
            pledges.transition_pledge(user, pledge, "withdraw" if name == "unpledge" else name)
        return
    project = _target(name, index)
    if project is None:
        return
    if name in projects.TRANSITIONS:
        projects.transition(user, project, name, comment="because")
    elif name == "pledge":
        pledges.create_pledge(
            user,
            project,
            {"amount": str(amount), "currency": currency},
            donor_code="GB" if user.organisation.kind != "donor" else None,
        )
    elif name == "engage":
        offers.create_engagement(user, project, "CYBERCO", {"role": "Implementer"})
    elif name == "name":
        projects.set_members(user, project, [f"{who}@example.org"])
    elif name == "retag":
        projects.update_draft(user, project, {"tlp": tlp}, partial=True)


FORWARD = ("submit", "publish", "pledge", "confirm", "engage", "start", "name")

#: Every sequence starts with a few drafts, moves them forward, then anything
#: may happen: so published, funded, RED and engaged projects all occur.
scenario = st.tuples(
    st.lists(action.filter(lambda step: step[0] == "draft"), min_size=1, max_size=4),
    st.lists(action.filter(lambda step: step[0] in FORWARD), min_size=2, max_size=15),
    st.lists(action.filter(lambda step: step[0] != "draft"), min_size=0, max_size=30),
).map(lambda parts: parts[0] + parts[1] + parts[2])


@pytest.mark.slow  # 40 random desks: about three minutes of CPU
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(scenario)
def test_random_desk_actions_keep_the_invariants(steps):
    with tempfile.TemporaryDirectory() as tmp:
        users = _world(Path(tmp))
        try:
            for step in steps:
                events_before = AuditEvent.select().count()
                try:
                    with database.atomic():
                        _apply(users, step)
                except DomainError:
                    # A refused action writes nothing, not even an audit event.
                    assert AuditEvent.select().count() == events_before
            rates = exchange_rates()
            for project in Project.select():
                confirmed = sum(
                    (
                        p.amount * rates[p.currency]
                        for p in project.pledges
                        if p.status in ("confirmed", "disbursed", "delivered")
                    ),
                    Decimal("0"),
                )
                assert project_funding(project, rates).confirmed_eur == confirmed
            for key in users:
                user = User.get_by_id(users[key].id)
                seen = {p.id for p in visible_projects(user)}
                for project in Project.select():
                    assert (project.id in seen) == expected_visible(user, project), (
                        key,
                        project.status,
                        project.tlp,
                    )
            assert audit.verify_chain().ok
        finally:
            database.close()
