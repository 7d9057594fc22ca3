"""The office's side of the exchange: what a desk receives, and what it may push.

Pull (AMP Offline's "what changed since the last sync", CouchDB's cursor): the
desk sends the cursor it got last time; the office answers with the projects
that changed since then *as its person may see them now* — filtered here, at
the sender, by :func:`tmdesk.core.visibility.visible_projects`, never by the
receiver (MISP's lesson) — plus the uids of projects the desk holds that have
left that person's view, which the desk then deletes. A cursor is opaque to
the desk: ``f:<last project id>:<change seq at start>`` while the first full
copy is being sent page by page, then ``c:<change seq>``.

Push: each action carries an idempotency key and is applied at most once,
through the same core service functions the office's own pages call (so the
office validates, checks permission and writes its audit log as if the person
had clicked there). An edit carries the version it was made on; if the record
has changed on the office since, the edit is refused (412) and the desk keeps
the person's copy. Every answer, refusals included, is stored under its key,
so a replayed push is answered the same and creates nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import peewee as pw

from tmdesk import paths
from tmdesk.core import offers as offer_service
from tmdesk.core import pledges as pledge_service
from tmdesk.core import projects as project_service
from tmdesk.core import updates as update_service
from tmdesk.core.db import database
from tmdesk.core.errors import DomainError, NotFound, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import (
    AppliedAction,
    ChangeLog,
    DeskHolding,
    DeskLink,
    Document,
    Engagement,
    ExchangeRate,
    Organisation,
    Pledge,
    Project,
    ProjectMember,
    StatusChange,
    Update,
    User,
    utcnow,
)
from tmdesk.core.visibility import OFFICE_KINDS, can_see, visible_offers, visible_projects
from tmdesk.exchange import trust
from tmdesk.sync import money
from tmdesk.sync.wire import (
    PROTOCOL_VERSION,
    UidMap,
    action_data,
    encode_row,
    encode_user,
    new_record_uid,
)

log = logging.getLogger(__name__)

#: Projects per pull page: bounded memory and request time on both sides.
PAGE_SIZE = 200
#: Actions per push request.
MAX_ACTIONS = 200


class BadCursor(ValidationError):
    """The cursor is not one this office wrote."""

    http_status = 400


# --- pull -----------------------------------------------------------------


def head_seq() -> int:
    """The newest change's sequence number (0 when nothing has changed yet)."""
    return ChangeLog.select(pw.fn.MAX(ChangeLog.seq)).scalar() or 0


def _parse_cursor(cursor: str) -> tuple[str, int, int]:
    """``("full", after_id, start_seq)`` or ``("changes", seq, 0)``."""
    cursor = (cursor or "").strip()
    try:
        if cursor in ("", "0"):
            return "full", 0, head_seq()
        kind, _, rest = cursor.partition(":")
        if kind == "f":
            after, start = (int(x) for x in rest.split(":"))
            return "full", after, start
        if kind == "c":
            return "changes", int(rest), 0
    except ValueError:
        pass
    raise BadCursor({"cursor": N_("This is not a sync cursor of this office.")})


