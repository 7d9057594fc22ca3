"""The desk's side of the exchange: link, queue, push, pull (AMP Offline's model).

* **Link**: the person's office e-mail and password go to the office once; it
  answers with a token for this desk. The desk keeps the token and a hash of
  the password it was given, so the same person logs in here offline.
* **Queue**: on a linked desk every change its person makes goes through the
  core services as always (applied here at once) and, in the same transaction,
  :func:`queue_action` — an audit listener — appends it to the outbox with a
  fresh idempotency key.
* **Sync**: push the outbox in order (the office applies each action once and
  answers applied or refused), then pull pages of what changed since the
  cursor, each page applied in one transaction with the cursor that follows
  it. A kill -9 at any point leaves either the old page and cursor or the new
  ones; an action the office applied but whose answer was lost is pushed again
  under the same key and answered the same.
* **Refused**: a refused action is kept with the office's reason and the
  person's local version (``OutboxAction.local_copy``) until redone or
  discarded; the project it touched is fetched again so the desk shows the
  office's state meanwhile.

This module holds the link and one sync round; the work is in
:mod:`tmdesk.sync.client` (HTTP to the office, and the problems an exchange can
meet), :mod:`tmdesk.sync.outbox` (the queue, answers, the refused list),
:mod:`tmdesk.sync.receive` (applying what the office sends) and
:mod:`tmdesk.sync.money` (transactions, donor fields, dated rates). The pages
and commands import the problems and the refused list from those modules.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tmdesk import paths
from tmdesk.core import audit
from tmdesk.core import projects as project_service
from tmdesk.core.accounts import hash_password
from tmdesk.core.db import database
from tmdesk.core.i18n import N_
from tmdesk.core.models import (
    Document,
    Meta,
    OfficeLink,
    Organisation,
    OutboxAction,
    Project,
    User,
    model_update,
    utcnow,
)
from tmdesk.exchange import trust
from tmdesk.exchange.keys import installation_keys
from tmdesk.sync.client import DeskRevoked, NotLinked, Office, OfficeUnreachable, SyncProblem
from tmdesk.sync.outbox import queue_action, record_answer
from tmdesk.sync.receive import apply_page, apply_reference, fetch_documents, scrub
from tmdesk.sync.wire import PROTOCOL_VERSION, IdMap

#: The provisional refs of a linked desk's drafts start with this.
DESK_REF_PREFIX = "DESK"
#: Actions per push request (the office takes up to 200).
PUSH_BATCH = 100
#: Seconds between background syncs while the office answers.
SYNC_INTERVAL = 180

#: What the pages and commands call here: the link and the round. The problems an
#: exchange can meet are :mod:`tmdesk.sync.client`'s, the refused list is
#: :mod:`tmdesk.sync.outbox`'s: import them from there.
__all__ = [
    "Report",
    "Status",
    "current_link",
    "install",
    "is_linked",
    "link",
    "mark_linked",
    "status",
    "sync",
    "unlink",
]

# --- link state ---------------------------------------------------------------


def current_link() -> OfficeLink | None:
    return OfficeLink.select().first()


def is_linked() -> bool:
    return OfficeLink.select().exists()


@dataclass
class Status:
    linked: bool
    office_url: str = ""
    email: str = ""
    last_sync_at: Any = None
    last_attempt_at: Any = None
    last_error: str = ""
    revoked: bool = False
    waiting: int = 0
    refused: int = 0


def status() -> Status:
    """Where this desk stands (the header, ``tmdesk office status``)."""
    link = current_link()
    if link is None:
        return Status(linked=False)
    count = OutboxAction.select().where(OutboxAction.state == "pending").count()
    refused = OutboxAction.select().where(OutboxAction.state == "refused").count()
    return Status(
        linked=True,
        office_url=link.office_url,
        email=link.user.email,
        last_sync_at=link.last_sync_at,
        last_attempt_at=link.last_attempt_at,
        last_error=link.last_error,
        revoked=link.revoked_at is not None,
        waiting=count,
        refused=refused,
    )


def link(
    office_url: str, email: str, password: str, desk_name: str = "", data_dir: Path | None = None
) -> OfficeLink:
    """Link this desk to the office for the person with these office credentials.

    Refused on a desk already linked, or one holding projects of its own (their
    references would clash with the office's). With ``data_dir``, the two
    installations' exchange keys are pinned on both sides (for exchange files
    later). Does not pull: call :func:`sync`.
    """
    if is_linked():
        raise SyncProblem(N_("This desk is already linked to an office: unlink it first."))
    if Project.select().exists():
        raise SyncProblem(
            N_(
                "This desk holds projects of its own. Link a new data folder to the office "
                "(tmdesk --data-dir NEW office link …)."
            )
        )
    office = Office(office_url)
    request = {"email": email, "password": password, "desk": desk_name or "desk"}
    if data_dir is not None:
        request["desk_key"] = installation_keys(data_dir).public.text
    answer = office.call("POST", "link", request)
    if answer.get("protocol") != PROTOCOL_VERSION:
        raise SyncProblem(N_("The office runs a tmdesk that exchanges differently: update both."))
    office.token = answer["token"]
    first = office.call("GET", "pull", query={"cursor": "", "limit": "1"})
    person = answer["person"]
    with database.atomic():
        ids = IdMap()
        apply_reference(first["reference"], ids, person_uid=None)
        values = {
            "uid": person["uid"],
            "email": person["email"],
            "name": person["name"],
            "organisation": ids.id(Organisation, person["organisation"]),
            "active": True,
            "password_hash": hash_password(password),
        }
        user = User.get_or_none(User.uid == person["uid"])
        if user is None:
            user = User.create(**values)
        else:
            model_update(User, **values).where(User.id == user.id).execute()
        mark_linked()
        if data_dir is not None and answer.get("office_key"):
            trust.pin_linked_key(
                user, answer["office_key"], role=trust.ROLE_OFFICE, label=office.url
            )
        return OfficeLink.create(office_url=office.url, token=office.token, user=user.id)


def mark_linked() -> None:
    """From now on this desk's new drafts get provisional refs (portable: no REPLACE)."""
    key = project_service.PROVISIONAL_PREFIX_KEY
    Meta.delete().where(Meta.key == key).execute()
    Meta.create(key=key, value=DESK_REF_PREFIX)


