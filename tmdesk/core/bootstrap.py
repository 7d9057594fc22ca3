"""Opening the database and bringing its schema up to date.

This sits above :mod:`tmdesk.core.schema` (which needs the models, the
search index and the pre-upgrade backup) so that :mod:`tmdesk.core.db`, the
proxy every model binds to, stays a leaf that imports nothing of tmdesk.
"""

from __future__ import annotations

from pathlib import Path

import peewee

from tmdesk.core import kept_figures
from tmdesk.core.db import database, database_url_from_env, make_database
from tmdesk.core.schema import upgrade
from tmdesk.paths import make_private_dir


def open_database(data_dir: Path | None = None, url: str | None = None) -> peewee.Database:
    """Point the model proxy at the database and bring its schema up to date."""
    if data_dir is not None:
        make_private_dir(Path(data_dir))
    db = make_database(data_dir, url or database_url_from_env())
    previous = database.obj
    if previous is not None and hasattr(previous, "close_idle"):
        previous.close_idle()  # a replaced pool gives its idle connections back
    database.initialize(db)
    kept_figures.forget()  # figures kept for another database are not this one's
    db.connect(reuse_if_open=True)
    try:
        upgrade(db, data_dir=data_dir)
    finally:
        db.close()
    return db
