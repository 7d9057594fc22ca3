"""The double-click launch: ``tmdesk`` with no arguments.

What happens, in order:

1. Logging goes to a rotating file in the user's log folder (and the console
   if there is one; a windowed build has none and must not crash on it).
2. The data folder's instance lock (``tmdesk.lock``) is taken with an OS file
   lock, which the OS releases when the process ends, however it ends. If it
   is held, another tmdesk serves this data folder: its user-only info file
   (``tmdesk-instance.json``: pid, port, version, launch secret) says where;
   when it answers ``GET /healthz`` with our version, the browser is simply
   opened there with a fresh one-time launch token, and this process exits.
   A lock file left behind by a crashed run is not held by anyone: it and its
   info file are cleared ("stale lock") and the launch goes on. Commands that
   replace the data (``tmdesk restore``, ``tmdesk demo --force``) hold the same
   lock while they work (:func:`exclusive_data_dir`) and refuse while it is held.
3. Otherwise the app is served with waitress on 127.0.0.1, on a free port the
   OS picks (port 0), with the Host header restricted to that address (against
   DNS rebinding), and the browser opens ``/desktop/launch?token=…``.
4. While it serves, automatic backups run in a thread (one at start, then
   daily; see :mod:`tmdesk.runtime.backup_schedule`), stopped when the server stops.

The launch token is the only way in that does not need a password: it proves
"this is the person who double-clicked" (only a process of the same OS user
can read the info file's secret). It leads to the first-run setup page when
there is no administrator yet, otherwise to the login page; it never logs in
as an account by itself. Tokens are HMACs over a timestamp and a nonce, valid
for :data:`TOKEN_TTL` seconds and only once, so a second launch can mint one
without talking to the running server first.

``TMDESK_NO_BROWSER=1`` suppresses the browser (tests, headless machines);
the launch URL is printed instead.
"""

from __future__ import annotations

import html
import logging
import tempfile
import time
from pathlib import Path

from tmdesk.paths import log_dir, make_private_dir
from tmdesk.runtime.instance import LOOPBACK, LaunchError, claim_or_find
from tmdesk.runtime.logging_setup import setup_logging
from tmdesk.runtime.server import browser_wanted, open_browser, run_instance, say

log = logging.getLogger(__name__)


# --- fatal errors ---------------------------------------------------------------------


ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tmdesk could not start</title></head>
<body>
<h1>tmdesk could not start</h1>
<p>{message}</p>
<p>The details are in the log file: <code>{log_file}</code>.
Send that file to your administrator if the problem stays.</p>
<hr>
<h1 lang="uk">tmdesk не вдалося запустити</h1>
<p lang="uk">Подробиці записано до журналу: <code>{log_file}</code>.
Надішліть цей файл адміністраторові, якщо проблема не зникне.</p>
</body></html>
"""


def show_fatal_error(message: str, log_file: Path | None, browser: bool) -> Path | None:
    """Tell the person what went wrong: on the console and/or as a page in the browser."""
    say(f"tmdesk could not start: {message}")
    if log_file:
        say(f"Details are in {log_file}")
    page = ERROR_PAGE.format(
        message=html.escape(message), log_file=html.escape(str(log_file or "(no log file)"))
    )
    target: Path | None = None
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / "tmdesk-startup-error.html"
            target.write_text(page, encoding="utf-8")
            break
        except OSError:
            target = None
    if browser and target is not None:
        open_browser(target.resolve().as_uri())
    return target


# --- the launch --------------------------------------------------------------------


def launch(data_dir: Path, browser: bool | None = None) -> int:
    """The desktop launch; returns the process exit code."""
    log_file = setup_logging()
    want_browser = browser_wanted(browser)
    say("tmdesk is starting…")
    try:
        return _launch(Path(data_dir), want_browser)
    except LaunchError as exc:
        log.error("start-up refused: %s", exc)
        show_fatal_error(str(exc), log_file, want_browser)
        return 1
    except Exception as exc:  # noqa: BLE001 - every start-up failure must reach the user
        log.exception("tmdesk could not start")
        show_fatal_error(f"{type(exc).__name__}: {exc}", log_file, want_browser)
        return 1


def _launch(data_dir: Path, want_browser: bool) -> int:
    make_private_dir(data_dir)
    lock, running = claim_or_find(data_dir)
    if running is not None:
        url = running.launch_url()
        log.info("tmdesk already runs at %s/ (pid %s); reusing it", running.base_url, running.pid)
        if want_browser:
            say(f"tmdesk is already running at {running.base_url}/: opening the browser.")
            open_browser(url)
            time.sleep(0.5)  # let the browser thread hand the URL over before we exit
        else:
            say(f"tmdesk is already running. Open: {url}")
        return 0
    assert lock is not None  # nosec B101: a programming-error check; the lock is always held here
    try:
        return run_instance(
            data_dir,
            lock,
            host=LOOPBACK,
            port=0,
            threads=8,
            browser=want_browser,
            desktop_mode=True,
        )
    finally:
        lock.release()
