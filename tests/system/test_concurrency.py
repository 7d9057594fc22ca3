"""20 concurrent writers against a real server: no "database is locked", nothing lost."""

import pytest

from tests.live_server import concurrent_writers, make_writer_accounts, start_server
from tmdesk.core.audit import verify_chain
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import database
from tmdesk.core.models import AuditEvent, Project

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
    open_database(tmp_path)  # the SQLite file, or the PostgreSQL database of the run
    with database.connection_context():
        stored = {p.ref for p in Project.select(Project.ref)}
        chain = verify_chain()
        links = AuditEvent.select(AuditEvent.prev_hash).count()
        distinct = AuditEvent.select(AuditEvent.prev_hash).distinct().count()
    assert set(load.acknowledged) <= stored
    assert len(set(load.acknowledged)) == len(load.acknowledged)  # references never reused
    assert chain.ok and chain.checked == links == distinct  # the audit chain never forks
