"""Automatic backups while tmdesk serves: one at start, then daily.

:class:`BackupScheduler` is a daemon thread started by
:func:`tmdesk.runtime.server.run_instance` (so by the desktop launch and by
``tmdesk serve``) once the database is open, and stopped when the server
stops. At start it makes an automatic backup (unless the newest one is
younger than :data:`~tmdesk.core.backup.START_GAP`); then it wakes every
:data:`CHECK_EVERY` seconds and makes one whenever the newest automatic
backup is a day old. Checking the age of the newest copy, rather than
sleeping 24 hours, means a laptop that slept through the night still gets
its daily copy within the hour after it wakes.

A failed backup is logged and the thread carries on: it never stops the app,
and the rotation only runs after a copy has passed its check, so the older
copies stay. With PostgreSQL (``TMDESK_DATABASE_URL``) nothing is started:
that is ``pg_dump``'s job, and one log line says so.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import peewee

from tmdesk.core import backup
from tmdesk.paths import backups_dir

log = logging.getLogger(__name__)

#: Seconds between two looks at the age of the newest automatic backup.
CHECK_EVERY = 3600.0


class BackupScheduler:
    """The automatic-backup thread for one data folder."""

    def __init__(
        self,
        source: Path,
        data_dir: Path,
        keep: int,
        check_every: float = CHECK_EVERY,
        clock: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self.source = Path(source)
        self.data_dir = Path(data_dir)
        self.keep = keep
        self.check_every = check_every
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: The last backup made and the last failure (for tests and people reading logs).
        self.last_backup: Path | None = None
        self.last_error: str | None = None
        self.checks = 0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> BackupScheduler:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="tmdesk-backups", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread; a backup under way is let finish (up to ``timeout`` s)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the automatic backup thread did not stop within %s s", timeout)

    def run_once(self, at_start: bool = False) -> Path | None:
        """Make an automatic backup if one is due; never raises."""
        self.checks += 1
        try:
            now = self.clock()
            if not backup.automatic_backup_due(self.data_dir, now, at_start=at_start):
                if at_start:
                    log.info(
                        "no automatic backup at start: the newest is younger than %s",
                        backup.START_GAP,
                    )
                return None
            made = backup.automatic_backup(self.source, self.data_dir, keep=self.keep, now=now)
        except Exception as exc:  # noqa: BLE001 - a failed backup must never stop the app
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("automatic backup failed (older backups are untouched): %s", exc)
            return None
        self.last_backup = made
        self.last_error = None
        return made

    def _run(self) -> None:
        self.run_once(at_start=True)
        while not self._stop.wait(self.check_every):
            self.run_once()


def start_automatic_backups(
    db: peewee.Database,
    data_dir: Path,
    keep: int | None = None,
    check_every: float = CHECK_EVERY,
) -> BackupScheduler | None:
    """Start the scheduler for the open database ``db``; None when there is nothing to do
    (``TMDESK_BACKUP_KEEP=0``, or a PostgreSQL database)."""
    keep = backup.keep_setting() if keep is None else keep
    if keep < 1:
        log.info("automatic backups are off (%s=0)", backup.KEEP_ENV)
        return None
    if not isinstance(db, peewee.SqliteDatabase):
        log.info("automatic backups skipped: the database is not SQLite (use pg_dump)")
        return None
    log.info(
        "automatic backups: at start and daily into %s, keeping the newest %s",
        backups_dir(Path(data_dir)),
        keep,
    )
    return BackupScheduler(Path(db.database), data_dir, keep, check_every).start()
