"""Progress updates and attached documents.

Documents are stored under ``<data dir>/documents/`` with a random name; the
original name is kept (sanitised) for the download. Type is checked by
content as well as by name.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any, BinaryIO

from tmdesk.core import audit, validation
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.funding import project_funding
from tmdesk.core.i18n import N_
from tmdesk.core.ids import given_uid
from tmdesk.core.models import Document, Pledge, Project, Update, User, utcnow
from tmdesk.core.permissions import can_attach_document, can_manage_pledge, can_post_update

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024

#: Allowed extensions, their media type, and a check of the first bytes.
ALLOWED_TYPES: dict[str, tuple[str, tuple[bytes, ...] | None]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (b"PK\x03\x04",),
    ),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    ".zip": ("application/zip", (b"PK\x03\x04",)),
    ".txt": ("text/plain", None),
    ".csv": ("text/csv", None),
}


def _percent(raw: Any) -> Any:
    """``75%`` or ``75 %`` as ``75``: people write percentages with the sign."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.endswith("%"):
            return text[:-1].strip()
    return raw


def clean_update_data(data: dict[str, Any]) -> dict[str, Any]:
    errors = validation.Errors()
    data = {**data, "progress": _percent(data.get("progress"))}
    out = {
        "title": validation.text(errors, data, "title", required=True),
        "body": validation.text(errors, data, "body", max_length=validation.MAX_TEXT),
        "date": validation.date(errors, data, "date"),
        "progress": validation.integer(errors, data, "progress", minimum=0, maximum=100),
    }
    errors.raise_if_any()
    out["date"] = out["date"] or utcnow().date()
    return out


def post_update(
    user: User, project: Project, data: dict[str, Any], uid: str | None = None
) -> Update:
    state = project_funding(project).state
    if not can_post_update(user, project, state):
        raise PermissionDenied(
            N_(
                "Updates are posted on funded projects by the recipient, "
                "engaged companies and the coordinating offices."
            )
        )
    fields = clean_update_data(data)
    with database.atomic():
        update = Update.create(**given_uid(uid), project=project, author=user, **fields)
        project.updated_at = utcnow()
        project.save(only=[Project.updated_at])
        audit.record(user, "update.create", update, None, audit.snapshot(update))
    return update


def safe_filename(name: str) -> str:
    """A file name safe to show and to send in Content-Disposition."""
    name = unicodedata.normalize("NFC", Path(name.replace("\\", "/")).name)
    name = "".join(c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ")
    name = re.sub(r"\s+", " ", name).strip(" .") or "document"
    if len(name) > 200:  # shorten the stem, keep the extension (it decides the type)
        suffix = Path(name).suffix[:20]
        name = name[: 200 - len(suffix)].rstrip(" .") + suffix
    return name


def _sniff_ok(head: bytes, magic: tuple[bytes, ...] | None) -> bool:
    if magic is None:  # text: must decode as UTF-8 and hold no NUL
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character may be cut at the end of the sample.
            if exc.start < len(head) - 4:
                return False
        return b"\x00" not in head
    return any(head.startswith(m) for m in magic)


def store_document(
    user: User,
    documents_dir: Path,
    project: Project,
    filename: str,
    stream: BinaryIO,
    update: Update | None = None,
    pledge: Pledge | None = None,
    uid: str | None = None,
) -> Document:
    """Check and store an uploaded file, then record it (all or nothing)."""
    if pledge is not None:
        allowed = can_manage_pledge(user, pledge)
    elif update is not None:
        allowed = update.author_id == user.id or can_attach_document(user, project)
    else:
        allowed = can_attach_document(user, project)
    if not allowed:
        raise PermissionDenied(N_("You may not attach documents here."))
    clean_name = safe_filename(filename or "")
    ext = Path(clean_name).suffix.lower()
    if ext not in ALLOWED_TYPES:
        raise ValidationError(
            {
                "file": N_("This type of file is not accepted. Allowed: %(types)s")
                % {"types": ", ".join(sorted(ALLOWED_TYPES))}
            }
        )
    content_type, magic = ALLOWED_TYPES[ext]
    documents_dir.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(16)
    target = documents_dir / stored_name
    tmp = documents_dir / (stored_name + ".part")
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(tmp, "wb") as out:
            while chunk := stream.read(64 * 1024):
                if len(head) < 512:
                    head += chunk[: 512 - len(head)]
                size += len(chunk)
                if size > MAX_DOCUMENT_BYTES:
                    raise ValidationError(
                        {
                            "file": N_("The file is larger than %(mb)d MB.")
                            % {"mb": MAX_DOCUMENT_BYTES // (1024 * 1024)}
                        }
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationError({"file": N_("The file is empty.")})
        if not _sniff_ok(head, magic):
            raise ValidationError({"file": N_("The file's content does not match its type.")})
        tmp.replace(target)
        with database.atomic():
            doc = Document.create(
                **given_uid(uid),
                project=project,
                update=update,
                pledge=pledge,
                filename=clean_name,
                stored_name=stored_name,
                content_type=content_type,
                size=size,
                sha256=digest.hexdigest(),
                uploaded_by=user,
            )
            audit.record(user, "document.create", doc, None, audit.snapshot(doc))
    except BaseException:
        tmp.unlink(missing_ok=True)
        target.unlink(missing_ok=True)
        raise
    return doc