def unlink(force: bool = False) -> None:
    """Forget the office (the data stays: a desk alone). Refused while actions wait,
    unless ``force``; revoke the desk's token on the office to end it there too."""
    link = current_link()
    if link is None:
        raise NotLinked(N_("This desk is not linked to an office."))
    waiting = OutboxAction.select().where(OutboxAction.state == "pending").count()
    if waiting and not force:
        raise SyncProblem(
            N_(
                "%(n)s action(s) are waiting to be sent to the office: sync first, "
                "or unlink with --force to give them up."
            ),
            n=waiting,
        )
    with database.atomic():
        OfficeLink.delete().execute()
        OutboxAction.delete().where(OutboxAction.state == "pending").execute()
        Meta.delete().where(Meta.key == project_service.PROVISIONAL_PREFIX_KEY).execute()


def install() -> None:
    """Queue the linked person's changes from now on (the web app and CLI call this)."""
    audit.add_listener(queue_action)


# --- one sync round -------------------------------------------------------------


@dataclass
class Report:
    pushed: int = 0
    refused: list[OutboxAction] = field(default_factory=list)
    received: int = 0
    removed: int = 0


_lock = threading.Lock()


def _upload_blob(office: Office, action: OutboxAction, documents: Path) -> None:
    doc = Document.get_or_none(Document.uid == action.entity_uid)
    if doc is None:
        return  # gone locally; the office refuses the attach for missing bytes
    office.call("PUT", f"blobs/{doc.sha256}", raw=(documents / doc.stored_name).read_bytes())


