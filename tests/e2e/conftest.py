"""Browser fixtures: one demo server and one Chromium per test session (per xdist worker).

The server is a real ``tmdesk serve`` process (tests/live_server.py) on a
temporary data dir filled once with the demo data set; the browser is Debian's
Chromium driven by Playwright (never ``playwright install``). Tests get fresh
browser contexts (their own cookies) from :func:`new_context` and log in with
:func:`login_as`; a context can be made with JavaScript off.

Screenshots go to ``test-output/e2e/`` (git-ignored).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_helpers import OUTPUT, REPO

from tests import pg

CHROMIUM = os.environ.get("TMDESK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"


def _sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.fail("Playwright is not installed: pip install -e '.[test]'")
    return sync_playwright


def load_demo_into(data_dir: Path, url: str | None = None) -> None:
    """Fill ``data_dir`` (or the database ``url``) with the demo data set, leaving
    the database closed."""
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database
    from tmdesk.demo import load_demo

    open_database(data_dir, url)
    try:
        load_demo(data_dir=data_dir)
    finally:
        if not database.is_closed():
            database.close()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """``tmdesk serve`` on the demo data, for the whole session."""
    from tests.live_server import start_server

    data_dir = tmp_path_factory.mktemp("e2e") / "data"
    url = pg.own_database("e2e")  # PostgreSQL: a database of its own, kept all session
    load_demo_into(data_dir, url)
    server = start_server(data_dir, threads=4, url=url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fresh_server(tmp_path_factory):
    """A server on an empty data dir: only the first-run setup page is open.

    ``setup_url`` is the one-time setup address the server prints.
    """
    from tests.live_server import start_server

    server = start_server(
        tmp_path_factory.mktemp("e2e-empty") / "data", threads=2, url=pg.own_database("e2e_empty")
    )
    deadline = time.monotonic() + 10
    server.setup_url = None
    while server.setup_url is None and time.monotonic() < deadline:
        for line in server.log().splitlines():
            match = re.search(r"(http://\S+/setup\?token=\S+)", line)
            if match:
                server.setup_url = match.group(1)
        time.sleep(0.05)
    if server.setup_url is None:
        server.stop()
        pytest.fail("the server did not print its setup address:\n" + server.log())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not at {CHROMIUM} (scripts/test installs it with apt)")
    with _sync_playwright()() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser, live_server) -> Iterator:
    """Make browser contexts on the demo server; all are closed after the test.

    ``new_context(js=False)`` turns JavaScript off; ``bypass_csp=True`` lets
    the axe-core script (added inline by Playwright) run under the app's CSP.
    """
    made = []

    def make(
        js: bool = True,
        bypass_csp: bool = False,
        width: int = 1280,
        height: int = 900,
        base_url: str | None = None,
    ):
        context = browser.new_context(
            base_url=base_url or live_server.url,
            java_script_enabled=js,
            bypass_csp=bypass_csp,
            viewport={"width": width, "height": height},
            accept_downloads=True,
            locale="en-GB",
        )
        context.set_default_timeout(15_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture(scope="session")
def axe_source() -> Path:
    if not AXE_JS.exists():
        if shutil.which("npm"):
            pytest.fail("axe-core is missing: run `npm ci --no-audit --no-fund` at the repo root")
        pytest.fail("axe-core is missing and npm is not installed")
    return AXE_JS
