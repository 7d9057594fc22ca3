"""Who a record reaches, and the one rule for actions that relate two records.

An officer's action can relate two projects (a duplicate decision), or a
project and another organisation's record (a pledge proposed from an
offer, an offer linked to a project, a pledge recorded for a donor, a
company engaged). Such an action must not carry anything further than the
visibility policy (:mod:`tmdesk.core.visibility`) lets it go (issue #12):

* **no widening**: nothing naming project N is written into a record whose
  audience is wider than N's (a hidden project's reference in a GREEN
  project's public history tells everyone that it exists);
* **owners keep sight of their records**: an organisation's records (a
  donor's pledges, an offer, a company's engagement) never move onto, or get
  created on, a project that organisation cannot see: it would get 404 on
  its own record.

Audiences are compared by the policy, not by today's accounts: every
organisation's people (a stand-in account named on nothing), a stand-in for
an organisation of each kind not created yet, and every person named on the
projects concerned. So a rule that holds today still holds when a new donor
or a new colleague arrives.
"""

from __future__ import annotations

from collections.abc import Iterable

from tmdesk.core.errors import ValidationError
from tmdesk.core.models import Engagement, Organisation, Project, ProjectMember, User
from tmdesk.core.visibility import visibility_condition
from tmdesk.core.vocab import ORG_KINDS

_NOBODY_ID = -1  # an id no row has: a stand-in is named on nothing and owns nothing


class AudienceError(ValidationError):
    """An action would show a record to someone the policy keeps it from (422 / form error)."""


def stand_in(org: Organisation) -> User:
    """Any person of ``org`` who is named on no project (never saved)."""
    return User(id=_NOBODY_ID, organisation=org, active=True, is_admin=False)


def _principals(projects: Iterable[Project]) -> list[User]:
    """Everyone whose sight of ``projects`` can differ, one stand-in per kind of sight."""
    ids = [p.id for p in projects]
    out = [stand_in(Organisation(id=_NOBODY_ID, kind=kind)) for kind in ORG_KINDS]
    # Organisations whose sight depends on which organisation they are: the
    # recipients of the projects and the companies engaged on them.
    org_ids = {p.recipient_id for p in projects}
    org_ids.update(
        eid
        for (eid,) in Engagement.select(Engagement.company)
        .where(Engagement.project.in_(ids))
        .tuples()
    )
    out.extend(stand_in(org) for org in Organisation.select().where(Organisation.id.in_(org_ids)))
    named = (
        User.select(User, Organisation)
        .join(Organisation)
        .where(
            User.id.in_(
                ProjectMember.select(ProjectMember.user).where(ProjectMember.project.in_(ids))
            )
        )
    )
    # A deactivated account may be reactivated: count it as if active.
    out.extend(User(id=u.id, organisation=u.organisation, active=True) for u in named)
    return out


def _sees(principal: User, project_ids: list[int]) -> set[int]:
    return {
        pid
        for (pid,) in Project.select(Project.id)
        .where(Project.id.in_(project_ids) & visibility_condition(principal))
        .tuples()
    }


def within(named: Project, record_of: Project) -> bool:
    """Whether everyone who may see ``record_of`` may also see ``named``.

    True when ``named``'s reference (or anything of it) may be written into a
    record that belongs to ``record_of`` (its history, its pledges' notes).
    """
    if named.id == record_of.id:
        return True
    for principal in _principals((named, record_of)):
        seen = _sees(principal, [named.id, record_of.id])
        if record_of.id in seen and named.id not in seen:
            return False
    return True


def organisation_sees(org: Organisation, project: Project) -> bool:
    """Whether every person of ``org`` may see ``project`` (not only people named on it)."""
    return bool(_sees(stand_in(org), [project.id]))


def require_within(named: Project, record_of: Project, field: str, message: str) -> None:
    """Refuse (:class:`AudienceError` on ``field``) unless :func:`within` holds."""
    if not within(named, record_of):
        raise AudienceError({field: message})


def require_organisation_sees(
    org: Organisation, project: Project, field: str, message: str
) -> None:
    """Refuse unless every person of ``org`` may see ``project``.

    Call it after writing, inside the write's transaction, when the write
    itself changes who sees the project (an engagement lets the company see
    an AMBER project): the error rolls the write back.
    """
    if not organisation_sees(org, project):
        raise AudienceError({field: message})
