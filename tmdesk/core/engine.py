"""The one place that chooses engine-specific code.

tmdesk runs on SQLite (a desk: one file in the data dir) and on PostgreSQL
(an office server, ``TMDESK_DATABASE_URL=postgresql://…``). Everything else
in the core is portable Peewee; what differs between the two lives in one
module per engine per concern, picked here and nowhere else:

=================  ===============================  ==============================
concern            SQLite                           PostgreSQL
=================  ===============================  ==============================
connections/locks  :mod:`tmdesk.core.sqlite_engine` :mod:`tmdesk.core.pg_engine`
search             :mod:`tmdesk.core.sqlite_search` :mod:`tmdesk.core.pg_search`
backup/restore     :mod:`tmdesk.core.backup`        :mod:`tmdesk.core.pg_backup`
=================  ===============================  ==============================

(Search chooses its backend in :func:`tmdesk.core.search.backend` by asking
:func:`name` here.)
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from types import ModuleType

import peewee

from tmdesk.core.db import database

SQLITE = "sqlite"
POSTGRESQL = "postgresql"


def name(db: peewee.Database | None = None) -> str:
    """``"sqlite"`` or ``"postgresql"`` for the given (default: the open) database."""
    target = db if db is not None else database.obj
    if isinstance(target, peewee.SqliteDatabase):
        return SQLITE
    if isinstance(target, peewee.PostgresqlDatabase):
        return POSTGRESQL
    raise RuntimeError(f"tmdesk does not support {type(target).__name__}")


def module(db: peewee.Database | None = None) -> ModuleType:
    """The connections-and-locks module of the engine of ``db``."""
    if name(db) == POSTGRESQL:
        from tmdesk.core import pg_engine

        return pg_engine
    from tmdesk.core import sqlite_engine

    return sqlite_engine


def serialise(key: str, db: peewee.Database | None = None) -> None:
    """Make the current transaction the only one past this point for ``key`` until
    it ends (the audit chain's head, the next project reference): a read-then-write
    step that must not interleave with the same step in another connection.
    Call inside ``database.atomic()``."""
    target = db if db is not None else database.obj
    module(target).serialise(target, key)


def schema_lock(db: peewee.Database) -> AbstractContextManager[None]:
    """Held while the schema is created or upgraded, so two servers starting at
    once cannot both upgrade one database."""
    return module(db).schema_lock(db)


def widen_text_column(db: peewee.Database, table: str, column: str, length: int) -> None:
    """Let ``table.column`` hold ``length`` characters (an upgrade step's widening:
    PostgreSQL enforces a VARCHAR's length, SQLite does not)."""
    module(db).widen_text_column(db, table, column, length)
