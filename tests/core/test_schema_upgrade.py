"""Databases written by earlier schema versions open with the current code, losing nothing.

``tests/fixtures/schema_v<N>.sqlite3`` is a small database made by the code of
schema version N (``tests/fixtures/make_schema_fixture.py``). Every one of
them is copied, opened with :func:`open_database` (which upgrades it step by
step) and checked against what the script put in.
"""

from __future__ import annotations

import shutil
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest

from tmdesk.core import accounts
from tmdesk.core.audit import verify_chain
from tmdesk.core.backup import BackupError, restore
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import DATABASE_FILENAME, database
from tmdesk.core.funding import project_funding
from tmdesk.core.models import (
    ALL_MODELS,
    CATALOGUE_INDEX_FIELDS,
    Organisation,
    Pledge,
    Project,
    User,
)
from tmdesk.core.plugin_approvals import approved_files
from tmdesk.core.schema import CURRENT_VERSION, SchemaError, read_version
from tmdesk.core.visibility import can_see

# The fixtures are SQLite files of every released schema version.
pytestmark = pytest.mark.sqlite_only

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FIXTURE_PASSWORD = "fixture passphrase 2026"
VERSIONS = sorted(int(p.stem.rsplit("_v", 1)[1]) for p in FIXTURES.glob("schema_v*.sqlite3"))


