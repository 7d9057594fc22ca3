"""Schema upgrades on PostgreSQL: a database at every released schema version opens
with the current code, losing nothing, and ends with the same tables, columns and
indexes as a database created new.

The schema fixtures are SQLite files (``tests/fixtures/schema_v<N>.sqlite3``). For
each one the PostgreSQL database of the version is rebuilt here: the current schema,
created by tmdesk, is taken back to the fixture's (the tables, columns and indexes the
fixture does not have are dropped), its rows are copied in, and then tmdesk opens it
and runs the upgrade steps on PostgreSQL. The checks are those of the SQLite upgrade
tests (:func:`tests.core.test_schema_upgrade.check_nothing_lost`).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from tests import pg
from tests.core.test_schema_upgrade import FIXTURES, VERSIONS, check_nothing_lost
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import database
from tmdesk.core.models import ALL_MODELS
from tmdesk.core.schema import CURRENT_VERSION, read_version

pytestmark = pytest.mark.postgresql_only

#: What PostgreSQL has and a SQLite fixture never shows: the search column and index
#: (SQLite keeps its index in FTS5 tables), primary keys and id sequences.
ENGINE_OWN = ("search_tsv",)


def _relations(con) -> set[str]:
    """Every table, index and sequence of the public schema, by name."""
    rows = con.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i', 'S')"
    ).fetchall()
    return {r[0] for r in rows}


def _columns(con) -> dict[str, dict[str, str]]:
    """table → column → data type, for the public schema."""
    out: dict[str, dict[str, str]] = {}
    for table, column, kind in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public'"
    ).fetchall():
        out.setdefault(table, {})[column] = kind
    return out


def _fixture_schema(src: sqlite3.Connection) -> tuple[set[str], set[str]]:
    """The tmdesk tables and the named indexes of a fixture."""
    tables = {
        name for (name,) in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    indexes = {
        name
        for (name,) in src.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
    }
    known = {m._meta.table_name for m in ALL_MODELS}
    # PostgreSQL keeps the first 63 bytes of a longer name (NAMEDATALEN): peewee's
    # generated names reach 64.
    return tables & known, {name[:63] for name in indexes}


def rebuild_on_postgresql(version: int) -> None:
    """Make this worker's database what a tmdesk of schema ``version`` left on PostgreSQL,
    holding the rows of ``schema_v<version>.sqlite3``."""
    con = pg.resetter().con
    with closing(sqlite3.connect(FIXTURES / f"schema_v{version}.sqlite3")) as src:
        tables, indexes = _fixture_schema(src)
        order = [m._meta.table_name for m in ALL_MODELS if m._meta.table_name in tables]
        with con.transaction():
            for model in reversed(ALL_MODELS):
                if model._meta.table_name not in tables:
                    con.execute(f'DROP TABLE "{model._meta.table_name}" CASCADE')  # nosec B608
            current = {
                name
                for (name,) in con.execute(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
                ).fetchall()
            }
            missing = indexes - current
            assert not missing, f"indexes of schema v{version} never created on PostgreSQL"
            for name in current - indexes:
                if not name.endswith(("_pkey", "_search")):
                    con.execute(f'DROP INDEX "{name}"')  # nosec B608: names from the catalogue
            columns = _columns(con)
            old_columns = {}
            for table in order:
                old_columns[table] = [r[1] for r in src.execute(f'PRAGMA table_info("{table}")')]
                for column in set(columns[table]) - set(old_columns[table]) - set(ENGINE_OWN):
                    con.execute(f'ALTER TABLE "{table}" DROP COLUMN "{column}"')  # nosec B608
            for table in reversed(order):
                con.execute(f'DELETE FROM "{table}"')  # nosec B608
            for table in order:
                names = old_columns[table]
                flags = [columns[table][c] == "boolean" for c in names]
                rows = [
                    tuple(
                        bool(v) if flag and v is not None else v
                        for v, flag in zip(row, flags, strict=True)
                    )
                    for row in src.execute(f'SELECT * FROM "{table}" ORDER BY 1')  # nosec B608
                ]
                if rows:
                    quoted = ", ".join(f'"{c}"' for c in names)
                    marks = ", ".join(["%s"] * len(names))
                    with con.cursor() as cur:
                        cur.executemany(
                            f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})',  # nosec B608
                            rows,
                        )
                if "id" in names:
                    con.execute(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                        f'(SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)',  # nosec B608
                        (f'"{table}"',),
                    )
    stored = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert stored == (str(version),)


@pytest.fixture(params=VERSIONS, ids=[f"v{v}" for v in VERSIONS])
def upgraded(request, tmp_path):
    """A PostgreSQL database at one fixture's version, opened (and so upgraded)."""
    con = pg.resetter().con
    fresh = (_relations(con), _columns(con))
    rebuild_on_postgresql(request.param)
    db = open_database(tmp_path / "data")
    database.connect(reuse_if_open=True)
    yield request.param, db, fresh
    database.close()


def test_old_database_upgrades_on_postgresql(upgraded):
    version, db, (relations, columns) = upgraded
    assert read_version(db) == CURRENT_VERSION
    check_nothing_lost(version)
    con = pg.resetter().con
    # Every table, column, index and sequence of a new database, and nothing else.
    assert _relations(con) == relations
    assert {t: set(c) for t, c in _columns(con).items()} == {t: set(c) for t, c in columns.items()}


def test_upgraded_database_searches(upgraded):
    """The search index covers the rows copied in before the upgrade."""
    from tmdesk.core import search
    from tmdesk.core.models import User

    version, _db, _fresh = upgraded
    admin = User.get(User.email == "admin@tmpo.fixture")
    found = {r.title for r in search.search(admin, "аналітик", type="project")}
    assert found, f"nothing found after upgrading v{version}"
