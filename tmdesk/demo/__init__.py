"""The demo data set behind ``tmdesk demo``.

Everything is created through the core service functions (accounts,
projects, pledges, offers, updates), so the audit log, the status history and
the derived funding states are exactly what real use produces. Only
timestamps are moved afterwards: each project's story is spread over the
months before the load, so that the review queue shows ages and histories
look lived-in. The audit log keeps the real time of the load (its hash chain
covers the timestamps).

The content is fixed and the random choices are seeded, so every load builds
the same set (only the dates follow the day it is loaded). The organisations
are the real Tallinn Mechanism members and Ukrainian partners; the projects,
people and cyber companies are fictional.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

from tmdesk import paths
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.models import Organisation, Project, User
from tmdesk.demo.builder import Builder
from tmdesk.demo.files import wipe
from tmdesk.demo.summary import DEMO_LOGINS, DEMO_PASSWORD, DemoLogin, DemoSummary

__all__ = [
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "SEED",
    "DemoError",
    "DemoLogin",
    "DemoSummary",
    "load_demo",
]

#: The day the Tallinn Mechanism was announced.
SEED = 20231220


class DemoError(RuntimeError):
    """The demo data cannot be loaded (for instance: the data dir already holds data)."""


# --- loading ------------------------------------------------------------------


def load_demo(force: bool = False, data_dir: Path | None = None, seed: int = SEED) -> DemoSummary:
    """Fill the (already opened) database with the demo data set.

    Refuses when the database already holds organisations, users or
    projects, unless ``force``: then the database is emptied and recreated at
    the current schema and the documents folder is cleared first.
    ``data_dir`` (for the documents) defaults to the SQLite file's folder.
    """
    started = time.perf_counter()
    opened_here = database.is_closed()
    database.connect(reuse_if_open=True)
    try:
        data_dir = Path(data_dir) if data_dir else _data_dir_of_database()
        if _holds_data():
            if not force:
                raise DemoError(
                    "the data dir already holds data; use --force to replace "
                    "it with the demo data set"
                )
            wipe(data_dir)
        elif force and data_dir is not None:
            shutil.rmtree(paths.documents_dir(data_dir), ignore_errors=True)
        builder = Builder(random.Random(seed), data_dir)  # nosec B311: random choices for demo data, not for security
        try:
            with database.atomic():
                builder.build()
        except BaseException:
            builder.discard_files()
            raise
        summary = builder.summary()
    finally:
        if opened_here and not database.is_closed():
            database.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _data_dir_of_database() -> Path | None:
    db = database.obj
    if is_sqlite(db) and db.database not in ("", ":memory:"):
        return Path(db.database).resolve().parent
    return None


def _holds_data() -> bool:
    return Organisation.select().exists() or User.select().exists() or Project.select().exists()
