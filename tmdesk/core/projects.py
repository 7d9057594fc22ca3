"""Projects: drafting, editing, naming people, and the status workflow.

The workflow (DESIGN.md section 3)::

    draft → submitted → published → in_implementation → delivered → closed
    submitted → returned (editable again, with the reviewer's comment) → submitted
    submitted → rejected
    any open state → withdrawn

Every transition records who, when and why (:class:`StatusChange`) and an
audit event, in one transaction with the change itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import peewee as pw

from tmdesk.core import audit, engine, notifications, validation
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.ids import is_uid, new_uid
from tmdesk.core.models import (
    Meta,
    Organisation,
    Pledge,
    Project,
    ProjectMember,
    RefAlias,
    StatusChange,
    User,
    utcnow,
)
from tmdesk.core.permissions import (
    can_create_project,
    can_edit_project,
    can_manage_members,
    is_recipient_of,
)
from tmdesk.core.visibility import OFFICE_KINDS, is_officer
from tmdesk.core.vocab import CATEGORIES, CURRENCIES, OBLASTS, PRIORITIES, TLP_LABELS

#: Fields a recipient edits on a draft, in form order.
EDITABLE_FIELDS = (
    "title_en",
    "title_uk",
    "summary_en",
    "summary_uk",
    "category",
    "oblast",
    "budget_amount",
    "budget_currency",
    "priority",
    "tlp",
    "planned_start",
    "planned_end",
    "beneficiaries",
)


def clean_project_data(data: dict[str, Any], partial: bool = False) -> dict[str, Any]:
    """Validate a project's editable fields; raise :class:`ValidationError` listing all problems.

    With ``partial`` only the keys present in ``data`` are checked and returned
    (for PATCH); otherwise every field is cleaned and defaults are applied.
    """
    errors = validation.Errors()
    present = set(data) if partial else set(EDITABLE_FIELDS)
    out: dict[str, Any] = {}
    for lang in ("en", "uk"):
        if f"title_{lang}" in present:
            out[f"title_{lang}"] = validation.text(errors, data, f"title_{lang}")
        if f"summary_{lang}" in present:
            out[f"summary_{lang}"] = validation.text(
                errors, data, f"summary_{lang}", max_length=validation.MAX_TEXT
            )
    if not partial and not (out.get("title_en") or out.get("title_uk")):
        errors.setdefault("title_en", N_("Give a title in English or Ukrainian."))
    if "category" in present:
        out["category"] = validation.choice(errors, data, "category", CATEGORIES)
    if "oblast" in present:
        out["oblast"] = validation.choice(errors, data, "oblast", OBLASTS, default="UA")
    if "budget_amount" in present:
        out["budget_amount"] = validation.amount(errors, data, "budget_amount", required=True)
    if "budget_currency" in present:
        out["budget_currency"] = validation.choice(
            errors, data, "budget_currency", CURRENCIES, default="EUR"
        )
    if "priority" in present:
        out["priority"] = validation.choice(errors, data, "priority", PRIORITIES, default="medium")
    if "tlp" in present:
        out["tlp"] = validation.choice(errors, data, "tlp", TLP_LABELS, default="AMBER")
    if "planned_start" in present:
        out["planned_start"] = validation.date(errors, data, "planned_start")
    if "planned_end" in present:
        out["planned_end"] = validation.date(errors, data, "planned_end")
    start, end = out.get("planned_start"), out.get("planned_end")
    if start and end and end < start:
        errors["planned_end"] = N_("The end date is before the start date.")
    if "beneficiaries" in present:
        out["beneficiaries"] = validation.text(
            errors, data, "beneficiaries", max_length=validation.MAX_TEXT
        )
    errors.raise_if_any()
    return out


def next_reference(year: int) -> str:
    """The next free reference for ``year``: TM-2026-0001, TM-2026-0002, …

    Call inside the transaction that stores it: the read-then-insert is
    serialised per database, so two writers never take the same number."""
    engine.serialise("project-reference")
    prefix = f"TM-{year}-"
    last = (
        Project.select(Project.ref)
        .where(Project.ref.startswith(prefix))
        .order_by(Project.ref.desc())
        .first()
    )
    number = int(last.ref.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{number:04d}"


#: Meta key set on a desk linked to an office: its new drafts get a provisional
#: ref (this prefix and the draft's uid) until the office issues ``TM-YYYY-NNNN``.
PROVISIONAL_PREFIX_KEY = "provisional_ref_prefix"


def provisional_ref(prefix: str, uid: str) -> str:
    """A linked desk's ref for a draft not yet sent: unique without asking the office
    (the random tail of the uid), and never of the office's ``TM-`` form."""
    return f"{prefix}-{uid.replace('-', '')[-12:].upper()}"


