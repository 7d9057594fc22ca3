"""Every ``TMDESK_*`` environment variable tmdesk reads, with its default and help.

This is the only module that reads them: code asks the declared
:class:`Setting` (``settings.BACKUP_KEEP.get()``), never ``os.environ``
directly, so this list is complete. ``tests/system/test_settings.py`` fails when a
setting here is not documented in README.md or docs/, or when code elsewhere
reads a ``TMDESK_*`` variable itself. (Keys such as ``TMDESK_DESKTOP`` in the
Flask app's config are not environment variables and are not listed.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, its default (None: no value) and what it does."""

    name: str
    default: str | None
    help: str

    def get(self, env: Mapping[str, str] | None = None) -> str | None:
        """The variable's value in ``env`` (the process environment by default),
        stripped; the default when it is unset or blank."""
        raw = (os.environ if env is None else env).get(self.name, "").strip()
        return raw or self.default

    def flag(self, env: Mapping[str, str] | None = None) -> bool:
        """The value read as a yes/no switch: ``1``, ``true`` or ``yes`` mean yes."""
        return (self.get(env) or "").lower() in {"1", "true", "yes"}


DATA_DIR = Setting(
    "TMDESK_DATA_DIR",
    None,
    "The data folder (database, documents, plugins, backups); the --data-dir option "
    "wins over it. Default: the user's data folder (platformdirs).",
)
DATABASE_URL = Setting(
    "TMDESK_DATABASE_URL",
    None,
    "A database URL (postgresql://…) instead of the SQLite file in the data folder.",
)
DOCUMENTS_DIR = Setting(
    "TMDESK_DOCUMENTS_DIR",
    None,
    "The folder of uploaded documents instead of documents/ in the data folder: one "
    "shared folder (an NFS or SMB mount) for several servers on one database.",
)
SECRET_KEY_FILE = Setting(
    "TMDESK_SECRET_KEY_FILE",
    None,
    "The file holding the session-signing secret instead of secret_key in the data "
    "folder: one file for several servers, so a login made on one is good on the others "
    "(created, readable by its owner only, if it does not exist).",
)
LOG_DIR = Setting(
    "TMDESK_LOG_DIR",
    None,
    "The folder of the rotating log file. Default: the user's log folder (platformdirs).",
)
NO_BROWSER = Setting(
    "TMDESK_NO_BROWSER",
    None,
    "1: the launch and tmdesk serve do not open a browser; the address is printed instead.",
)
BACKUP_KEEP = Setting(
    "TMDESK_BACKUP_KEEP",
    "10",
    "How many automatic backups to keep in the data folder's backups/ (0 turns them off).",
)
SESSION_MINUTES = Setting(
    "TMDESK_SESSION_MINUTES",
    "60",
    "Minutes of inactivity after which a login session ends.",
)
FRESH_MINUTES = Setting(
    "TMDESK_FRESH_MINUTES",
    "15",
    "Minutes a password entry counts as fresh for administration and plugin decisions.",
)

DB_POOL_SIZE = Setting(
    "TMDESK_DB_POOL_SIZE",
    None,
    "PostgreSQL: connections each tmdesk process keeps open at most. Default: "
    "tmdesk serve's threads plus two (the backup scheduler, one spare); 10 for a command.",
)
TRUSTED_PROXIES = Setting(
    "TMDESK_TRUSTED_PROXIES",
    "0",
    "How many reverse proxies (nginx, Caddy) stand in front of tmdesk serve: their "
    "X-Forwarded-For/-Proto/-Host headers are believed. 0: none are.",
)
ALLOWED_HOSTS = Setting(
    "TMDESK_ALLOWED_HOSTS",
    None,
    "Comma-separated host names (with :port when not 80/443) a request's Host may name, "
    "e.g. desk.tmpo.example; any other Host gets 400. Default: only loopback names when "
    "serving on 127.0.0.1, no check otherwise.",
)

SMTP_HOST = Setting(
    "TMDESK_SMTP_HOST",
    None,
    "Office server: the SMTP server that `tmdesk notify digest` sends the e-mail digest "
    "of unread notifications through. Unset: no e-mail is sent.",
)
SMTP_PORT = Setting("TMDESK_SMTP_PORT", "587", "The SMTP server's port.")
SMTP_STARTTLS = Setting(
    "TMDESK_SMTP_STARTTLS",
    "1",
    "1: switch the SMTP connection to TLS with STARTTLS before logging in (refuse to "
    "send if the server cannot); 0: plain connection (a relay on the same machine).",
)
SMTP_USER = Setting("TMDESK_SMTP_USER", None, "The SMTP login, if the server asks for one.")
SMTP_PASSWORD = Setting(
    "TMDESK_SMTP_PASSWORD",
    None,
    "The SMTP password (keep it in an environment file readable only by tmdesk).",
)
SMTP_SENDER = Setting(
    "TMDESK_SMTP_SENDER",
    None,
    "The From address of the digest, e.g. tmdesk@tmpo.example. Required with TMDESK_SMTP_HOST.",
)
PUBLIC_URL = Setting(
    "TMDESK_PUBLIC_URL",
    None,
    "The office server's address as people open it (https://desk.tmpo.example), for "
    "the links in the e-mail digest.",
)

#: All of them, in the order of the documentation.
SETTINGS: tuple[Setting, ...] = (
    DATA_DIR,
    DATABASE_URL,
    DOCUMENTS_DIR,
    SECRET_KEY_FILE,
    LOG_DIR,
    NO_BROWSER,
    BACKUP_KEEP,
    SESSION_MINUTES,
    FRESH_MINUTES,
    DB_POOL_SIZE,
    TRUSTED_PROXIES,
    ALLOWED_HOSTS,
    SMTP_HOST,
    SMTP_PORT,
    SMTP_STARTTLS,
    SMTP_USER,
    SMTP_PASSWORD,
    SMTP_SENDER,
    PUBLIC_URL,
)

BY_NAME: Mapping[str, Setting] = {s.name: s for s in SETTINGS}