def pull(
    link: DeskLink, cursor: str, page_size: int = PAGE_SIZE, refresh: list[str] | None = None
) -> dict[str, Any]:
    """One page of what changed for ``link``'s person since ``cursor``.

    ``refresh`` names projects (by uid) the desk wants again whatever the cursor
    says: those an action was refused on, whose local copy must go back to the
    office's.
    """
    user = link.user
    mode, position, start_seq = _parse_cursor(cursor)
    page_size = max(1, min(int(page_size), PAGE_SIZE))
    if mode == "full":
        projects = list(
            visible_projects(user)
            .where(Project.id > position)
            .order_by(Project.id)
            .limit(page_size)
        )
        removed: list[str] = []
        more = len(projects) == page_size
        next_cursor = f"f:{projects[-1].id}:{start_seq}" if more else f"c:{start_seq}"
    else:
        head = head_seq()
        latest = pw.fn.MAX(ChangeLog.seq)
        changed = list(
            ChangeLog.select(ChangeLog.project_id, latest.alias("last"))
            .where(
                (ChangeLog.seq > position)
                & (ChangeLog.seq <= head)
                & ChangeLog.project_id.is_null(False)
            )
            .group_by(ChangeLog.project_id)
            .order_by(latest)
            .limit(page_size)
            .tuples()
        )
        more = len(changed) == page_size
        next_cursor = f"c:{changed[-1][1]}" if more else f"c:{max(head, position)}"
        ids = [pid for pid, _ in changed]
        projects = list(visible_projects(user).where(Project.id.in_(ids)).order_by(Project.id))
        seen = {p.id for p in projects}
        gone_uids = [
            uid
            for (uid,) in Project.select(Project.uid)
            .where(Project.id.in_([i for i in ids if i not in seen]))
            .tuples()
        ]
        held = {
            h.project_uid
            for h in DeskHolding.select(DeskHolding.project_uid).where(
                (DeskHolding.link == link.id) & DeskHolding.project_uid.in_(gone_uids)
            )
        }
        removed = sorted(held)
    if refresh:
        wanted = [u for u in refresh[:PAGE_SIZE] if isinstance(u, str)]
        have = {p.uid for p in projects}
        again = list(visible_projects(user).where(Project.uid.in_(wanted)))
        projects += [p for p in again if p.uid not in have]
        hidden = set(wanted) - {p.uid for p in again}
        removed = sorted(
            set(removed)
            | {
                h.project_uid
                for h in DeskHolding.select(DeskHolding.project_uid).where(
                    (DeskHolding.link == link.id) & DeskHolding.project_uid.in_(list(hidden))
                )
            }
        )
    uids = UidMap()
    bundles, people = project_bundles(projects, uids, user)
    with database.atomic():
        if removed:
            DeskHolding.delete().where(
                (DeskHolding.link == link.id) & DeskHolding.project_uid.in_(removed)
            ).execute()
        if projects:
            DeskHolding.insert_many(
                [{"link": link.id, "project_uid": p.uid} for p in projects]
            ).on_conflict_ignore().execute()
        link.last_sync_at = utcnow()
        link.save(only=[DeskLink.last_sync_at])
    answer: dict[str, Any] = {
        "protocol": PROTOCOL_VERSION,
        "cursor": next_cursor,
        "more": more,
        "projects": bundles,
        "removed": removed,
        "people": people,
    }
    # Small, and wanted whole before any project that names them: every page.
    answer["reference"] = reference_data(user, uids)
    return answer


