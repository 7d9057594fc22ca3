"""Sync on start and every few minutes while a linked desk serves (issue #14).

A daemon thread started by :func:`tmdesk.runtime.server.run_instance` beside the
automatic backups. Each round is one :func:`tmdesk.sync.desk.sync`; an office
that cannot be reached is tried again at the next round (nothing is lost, the
queue waits); a revoked link stops the thread for good. A failure is logged
and never stops the app.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from tmdesk.core.db import database
from tmdesk.sync import desk
from tmdesk.sync.client import DeskRevoked, SyncProblem

log = logging.getLogger(__name__)


class AutoSync:
    """The background sync thread for one linked desk."""

    def __init__(self, data_dir: Path, interval: float = desk.SYNC_INTERVAL) -> None:
        self.data_dir = Path(data_dir)
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tmdesk-sync", daemon=True)
        self.rounds = 0

    def start(self) -> AutoSync:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with database.connection_context():
                    link = desk.current_link()
                    if link is None or not link.office_url:
                        return  # not linked, or by files only
                    desk.sync(self.data_dir)
            except DeskRevoked:
                log.warning("the office revoked this desk's link: background sync stops")
                return
            except SyncProblem as exc:
                log.info("background sync: %s", exc)
            except Exception:  # noqa: BLE001 - a background sync must never take the app down
                log.exception("background sync failed")
            self.rounds += 1
            self._stop.wait(self.interval)


def start_auto_sync(data_dir: Path) -> AutoSync | None:
    """Start background sync if this desk is linked to an office (else None)."""
    with database.connection_context():
        if not desk.is_linked():
            return None
    return AutoSync(data_dir).start()
