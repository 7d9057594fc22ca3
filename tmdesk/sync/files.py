"""Exchange by file where no network may be used (issue #14): the same content as
the online sync, in files signed by the sending installation and encrypted to
the receiving one (:mod:`tmdesk.exchange.envelope`, which also refuses a
changed, misaddressed, replayed or out-of-order file, changing nothing).

* **Office → a person's desk** (``tmdesk exchange export --for EMAIL``): what
  that person may see *now* — every visible project with everything under it,
  its documents' bytes, reference data — plus the office's answers to the
  actions it has received from that person. A file is a whole snapshot, so a
  lost file costs nothing: the next one carries everything; the desk deletes
  the office's projects the snapshot no longer holds (they left the view).
  It also carries the person's password hash, encrypted to that desk only,
  so they log in there with their office password.
* **Desk → office** (``tmdesk exchange export``): the queue of actions waiting,
  with their idempotency keys and the bytes of attached documents. The office
  applies them exactly as a push (:func:`tmdesk.sync.office.push`) as the
  person the desk's key was pinned for. The actions stay queued on the desk
  until an answer comes back (by file or online), so sending the same actions
  again, by file or by sync, is harmless: their keys are applied once.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tmdesk import paths
from tmdesk.core import projects as project_service
from tmdesk.core.db import database
from tmdesk.core.i18n import N_
from tmdesk.core.models import (
    AppliedAction,
    Document,
    OfficeLink,
    Organisation,
    OutboxAction,
    Project,
    TrustedKey,
    User,
)
from tmdesk.core.visibility import visible_projects
from tmdesk.exchange import envelope, trust
from tmdesk.exchange.keys import installation_keys
from tmdesk.sync import desk, office, outbox, receive
from tmdesk.sync.client import SyncProblem
from tmdesk.sync.wire import PROTOCOL_VERSION, IdMap, UidMap, encode_user

KIND_TO_DESK = "office-to-desk"
KIND_TO_OFFICE = "desk-to-office"
#: The office's answers a file carries: the person's most recent actions.
ANSWERS_KEPT = 5000
#: Projects per page of a file's snapshot (as a pull page).
FILE_PAGE = 500


class FileProblem(SyncProblem):
    """The file cannot be written or read here; the message says what to do."""


def _desk_key_of(email: str) -> TrustedKey:
    peer = (
        TrustedKey.select()
        .where(
            (TrustedKey.role == trust.ROLE_DESK)
            & (TrustedKey.person_email == email)
            & TrustedKey.revoked_at.is_null()
        )
        .order_by(TrustedKey.pinned_at.desc())
        .first()
    )
    if peer is None:
        raise FileProblem(
            N_(
                "No desk key is trusted for %(email)s: link that desk online once, or pin "
                "its key (tmdesk keys trust … --desk-of EMAIL) after comparing fingerprints."
            ),
            email=email,
        )
    return peer


# --- office → desk ---------------------------------------------------------------


def office_export(data_dir: Path, email: str) -> bytes:
    """A file for ``email``'s desk: their view now, documents, and answers."""
    user = User.get_or_none((User.email == email.strip().lower()) & User.active)
    if user is None:
        raise FileProblem(N_("No active account %(email)s on this office."), email=email)
    peer = _desk_key_of(user.email)
    uids = UidMap()
    visible = list(visible_projects(user).order_by(Project.id))
    pages = []
    for start in range(0, len(visible), FILE_PAGE):
        bundles, people = office.project_bundles(visible[start : start + FILE_PAGE], uids, user)
        pages.append({"projects": bundles, "people": people})
    docs_dir = paths.documents_dir(data_dir)
    documents = {}
    for bundle in (b for page in pages for b in page["projects"]):
        for doc in bundle["documents"]:
            stored = Document.get(Document.uid == doc["uid"]).stored_name
            path = docs_dir / stored
            if path.is_file():
                documents[doc["uid"]] = base64.b64encode(path.read_bytes()).decode()
    answers = {
        a.key: json.loads(a.outcome)
        for a in AppliedAction.select()
        .where(AppliedAction.user == user.id)
        .order_by(AppliedAction.applied_at.desc())
        .limit(ANSWERS_KEPT)
    }
    person = encode_user(user, uids) | {"password_hash": user.password_hash}
    payload = {
        "protocol": PROTOCOL_VERSION,
        "person": person,
        "reference": office.reference_data(user, uids),
        "pages": pages,
        "documents": documents,
        "answers": answers,
    }
    body = json.dumps(payload, ensure_ascii=False).encode()
    me = installation_keys(data_dir)
    with database.atomic():
        sequence = trust.reserve_sequence(peer)
        return envelope.seal(
            body,
            kind=KIND_TO_DESK,
            sender=me,
            recipient=trust.public_keys_of(peer),
            addressed_to=user.email,
            sequence=sequence,
        )


def _become_file_linked(person: dict[str, Any], ids: IdMap) -> OfficeLink:
    """The first office file on a desk not linked online: its person is the file's."""
    values = {
        "uid": person["uid"],
        "email": person["email"],
        "name": person.get("name") or "",
        "active": True,
        "password_hash": person["password_hash"],
    }
    user = User.get_or_none(User.uid == person["uid"])
    if user is None:
        user = User.create(**values, organisation=ids.id(Organisation, person["organisation"]))
    else:
        User.update(**values).where(User.id == user.id).execute()
    desk.mark_linked()
    # A desk linked by file has no office address and no token: nothing to send online.
    return OfficeLink.create(office_url="", token="", user=user.id)  # nosec B106: no token