def project_bundles(
    projects: list[Project], uids: UidMap, user: User
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each project with everything under it as ``user`` may see it (donor fields
    only where they are ``user``'s to see), and the people those rows name.

    Children are read in one query per kind for the whole page, not per project.
    """
    ids = [p.id for p in projects]
    uids.preload(Project, ids)
    children: dict[str, dict[int, list]] = {}
    kinds: list[tuple[str, pw.ModelSelect]] = [
        ("pledges", Pledge.select().where(Pledge.project.in_(ids)).order_by(Pledge.id)),
        ("updates", Update.select().where(Update.project.in_(ids)).order_by(Update.id)),
        ("documents", Document.select().where(Document.project.in_(ids)).order_by(Document.id)),
        (
            "engagements",
            Engagement.select().where(Engagement.project.in_(ids)).order_by(Engagement.id),
        ),
        (
            "history",
            StatusChange.select().where(StatusChange.project.in_(ids)).order_by(StatusChange.id),
        ),
        ("members", ProjectMember.select().where(ProjectMember.project.in_(ids))),
    ]
    for name, query in kinds:
        grouped: dict[int, list] = defaultdict(list)
        for row in query:
            grouped[row.project_id].append(row)
        children[name] = grouped
    for name, model in (("pledges", Pledge), ("updates", Update)):
        uids.preload(model, [r.id for rows in children[name].values() for r in rows])
    transactions, donor_fields, people = money.bundle_money(user, ids, uids)
    bundles = []
    for project in projects:
        bundle = encode_row(project, uids)
        people.add(project.created_by_id)
        for name in ("pledges", "updates", "documents", "engagements"):
            rows = children[name][project.id]
            bundle[name] = [encode_row(r, uids) for r in rows]
            for r in rows:
                people.add(
                    getattr(r, "created_by_id", None)
                    or getattr(r, "author_id", None)
                    or getattr(r, "uploaded_by_id", None)
                )
        bundle["transactions"] = transactions[project.id]
        bundle["donor_fields"] = donor_fields[project.id]
        bundle["history"] = [
            encode_row(r, uids, drop=("project",)) for r in children["history"][project.id]
        ]
        people.update(r.user_id for r in children["history"][project.id])
        members = children["members"][project.id]
        bundle["members"] = [uids.uid(User, m.user_id) for m in members]
        people.update(m.user_id for m in members)
        bundles.append(bundle)
    people.discard(None)
    users = User.select().where(User.id.in_(sorted(people))) if people else []
    return bundles, [encode_user(u, uids) for u in users]


def reference_data(user: User, uids: UidMap | None = None) -> dict[str, Any]:
    """What every desk needs besides projects: organisations, the people its
    person may need to name (their own organisation's and the offices'),
    exchange rates (one set for the network, so euro figures agree), and the
    person's own offers."""
    uids = uids or UidMap()
    uids.preload(Organisation)
    people = (
        User.select()
        .join(Organisation)
        .where(
            User.active
            & ((User.organisation == user.organisation_id) | Organisation.kind.in_(OFFICE_KINDS))
        )
    )
    return {
        "organisations": [
            encode_row(o, uids) for o in Organisation.select().order_by(Organisation.id)
        ],
        "people": [encode_user(u, uids) for u in people],
        "rates": [
            encode_row(r, uids) for r in ExchangeRate.select().order_by(ExchangeRate.currency)
        ],
        # The rates with their effective dates: a desk converts each transaction at the
        # rate of its value date, as the office does.
        "dated_rates": money.encode_rates(),
        "offers": [encode_row(o, uids) for o in visible_offers(user)],
    }


def link_desk(
    email: str, password: str, desk_name: str, desk_key: str = ""
) -> tuple[DeskLink, str]:
    """Check the person's office credentials and issue their desk a token of its own.

    The token is listed with the person's tokens (profile and administrators'
    pages) and revoking it there unlinks the desk. ``desk_key`` (the desk's
    public keys, one line) is pinned for that person's desk in the same
    transaction, so exchange files from that desk are accepted later. Raises
    PermissionDenied for wrong credentials (one message, whichever part was wrong).
    """
    from tmdesk.core import accounts, tokens
    from tmdesk.core.errors import PermissionDenied

    user = accounts.authenticate(email, password)
    if user is None:
        raise PermissionDenied(N_("Wrong e-mail or password, or the account is locked."))
    name = (desk_name or "").strip()[:80] or "desk"
    with database.atomic():
        # A desk's token follows every token's rules: it writes (the desk pushes its
        # work), lasts the default days (renewable on the person's profile) and is
        # revoked with the others when the password changes, which unlinks the desk.
        token, plain = tokens.create_token(user, user, name=f"desk: {name}", scope="read_write")
        link = DeskLink.create(token=token, user=user, desk_name=name)
        if desk_key:
            trust.pin_linked_key(
                user, desk_key, role=trust.ROLE_DESK, person_email=user.email, label=name
            )
    return link, plain


def link_for_token(plain: str) -> DeskLink | None:
    """The desk link whose working token this is (not revoked, not expired, its
    person active: :func:`tmdesk.core.tokens.token_for`, which notes its use)."""
    from tmdesk.core import tokens

    token = tokens.token_for(plain)
    return DeskLink.get_or_none(DeskLink.token == token.id) if token else None


# --- push -----------------------------------------------------------------


class Stale(DomainError):
    """The record changed on the office since the desk's copy was made."""

    http_status = 412


def _project(user: User, uid: Any) -> Project:
    project = Project.get_or_none(Project.uid == str(uid or ""))
    if project is None or not can_see(user, project):
        raise NotFound(N_("The project is not on the office, or you may no longer see it."))
    return project


def _pledge(user: User, uid: Any) -> Pledge:
    pledge = Pledge.get_or_none(Pledge.uid == str(uid or ""))
    if pledge is None or not can_see(user, pledge.project):
        raise NotFound(N_("The pledge is not on the office, or you may no longer see it."))
    return pledge


def _check_version(record: Project | Pledge, action: dict[str, Any]) -> None:
    base = action.get("base_version")
    if base is not None and base != record.version:
        raise Stale(
            N_(
                "It was changed on the office after your copy was made (your copy: "
                "version %(mine)s, the office: version %(theirs)s). Look at the office's "
                "version, then redo your change."
            ),
            mine=base,
            theirs=record.version,
        )


def blob_path(data_dir: Path, sha256: str) -> Path:
    """Where a document's bytes wait between upload and the action attaching them."""
    return paths.data_dir(data_dir) / "sync-blobs" / sha256


def store_blob(data_dir: Path, sha256: str, body: bytes) -> None:
    """Keep uploaded bytes for a later ``document.attach``, checked against their hash."""
    if len(body) > update_service.MAX_DOCUMENT_BYTES:
        raise ValidationError(
            {
                "file": N_("The file is larger than %(mb)d MB.")
                % {"mb": update_service.MAX_DOCUMENT_BYTES // (1024 * 1024)}
            }
        )
    if hashlib.sha256(body).hexdigest() != sha256.lower():
        raise ValidationError({"file": N_("The bytes do not match their SHA-256.")})
    target = blob_path(data_dir, sha256.lower())
    paths.make_private_dir(target.parent)
    tmp = target.with_suffix(".part")
    tmp.write_bytes(body)
    tmp.replace(target)


def _apply_project_create(user, action, ctx):
    project = project_service.create_draft(user, action_data(action), uid=new_record_uid(action))
    return project


def _apply_project_update(user, action, ctx):
    project = _project(user, action.get("uid"))
    _check_version(project, action)
    return project_service.update_draft(user, project, action_data(action), partial=True)


def _apply_project_transition(user, action, ctx):
    project = _project(user, action.get("uid"))
    data = action_data(action)
    return project_service.transition(
        user, project, str(data.get("action") or ""), str(data.get("comment") or "")
    )


def _apply_project_tlp(user, action, ctx):
    project = _project(user, action.get("uid"))
    _check_version(project, action)
    return project_service.change_tlp(user, project, str(action_data(action).get("tlp") or ""))


def _apply_project_members(user, action, ctx):
    project = _project(user, action.get("uid"))
    emails = action_data(action).get("emails") or []
    if not isinstance(emails, list):
        raise ValidationError({"members": N_("Give the list of e-mail addresses.")})
    project_service.set_members(user, project, [str(e) for e in emails])
    return project


def _apply_pledge_create(user, action, ctx):
    data = action_data(action)
    project = _project(user, data.get("project"))
    return pledge_service.create_pledge(
        user, project, data, donor_code=data.get("donor") or None, uid=new_record_uid(action)
    )


def _apply_pledge_update(user, action, ctx):
    pledge = _pledge(user, action.get("uid"))
    _check_version(pledge, action)
    return pledge_service.update_pledge(user, pledge, action_data(action))


def _apply_pledge_transition(user, action, ctx):
    pledge = _pledge(user, action.get("uid"))
    return pledge_service.transition_pledge(
        user, pledge, str(action_data(action).get("action") or "")
    )


def _apply_update_create(user, action, ctx):
    data = action_data(action)
    project = _project(user, data.get("project"))
    return update_service.post_update(user, project, data, uid=new_record_uid(action))


def _apply_document_attach(user, action, ctx):
    data = action_data(action)
    project = _project(user, data.get("project"))
    update = pledge = None
    if data.get("update"):
        update = Update.get_or_none(
            (Update.uid == str(data["update"])) & (Update.project == project.id)
        )
        if update is None:
            raise NotFound(N_("The update this document belongs to is not on the office."))
    if data.get("pledge"):
        pledge = Pledge.get_or_none(
            (Pledge.uid == str(data["pledge"])) & (Pledge.project == project.id)
        )
        if pledge is None:
            raise NotFound(N_("The pledge this document belongs to is not on the office."))
    sha = str(data.get("sha256") or "").lower()
    blob = blob_path(ctx["data_dir"], sha) if len(sha) == 64 and sha.isalnum() else None
    if blob is None or not blob.is_file():
        raise ValidationError({"file": N_("The document's bytes were not uploaded.")})
    if hashlib.sha256(blob.read_bytes()).hexdigest() != sha:
        raise ValidationError({"file": N_("The bytes do not match their SHA-256.")})
    with open(blob, "rb") as stream:
        doc = update_service.store_document(
            user,
            paths.documents_dir(ctx["data_dir"]),
            project,
            str(data.get("filename") or ""),
            stream,
            update=update,
            pledge=pledge,
            uid=new_record_uid(action),
        )
    ctx["done_blobs"].append(blob)
    return doc


def _apply_offer_create(user, action, ctx):
    data = action_data(action)
    return offer_service.create_offer(
        user, data, org_code=data.get("organisation") or None, uid=new_record_uid(action)
    )


#: Every kind of action a desk may push, and how the office applies it.
APPLIERS: dict[str, Callable[[User, dict[str, Any], dict[str, Any]], Any]] = {
    "project.create": _apply_project_create,
    "project.update": _apply_project_update,
    "project.transition": _apply_project_transition,
    "project.members": _apply_project_members,
    "project.tlp": _apply_project_tlp,
    "pledge.create": _apply_pledge_create,
    "pledge.update": _apply_pledge_update,
    "pledge.transition": _apply_pledge_transition,
    "update.create": _apply_update_create,
    "document.attach": _apply_document_attach,
    "offer.create": _apply_offer_create,
    **money.APPLIERS,
}


def _refusal(exc: DomainError) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "status": "refused",
        "http_status": exc.http_status,
        "reason": str(exc),
        "message": exc.message,
        "params": {k: str(v) for k, v in exc.params.items()},
    }
    if isinstance(exc, ValidationError):
        answer["fields"] = {k: str(v) for k, v in exc.fields.items()}
        answer["reason"] = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    return answer


def _result(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"status": "applied", "http_status": 200}
    if record is not None:
        out["uid"] = record.uid
        if "version" in type(record)._meta.fields:
            out["version"] = type(record).get_by_id(record.id).version
        if isinstance(record, Project):
            out["ref"] = Project.get_by_id(record.id).ref
    return out


def apply_action(
    user: User, action: Any, data_dir: Path, donor_fields: Sequence = ()
) -> dict[str, Any]:
    """Apply one pushed action exactly once; the answer (stored under its key).

    ``donor_fields`` are the fields the office's plugins declare, which donor
    fields set on a desk are checked against."""
    if not isinstance(action, dict):
        return {"status": "refused", "http_status": 400, "reason": "An action is an object."}
    key = action.get("key")
    kind = action.get("kind")
    if not isinstance(key, str) or not 8 <= len(key) <= 64:
        return {"status": "refused", "http_status": 400, "reason": "Each action needs a key."}
    done = AppliedAction.get_or_none(AppliedAction.key == key)
    if done is not None:
        if done.user_id != user.id:
            return {"key": key, "status": "refused", "http_status": 409, "reason": "Key in use."}
        return json.loads(done.outcome) | {"replayed": True}
    applier = APPLIERS.get(kind) if isinstance(kind, str) else None
    try:
        if applier is None:
            raise ValidationError(
                {"kind": N_("Unknown kind of action “%(kind)s”.") % {"kind": str(kind)[:40]}}
            )
        ctx: dict[str, Any] = {"data_dir": data_dir, "done_blobs": []}
        ctx["donor_fields"] = donor_fields
        with database.atomic():
            outcome = {"key": key, "kind": kind} | _result(applier(user, action, ctx))
            AppliedAction.create(key=key, user=user, kind=kind, outcome=json.dumps(outcome))
        for blob in ctx["done_blobs"]:  # stored as a document now: the upload is spent
            blob.unlink(missing_ok=True)
        return outcome
    except DomainError as exc:
        outcome = {"key": key, "kind": kind} | _refusal(exc)
    except pw.IntegrityError:
        # The same key applied by a concurrent request a moment ago: answer as it was.
        done = AppliedAction.get_or_none(AppliedAction.key == key)
        if done is not None and done.user_id == user.id:
            return json.loads(done.outcome) | {"replayed": True}
        raise
    with database.atomic():
        AppliedAction.insert(
            key=key, user=user, kind=str(kind)[:40], outcome=json.dumps(outcome)
        ).on_conflict_ignore().execute()
    return outcome


def push(
    user: User, actions: Any, data_dir: Path, donor_fields: Sequence = ()
) -> list[dict[str, Any]]:
    """Apply a batch of actions in order; one answer per action (``donor_fields``:
    the fields the office's plugins declare, see :func:`apply_action`)."""
    if not isinstance(actions, list) or len(actions) > MAX_ACTIONS:
        raise ValidationError(
            {"actions": N_("Send a list of at most %(n)d actions.") % {"n": MAX_ACTIONS}}
        )
    return [apply_action(user, action, data_dir, donor_fields) for action in actions]
