"""20 concurrent writers against a real server: no "database is locked", nothing lost."""

import sqlite3

import pytest

from tests.live_server import concurrent_writers, make_writer_accounts, start_server
from tmdesk.core.db import DATABASE_FILENAME

pytestmark = pytest.mark.slow


def test_twenty_concurrent_writers(tmp_path):
    tokens = make_writer_accounts(tmp_path, 20)
    server = start_server(tmp_path, threads=8)
    try:
        load = concurrent_writers(server.url, tokens, seconds=10)
    finally:
        server.stop()
    assert load.failures == {}
    assert len(load.acknowledged) > 20
    con = sqlite3.connect(str(tmp_path / DATABASE_FILENAME))
    stored = {row[0] for row in con.execute("SELECT ref FROM project")}
    con.close()
    assert set(load.acknowledged) <= stored
    assert len(set(load.acknowledged)) == len(load.acknowledged)  # references never reused
