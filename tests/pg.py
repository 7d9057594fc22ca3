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
#: Set by :func:`start_worker`: this process's own database.
WORKER_ENV = "TMDESK_TEST_WORKER_DATABASE_URL"


def test_url() -> str | None:
    """The PostgreSQL server the suite runs on, if one is configured."""
    return os.environ.get(ENV) or None


def on_postgresql() -> bool:
    """Whether this run of the suite is on PostgreSQL."""
    return test_url() is not None


def url() -> str:
    """This pytest process's database (after :func:`start_worker`)."""
    return os.environ[WORKER_ENV]


def start_worker(worker: str) -> None:
    """Create this process's empty database and point ``TMDESK_DATABASE_URL`` at it,
    so every ``open_database()`` here and in the ``tmdesk`` commands tests start uses it."""
    base = test_url()
    if base is None:
        return
    own = worker_url(base, worker)
    create_worker_database(own)
    os.environ[WORKER_ENV] = own
    os.environ["TMDESK_DATABASE_URL"] = own


def stop_worker() -> None:
    global _RESETTER
    if _RESETTER is not None:
        _RESETTER.close()
        _RESETTER = None
    for extra in _OWN:
        drop_worker_database(extra)
    if os.environ.get(WORKER_ENV):
        drop_worker_database(os.environ[WORKER_ENV])


_RESETTER: Resetter | None = None


def own_database(name: str) -> str | None:
    """On PostgreSQL, a further empty database for this process, ``<worker db>_<name>``,
    for a module- or session-scoped fixture that keeps data across tests (the
    per-test reset empties only the worker's own database); None on SQLite.
    Pass it to ``open_database(data_dir, url)`` and to ``start_server(..., url=)``."""
    if not on_postgresql():
        return None
    own = worker_url(url(), name)
    create_worker_database(own)
    _OWN.append(own)
    return own


_OWN: list[str] = []


def resetter() -> Resetter:
    """The process's :class:`Resetter` (one connection, kept for the session)."""
    global _RESETTER
    if _RESETTER is None:
        _RESETTER = Resetter(url())
    return _RESETTER


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
        version = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
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
        """Empty every table, write the seed rows back and restart the id sequences."""
        self._empty_then(self.seed)
        self.con.execute(
            "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'S'"
        )
        # Seed rows with ids (a fresh database's dated exchange rates): their
        # sequences go on after them, as in a fresh database.
        with_ids = {
            name
            for (name,) in self.con.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = "
                "'public' AND column_name = 'id' AND column_default LIKE 'nextval%%'"
            )
        }
        for table, rows in self.seed.items():
            if rows and table in with_ids:
                self.con.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "  # nosec B608: a catalogue name
                    f'(SELECT MAX(id) FROM "{table}"))'
                )

    def _empty_then(self, rows: dict[str, list[tuple]]) -> None:
        """In one transaction: empty every table, then insert ``rows``.

        ``DELETE`` is much cheaper on a test's few rows than ``TRUNCATE``, which
        replaces every table's files. As a superuser (the CI cluster) foreign keys
        and triggers are switched off for the transaction
        (``session_replication_role``); otherwise children are deleted before their
        parents and inserted after them (the models' creation order)."""
        import psycopg

        from tmdesk.core.models import ALL_MODELS

        known = [m._meta.table_name for m in ALL_MODELS]
        present = self._tables()
        parents_first = [t for t in known if t in present] + [t for t in present if t not in known]
        with self.con.transaction():
            try:
                with self.con.transaction():
                    self.con.execute("SET LOCAL session_replication_role = replica")
            except psycopg.errors.InsufficientPrivilege:
                pass
            for table in reversed(parents_first):
                self.con.execute(f'DELETE FROM "{table}"')  # nosec B608: names from the catalogue
            for table in parents_first:
                self._insert(table, rows.get(table))

    def _insert(self, table: str, rows: list[tuple] | None) -> None:
        if rows:
            marks = ", ".join(["%s"] * len(rows[0]))
            with self.con.cursor() as cur:
                cur.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)  # nosec B608

    def capture(self) -> dict[str, list[tuple]]:
        """Every row of every table, and each id sequence's position."""
        rows = {t: self.con.execute(f'SELECT * FROM "{t}"').fetchall() for t in self._tables()}  # nosec B608
        sequences = self.con.execute(
            "SELECT c.oid::regclass::text, s.last_value, s.last_value IS NOT NULL FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "JOIN pg_sequences s ON s.schemaname = n.nspname AND s.sequencename = c.relname "
            "WHERE n.nspname = 'public' AND c.relkind = 'S'"
        ).fetchall()
        return {"rows": rows, "sequences": sequences}

    def put_back(self, snap: dict) -> None:
        """Make the tables hold exactly what :meth:`capture` saw (same schema).
        Close the app's connections first: an open transaction would hold locks."""
        self._empty_then(snap["rows"])
        for name, last, called in snap["sequences"]:
            if last is None:
                self.con.execute("SELECT setval(%s::regclass, 1, false)", (name,))
            else:
                self.con.execute("SELECT setval(%s::regclass, %s, %s)", (name, last, called))

    def close(self) -> None:
        self.con.close()
