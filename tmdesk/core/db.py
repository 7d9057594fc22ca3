"""Opening the database.

All models bind to :data:`database`, a proxy that :func:`tmdesk.core.bootstrap.open_database`
points at SQLite (the default, one file in the data dir) or at the URL in
``TMDESK_DATABASE_URL`` (``postgresql://…`` for an office server). What
differs between the engines is chosen in :mod:`tmdesk.core.engine`.
"""

from __future__ import annotations

from pathlib import Path

import peewee

from tmdesk import settings

#: The proxy every model binds to; initialised by
#: :func:`tmdesk.core.bootstrap.open_database`.
database = peewee.DatabaseProxy()

DATABASE_FILENAME = "tmdesk.sqlite3"


def database_url_from_env() -> str | None:
    """The ``TMDESK_DATABASE_URL`` setting, if any."""
    return settings.DATABASE_URL.get()


def make_database(data_dir: Path | None = None, url: str | None = None) -> peewee.Database:
    """Build (not open) the database for ``url`` or the SQLite file in ``data_dir``."""
    from tmdesk.core import pg_engine, sqlite_engine

    if url:
        if url.startswith("sqlite:///"):
            return sqlite_engine.make(url.removeprefix("sqlite:///"))
        if pg_engine.is_url(url):
            return pg_engine.make(url)
        raise ValueError(
            f"TMDESK_DATABASE_URL must start with postgresql:// or sqlite:///, not {url.split(':', 1)[0]}:"
        )
    if data_dir is None:
        raise ValueError("either a data dir or a database URL is needed")
    return sqlite_engine.make(str(Path(data_dir) / DATABASE_FILENAME))


def is_sqlite(db: peewee.Database | None = None) -> bool:
    """Whether the (given or current) database is SQLite."""
    target = db if db is not None else database.obj
    return isinstance(target, peewee.SqliteDatabase)
