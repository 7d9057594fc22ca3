"""Shared fixtures: a fresh data dir per test, the app, and one user per role.

``desk`` builds a small world (one organisation of every kind, one user in
each) that tests extend; ``login(client, user)`` logs a test client in.
"""

from __future__ import annotations

import os

import pytest

from tests import pg
from tests.helpers import (
    ORGS,
    Clock,
    Desk,
    EnglishClient,
    create_people,
)
from tmdesk.core import accounts, sqlite_engine
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import database

#: Real installations hash with scrypt; the suite creates hundreds of accounts,
#: so it uses a cheap method. Login checks read the method from each hash.
TEST_PASSWORD_METHOD = "pbkdf2:sha256:1000"
#: The real pragmas, without the fsync per commit (see ``_test_defaults``).
TEST_SQLITE_PRAGMAS = sqlite_engine.SQLITE_PRAGMAS | {"synchronous": "off"}


@pytest.fixture(autouse=True, scope="session")
def _test_defaults():
    """For the whole session, undone at its end: cheap password hashing, SQLite
    without an fsync per commit, and test clients that ask for English.

    A test's database is a scratch file: ``synchronous=FULL`` (what a real desk
    keeps, so an acknowledged write survives power loss) costs an fsync per
    commit, which on a shared disk was the larger part of many tests' time.
    Only this process is affected: the ``tmdesk`` processes that the slow tests
    start (crash safety, concurrency) keep the real pragmas. The app answers in Ukrainian by default (no
    Accept-Language header) once the catalogue is compiled; the suite's assertions
    are written against the English msgids, so every test client asks for English
    unless a test sends its own Accept-Language header (tests/web/test_i18n.py does)."""
    from flask import Flask

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accounts, "PASSWORD_METHOD", TEST_PASSWORD_METHOD)
        patch.setattr(sqlite_engine, "SQLITE_PRAGMAS", TEST_SQLITE_PRAGMAS)
        _compile_url_builders_once(patch)
        patch.setattr(Flask, "test_client_class", EnglishClient)
        yield


def _compile_url_builders_once(patch: pytest.MonkeyPatch) -> None:
    """Compile each URL rule's builder once per process, not once per app.

    Almost every test makes its own app (its own data folder), and werkzeug compiles
    two builder functions per rule through ``ast`` and ``compile`` for each of the
    app's ~670 rules: about 100 ms of CPU per app, the largest part of making one.
    The builder is a plain function of the rule's text and parsed parts (it reads
    the converters from the rule it is bound to when called), so the same rule in
    the next app can reuse it. Rules whose defaults fill a URL argument are left
    alone (their builder holds the converted default)."""
    from werkzeug.routing.rules import Rule

    original = getattr(Rule, "_compile_builder", None)
    if original is None:  # another werkzeug: nothing to speed up
        return
    builders: dict = {}

    def compile_builder(self: Rule, append_unknown: bool = True):
        defaults = self.defaults or {}
        if any(is_dynamic and data in defaults for is_dynamic, data in self._trace):
            return original(self, append_unknown)
        key = (self.rule, tuple(self._trace), tuple(sorted(defaults)), append_unknown)
        if key not in builders:
            builders[key] = original(self, append_unknown)
        return builders[key]

    patch.setattr(Rule, "_compile_builder", compile_builder)


# --- the engine the suite runs on (tests/pg.py) -------------------------------
on_postgresql = pg.on_postgresql


def pytest_configure(config):
    pg.start_worker(os.environ.get("PYTEST_XDIST_WORKER", "main"))


def pytest_unconfigure(config):
    pg.stop_worker()


def pytest_collection_modifyitems(config, items):
    skip = (
        pytest.mark.skip(reason="about SQLite itself (its file, WAL or online backup)")
        if on_postgresql()
        else pytest.mark.skip(reason="a PostgreSQL promise: set TMDESK_TEST_DATABASE_URL")
    )
    unwanted = "sqlite_only" if on_postgresql() else "postgresql_only"
    for item in items:
        if unwanted in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fresh_postgresql():
    """On PostgreSQL, every test starts from an empty tmdesk schema."""
    if on_postgresql():
        pg.resetter().reset()
    yield


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def db(data_dir):
    """An open, migrated database in a temporary data dir."""
    open_database(data_dir)
    database.connect(reuse_if_open=True)
    yield database
    if not database.is_closed():
        database.close()


@pytest.fixture
def desk(db) -> Desk:
    return Desk(*create_people(ORGS, lambda key: key.replace("_", " ").title()))


@pytest.fixture
def app(data_dir, db):
    from tmdesk.web import create_app

    app = create_app(data_dir, {"TESTING": True})
    database.connect(reuse_if_open=True)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Session time under the test's control: move it with ``clock.now += seconds``."""
    from itsdangerous import TimestampSigner

    from tmdesk.web import auth

    clock = Clock()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(clock()))
    monkeypatch.setattr(auth, "_now", clock)
    return clock
