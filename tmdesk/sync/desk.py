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
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import peewee as pw

from tmdesk import paths
from tmdesk.core import audit
from tmdesk.core import pledges as pledge_service
from tmdesk.core import projects as project_service
from tmdesk.core.accounts import hash_password
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.errors import DomainError
from tmdesk.core.i18n import N_
from tmdesk.core.ids import new_uid
from tmdesk.core.models import (
    Document,
    Engagement,
    ExchangeRate,
    Meta,
    Offer,
    OfficeLink,
    Organisation,
    OutboxAction,
    Pledge,
    Project,
    ProjectMember,
    RefAlias,
    StatusChange,
    Transaction,
    Update,
    User,
    model_update,
    utcnow,
)
from tmdesk.core.updates import MAX_DOCUMENT_BYTES
from tmdesk.exchange import trust
from tmdesk.exchange.keys import installation_keys
from tmdesk.sync import money
from tmdesk.sync.wire import PROTOCOL_VERSION, IdMap, bulk_insert, decode_row, upsert_many

log = logging.getLogger(__name__)

#: The provisional refs of a linked desk's drafts start with this.
DESK_REF_PREFIX = "DESK"
#: Actions per push request (the office takes up to 200).
PUSH_BATCH = 100
#: Seconds between background syncs while the office answers.
SYNC_INTERVAL = 180
TIMEOUT = 60


class SyncProblem(DomainError):
    """The exchange could not be done; the message (marked for translation, with
    its parameters apart) says why, for the person."""


class OfficeUnreachable(SyncProblem):
    """No answer from the office (offline, down, or an error on its side): nothing lost."""


class DeskRevoked(SyncProblem):
    """The office refused this desk's token: it was revoked there. The desk stops."""


class NotLinked(SyncProblem):
    """This desk is not linked to an office."""


# --- talking to the office --------------------------------------------------


