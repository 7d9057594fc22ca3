"""Logging for the desktop launch and ``tmdesk serve``.

A rotating log file in the user's log folder (``TMDESK_LOG_DIR`` overrides it;
see :func:`tmdesk.paths.log_dir`), plus the console when there is one. A
windowed build (PyInstaller ``--windowed`` on Windows/macOS) starts with
``sys.stdout`` and ``sys.stderr`` set to ``None``: :func:`ensure_std_streams`
points them at the null device so that ``print``, click and third-party code
never crash on a missing stream, and no console handler is added.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
import threading
import time
from pathlib import Path

from tmdesk import paths

LOG_FILENAME = "tmdesk.log"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"
#: Five files of 1 MiB: weeks of a desk's use, bounded on disk.
MAX_BYTES = 1024 * 1024
BACKUP_COUNT = 5

_configured_file: Path | None = None


class OncePer(logging.Filter):
    """Lets one record through per ``seconds``, saying how many it held back since.

    waitress warns "Task queue depth is N" for every request that has to wait for
    a free thread: under load that is a line per request, written and flushed by
    the thread that accepts connections (slowing every answer), and it rotates the
    useful lines out of the five log files within minutes. One line a minute says
    the same to an administrator.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self._last = float("-inf")
        self._held = 0
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._last < self.seconds:
                self._held += 1
                return False
            self._last, held, self._held = now, self._held, 0
        if held:
            record.msg = f"{record.getMessage()} ({held} more like it not logged)"
            record.args = ()
        return True


def has_console() -> bool:
    """Whether a real standard error stream exists (not a windowed build)."""
    stream = sys.stderr
    return stream is not None and not getattr(stream, "_tmdesk_null", False)


def ensure_std_streams() -> None:
    """Replace missing ``sys.stdout``/``sys.stderr`` with the null device."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            null = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
            null._tmdesk_null = True  # type: ignore[attr-defined]
            setattr(sys, name, null)


def setup_logging(
    level: int = logging.INFO,
    console: bool | None = None,
    directory: Path | None = None,
    filename: str = LOG_FILENAME,
) -> Path | None:
    """Log to a rotating file (and the console when there is one).

    ``filename``: each process of a ``tmdesk serve --workers`` writes a file of its
    own (rotating one file from several processes would lose lines).

    Returns the log file's path, or None when the log folder cannot be
    created (then logging goes to the console only, and the app still runs).
    Safe to call more than once: handlers are added once per process.
    """
    global _configured_file
    ensure_std_streams()
    root = logging.getLogger()
    root.setLevel(level)
    if _configured_file is not None:
        return _configured_file
    formatter = logging.Formatter(LOG_FORMAT)
    if console is None:
        console = has_console()
    if console and not any(getattr(h, "_tmdesk", False) for h in root.handlers):
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(formatter)
        stream._tmdesk = True  # type: ignore[attr-defined]
        root.addHandler(stream)
    target = directory or paths.log_dir()
    try:
        target.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            target / filename,
            maxBytes=MAX_BYTES,
            backupCount=BACKUP_COUNT,
            encoding="utf-8",
            delay=False,
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write logs to %s: %s", target, exc)
        return None
    handler.setFormatter(formatter)
    root.addHandler(handler)
    # waitress logs every queue build-up at WARNING (once a minute is enough); its
    # INFO is just noise.
    logging.getLogger("waitress").setLevel(logging.WARNING)
    queue = logging.getLogger("waitress.queue")
    if not any(isinstance(f, OncePer) for f in queue.filters):
        queue.addFilter(OncePer(60))
    _configured_file = target / filename
    return _configured_file