def desk_import(data_dir: Path, data: bytes, email: str | None = None) -> desk.Report:
    """Import an office file on this desk: answers, then the office's snapshot."""
    link = desk.current_link()
    if link is None and not email:
        raise FileProblem(
            N_("This desk is not linked yet: give the e-mail the file is for (--email).")
        )
    addressed = link.user.email if link is not None else str(email).strip().lower()
    opened = envelope.open_sealed(
        data, receiver=installation_keys(data_dir), addressed_to=addressed, kind=KIND_TO_DESK
    )
    if opened.sender_role != trust.ROLE_OFFICE:
        raise FileProblem(N_("This file was not written by an office."))
    report = desk.Report()

    def apply(o) -> desk.Report:
        payload = json.loads(o.payload)
        if payload.get("protocol") != PROTOCOL_VERSION:
            raise FileProblem(
                N_("The office runs a tmdesk that exchanges differently: update both.")
            )
        ids = IdMap()
        current = desk.current_link()
        if current is None:
            receive.apply_reference(payload["reference"], ids, None)
            current = _become_file_linked(payload["person"], ids)
        answers = payload.get("answers") or {}
        for action in OutboxAction.select().where(OutboxAction.state == "pending"):
            if action.key in answers:
                outbox.record_answer(action, answers[action.key])
                if action.state == "done":
                    report.pushed += 1
                elif action.state == "refused":
                    report.refused.append(action)
        documents = paths.documents_dir(data_dir)
        files = receive.store_documents(payload.get("documents") or {}, documents)
        held = {
            uid
            for (uid, ref) in Project.select(Project.uid, Project.ref).tuples()
            if not project_service.is_unsent_ref(ref)
        }
        sent = {b["uid"] for page in payload["pages"] for b in page["projects"]}
        removed = sorted(held - sent - outbox.pending_uids())
        pages = payload["pages"] or [{"projects": [], "people": []}]
        seen: set[str] = set()
        stale: list[str] = []
        for number, page in enumerate(pages):
            last = number == len(pages) - 1
            stale += receive.apply_page(
                {
                    "protocol": PROTOCOL_VERSION,
                    "cursor": current.cursor,
                    "reference": payload["reference"],
                    "people": page["people"],
                    "projects": page["projects"],
                    "removed": removed if last else [],
                },
                current,
                files,
                ids,
                seen,
            )
            report.received += len(page["projects"])
        report.removed = len(removed)
        for name in stale:
            (documents / name).unlink(missing_ok=True)
        return report

    result = trust.accept(opened, apply, user=link.user if link else None, via="exchange file")
    if result.removed:
        receive.scrub(database.obj)
    return result


# --- desk → office ---------------------------------------------------------------


def desk_export(data_dir: Path) -> tuple[bytes, int]:
    """A file for the office with the actions waiting here; and how many."""
    link = desk.current_link()
    if link is None:
        raise FileProblem(N_("This desk is not linked to an office."))
    peer = trust.office_key()
    if peer is None:
        raise FileProblem(
            N_(
                "No office key is trusted here: link online once, or pin the office's key "
                "(tmdesk keys trust … --office) after comparing fingerprints."
            )
        )
    pending = list(
        OutboxAction.select().where(OutboxAction.state == "pending").order_by(OutboxAction.id)
    )
    documents = paths.documents_dir(data_dir)
    blobs = {}
    for action in pending:
        if action.kind == "document.attach":
            doc = Document.get_or_none(Document.uid == action.entity_uid)
            if doc is not None and (documents / doc.stored_name).is_file():
                raw = (documents / doc.stored_name).read_bytes()
                blobs[doc.sha256] = base64.b64encode(raw).decode()
    payload = {
        "protocol": PROTOCOL_VERSION,
        "person": link.user.uid,
        "actions": [json.loads(a.payload) | {"key": a.key} for a in pending],
        "blobs": blobs,
    }
    me = installation_keys(data_dir)
    with database.atomic():
        sequence = trust.reserve_sequence(peer)
        data = envelope.seal(
            json.dumps(payload, ensure_ascii=False).encode(),
            kind=KIND_TO_OFFICE,
            sender=me,
            recipient=trust.public_keys_of(peer),
            addressed_to="office",
            sequence=sequence,
        )
    return data, len(pending)


def office_import(data_dir: Path, data: bytes, donor_fields: Sequence = ()) -> list[dict[str, Any]]:
    """Apply a desk's file on the office as its person: each action exactly once
    (``donor_fields``: the fields the office's plugins declare)."""
    opened = envelope.open_sealed(
        data, receiver=installation_keys(data_dir), addressed_to="office", kind=KIND_TO_OFFICE
    )
    if opened.sender_role != trust.ROLE_DESK:
        raise FileProblem(N_("This file was not written by a desk."))
    user = User.get_or_none((User.email == opened.sender_email) & User.active)
    if user is None:
        raise FileProblem(
            N_("The desk's person %(email)s has no active account here."),
            email=opened.sender_email,
        )

    def apply(o) -> list[dict[str, Any]]:
        payload = json.loads(o.payload)
        if payload.get("protocol") != PROTOCOL_VERSION:
            raise FileProblem(N_("The desk runs a tmdesk that exchanges differently: update both."))
        for sha, raw in (payload.get("blobs") or {}).items():
            office.store_blob(data_dir, sha, base64.b64decode(raw))
        actions = payload.get("actions") or []
        results: list[dict[str, Any]] = []
        for start in range(0, len(actions), office.MAX_ACTIONS):
            batch = actions[start : start + office.MAX_ACTIONS]
            results += office.push(user, batch, data_dir, donor_fields)
        return results

    return trust.accept(opened, apply, user=user, via="exchange file")