def is_provisional_ref(ref: str) -> bool:
    """Whether ``ref`` is a linked desk's provisional ref (the office has not
    accepted the draft yet), not an office reference ``TM-YYYY-NNNN``."""
    prefix, _, tail = (ref or "").partition("-")
    return prefix.isalpha() and prefix != "TM" and len(tail) == 12


#: The prefix of a draft's ref where no office issues references (a desk on its own,
#: or the office itself): the office reference is issued at submission, not before.
DRAFT_PREFIX = "DRAFT"


def is_unsent_ref(ref: str) -> bool:
    """Whether ``ref`` is a linked desk's own provisional ref: the draft has not
    reached the office yet (the office's drafts carry :data:`DRAFT_PREFIX`)."""
    return is_provisional_ref(ref) and not ref.startswith(DRAFT_PREFIX + "-")


def _linked_prefix() -> str | None:
    """The provisional prefix of a desk linked to an office, or None elsewhere."""
    row = Meta.get_or_none(Meta.key == PROVISIONAL_PREFIX_KEY)
    return row.value if row is not None else None


def _new_draft_ref(uid: str) -> str:
    """A draft's ref: the random tail of its uid, so it counts nothing (issue 12
    item 4: a sequential number at drafting told everyone how many hidden drafts
    exist and when they were made). ``TM-YYYY-NNNN`` comes at submission."""
    return provisional_ref(_linked_prefix() or DRAFT_PREFIX, uid)


def _issue_reference(project: Project, now: dt.datetime) -> None:
    """At submission, give a draft its office reference ``TM-YYYY-NNNN``; its draft
    ref keeps resolving (a :class:`RefAlias`). A linked desk does not issue one:
    the office does when the submission reaches it, and the desk receives it."""
    if not is_provisional_ref(project.ref) or _linked_prefix() is not None:
        return
    RefAlias.insert(ref=project.ref, project=project.id).on_conflict_ignore().execute()
    project.ref = next_reference(now.year)


def create_draft(user: User, data: dict[str, Any], uid: str | None = None) -> Project:
    """A new draft for the user's (recipient) organisation; the user is named on it.

    ``uid`` is given when a desk's draft arrives at the office: it keeps the id
    it was made with.
    """
    if not can_create_project(user):
        raise PermissionDenied(N_("Only recipient organisations draft projects."))
    fields = clean_project_data(data)
    if uid is not None and (not is_uid(uid) or Project.select().where(Project.uid == uid).exists()):
        raise ValidationError({"uid": N_("This draft's id is not valid or already taken.")})
    uid = uid or new_uid()
    with database.atomic():
        now = utcnow()
        project = Project.create(
            uid=uid,
            ref=_new_draft_ref(uid),
            recipient=user.organisation_id,
            created_by=user,
            created_at=now,
            updated_at=now,
            status="draft",
            **fields,
        )
        ProjectMember.create(project=project, user=user)
        StatusChange.create(
            project=project, from_status=None, to_status="draft", action="create", user=user, at=now
        )
        audit.record(user, "project.create", project, None, audit.snapshot(project))
    return project


def update_draft(
    user: User, project: Project, data: dict[str, Any], partial: bool = False
) -> Project:
    """Edit a draft or returned project."""
    if not can_edit_project(user, project):
        raise PermissionDenied(N_("Only the recipient may edit a draft or returned project."))
    fields = clean_project_data(data, partial=partial)
    if partial:
        merged = {f: getattr(project, f) for f in EDITABLE_FIELDS} | fields
        if not (merged["title_en"] or merged["title_uk"]):
            raise ValidationError({"title_en": N_("Give a title in English or Ukrainian.")})
        if (
            merged["planned_start"]
            and merged["planned_end"]
            and (merged["planned_end"] < merged["planned_start"])
        ):
            raise ValidationError({"planned_end": N_("The end date is before the start date.")})
    audit.update(user, project, fields, "project.update")
    return project


def change_tlp(user: User, project: Project, tlp: str) -> Project:
    """Change a project's TLP label at any status (the recipient or an officer): a
    label raised after publication narrows who sees it from then on, on every desk."""
    if not (is_recipient_of(user, project) or is_officer(user)):
        raise PermissionDenied(N_("You may not change this project's TLP label."))
    errors = validation.Errors()
    label = validation.choice(errors, {"tlp": tlp}, "tlp", TLP_LABELS, required=True)
    errors.raise_if_any()
    audit.update(user, project, {"tlp": label}, "project.tlp")
    return project