def push_pending(office: Office, documents: Path) -> tuple[int, list[OutboxAction]]:
    pushed, refused = 0, []
    while True:
        batch = list(
            OutboxAction.select()
            .where(OutboxAction.state == "pending")
            .order_by(OutboxAction.id)
            .limit(PUSH_BATCH)
        )
        if not batch:
            return pushed, refused
        for action in batch:
            if action.kind == "document.attach":
                _upload_blob(office, action, documents)
        wire = [json.loads(a.payload) | {"key": a.key} for a in batch]
        answers = {
            a.get("key"): a for a in office.call("POST", "push", {"actions": wire})["results"]
        }
        progressed = False
        with database.atomic():
            for action in batch:
                answer = answers.get(action.key)
                if answer is None:
                    continue
                record_answer(action, answer)
                if action.state == "done":
                    pushed += 1
                    progressed = True
                elif action.state == "refused":
                    refused.append(action)
                    progressed = True
        if not progressed:
            raise OfficeUnreachable(N_("The office did not answer the queued actions; they wait."))


def _refresh_uids(refused: list[OutboxAction]) -> list[str]:
    uids = set()
    for action in refused:
        data = json.loads(action.payload).get("data") or {}
        if data.get("project"):
            uids.add(data["project"])
    return sorted(uids)


def sync(data_dir: Path) -> Report:
    """Push the queue, then pull everything new; raises :class:`SyncProblem` subclasses."""
    with _lock:
        link = current_link()
        if link is None:
            raise NotLinked(N_("This desk is not linked to an office."))
        if link.revoked_at is not None:
            raise DeskRevoked(N_("The office revoked this desk's link: link it again."))
        if not link.office_url:
            raise NotLinked(
                N_(
                    "This desk exchanges with its office by file only "
                    "(tmdesk exchange export / tmdesk exchange import)."
                )
            )
        office = Office(link.office_url, link.token)
        documents = paths.documents_dir(data_dir)
        report = Report()
        link.last_attempt_at = utcnow()
        link.save(only=[OfficeLink.last_attempt_at])
        try:
            report.pushed, report.refused = push_pending(office, documents)
            refresh = _refresh_uids(report.refused)
            ids, seen = IdMap(), set()

            def fetch(cursor: str, refresh: list[str]) -> tuple[dict, dict[str, str]]:
                query = {"cursor": cursor}
                if refresh:
                    query["refresh"] = ",".join(refresh)
                page = office.call("GET", "pull", query=query)
                with database.connection_context():
                    files = fetch_documents(office, page.get("projects", []), documents)
                return page, files

            # The next page is fetched while this one is applied (the cursor to ask
            # for is in the page, before it is applied).
            with ThreadPoolExecutor(max_workers=1) as pool:
                coming = pool.submit(fetch, link.cursor, refresh)
                while True:
                    page, files = coming.result()
                    if page.get("more"):
                        coming = pool.submit(fetch, page["cursor"], [])
                    stale = apply_page(page, link, files, ids, seen)
                    report.received += len(page.get("projects", []))
                    report.removed += len(page.get("removed", []))
                    for name in stale:
                        (documents / name).unlink(missing_ok=True)
                    if page.get("removed"):
                        scrub(database.obj)
                    if not page.get("more"):
                        break
        except DeskRevoked as exc:
            link.revoked_at = utcnow()
            link.last_error = str(exc)
            link.save(only=[OfficeLink.revoked_at, OfficeLink.last_error])
            raise
        except SyncProblem as exc:
            link.last_error = str(exc)
            link.save(only=[OfficeLink.last_error])
            raise
        link.last_sync_at = utcnow()
        link.last_error = ""
        link.save(only=[OfficeLink.last_sync_at, OfficeLink.last_error])
        return report
