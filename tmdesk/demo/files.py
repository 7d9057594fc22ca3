"""The demo's files: the documents its projects attach, their removal when a load fails,
and emptying a data dir (database and documents) for ``tmdesk demo --force``.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

from tmdesk import paths
from tmdesk.core import updates
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.models import ALL_MODELS, Project, User
from tmdesk.core.schema import upgrade
from tmdesk.demo.plan import Plan, backdate


def wipe(data_dir: Path | None) -> None:
    """Empty the database and recreate it at the current schema; clear the documents."""
    db = database.obj
    if is_sqlite(db) and db.database not in ("", ":memory:"):
        # Removing the file drops everything, including what other modules
        # installed beside the tables (search index, triggers).
        db.close()
        target = Path(db.database)
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        db.connect()
    else:
        db.drop_tables(list(reversed(ALL_MODELS)), safe=True, cascade=True)
    upgrade(db)
    if data_dir is not None:
        shutil.rmtree(paths.documents_dir(data_dir), ignore_errors=True)


class FileSteps:
    """The documents a load stores, remembered so a failed load can remove them."""

    data_dir: Path | None
    stored_files: list[Path]

    def _attach(self, owner: User, project: Project, plan: Plan, when: dt.datetime) -> None:
        """A small terms-of-reference file, as recipients attach to their requests."""
        if plan.language == "en":
            name = "terms-of-reference.txt"
            text = (
                f"{project.title('en')}\n\nTerms of reference\n\n{project.summary('en')}\n"
                f"\nBudget: {project.budget_amount} {project.budget_currency}\n"
            )
        else:
            name = "технічне-завдання.txt"
            text = (
                f"{project.title('uk')}\n\nТехнічне завдання\n\n{project.summary('uk')}\n"
                f"\nБюджет: {project.budget_amount} {project.budget_currency}\n"
            )
        doc = updates.store_document(
            owner,
            paths.documents_dir(self.data_dir),
            project,
            name,
            io.BytesIO(text.encode("utf-8")),
        )
        self.stored_files.append(paths.documents_dir(self.data_dir) / doc.stored_name)
        backdate(doc, uploaded_at=when)

    def discard_files(self) -> None:
        for path in self.stored_files:
            path.unlink(missing_ok=True)