class Office:
    """The office's sync endpoints over HTTP(S), JSON in and out."""

    def __init__(self, url: str, token: str = "") -> None:  # nosec B107: no token yet when linking
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise SyncProblem(
                N_("Not an office address: “%(url)s” (use http:// or https://)."), url=url[:200]
            )
        self.url = url.rstrip("/")
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        url = f"{self.url}/api/v1/sync/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - http(s) checked above
        request.add_header(
            "Content-Type", "application/octet-stream" if raw is not None else "application/json"
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # nosec B310: scheme checked in __init__
                payload = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            try:
                message = json.loads(text).get("error") or text
            except ValueError:
                message = text[:200]
            if exc.code == 401:
                raise DeskRevoked(
                    N_("The office refused this desk's link (revoked or expired): link it again.")
                ) from exc
            if exc.code >= 500:
                raise OfficeUnreachable(
                    N_("The office answered %(code)s: %(message)s"), code=exc.code, message=message
                ) from exc
            raise SyncProblem(
                N_("The office refused (%(code)s): %(message)s"), code=exc.code, message=message
            ) from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise OfficeUnreachable(
                N_("The office at %(url)s could not be reached: %(why)s"), url=self.url, why=exc
            ) from exc
        return json.loads(payload) if kind.startswith("application/json") else payload


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


# --- the queue ----------------------------------------------------------------

_EDITABLE = project_service.EDITABLE_FIELDS
_PLEDGE_FIELDS = ("amount", "currency", "in_kind", "in_kind_quantity", "date", "note")
_UPDATE_FIELDS = ("title", "body", "date", "progress")
_OFFER_FIELDS = (
    "category",
    "description",
    "quantity",
    "value_amount",
    "value_currency",
    "valid_until",
    "status",
)


def _uid_of(model: type, row_id: int | None) -> str | None:
    if row_id is None:
        return None
    row = model.select(model.uid).where(model.id == row_id).tuples().first()
    return row[0] if row else None


def describe_action(
    action: str, entity: Any, before: dict | None, after: dict | None
) -> dict[str, Any] | None:
    """The action to send the office for one audited change on the desk, or None
    for changes that do not travel (logins, administration, local settings)."""
    name, _, verb = action.partition(".")
    before = before or {}
    after = after or {}
    if name == "project" and isinstance(entity, Project):
        out: dict[str, Any] = {"uid": entity.uid, "base_version": before.get("version")}
        data: dict[str, Any] = {"project": entity.uid}
        if verb == "create":
            out["kind"] = "project.create"
            data |= {f: after.get(f) for f in _EDITABLE}
        elif verb == "update":
            out["kind"] = "project.update"
            data |= {f: after.get(f) for f in _EDITABLE if before.get(f) != after.get(f)}
        elif verb == "tlp":
            out["kind"] = "project.tlp"
            data["tlp"] = after.get("tlp")
        elif verb == "members":
            out["kind"] = "project.members"
            data["emails"] = after.get("members") or []
        elif verb in project_service.TRANSITIONS:
            last = (
                StatusChange.select(StatusChange.comment)
                .where(StatusChange.project == entity.id)
                .order_by(StatusChange.id.desc())
                .first()
            )
            out["kind"] = "project.transition"
            data |= {"action": verb, "comment": last.comment if last else ""}
        else:
            return None
        return out | {"data": data}
    if name == "pledge" and isinstance(entity, Pledge):
        data = {"project": _uid_of(Project, entity.project_id)}
        out = {"uid": entity.uid, "base_version": before.get("version")}
        if verb == "create":
            donor = Organisation.get_by_id(entity.donor_id)
            data |= {f: after.get(f) for f in _PLEDGE_FIELDS} | {"donor": donor.code}
        elif verb == "update":
            data |= {f: after.get(f) for f in _PLEDGE_FIELDS}
        elif verb in pledge_service.PLEDGE_TRANSITIONS:
            data["action"] = verb
            verb = "transition"
        else:
            # A status the pledge's transactions reached travels as those
            # transactions (tmdesk.sync.money), donor fields as ``pledge.fields``.
            return money.describe(action, entity, before, after)
        return out | {"kind": f"pledge.{verb}", "data": data}
    if action == "update.create" and isinstance(entity, Update):
        data = {f: after.get(f) for f in _UPDATE_FIELDS}
        data["project"] = _uid_of(Project, entity.project_id)
        return {"kind": "update.create", "uid": entity.uid, "data": data}
    if action == "document.create" and isinstance(entity, Document):
        data = {
            "project": _uid_of(Project, entity.project_id),
            "update": _uid_of(Update, entity.update_id),
            "pledge": _uid_of(Pledge, entity.pledge_id),
            "filename": entity.filename,
            "sha256": entity.sha256,
            "size": entity.size,
        }
        return {"kind": "document.attach", "uid": entity.uid, "data": data}
    if action == "offer.create" and isinstance(entity, Offer):
        data = {f: after.get(f) for f in _OFFER_FIELDS}
        data["organisation"] = Organisation.get_by_id(entity.organisation_id).code
        return {"kind": "offer.create", "uid": entity.uid, "data": data}
    return money.describe(action, entity, before, after)


def queue_action(
    user: User | None, action: str, entity: Any, before: dict | None, after: dict | None
) -> None:
    """Audit listener: on a linked desk, queue its person's change for the office
    (in the transaction of the change itself, so both happen or neither)."""
    if user is None or isinstance(entity, tuple):
        return
    link = OfficeLink.select(OfficeLink.user).first()
    if link is None or link.user_id != user.id:
        return
    described = describe_action(action, entity, before, after)
    if described is None:
        return
    OutboxAction.create(
        key=new_uid(),
        kind=described["kind"],
        entity_uid=described["uid"],
        payload=json.dumps(described, ensure_ascii=False),
        local_copy=json.dumps(after, ensure_ascii=False) if after is not None else None,
        user=user,
    )


def install() -> None:
    """Queue the linked person's changes from now on (the web app and CLI call this)."""
    audit.add_listener(queue_action)


# --- applying what the office sends ---------------------------------------------


def _apply_people(people: list[dict[str, Any]], ids: IdMap, person_uid: str | None) -> None:
    for person in people:
        values = {
            "uid": person["uid"],
            "email": person["email"],
            "name": person.get("name") or "",
            "organisation": ids.id(Organisation, person["organisation"]),
            "active": bool(person.get("active", True)),
        }
        existing = User.get_or_none((User.uid == person["uid"]) | (User.email == person["email"]))
        if existing is None:
            # Others never log in here: an unusable password hash.
            row_id = User.insert(password_hash="!", **values).execute()  # nosec B106: unusable hash
        else:
            if existing.uid == person_uid:
                values.pop("active")  # the desk's own person stays as linked
            model_update(User, **values).where(User.id == existing.id).execute()
            row_id = existing.id
        ids.remember(User, person["uid"], row_id)


def apply_reference(reference: dict[str, Any], ids: IdMap, person_uid: str | None) -> None:
    for org in reference.get("organisations", []):
        existing = Organisation.get_or_none(
            (Organisation.uid == org["uid"]) | (Organisation.code == org["code"])
        )
        values = decode_row(Organisation, org, ids)
        if existing is None:
            row_id = Organisation.insert(**values).execute()
        else:
            model_update(Organisation, **values).where(Organisation.id == existing.id).execute()
            row_id = existing.id
        ids.remember(Organisation, org["uid"], row_id)
    _apply_people(reference.get("people", []), ids, person_uid)
    for rate in reference.get("rates", []):
        values = decode_row(ExchangeRate, rate, ids)
        if ExchangeRate.select().where(ExchangeRate.currency == values["currency"]).exists():
            model_update(ExchangeRate, **values).where(
                ExchangeRate.currency == values["currency"]
            ).execute()
        else:
            ExchangeRate.insert(**values).execute()
    money.apply_rates(reference.get("dated_rates"), ids)
    _upsert_many(Offer, reference.get("offers", []), ids)


def pending_uids() -> set[str]:
    return {
        uid
        for (uid,) in OutboxAction.select(OutboxAction.entity_uid)
        .where(OutboxAction.state == "pending")
        .tuples()
    }


#: The bulk writers live with the wire format (:mod:`tmdesk.sync.money` uses them too).
_bulk_insert = bulk_insert
_upsert_many = upsert_many


def _apply_projects(
    bundles: list[dict[str, Any]], ids: IdMap, files: dict[str, str], keep: set[str]
) -> list[str]:
    """Upsert a page of projects and everything under them, a few queries per kind
    for the whole page. Children the office no longer has are deleted unless an
    action on them still waits. Returns document files to delete once committed."""
    if not bundles:
        return []
    uids = [b["uid"] for b in bundles]
    refs = dict(Project.select(Project.uid, Project.ref).where(Project.uid.in_(uids)).tuples())
    for bundle in bundles:
        old = refs.get(bundle["uid"])
        if old is not None and old != bundle["ref"]:
            # The office's reference replaces the provisional one, which keeps resolving.
            RefAlias.insert(
                ref=old, project=ids.id(Project, bundle["uid"])
            ).on_conflict_ignore().execute()
    _upsert_many(Project, bundles, ids)
    project_ids = [ids.id(Project, u) for u in uids]
    stale_files: list[str] = []
    for name, model in (
        ("pledges", Pledge),
        ("updates", Update),
        ("engagements", Engagement),
        ("documents", Document),
    ):
        rows = [row for b in bundles for row in b.get(name, [])]
        extra = {r["uid"]: {"stored_name": files[r["uid"]]} for r in rows if r["uid"] in files}
        _upsert_many(model, rows, ids, extra if model is Document else None)
        wanted = {r["uid"] for r in rows} | keep
        gone = [
            (row_id, uid)
            for row_id, uid in model.select(model.id, model.uid)
            .where(model.project.in_(project_ids))
            .tuples()
            if uid not in wanted
        ]
        if gone:
            if model is Document:
                stale_files += [
                    n
                    for (n,) in Document.select(Document.stored_name)
                    .where(Document.id.in_([g[0] for g in gone]))
                    .tuples()
                ]
            model.delete().where(model.id.in_([g[0] for g in gone])).execute()
    money.apply_money(bundles, ids, keep)
    StatusChange.delete().where(StatusChange.project.in_(project_ids)).execute()
    ProjectMember.delete().where(ProjectMember.project.in_(project_ids)).execute()
    history, members = [], []
    for bundle in bundles:
        project_id = ids.id(Project, bundle["uid"])
        history += [
            {"project": project_id, **decode_row(StatusChange, row, ids)}
            for row in bundle.get("history", [])
        ]
        members += [
            {"project": project_id, "user": ids.id(User, uid)} for uid in bundle.get("members", [])
        ]
    _bulk_insert(StatusChange, history)
    _bulk_insert(ProjectMember, members)
    return stale_files


def _remove_projects(uids: list[str]) -> list[str]:
    """Delete projects that left the person's view, with everything under them."""
    files: list[str] = []
    for project in Project.select().where(Project.uid.in_(uids)):
        files += [d.stored_name for d in Document.select().where(Document.project == project.id)]
        # The database's ON DELETE CASCADE takes everything under the project.
        Project.delete().where(Project.id == project.id).execute()
    return files


def store_documents(encoded: dict[str, str], documents: Path) -> dict[str, str]:
    """Write documents received inline (base64 by uid); their stored names by uid."""
    names: dict[str, str] = {}
    for uid, text in encoded.items():
        names[uid] = _store_bytes(base64.b64decode(text), documents)
    return names


def _store_bytes(body: bytes, documents: Path) -> str:
    if len(body) > MAX_DOCUMENT_BYTES:
        raise SyncProblem(N_("A document from the office is larger than the upload limit."))
    paths.make_private_dir(documents)
    stored = secrets.token_hex(16)
    tmp = documents / f"{stored}.part"
    tmp.write_bytes(body)
    tmp.replace(documents / stored)
    return stored


def _fetch_documents(office: Office, bundles: list[dict], documents: Path) -> dict[str, str]:
    """Download the bytes of documents this desk does not have yet, checking each
    against its SHA-256 and the upload size limit; their stored names by uid."""
    names: dict[str, str] = {}
    have = set()
    uids = [d["uid"] for b in bundles for d in b.get("documents", [])]
    if uids:
        have = {u for (u,) in Document.select(Document.uid).where(Document.uid.in_(uids)).tuples()}
    for bundle in bundles:
        for doc in bundle.get("documents", []):
            if doc["uid"] in have:
                continue
            body = office.call("GET", f"documents/{doc['uid']}")
            if hashlib.sha256(body).hexdigest() != doc["sha256"]:
                raise SyncProblem(
                    N_("A document from the office failed its check: %(uid)s"), uid=doc["uid"]
                )
            names[doc["uid"]] = _store_bytes(body, documents)
    return names


def scrub(db: pw.Database) -> None:
    """After removals, leave no trace of removed projects in the database file:
    rewrite the search index and move every page out of the write-ahead log."""
    if not is_sqlite(db):
        return
    from tmdesk.core.search import rebuild_search

    rebuild_search(db)
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute_sql("VACUUM")
    db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def _digest(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def apply_page(
    page: dict[str, Any],
    link: OfficeLink,
    files: dict[str, str],
    ids: IdMap | None = None,
    seen: set[str] | None = None,
) -> list[str]:
    """Apply one pulled page and store the cursor after it, in one transaction;
    returns the stored names of document files no longer needed.

    ``ids`` and ``seen`` carry over between the pages of one sync: reference
    data and people already applied in this sync are not written again.
    """
    if page.get("protocol") != PROTOCOL_VERSION:
        raise SyncProblem(N_("The office runs a tmdesk that exchanges differently: update both."))
    keep = pending_uids()
    stale: list[str] = []
    ids = ids if ids is not None else IdMap()
    seen = seen if seen is not None else set()
    with database.atomic():
        person_uid = link.user.uid
        reference = page.get("reference", {})
        if _digest(reference) not in seen:
            apply_reference(reference, ids, person_uid)
            seen.add(_digest(reference))
        people = [p for p in page.get("people", []) if _digest(p) not in seen]
        _apply_people(people, ids, person_uid)
        seen.update(_digest(p) for p in people)
        stale += _apply_projects(page.get("projects", []), ids, files, keep)
        stale += _remove_projects(page.get("removed", []))
        link.cursor = page["cursor"]
        link.save(only=[OfficeLink.cursor])
    return stale


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


def record_answer(action: OutboxAction, answer: dict[str, Any]) -> None:
    now = utcnow()
    if answer.get("status") == "applied":
        action.state = "done"
        ref = answer.get("ref")
        project = Project.get_or_none(Project.uid == answer.get("uid")) if ref else None
        if project is not None and project.ref != ref:
            RefAlias.insert(ref=project.ref, project=project.id).on_conflict_ignore().execute()
            model_update(Project, ref=ref).where(Project.id == project.id).execute()
    elif answer.get("status") == "refused":
        action.state = "refused"
        action.http_status = answer.get("http_status")
        action.reason = json.dumps(
            {k: answer.get(k) for k in ("reason", "message", "params", "fields")},
            ensure_ascii=False,
        )
    else:
        return
    action.answered_at = now
    action.save()


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
                    files = _fetch_documents(office, page.get("projects", []), documents)
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


# --- the refused list -------------------------------------------------------------


def refused_actions() -> list[OutboxAction]:
    return list(
        OutboxAction.select().where(OutboxAction.state == "refused").order_by(OutboxAction.id)
    )


def discard(action: OutboxAction) -> None:
    """Give up a refused action. A record that exists only on this desk (a draft,
    pledge, update or offer the office refused to create) is deleted with it."""
    with database.atomic():
        if action.kind.endswith(".create") or action.kind == "document.attach":
            model = {
                "project": Project,
                "pledge": Pledge,
                "update": Update,
                "offer": Offer,
                "document": Document,
                "transaction": Transaction,
            }[action.kind.split(".")[0]]
            # The database's ON DELETE CASCADE takes whatever hangs on the record.
            model.delete().where(model.uid == action.entity_uid).execute()
        action.state = "discarded"
        action.save()


def redo(action: OutboxAction) -> OutboxAction:
    """Send a refused action again as a new action (new key), made on the desk's
    current copy: an edit is now made on the version the office last sent."""
    payload = json.loads(action.payload)
    if payload.get("base_version") is not None:
        model = Pledge if action.kind.startswith("pledge.") else Project
        record = model.get_or_none(model.uid == action.entity_uid)
        if record is not None:
            payload["base_version"] = record.version
    with database.atomic():
        again = OutboxAction.create(
            key=new_uid(),
            kind=action.kind,
            entity_uid=action.entity_uid,
            payload=json.dumps(payload, ensure_ascii=False),
            local_copy=action.local_copy,
            user=action.user_id,
        )
        action.state = "redone"
        action.save()
    return again
