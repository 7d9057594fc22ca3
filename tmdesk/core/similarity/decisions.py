"""Officers' decisions about a pair of projects (the writes): duplicate, related, not.

A duplicate decision closes the less advanced project of the two and moves or
flags its pledges, each step audited in one transaction.
"""

from __future__ import annotations

from tmdesk.core import audience, audit, validation
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import Pledge, Project, ProjectLink, User, utcnow
from tmdesk.core.permissions import PLEDGEABLE_STATUSES, can_review
from tmdesk.core.visibility import can_see, is_officer, visible_projects

LINK_KINDS: dict[str, str] = {
    "duplicate": N_("Duplicate"),
    "related": N_("Related"),
    "not_duplicate": N_("Not a duplicate"),
}


# --- decisions ------------------------------------------------------------------


def _ordered(a: Project, b: Project) -> tuple[Project, Project]:
    return (a, b) if a.id < b.id else (b, a)


def link_for(a: Project, b: Project) -> ProjectLink | None:
    first, second = _ordered(a, b)
    return ProjectLink.get_or_none(
        (ProjectLink.project_a == first.id) & (ProjectLink.project_b == second.id)
    )


_PROGRESS = (
    "draft",
    "returned",
    "submitted",
    "published",
    "in_implementation",
    "delivered",
    "closed",
)


def which_to_close(a: Project, b: Project) -> tuple[Project, Project]:
    """``(keep, close)``: keep the more advanced project, or the older when equal."""
    rank_a = _PROGRESS.index(a.status) if a.status in _PROGRESS else -1
    rank_b = _PROGRESS.index(b.status) if b.status in _PROGRESS else -1
    if rank_a != rank_b:
        return (a, b) if rank_a > rank_b else (b, a)
    return (a, b) if a.id < b.id else (b, a)


def record_decision(
    user: User, project: Project, other: Project, kind: str, note: str = ""
) -> ProjectLink:
    """Record an officer's decision about a pair; ``duplicate`` also closes one of them."""
    from tmdesk.core import projects as project_service

    if not can_review(user):
        raise PermissionDenied(N_("Only the coordinating offices decide about duplicates."))
    if kind not in LINK_KINDS:
        raise ValidationError({"kind": N_("Choose duplicate, related or not a duplicate.")})
    if other.id == project.id:
        raise ValidationError({"other": N_("Choose another project.")})
    if not can_see(user, other) or not can_see(user, project):
        raise ValidationError({"other": N_("No such project.")})
    errors = validation.Errors()
    note = validation.text(errors, {"note": note}, "note", max_length=2000)
    errors.raise_if_any()
    if kind == "duplicate":
        keep, close = which_to_close(project, other)
        # The closed project's history will say "Duplicate of <keep>".
        audience.require_within(
            keep,
            close,
            "other",
            N_(
                "Not everyone who may see the project to be closed may see the one it "
                "duplicates, and its history would name it. Record the pair as related, "
                "or close the project yourself with a comment that names nothing hidden."
            ),
        )
    with database.atomic():
        link = link_for(project, other)
        before = audit.snapshot(link) if link else None
        first, second = _ordered(project, other)
        if link is None:
            link = ProjectLink(project_a=first, project_b=second)
        link.kind, link.note, link.created_by, link.created_at = kind, note, user, utcnow()
        link.save()
        audit.record(user, "project.link", link, before, audit.snapshot(link))
        if kind == "duplicate":
            _close_as_duplicate(user, keep, close, project_service)
    return link


def _close_as_duplicate(user: User, keep: Project, close: Project, project_service) -> None:
    comment = N_("Duplicate of %(ref)s") % {"ref": keep.ref}
    before = audit.snapshot(close)
    close.duplicate_of = keep
    close.save()
    audit.record(user, "project.duplicate_of", close, before, audit.snapshot(close))
    if close.status == "submitted":
        project_service.transition(user, close, "reject", comment)
    elif close.status in ("draft", "returned", "published", "in_implementation"):
        project_service.transition(user, close, "withdraw", comment)
    # delivered, closed, withdrawn or rejected: the record of duplication is enough.
    # Everyone who sees the closed project sees the kept one (checked before), so
    # a moved pledge stays in its donor's sight; it moves only where nobody new
    # would see it, else it stays, flagged.
    may_move = keep.status in PLEDGEABLE_STATUSES and audience.within(close, keep)
    for pledge in Pledge.select().where(
        (Pledge.project == close.id) & (Pledge.status != "withdrawn")
    ):
        before = audit.snapshot(pledge)
        if pledge.status == "offered" and may_move:
            pledge.project = keep
            action = "pledge.moved"
        else:
            pledge.note = ((pledge.note + "\n") if pledge.note else "") + comment
            action = "pledge.flagged"
        pledge.updated_at = utcnow()
        pledge.save()
        audit.record(user, action, pledge, before, audit.snapshot(pledge))


def remove_decision(user: User, link: ProjectLink) -> None:
    """Forget a decision (the pair may be raised again); closing is not undone."""
    if not can_review(user):
        raise PermissionDenied(N_("Only the coordinating offices decide about duplicates."))
    with database.atomic():
        audit.record(user, "project.unlink", link, audit.snapshot(link), None)
        link.delete_instance()


def decisions_for(user: User | None, project: Project) -> list[tuple[ProjectLink, Project]]:
    """Recorded decisions about ``project`` with the other project, when ``user`` may see it."""
    links = list(
        ProjectLink.select().where(
            (ProjectLink.project_a == project.id) | (ProjectLink.project_b == project.id)
        )
    )
    other_ids = [
        lk.project_b_id if lk.project_a_id == project.id else lk.project_a_id for lk in links
    ]
    visible = (
        {p.id: p for p in visible_projects(user).where(Project.id.in_(other_ids))}
        if other_ids
        else {}
    )
    out = []
    for link, oid in zip(links, other_ids, strict=True):
        if oid in visible:
            out.append((link, visible[oid]))
    return out


def may_see_duplicates(user: User | None, project: Project) -> bool:
    """Officers, and the recipient organisation for its own project."""
    if user is None:
        return False
    return is_officer(user) or (
        user.organisation.kind == "recipient" and project.recipient_id == user.organisation_id
    )