def set_members(user: User, project: Project, emails: list[str]) -> list[User]:
    """Name the users who may see the project when it is TLP:RED.

    The submitter stays named whatever the list says.
    """
    if not can_manage_members(user, project):
        raise PermissionDenied(N_("You may not change who is named on this project."))
    wanted = {e.strip().lower() for e in emails if e.strip()}
    users = list(User.select().where(User.email.in_(wanted))) if wanted else []
    unknown = wanted - {u.email for u in users}
    if unknown:
        raise ValidationError(
            {"members": N_("Unknown accounts: %(emails)s") % {"emails": ", ".join(sorted(unknown))}}
        )
    keep = {u.id for u in users} | {project.created_by_id}
    with database.atomic():
        before = sorted(m.user.email for m in project.members)
        ProjectMember.delete().where(
            (ProjectMember.project == project.id) & ProjectMember.user.not_in(keep)
        ).execute()
        existing = {
            m.user_id for m in ProjectMember.select().where(ProjectMember.project == project.id)
        }
        for user_id in keep - existing:
            ProjectMember.create(project=project, user=user_id)
        after = sorted(
            m.user.email for m in ProjectMember.select().where(ProjectMember.project == project.id)
        )
        audit.record(user, "project.members", project, {"members": before}, {"members": after})
    return [m.user for m in project.members]


# --- the workflow ---------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    label: str
    needs_comment: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition("submit", ("draft", "returned"), "submitted", N_("Submit for review")),
        Transition("publish", ("submitted",), "published", N_("Publish in the Catalogue")),
        Transition("return", ("submitted",), "returned", N_("Return to the recipient"), True),
        Transition("reject", ("submitted",), "rejected", N_("Reject"), True),
        Transition("start", ("published",), "in_implementation", N_("Start implementation")),
        Transition("deliver", ("in_implementation",), "delivered", N_("Mark delivered")),
        Transition("close", ("delivered",), "closed", N_("Close")),
        Transition(
            "withdraw",
            ("draft", "submitted", "returned", "published", "in_implementation"),
            "withdrawn",
            N_("Withdraw"),
            True,
        ),
    )
}


def _may_act(user: User, project: Project, action: str) -> bool:
    recipient = is_recipient_of(user, project)
    officer = is_officer(user)
    if action == "submit":
        return recipient
    if action in ("publish", "return", "reject", "close"):
        return officer
    if action in ("start", "deliver", "withdraw"):
        return recipient or officer
    return False


def available_actions(user: User, project: Project) -> list[Transition]:
    """The transitions ``user`` may take on ``project`` now, in workflow order."""
    return [
        t
        for t in TRANSITIONS.values()
        if project.status in t.sources and _may_act(user, project, t.action)
    ]


def _check_ready_to_submit(project: Project) -> None:
    errors = validation.Errors()
    if not (project.title_en or project.title_uk):
        errors["title_en"] = N_("Give a title in English or Ukrainian.")
    if not (project.summary_en or project.summary_uk):
        errors["summary_en"] = N_("Describe the project in English or Ukrainian before submitting.")
    if not project.budget_amount or project.budget_amount <= 0:
        errors["budget_amount"] = N_("Give the estimated budget before submitting.")
    if project.tlp == "RED" and not _named_reviewers(project).exists():
        # Only the named people see a TLP:RED project: with no officer among them
        # it would wait in nobody's review queue.
        errors["members"] = N_(
            "A TLP:RED project is seen only by the people named on it. Name at least one "
            "Back Office or Project Office officer before submitting, or nobody can review it."
        )
    errors.raise_if_any()


def _named_reviewers(project: Project) -> pw.ModelSelect:
    """The active officers named on ``project`` (who could review it if it is TLP:RED)."""
    return (
        User.select(User.id)
        .join(ProjectMember)
        .switch(User)
        .join(Organisation)
        .where(
            (ProjectMember.project == project.id)
            & User.active
            & Organisation.kind.in_(OFFICE_KINDS)
        )
    )


def officers_to_name() -> list[User]:
    """Active Back Office and Project Office users, for a TLP:RED project's list of
    named people (a recipient needs to know whom to name)."""
    return list(
        User.select(User, Organisation)
        .join(Organisation)
        .where(User.active & Organisation.kind.in_(OFFICE_KINDS))
        .order_by(Organisation.code, User.name, User.email)
    )


def transition(user: User, project: Project, action: str, comment: str = "") -> Project:
    """Take workflow step ``action``; refuse illegal steps with a clear message."""
    step = TRANSITIONS.get(action)
    if step is None:
        raise TransitionError(N_("Unknown action “%(action)s”."), action=str(action)[:40])
    if project.status not in step.sources:
        raise TransitionError(
            N_("A project that is “%(status)s” cannot be sent to “%(target)s”."),
            status=project.status,
            target=step.target,
        )
    if not _may_act(user, project, action):
        raise PermissionDenied(
            N_("You may not take the step “%(action)s” on this project."), action=action
        )
    errors = validation.Errors()
    comment = validation.text(
        errors, {"comment": comment}, "comment", max_length=validation.MAX_TEXT
    )
    errors.raise_if_any()
    if step.needs_comment and not comment:
        raise ValidationError({"comment": N_("Say why: a comment is required for this step.")})
    if action == "submit":
        _check_ready_to_submit(project)
    with database.atomic():
        before = audit.snapshot(project)
        now = utcnow()
        source = project.status
        project.status = step.target
        project.updated_at = now
        if action == "submit":
            project.submitted_at = now
            _issue_reference(project, now)
        if action == "publish" and project.published_at is None:
            project.published_at = now
        project.save()
        StatusChange.create(
            project=project,
            from_status=source,
            to_status=step.target,
            action=action,
            user=user,
            at=now,
            comment=comment,
        )
        audit.record(user, f"project.{action}", project, before, audit.snapshot(project))
        notifications.project_step(user, project, action)
    return project


