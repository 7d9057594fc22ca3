"""Running the suite on PostgreSQL (``TMDESK_TEST_DATABASE_URL``).

Set ``TMDESK_TEST_DATABASE_URL=postgresql://USER@HOST:PORT/NAME`` and run pytest
as usual: each pytest process (each xdist worker) gets its own database
``NAME_<worker>``, created empty at the start of the session, and every test
starts from an empty tmdesk schema. The worker's URL is put in
``TMDESK_DATABASE_URL``, so everything that opens the database in the test
process *and* in the ``tmdesk`` subprocesses the tests start uses it.

Between tests the tables are emptied (``DELETE``, children first: a few
milliseconds) and their id sequences restarted, and the schema version row and exchange rates a fresh
database starts with are written back; a test that changed the schema itself
(an upgrade test) gets the whole schema dropped and recreated instead.

Tests that are about SQLite itself (the database file, its WAL, its online
backup) carry ``@pytest.mark.sqlite_only`` and are skipped here; tests of a
PostgreSQL-only promise carry ``@pytest.mark.postgresql_only`` and are skipped
on SQLite.
"""

from __future__ import annotations

import os

ENV = "TMDESK_TEST_DATABASE_URL"


def test_url() -> str | None:
    """The PostgreSQL server the suite runs on, if one is configured."""
    return os.environ.get(ENV) or None


def worker_url(base: str, worker: str) -> str:
    """``base`` with the database name suffixed by the xdist ``worker`` id."""
    head, _, tail = base.rpartition("/")
    name, sep, query = tail.partition("?")
    return f"{head}/{name}_{worker}{sep}{query}"


def _admin(url: str):
    """An autocommit connection to the server's ``postgres`` database."""
    import psycopg

    from tmdesk.core.pg_engine import connect_params

    params = connect_params(url)
    params["dbname"] = "postgres"
    return psycopg.connect(autocommit=True, **params)


def create_worker_database(url: str) -> None:
    """Drop and create the (empty) database of ``url``."""
    from psycopg import sql

    from tmdesk.core.pg_engine import connect_params

    name = connect_params(url)["dbname"]
    with _admin(url) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_worker_database(url: str) -> None:
    from psycopg import sql

    from tmdesk.core.pg_engine import connect_params

    name = connect_params(url)["dbname"]
    with _admin(url) as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Resetter:
    """Brings the worker's database back to a fresh tmdesk schema before each test."""

    def __init__(self, url: str) -> None:
        import psycopg

        from tmdesk.core.pg_engine import connect_params

        self.url = url
        self.con = psycopg.connect(autocommit=True, **connect_params(url))
        self.con.execute("SET lock_timeout = '5s'")
        self.pristine: str | None = None  # the schema's fingerprint after a fresh create

    def _fingerprint(self) -> str:
        rows = self.con.execute(
            "SELECT string_agg(c.relname || ':' || c.relkind::text, ',' ORDER BY c.relname) "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public'"
        ).fetchone()
        if "meta:r" not in (rows[0] or "").split(","):
            return ""
        version = self.con.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchone()
        return f"{rows[0]}|{version[0] if version else ''}"

    def _tables(self) -> list[str]:
        rows = self.con.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        ).fetchall()
        return [r[0] for r in rows]

    def _create(self) -> None:
        """Drop everything and create the current schema through tmdesk itself."""
        from tmdesk.core.db import make_database
        from tmdesk.core.schema import upgrade

        self._terminate_others()
        self.con.execute("DROP SCHEMA public CASCADE")
        self.con.execute("CREATE SCHEMA public")
        db = make_database(url=self.url)
        from tmdesk.core.db import database

        previous = database.obj
        database.initialize(db)
        try:
            db.connect()
            upgrade(db)
        finally:
            db.close_all()
            database.initialize(previous)
        self.pristine = self._fingerprint()
        self.seed = self._dump_seed()

    def _dump_seed(self) -> dict[str, list[tuple]]:
        """The rows a fresh database starts with (schema version, exchange rates)."""
        seed = {}
        for table in self._tables():
            rows = self.con.execute(f'SELECT * FROM "{table}"').fetchall()  # nosec B608: table names from the catalogue
            if rows:
                seed[table] = rows
        return seed

    def _terminate_others(self) -> None:
        self.con.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )

    def reset(self) -> None:
        import psycopg

        try:
            if self.pristine is None or self._fingerprint() != self.pristine:
                self._create()
                return
            self._truncate()
        except psycopg.errors.LockNotAvailable:
            # A connection left in a transaction by the previous test holds a lock.
            self._terminate_others()
            self._truncate()

    def _truncate(self) -> None:
        """Empty every table and restart its ids, then write the seed rows back.

        ``DELETE`` children before parents (the models' creation order, reversed;
        tables no model declares first) is much cheaper on a test's few rows than
        ``TRUNCATE``, which replaces every table's files; ``TRUNCATE`` stays the
        fallback when an unknown table's foreign key gets in the way."""
        import psycopg

        from tmdesk.core.models import ALL_MODELS

        known = [m._meta.table_name for m in reversed(ALL_MODELS)]
        present = self._tables()
        order = [t for t in present if t not in known] + [t for t in known if t in present]
        try:
            with self.con.transaction():
                for table in order:
                    self.con.execute(f'DELETE FROM "{table}"')  # nosec B608: names from the catalogue
                self._seed()
        except psycopg.errors.ForeignKeyViolation:
            tables = ", ".join(f'"{t}"' for t in present)
            with self.con.transaction():
                self.con.execute(f"TRUNCATE {tables} CASCADE")  # nosec B608: names from the catalogue
                self._seed()
        self.con.execute(
            "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'S'"
        )

    def _seed(self) -> None:
        for table, rows in self.seed.items():
            marks = ", ".join(["%s"] * len(rows[0]))
            with self.con.cursor() as cur:
                cur.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)  # nosec B608

    def close(self) -> None:
        self.con.close()
