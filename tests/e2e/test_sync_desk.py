"""A desk in the browser (issue #14): connect it to an office from first-run
setup, see where it stands in the header, sync now, the refused list, and log
in again with the office password."""

from __future__ import annotations

import re
import time

import pytest
from e2e_helpers import ACCOUNTS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture
def desk_server(tmp_path):
    """A desk on an empty data dir, and the one-time setup address it printed."""
    from tests.live_server import start_server

    server = start_server(tmp_path / "desk", threads=2)
    deadline = time.monotonic() + 10
    server.setup_url = None
    while server.setup_url is None and time.monotonic() < deadline:
        match = re.search(r"(http://\S+/setup\?token=\S+)", server.log())
        server.setup_url = match.group(1) if match else None
        time.sleep(0.05)
    yield server
    server.stop()


def test_connect_a_desk_see_its_status_and_log_in_with_the_office_password(
    new_context, live_server, desk_server
):
    from tmdesk.demo import DEMO_PASSWORD

    assert desk_server.setup_url, desk_server.log()
    page = new_context(base_url=desk_server.url).new_page()
    page.goto(desk_server.setup_url)
    page.get_by_role("link", name="Connect to an office").click()
    page.fill("#url", live_server.url)
    page.fill("#email", ACCOUNTS["donor"])
    page.fill("#password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Connect").click()
    assert "/office" in page.url
    main = page.locator("main").inner_text()
    assert live_server.url in main and ACCOUNTS["donor"] in main
    assert re.search(r"Synced: 0 sent, 0 refused, \d+ received", main)
    header = page.locator(".sync-status").inner_text()
    assert "Synced" in header and "0 waiting" in header
    # The Catalogue on the desk holds the office's published projects.
    page.goto("/catalogue")
    assert page.locator("main a[href^='/projects/TM-']").count() > 0
    page.goto("/office")
    with page.expect_navigation():
        page.get_by_role("button", name="Sync now").click()
    assert "Synced: 0 sent" in page.locator("main").inner_text()
    page.goto("/office/refused")
    assert "Nothing refused." in page.locator("main").inner_text()

    # Another browser: the person logs in on the desk with their office password.
    other = new_context(base_url=desk_server.url).new_page()
    other.goto("/login")
    other.fill("#email", ACCOUNTS["donor"])
    other.fill("#password", DEMO_PASSWORD)
    with other.expect_navigation():
        other.locator("main form button").first.click()
    assert "/login" not in other.url
    assert other.locator(".sync-status").count() == 1
