"""A serving process keeps its SQLite connections (issue 13): a request's close hands
the connection back, the next request reuses it, and nothing a request left
uncommitted survives into the next one. Everything else closes for real."""

from __future__ import annotations

import pytest
from playhouse.pool import PooledSqliteDatabase

from tmdesk.core import sqlite_engine
from tmdesk.core.models import Organisation

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def pooled(monkeypatch):
    monkeypatch.setattr(sqlite_engine, "_pooled", False)
    sqlite_engine.configure_pool(True)
    yield
    sqlite_engine.configure_pool(False)


def test_only_a_serving_process_pools(tmp_path):
    db = sqlite_engine.make(str(tmp_path / "plain.sqlite3"))
    assert not isinstance(db, PooledSqliteDatabase)


def test_pooled_connection_is_reused_and_rolled_back(tmp_path, pooled):
    db = sqlite_engine.make(str(tmp_path / "pooled.sqlite3"))
    assert isinstance(db, PooledSqliteDatabase)
    with Organisation.bind_ctx(db):
        db.connect()
        db.create_tables([Organisation])
        first = db.connection()
        assert db.execute_sql("PRAGMA foreign_keys").fetchone() == (1,)
        db.close()
        db.connect()
        assert db.connection() is first  # no reopening, no pragmas again
        # A request that fails half-way through a write leaves its transaction open.
        db.execute_sql("BEGIN IMMEDIATE")
        Organisation.create(code="HALF", kind="donor", country="EE", name_en="Half")
        assert first.in_transaction
        db.close()  # the request's teardown hands it back
        db.connect()
        assert db.connection() is first
        assert not Organisation.select().where(Organisation.code == "HALF").exists()
        db.close()
        db.close_idle()
