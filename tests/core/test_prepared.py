"""Queries built once per shape (core/prepared.py) answer exactly what the same query
built afresh answers: the visible project by reference for every kind of viewer and
label, after the viewer's account changes, and the API token lookup after a revocation."""

from __future__ import annotations

import pytest

from tmdesk.core import prepared, tokens
from tmdesk.core.models import Project, User
from tmdesk.core.visibility import get_visible_project, visible_projects

VIEWERS = ("back_office", "donor", "donor2", "recipient", "company", "observer", "admin")


def fresh(user, ref):
    return visible_projects(user).where(Project.ref == ref).first()


def test_the_visible_project_is_the_one_built_afresh(desk):
    made = [desk.draft(tlp="AMBER")]
    for tlp in ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"):
        made += [desk.published(tlp=tlp), desk.submitted(tlp=tlp)]
    prepared.forget()
    for _ in range(2):  # built, then kept
        for who in VIEWERS:
            user = desk.user(who)
            for project in made:
                expected = fresh(user, project.ref)
                got = get_visible_project(user, project.ref)
                assert (got and got.id) == (expected and expected.id), (who, project.tlp)
                if got is not None:
                    assert got.title_en == project.title_en and got.recipient_id
    assert get_visible_project(desk.user("donor"), "TM-NOPE-1") is None


def test_a_changed_account_gets_its_own_sql(desk):
    project = desk.published(tlp="AMBER")
    donor = desk.user("donor")
    assert get_visible_project(donor, project.ref) is not None
    User.update(active=False).where(User.id == donor.id).execute()
    assert get_visible_project(User.get_by_id(donor.id), project.ref) is None
    # The same account moved to a company (AMBER only where it is engaged).
    User.update(active=True, organisation=desk.user("company").organisation_id).where(
        User.id == donor.id
    ).execute()
    moved = User.get_by_id(donor.id)
    assert get_visible_project(moved, project.ref) is None
    assert fresh(moved, project.ref) is None


def test_a_revoked_token_stops_at_once(desk):
    user = desk.user("donor")
    record, plain = tokens.create_token(None, user, "prepared")
    assert tokens.token_for(plain).user.organisation.code == user.organisation.code
    tokens.revoke_token(user, record)
    assert tokens.token_for(plain) is None
    assert tokens.token_for(plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None


def test_every_placeholder_must_be_used(desk):
    with pytest.raises(ValueError, match="every placeholder"):
        prepared.rows(("unused",), lambda _a, _b: Project.select().where(Project.id == _a), 1, 2)
    rows = prepared.rows(
        ("ids",), lambda low: Project.select(Project.id).where(Project.id >= low).tuples(), 0
    )
    assert len(rows) == Project.select().count()