def copy_fixture(version: int, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copyfile(FIXTURES / f"schema_v{version}.sqlite3", data_dir / DATABASE_FILENAME)
    return data_dir


@pytest.fixture(params=VERSIONS, ids=[f"v{v}" for v in VERSIONS])
def upgraded(request, tmp_path):
    """A copy of one fixture, opened (and so upgraded) by the current code."""
    data_dir = copy_fixture(request.param, tmp_path)
    db = open_database(data_dir)
    database.connect(reuse_if_open=True)
    yield request.param, data_dir, db
    database.close()


def test_every_schema_version_has_a_fixture():
    assert list(range(1, CURRENT_VERSION + 1)) == VERSIONS, (
        "keep one database file per released schema version in tests/fixtures/ "
        "(python tests/fixtures/make_schema_fixture.py writes the current one)"
    )


def test_old_database_opens_at_the_current_version(upgraded):
    version, data_dir, db = upgraded
    assert read_version(db) == CURRENT_VERSION
    if version < CURRENT_VERSION:
        kept = list((data_dir / "backups").glob(f"before-upgrade-v{version}-*.sqlite3"))
        assert kept, "the database is backed up before an upgrade"


def test_nothing_is_lost(upgraded):
    version, _data_dir, _db = upgraded
    orgs = {o.code: o for o in Organisation.select()}
    assert set(orgs) == {"TMPO", "BACKOFFICE", "SSSCIP", "GB", "EE"}
    assert orgs["SSSCIP"].name_uk == "Держспецзв’язку"
    assert orgs["GB"].iati_id == "GB-GOV-1" and orgs["GB"].kind == "donor"

    users = {u.email: u for u in User.select()}
    assert set(users) == {
        "admin@tmpo.fixture",
        "officer@backoffice.fixture",
        "recipient@ssscip.fixture",
        "donor@gb.fixture",
        "donor@ee.fixture",
    }
    assert users["admin@tmpo.fixture"].is_admin
    assert users["recipient@ssscip.fixture"].name == "Оксана Реципієнт"
    assert accounts.authenticate("donor@gb.fixture", FIXTURE_PASSWORD) is not None

    by_title = {(p.title_en or p.title_uk): p for p in Project.select()}
    assert set(by_title) == {"SOC analyst training", "Мережа сенсорів", "Draft only"}
    soc, red, draft = (
        by_title["SOC analyst training"],
        by_title["Мережа сенсорів"],
        by_title["Draft only"],
    )
    assert soc.title_uk == "Навчання фахівців SOC" and soc.summary_uk == "Навчити 40 аналітиків."
    assert soc.budget_amount == Decimal("120000.50") and soc.budget_currency == "EUR"
    assert (soc.status, soc.tlp, soc.oblast, soc.priority) == (
        "published",
        "GREEN",
        "UA-30",
        "high",
    )
    assert str(soc.planned_start) == "2026-03-01" and str(soc.planned_end) == "2026-12-31"
    assert soc.published_at is not None and soc.submitted_at is not None
    assert (red.status, red.tlp, red.budget_currency) == ("returned", "RED", "USD")
    assert draft.status == "draft" and draft.budget_currency == "UAH"
    assert [h.action for h in red.history.order_by(red.history.model.id)] == [
        "create",
        "submit",
        "return",
    ]
    assert red.history.order_by(red.history.model.id.desc()).first().comment == (
        "Додайте технічне завдання."
    )
    assert {m.user.email for m in red.members} == {
        "recipient@ssscip.fixture",
        "officer@backoffice.fixture",
    }

    money = Pledge.get(Pledge.amount.is_null(False))
    assert (money.amount, money.currency, money.status, money.donor.code) == (
        Decimal("50000.00"),
        "GBP",
        "confirmed",
        "GB",
    )
    in_kind = Pledge.get(Pledge.amount.is_null(True))
    assert (in_kind.in_kind_quantity, in_kind.status) == (10, "offered")
    assert project_funding(soc).state == "partly"

    gb = users["donor@gb.fixture"]
    assert can_see(gb, soc) and not can_see(gb, red) and not can_see(gb, draft)
    assert verify_chain().ok

    # Schema 2 added plugin approvals: none before, the fixture's one after.
    expected = {"partner_export.py": "ab" * 32} if version >= 2 else {}
    assert approved_files() == expected

    # Schema 3 gave every travelling record a uid: rows from older versions get one each.
    from tmdesk.core.ids import is_uid
    from tmdesk.core.schema import UID_MODELS

    for model in UID_MODELS:
        uids = [row.uid for row in model.select()]
        assert all(is_uid(u) for u in uids), model.__name__
        assert len(set(uids)) == len(uids), model.__name__


def test_current_models_match_the_current_fixture(tmp_path):
    """A model change without a schema step would leave old databases without it."""
    data_dir = copy_fixture(CURRENT_VERSION, tmp_path)
    db = open_database(data_dir)
    with database.connection_context():
        for model in ALL_MODELS:
            table = model._meta.table_name
            assert db.table_exists(table), (
                f"table {table} is missing from a schema v{CURRENT_VERSION} database: add an "
                "upgrade step and bump CURRENT_VERSION (or, while this version is unreleased, "
                "regenerate the fixture with python tests/fixtures/make_schema_fixture.py)"
            )
            columns = {c.name for c in db.get_columns(table)}
            missing = {f.column_name for f in model._meta.sorted_fields} - columns
            assert not missing, (
                f"columns {sorted(missing)} of {table} are missing from a schema "
                f"v{CURRENT_VERSION} database: add an upgrade step (or regenerate the "
                "unreleased fixture)"
            )


def _bump_version(path: Path, version: int) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
        con.commit()
    finally:
        con.close()


def test_newer_database_is_refused(tmp_path):
    data_dir = copy_fixture(CURRENT_VERSION, tmp_path)
    path = data_dir / DATABASE_FILENAME
    _bump_version(path, CURRENT_VERSION + 1)
    with pytest.raises(SchemaError, match="newer tmdesk"):
        open_database(data_dir)
    database.close()
    con = sqlite3.connect(path)
    try:  # left exactly as it was
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(CURRENT_VERSION + 1),
        )
        assert con.execute("SELECT count(*) FROM project").fetchone() == (3,)
    finally:
        con.close()
    assert not (data_dir / "backups").exists()


def test_restore_refuses_a_newer_backup(tmp_path):
    newer = tmp_path / "newer.sqlite3"
    shutil.copyfile(FIXTURES / f"schema_v{CURRENT_VERSION}.sqlite3", newer)
    _bump_version(newer, CURRENT_VERSION + 1)
    target = tmp_path / "target"
    target.mkdir()
    with pytest.raises(BackupError, match="newer tmdesk"):
        restore(target, newer, CURRENT_VERSION)
    assert not (target / DATABASE_FILENAME).exists()


def test_upgraded_database_has_the_catalogue_index(upgraded):
    """The Catalogue's page is read in index order on an upgraded desk too (issue 13)."""
    wanted = tuple(Project._meta.fields[name].column_name for name in CATALOGUE_INDEX_FIELDS)
    indexes = {tuple(i.columns) for i in database.get_indexes(Project._meta.table_name)}
    assert wanted in indexes