def review_queue(query=None):
    """Submitted projects, oldest submission first (callers narrow by visibility)."""
    base = query if query is not None else Project.select()
    return base.where(Project.status == "submitted").order_by(
        Project.submitted_at.asc(), Project.id.asc()
    )


def age_in_days(since: dt.datetime | None, now: dt.datetime | None = None) -> int:
    """Whole days since ``since`` (0 if unknown)."""
    if since is None:
        return 0
    return max(((now or utcnow()) - since).days, 0)


# --- what a step does, in words (issue #15) ------------------------------------

#: Steps that cannot be taken back or that act on another organisation's project:
#: the pages ask for confirmation, stating the consequence, before taking them.
CONFIRMED_STEPS = ("publish", "return", "reject", "withdraw", "close")

_STEP_CONSEQUENCE = {
    "publish": N_(
        "%(ref)s of %(owner)s is published in the Catalogue: everyone its TLP:%(tlp)s "
        "label allows sees it, and donors can pledge to it. Publishing cannot be taken "
        "back; the project can afterwards only be withdrawn."
    ),
    "return": N_(
        "%(ref)s goes back to %(owner)s for changes, with your comment. It leaves the "
        "review queue until they submit it again."
    ),
    "reject": N_("%(ref)s of %(owner)s is rejected. This is final: it cannot be submitted again."),
    "withdraw": N_(
        "%(ref)s of %(owner)s is withdrawn. This is final: it cannot be reopened, and it "
        "takes no more pledges."
    ),
    "close": N_("%(ref)s of %(owner)s is closed. This is final."),
}

#: What happens after each step, said to the person who took it.
NEXT_AFTER_STEP = {
    "submit": N_(
        "%(ref)s is submitted for review. The Back Office or the Project Office reviews it "
        "next: they publish it in the Catalogue or return it to you with comments, and you "
        "are notified either way."
    ),
    "publish": N_(
        "%(ref)s is published in the Catalogue; donors can now pledge to it and its "
        "recipient is notified."
    ),
    "return": N_(
        "%(ref)s is returned to %(owner)s with your comment; they are notified, and it "
        "comes back to the review queue when they submit it again."
    ),
    "reject": N_("%(ref)s is rejected; %(owner)s is notified."),
    "start": N_("%(ref)s is in implementation; post progress updates as the work goes on."),
    "deliver": N_("%(ref)s is marked delivered; the offices close it once it is complete."),
    "close": N_("%(ref)s is closed."),
    "withdraw": N_("%(ref)s is withdrawn; it takes no more pledges."),
}


def step_words(project: Project, action: str, locale: str = "en") -> dict[str, Any]:
    """The parameters the step messages name: the project, its owner and label."""
    return {
        "ref": project.ref,
        "title": project.title(locale),
        "owner": project.recipient.name(locale),
        "tlp": project.tlp,
    }


def step_consequences(
    project: Project, action: str, locale: str = "en"
) -> list[tuple[str, dict[str, Any]]]:
    """What taking ``action`` on ``project`` does, as sentences (English message and
    its parameters) for the confirmation page: the project and its owner, then what
    happens to its pledges."""
    words = step_words(project, action, locale)
    out: list[tuple[str, dict[str, Any]]] = []
    if action in _STEP_CONSEQUENCE:
        out.append((_STEP_CONSEQUENCE[action], words))
    counts: dict[str, int] = {}
    for (status,) in (
        Pledge.select(Pledge.status)
        .where((Pledge.project == project.id) & (Pledge.status != "withdrawn"))
        .tuples()
    ):
        counts[status] = counts.get(status, 0) + 1
    total = sum(counts.values())
    if action in ("withdraw", "reject", "close") and total:
        out.append(
            (
                N_(
                    "Its %(count)s pledges (%(offered)s offered, %(confirmed)s confirmed or "
                    "paid) stay on record as they are; their donors see the project's new status."
                ),
                {
                    "count": total,
                    "offered": counts.get("offered", 0),
                    "confirmed": total - counts.get("offered", 0),
                },
            )
        )
    elif action in ("withdraw", "reject", "close"):
        out.append((N_("It has no pledges."), {}))
    return out
