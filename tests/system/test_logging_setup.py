"""The log keeps what an administrator needs: waitress's "Task queue depth" warning,
which it writes for every request that waits under load, reaches the log once a
minute with the count of those held back, not once per request."""

from __future__ import annotations

import logging

from tmdesk.runtime import logging_setup


def test_a_warning_flood_is_logged_once_a_minute(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(logging_setup.time, "monotonic", lambda: clock[0])
    once = logging_setup.OncePer(60)
    logger = logging.getLogger("tmdesk.test.flood")
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger.addFilter(once)
    logger.addHandler(Keep())
    logger.propagate = False
    try:
        for depth in range(1, 51):  # fifty requests queued within a second
            logger.warning("Task queue depth is %d", depth)
        clock[0] += 61
        logger.warning("Task queue depth is %d", 7)
    finally:
        logger.removeFilter(once)
        logger.handlers.clear()
    assert seen == [
        "Task queue depth is 1",
        "Task queue depth is 7 (49 more like it not logged)",
    ]


def test_serve_logging_filters_the_queue_warnings(tmp_path, monkeypatch):
    monkeypatch.setattr(logging_setup, "_configured_file", None)
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        logging_setup.setup_logging(console=False, directory=tmp_path)
        filters = logging.getLogger("waitress.queue").filters
        assert any(isinstance(f, logging_setup.OncePer) for f in filters)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
