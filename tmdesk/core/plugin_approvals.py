"""Which plugin files an administrator has allowed to run, pinned by SHA-256.

A ``.py`` file or wheel dropped into ``<data dir>/plugins/`` is code that
would run with the desk's rights. It runs only after an administrator (on
the Plugins page, or ``tmdesk plugins approve`` at the machine) approves that
exact file: the approval pins the file's SHA-256, and a file whose bytes no
longer match is held back until it is approved again. The plugin manager
reads :func:`approved_files`; this module only keeps the decisions, with an
audit event for each, and never imports a plugin.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from tmdesk.core import audit
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import PluginApproval, User
from tmdesk.core.permissions import can_administer

SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
#: What the plugins folder may hold: a plain file name, no folders.
FILE_NAME = re.compile(r"^[^/\\\x00]{1,255}$")


def sha256_of(path: Path) -> str:
    """The SHA-256 of the file at ``path``, as 64 lowercase hex digits."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def approved_files() -> dict[str, str]:
    """Every approval: file name → pinned SHA-256 (the database must be open)."""
    return {a.file_name: a.sha256 for a in PluginApproval.select()}


def _check_actor(user: User | None) -> None:
    """Administrators decide; ``None`` is the machine's operator at the command line."""
    if user is not None and not can_administer(user):
        raise PermissionDenied(N_("Only administrators may approve or revoke plugins."))


def _check_name(file_name: str) -> str:
    name = (file_name or "").strip()
    if not FILE_NAME.match(name) or name in (".", "..") or not name.endswith((".py", ".whl")):
        raise ValidationError(
            {"file_name": N_("Give the name of a .py or .whl file in the plugins folder.")}
        )
    return name


def approve(user: User | None, file_name: str, sha256: str, via: str = "") -> PluginApproval:
    """Let ``file_name`` run while its SHA-256 is ``sha256`` (replacing an older pin).

    ``via`` says where the decision was taken (kept in the audit event), e.g.
    "command line (os user kadri)".
    """
    _check_actor(user)
    name = _check_name(file_name)
    digest = (sha256 or "").strip().lower()
    if not SHA256_HEX.match(digest):
        raise ValidationError({"sha256": N_("A SHA-256 is 64 hexadecimal digits.")})
    with database.atomic():
        old = PluginApproval.get_or_none(PluginApproval.file_name == name)
        before = audit.snapshot(old) if old else None
        if old is not None:
            old.delete_instance()
        approval = PluginApproval.create(
            file_name=name,
            sha256=digest,
            approved_by=user,
            approved_by_email=user.email if user is not None else "",
        )
        after = audit.snapshot(approval)
        if via:
            after["via"] = via
        audit.record(user, "plugin.approve", ("plugin", name), before, after)
    return approval


def revoke(user: User | None, file_name: str, via: str = "") -> bool:
    """Withdraw the approval of ``file_name``; False when there was none."""
    _check_actor(user)
    name = _check_name(file_name)
    with database.atomic():
        old = PluginApproval.get_or_none(PluginApproval.file_name == name)
        if old is None:
            return False
        before = audit.snapshot(old)
        old.delete_instance()
        audit.record(user, "plugin.revoke", ("plugin", name), before, {"via": via} if via else None)
    return True
