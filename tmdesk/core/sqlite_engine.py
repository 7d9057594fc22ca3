"""SQLite: connections and write serialisation (see :mod:`tmdesk.core.engine`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import peewee
from playhouse.pool import PooledSqliteDatabase

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


#: A connection idle in the pool this long (seconds) is closed, not reused.
STALE_SECONDS = 300


def make(path: str) -> peewee.SqliteDatabase:
    """The SQLite database at ``path``, set up for concurrent writers.

    ``lock_type="IMMEDIATE"``: a deferred transaction that reads and then
    writes must upgrade its lock, and under concurrent writers SQLite answers
    that upgrade with an immediate "database is locked" that no busy timeout
    can wait out. ``BEGIN IMMEDIATE`` makes writers queue (up to the busy
    timeout) instead, and serialises read-then-write steps (the next project
    reference, the audit chain's previous hash).

    In a serving process (:func:`configure_pool`) connections are pooled
    (issue 13): a request's ``close()`` hands its connection back instead of
    closing it, so the next request skips opening the file, the pragmas and
    parsing the schema (about 2.5 ms of CPU). A connection left in a
    transaction is rolled back before reuse, and
    :func:`tmdesk.core.bootstrap.open_database` closes the idle ones of a
    database it replaces. Everything else (commands, tests) closes for real,
    so that closing the last connection folds the WAL into the file before
    anything copies or replaces it.
    """
    options: dict = {
        "pragmas": SQLITE_PRAGMAS,
        "lock_type": "IMMEDIATE",
        # One connection per thread; waitress serves with a thread pool.
        "check_same_thread": False,
        "timeout": 10,
    }
    if _pooled:
        # No upper bound: each serving thread holds at most one connection.
        return PooledSqliteDatabase(path, max_connections=0, stale_timeout=STALE_SECONDS, **options)
    return peewee.SqliteDatabase(path, **options)


_pooled = False


def configure_pool(enabled: bool) -> None:
    """Whether databases made from now on in this process keep their connections
    (``tmdesk serve`` turns it on before opening the database)."""
    global _pooled
    _pooled = enabled


def serialise(db: peewee.Database, key: str) -> None:
    """Nothing to do: every write transaction is ``BEGIN IMMEDIATE``, so only one
    is ever past its first statement."""


@contextmanager
def schema_lock(db: peewee.Database) -> Iterator[None]:
    """Nothing to hold: each upgrade step runs in a ``BEGIN IMMEDIATE`` transaction
    that re-reads the version first (see :mod:`tmdesk.core.schema`)."""
    yield


def widen_text_column(db: peewee.Database, table: str, column: str, length: int) -> None:
    """Nothing to do: SQLite keeps a VARCHAR(n) as TEXT and never checks its length."""
