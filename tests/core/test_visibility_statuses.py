"""The visibility rule written for a set of statuses (``visible_with_statuses``, which
the Catalogue's pages, the dashboard's figures and the review queue use) selects
exactly what the general rule selects among the projects in those statuses: for
every kind of user, the per-person exceptions (RED named people, engaged companies,
the own organisation) included, on random projects of every status and label."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from tmdesk.core.models import Engagement, Project, ProjectMember, User
from tmdesk.core.visibility import visibility_condition, visible_with_statuses
from tmdesk.core.vocab import PROJECT_STATUSES, TLP_LABELS

STATUSES = tuple(PROJECT_STATUSES)

NOW = dt.datetime(2026, 6, 1, 12, 0)


def _random_projects(desk, rng: random.Random, count: int) -> list[int]:
    recipients = [desk.orgs["recipient"].id, desk.orgs["recipient2"].id]
    author = desk.users["recipient"].id
    rows = []
    for i in range(count):
        status = rng.choice(STATUSES)
        rows.append(
            {
                "ref": f"TM-R-{i:04d}",
                "category": "training",
                "recipient": rng.choice(recipients),
                "tlp": rng.choice(TLP_LABELS),
                "status": status,
                "created_by": author,
                # Every combination, the inconsistent ones too: the rule reads the columns.
                "submitted_at": rng.choice([None, NOW]),
                "published_at": rng.choice([None, NOW]),
            }
        )
    Project.insert_many(rows).execute()
    ids = [p.id for p in Project.select(Project.id)]
    people = [u.id for u in User.select(User.id)]
    members = {(pid, uid) for pid in ids for uid in people if rng.random() < 0.15}
    ProjectMember.insert_many([{"project": p, "user": u} for p, u in members]).execute()
    companies = [desk.orgs["company"].id, desk.orgs["company2"].id]
    engaged = {(pid, c) for pid in ids for c in companies if rng.random() < 0.3}
    Engagement.insert_many(
        [{"project": p, "company": c, "role": "works", "created_by": author} for p, c in engaged]
    ).execute()
    return ids


def _ids(condition) -> set[int]:
    return {p.id for p in Project.select(Project.id).where(condition)}


STATUS_SETS = [
    *((s,) for s in STATUSES),
    ("published", "in_implementation"),
    ("published", "in_implementation", "delivered", "closed"),
    ("draft", "submitted", "returned", "rejected"),
    ("submitted", "returned"),
    ("published", "submitted"),
    ("withdrawn", "published"),
    ("draft", "draft"),
    STATUSES,
]


@pytest.mark.parametrize("seed", [1, 2])
def test_rule_for_statuses_is_the_rule(desk, seed):
    rng = random.Random(seed)
    _random_projects(desk, rng, 160)
    inactive = desk.user("donor2")
    inactive.active = False
    inactive.save()
    users = [desk.user(key) for key in desk.users] + [desk.red_reviewer()]
    checked = 0
    for user, statuses in itertools.product(users, STATUS_SETS):
        expected = _ids(Project.status.in_(statuses) & visibility_condition(user))
        assert _ids(visible_with_statuses(user, statuses)) == expected, (
            user.email,
            statuses,
        )
        checked += len(expected)
    assert checked > 500  # the data exercised the rule, not only empty sets
    assert _ids(visible_with_statuses(None, ("published",))) == set()
    assert _ids(visible_with_statuses(desk.user("back_office"), ())) == set()
