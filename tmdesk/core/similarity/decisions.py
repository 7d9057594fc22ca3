"""Officers' decisions about a pair of projects (the writes): duplicate, related, not.

A duplicate decision closes the less advanced project of the two and moves or
flags its pledges, each step audited in one transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tmdesk.core import audience, audit, validation
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import AuditEvent, Pledge, Project, ProjectLink, StatusChange, User, utcnow
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


@dataclass(frozen=True)
class DuplicateConsequence:
    """What recording a pair as duplicates will do, for the confirmation page."""

    keep: Project
    close: Project
    #: The workflow step that closes ``close`` ("reject", "withdraw"), or None when
    #: it is already closed and only the record of duplication is added.
    step: str | None
    #: Offered pledges that move to ``keep``, and pledges that stay, flagged.
    moving: int
    flagged: int


def _close_step(close: Project) -> str | None:
    if close.status == "submitted":
        return "reject"
    if close.status in ("draft", "returned", "published", "in_implementation"):
        return "withdraw"
    return None


def duplicate_consequence(user: User, project: Project, other: Project) -> DuplicateConsequence:
    """What marking ``project`` and ``other`` duplicates would do, without doing it
    (refused as :func:`record_decision` would refuse it)."""
    if not can_review(user):
        raise PermissionDenied(N_("Only the coordinating offices decide about duplicates."))
    if other.id == project.id:
        raise ValidationError({"other": N_("Choose another project.")})
    if not can_see(user, other) or not can_see(user, project):
        raise ValidationError({"other": N_("No such project.")})
    keep, close = which_to_close(project, other)
    may_move = keep.status in PLEDGEABLE_STATUSES and audience.within(close, keep)
    moving = flagged = 0
    for (status,) in (
        Pledge.select(Pledge.status)
        .where((Pledge.project == close.id) & (Pledge.status != "withdrawn"))
        .tuples()
    ):
        if status == "offered" and may_move:
            moving += 1
        else:
            flagged += 1
    return DuplicateConsequence(keep, close, _close_step(close), moving, flagged)


def _close_as_duplicate(user: User, keep: Project, close: Project, project_service) -> None:
    comment = N_("Duplicate of %(ref)s") % {"ref": keep.ref}
    before = audit.snapshot(close)
    close.duplicate_of = keep
    close.save()
    audit.record(user, "project.duplicate_of", close, before, audit.snapshot(close))
    step = _close_step(close)
    if step is not None:
        project_service.transition(user, close, step, comment)
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


def undoable_duplicate(link: ProjectLink) -> tuple[Project, Project] | None:
    """``(keep, closed)`` of a duplicate decision that can still be undone, else None."""
    if link.kind != "duplicate":
        return None
    a, b = link.project_a, link.project_b
    for keep, closed in ((a, b), (b, a)):
        if closed.duplicate_of_id == keep.id:
            return keep, closed
    return None


def _closing_change(keep: Project, closed: Project) -> StatusChange | None:
    """The status change that closed ``closed`` as a duplicate of ``keep``, if it is
    still the project's latest (nothing else happened to it since)."""
    latest = (
        StatusChange.select()
        .where(StatusChange.project == closed.id)
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
        .first()
    )
    expected = N_("Duplicate of %(ref)s") % {"ref": keep.ref}
    if (
        latest is not None
        and latest.action in ("reject", "withdraw")
        and latest.comment == expected
        and latest.to_status == closed.status
    ):
        return latest
    return None


def undo_duplicate(user: User, link: ProjectLink, note: str = "") -> Project:
    """Reverse an officer's duplicate decision: the closed project goes back to the
    status it had, is no longer a duplicate, the pledges moved off it come back and
    the flags added to the others are taken off; the decision is forgotten (the pair
    may be raised again). Every change is audited. Returns the restored project."""
    if not can_review(user):
        raise PermissionDenied(N_("Only the coordinating offices decide about duplicates."))
    pair = undoable_duplicate(link)
    if pair is None:
        raise ValidationError({"link": N_("This decision is not a duplicate that can be undone.")})
    keep, closed = pair
    if not can_see(user, keep) or not can_see(user, closed):
        raise ValidationError({"link": N_("No such project.")})
    errors = validation.Errors()
    note = validation.text(errors, {"note": note}, "note", max_length=2000)
    errors.raise_if_any()
    comment = N_("Duplicate of %(ref)s") % {"ref": keep.ref}
    with database.atomic():
        change = _closing_change(keep, closed)
        before = audit.snapshot(closed)
        now = utcnow()
        closed.duplicate_of = None
        if change is not None:
            closed.status = change.from_status
            closed.updated_at = now
            StatusChange.create(
                project=closed,
                from_status=change.to_status,
                to_status=change.from_status,
                action="undo_duplicate",
                user=user,
                at=now,
                comment=note or N_("Not a duplicate of %(ref)s after all") % {"ref": keep.ref},
            )
        closed.save()
        audit.record(user, "project.duplicate_undo", closed, before, audit.snapshot(closed))
        _restore_pledges(user, keep, closed, comment)
        audit.record(user, "project.unlink", link, audit.snapshot(link), None)
        link.delete_instance()
    return closed


def _restore_pledges(user: User, keep: Project, closed: Project, comment: str) -> None:
    """Move back the pledges the decision moved from ``closed`` to ``keep``, and take
    the decision's flag off the pledges that stayed."""
    on_keep = {str(p.id): p for p in Pledge.select().where(Pledge.project == keep.id)}
    moved: set[str] = set()
    if on_keep:
        for event in AuditEvent.select().where(
            (AuditEvent.action == "pledge.moved")
            & (AuditEvent.entity_type == "pledge")
            & AuditEvent.entity_id.in_(list(on_keep))
        ):
            before = json.loads(event.before or "{}")
            after = json.loads(event.after or "{}")
            if before.get("project") == closed.id and after.get("project") == keep.id:
                moved.add(event.entity_id)
    for pledge_id in sorted(moved, key=int):
        pledge = on_keep[pledge_id]
        before = audit.snapshot(pledge)
        pledge.project = closed
        pledge.updated_at = utcnow()
        pledge.save()
        audit.record(user, "pledge.moved_back", pledge, before, audit.snapshot(pledge))
    for pledge in Pledge.select().where(Pledge.project == closed.id):
        lines = pledge.note.split("\n") if pledge.note else []
        if comment not in lines:
            continue
        before = audit.snapshot(pledge)
        lines.reverse()
        lines.remove(comment)  # the last flag added, which the decision wrote
        lines.reverse()
        pledge.note = "\n".join(lines)
        pledge.updated_at = utcnow()
        pledge.save()
        audit.record(user, "pledge.unflagged", pledge, before, audit.snapshot(pledge))


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
