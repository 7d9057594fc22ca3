"""PostgreSQL: connections, pooling and locks (see :mod:`tmdesk.core.engine`).

Connections come from a pool (``playhouse.pool``) sized to the server's
threads: each waitress thread holds at most one connection, so the pool never
makes a thread wait and never opens more than the server can use.
Read-then-write steps are serialised with transaction-scoped advisory locks,
and schema upgrades with a session-scoped one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import peewee
from playhouse.pool import PooledPostgresqlDatabase

from tmdesk import settings

#: Connections per process when nothing else says (waitress's default threads
#: for ``tmdesk serve``, plus the backup scheduler and one spare).
DEFAULT_POOL_SIZE = 10

#: A closed pooled connection idle this long (seconds) is dropped, not reused.
STALE_SECONDS = 300

SCHEMES = ("postgresql", "postgres")

#: Every connection says who it is, so that ``tmdesk restore`` can tell whether a
#: tmdesk server is still using the database (``pg_stat_activity``).
APPLICATION_NAME = "tmdesk"


def is_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database."""
    return url.split("://", 1)[0].split("+", 1)[0] in SCHEMES


_configured_default = DEFAULT_POOL_SIZE


def configure_pool(size: int) -> None:
    """The pool size this process uses unless ``TMDESK_DB_POOL_SIZE`` says otherwise
    (``tmdesk serve`` calls it with its thread count before opening the database)."""
    global _configured_default
    _configured_default = max(1, size)


def pool_size() -> int:
    """``TMDESK_DB_POOL_SIZE`` if set to a positive number (``tmdesk serve`` sets it
    from its threads unless the administrator did)."""
    raw = settings.DB_POOL_SIZE.get() or ""
    return int(raw) if raw.isdigit() and int(raw) > 0 else _configured_default


def connect_params(url: str) -> dict:
    """psycopg's keyword arguments for ``postgresql://user:pw@host:port/db?opt=v``."""
    parts = urlsplit(url)
    params: dict = {"dbname": unquote(parts.path.lstrip("/"))}
    if parts.hostname:
        params["host"] = parts.hostname
    if parts.port:
        params["port"] = parts.port
    if parts.username:
        params["user"] = unquote(parts.username)
    if parts.password:
        params["password"] = unquote(parts.password)
    for pair in filter(None, parts.query.split("&")):
        key, _, value = pair.partition("=")
        params[unquote(key)] = unquote(value)
    return params


def make(url: str, max_connections: int | None = None) -> PooledPostgresqlDatabase:
    """A pooled psycopg 3 connection to the database at ``url``."""
    params = connect_params(url)
    dbname = params.pop("dbname")
    params.setdefault("application_name", APPLICATION_NAME)
    db = PooledPostgresqlDatabase(
        dbname,
        prefer_psycopg3=True,
        max_connections=max_connections or pool_size(),
        stale_timeout=STALE_SECONDS,
        # Wait for a free connection rather than fail when every one is in use.
        timeout=30,
        **params,
    )
    db.tmdesk_url = url  # what pg_dump and pg_restore connect to (tmdesk.core.pg_backup)
    return db


def _lock_id(key: str) -> int:
    """A stable signed 64-bit advisory-lock id for ``key``."""
    digest = hashlib.sha256(f"tmdesk:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def serialise(db: peewee.Database, key: str) -> None:
    """Take the transaction-scoped advisory lock for ``key`` (released at commit)."""
    if not db.in_transaction():
        raise RuntimeError("serialise() must be called inside a transaction")
    db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_lock_id(key),))


@contextmanager
def schema_lock(db: peewee.Database) -> Iterator[None]:
    """Hold the session-scoped schema lock: a second server starting at the same
    time waits here, then finds the schema already upgraded."""
    lock = _lock_id("schema")
    db.execute_sql("SELECT pg_advisory_lock(%s)", (lock,))
    try:
        yield
    finally:
        db.execute_sql("SELECT pg_advisory_unlock(%s)", (lock,))


def widen_text_column(db: peewee.Database, table: str, column: str, length: int) -> None:
    """ALTER the column to VARCHAR(length) (a no-op when it already is)."""
    db.execute_sql(
        f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE varchar({int(length)})'  # nosec B608: names from upgrade steps, not input
    )
