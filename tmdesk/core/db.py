"""Opening the database.

All models bind to :data:`database`, a proxy that :func:`tmdesk.core.bootstrap.open_database`
points at SQLite (the default, one file in the data dir) or at the URL in
``TMDESK_DATABASE_URL``. SQLite-only SQL lives in this module and in
:mod:`tmdesk.core.sqlite_specific` and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

import peewee
from playhouse.db_url import connect as connect_url

from tmdesk import settings

#: The proxy every model binds to; initialised by
#: :func:`tmdesk.core.bootstrap.open_database`.
database = peewee.DatabaseProxy()

DATABASE_FILENAME = "tmdesk.sqlite3"

#: Durability first: WAL for concurrent readers, FULL sync so an acknowledged
#: write survives power loss, foreign keys enforced, and a busy timeout so
#: concurrent writers wait for each other instead of failing.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "full",
    "busy_timeout": 10_000,
    "cache_size": -32_000,
}


def _sqlite(path: str) -> peewee.SqliteDatabase:
    """The SQLite database at ``path``, set up for concurrent writers.

    ``lock_type="IMMEDIATE"``: a deferred transaction that reads and then
    writes must upgrade its lock, and under concurrent writers SQLite answers
    that upgrade with an immediate "database is locked" that no busy timeout
    can wait out. ``BEGIN IMMEDIATE`` makes writers queue (up to the busy
    timeout) instead, and serialises read-then-write steps (the next project
    reference, the audit chain's previous hash).
    """
    return peewee.SqliteDatabase(
        path,
        pragmas=SQLITE_PRAGMAS,
        lock_type="IMMEDIATE",
        # One connection per thread; waitress serves with a thread pool.
        check_same_thread=False,
        timeout=10,
    )


def database_url_from_env() -> str | None:
    """The ``TMDESK_DATABASE_URL`` setting, if any."""
    return settings.DATABASE_URL.get()


def make_database(data_dir: Path | None = None, url: str | None = None) -> peewee.Database:
    """Build (not open) the database for ``url`` or the SQLite file in ``data_dir``."""
    if url:
        if url.startswith("sqlite:///"):
            return _sqlite(url.removeprefix("sqlite:///"))
        return connect_url(url)
    if data_dir is None:
        raise ValueError("either a data dir or a database URL is needed")
    return _sqlite(str(Path(data_dir) / DATABASE_FILENAME))


def is_sqlite(db: peewee.Database | None = None) -> bool:
    """Whether the (given or current) database is SQLite."""
    target = db if db is not None else database.obj
    return isinstance(target, peewee.SqliteDatabase)
