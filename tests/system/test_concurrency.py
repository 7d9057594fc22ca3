"""20 concurrent writers against a real server: no "database is locked", nothing lost."""

import pytest

from tests.live_server import (
    assert_writes_whole,
    concurrent_writers,
    make_writer_accounts,
    start_server,
)

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
    assert_writes_whole(tmp_path, load.acknowledged)
