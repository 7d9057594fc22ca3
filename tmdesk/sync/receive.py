"""Applying what the office sends on the desk: reference data (organisations,
people, rates, offers), pages of projects with everything under them, their
document files, and removals, each pulled page in one transaction with the
cursor that follows it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from pathlib import Path
from typing import Any

import peewee as pw

from tmdesk import paths
from tmdesk.core import kept_figures
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.i18n import N_
from tmdesk.core.models import (
    Document,
    Engagement,
    ExchangeRate,
    Offer,
    OfficeLink,
    Organisation,
    Pledge,
    Project,
    ProjectMember,
    RefAlias,
    StatusChange,
    Update,
    User,
    model_update,
)
from tmdesk.core.updates import MAX_DOCUMENT_BYTES
from tmdesk.sync import money
from tmdesk.sync.client import Office, SyncProblem
from tmdesk.sync.outbox import pending_uids
from tmdesk.sync.wire import PROTOCOL_VERSION, IdMap, bulk_insert, decode_row, upsert_many


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
    upsert_many(Offer, reference.get("offers", []), ids)


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
    upsert_many(Project, bundles, ids)
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
        upsert_many(model, rows, ids, extra if model is Document else None)
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
    bulk_insert(StatusChange, history)
    bulk_insert(ProjectMember, members)
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


def fetch_documents(office: Office, bundles: list[dict], documents: Path) -> dict[str, str]:
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
        kept_figures.note_bulk_write()  # copied without the audit log: sum anew
    return stale
