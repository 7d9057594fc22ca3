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

from tmdesk.core import accounts, tokens
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
    check_nothing_lost(version)


def check_nothing_lost(version: int) -> None:
    """What ``make_schema_fixture.py`` put into the schema-``version`` database is all
    there, in the current schema (also used by the PostgreSQL upgrade tests)."""
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


def test_recipients_get_their_finer_kind_from_their_names(upgraded):
    """Schema 8 (issue #16): existing recipients read as a ministry or central body,
    regional administration… from their names; other kinds stay without one."""
    orgs = {o.code: o for o in Organisation.select()}
    assert orgs["SSSCIP"].recipient_type == "ministry"
    assert not orgs["GB"].recipient_type and not orgs["TMPO"].recipient_type


def test_the_donor_fields_step_is_idempotent(tmp_path):
    """Two servers may upgrade at once: the step run again changes nothing and fails on nothing."""
    from tmdesk.core.schema import _donor_fields_settings_and_recipient_types

    data_dir = copy_fixture(7, tmp_path)
    db = open_database(data_dir)
    database.connect(reuse_if_open=True)
    try:
        Organisation.update(recipient_type="local").where(Organisation.code == "SSSCIP").execute()
        _donor_fields_settings_and_recipient_types(db)  # again, after the upgrade did it
        assert Organisation.get(Organisation.code == "SSSCIP").recipient_type == "local"
    finally:
        database.close()


def _transactions_of(pledge):
    from tmdesk.core.models import Transaction

    return [
        (t.kind, t.amount, t.currency, t.quantity, t.value_date)
        for t in Transaction.select()
        .where(Transaction.pledge == pledge.id)
        .order_by(Transaction.id)
    ]


def test_confirmed_pledges_become_dated_commitments(upgraded):
    """Schema 8 (money over time): a confirmed pledge has one commitment of its whole
    amount, dated the day its confirmation was recorded; an offered one has none; every
    rate is dated, so a transaction of any day converts."""
    import datetime as dt

    from tmdesk.core.models import AuditEvent, DatedRate
    from tmdesk.core.rates import RateBook

    _version, _data_dir, _db = upgraded
    money = Pledge.get(Pledge.amount.is_null(False))
    confirmed_at = (
        AuditEvent.select(AuditEvent.at)
        .where(
            (AuditEvent.entity_type == "pledge")
            & (AuditEvent.entity_id == str(money.id))
            & AuditEvent.action.in_(["pledge.confirm", "pledge.status"])
        )
        .order_by(AuditEvent.id)
        .first()
        .at
    )
    assert _transactions_of(money) == [
        ("commitment", Decimal("50000.00"), "GBP", None, confirmed_at.date())
    ]
    assert money.status == "confirmed"
    assert _transactions_of(Pledge.get(Pledge.amount.is_null(True))) == []
    assert DatedRate.select().where(DatedRate.currency == "GBP").exists()
    assert RateBook.load().rate("GBP", dt.date(1999, 1, 1)) > 0


def test_disbursed_pledges_get_a_commitment_and_a_disbursement(tmp_path):
    """A pledge disbursed before schema 8 gets its commitment (the confirmation's day) and
    its disbursement (the last change's day, never before the commitment, with no disbursement event in the log); a
    second run of the step adds nothing."""
    import datetime as dt

    from tmdesk.core.schema import _money_over_time

    data_dir = copy_fixture(5, tmp_path)
    con = sqlite3.connect(data_dir / DATABASE_FILENAME)
    try:
        con.execute(
            "UPDATE pledge SET status = 'disbursed', updated_at = '2026-05-20 10:00:00' "
            "WHERE amount IS NOT NULL"
        )
        con.commit()
    finally:
        con.close()
    db = open_database(data_dir)
    database.connect(reuse_if_open=True)
    try:
        money = Pledge.get(Pledge.amount.is_null(False))
        kinds = _transactions_of(money)
        assert [k[0] for k in kinds] == ["commitment", "disbursement"]
        # Never before its commitment: the later of the confirmation and the last change.
        paid = max(kinds[0][4], dt.date(2026, 5, 20))
        assert kinds[1][1:] == (Decimal("50000.00"), "GBP", None, paid)
        assert money.status == "disbursed"
        _money_over_time(db)
        assert _transactions_of(money) == kinds
    finally:
        database.close()


def test_upgraded_database_has_the_catalogue_index(upgraded):
    """The Catalogue's page is read in index order on an upgraded desk too (issue 13)."""
    wanted = tuple(Project._meta.fields[name].column_name for name in CATALOGUE_INDEX_FIELDS)
    indexes = {tuple(i.columns) for i in database.get_indexes(Project._meta.table_name)}
    assert wanted in indexes


def test_v9_tokens_get_an_expiry_and_keep_writing(tmp_path):
    """Issue 12: tokens made before expiries existed get 90 days from the upgrade (not
    from their creation, which could end them without warning) and stay read-write."""
    import datetime as dt

    from tmdesk.core.models import ApiToken, UserSession, utcnow

    data_dir = copy_fixture(9, tmp_path)
    plain = tokens.TOKEN_PREFIX + "from-before-the-upgrade"
    with sqlite3.connect(data_dir / DATABASE_FILENAME) as con:
        con.execute(
            "INSERT INTO api_token (user_id, name, token_hash, prefix, created_at) "
            "VALUES (1, 'old script', ?, 'tmd_from-b', '2024-01-01 00:00:00')",
            (tokens._token_digest(plain),),
        )
    open_database(data_dir)
    database.connect(reuse_if_open=True)
    try:
        token = tokens.token_for(plain)
        assert token is not None and token.scope == "read_write"
        left = token.expires_at - utcnow()
        assert dt.timedelta(days=89) < left <= dt.timedelta(days=90)
        assert ApiToken.select().count() == 1 and UserSession.select().count() == 0
    finally:
        database.close()


def test_session_and_token_step_is_idempotent(tmp_path):
    """Two servers may upgrade at once, or a step may have been half done: the
    sessions/token limits step skips what exists and still dates undated tokens."""
    from tmdesk.core.models import ApiToken
    from tmdesk.core.schema import _server_sessions_and_token_limits

    data_dir = copy_fixture(9, tmp_path)
    with sqlite3.connect(data_dir / DATABASE_FILENAME) as con:
        # Half done: one of the two columns is already there.
        con.execute("ALTER TABLE api_token ADD COLUMN scope VARCHAR(20) DEFAULT 'read_write'")
        con.execute(
            "INSERT INTO api_token (user_id, name, token_hash, prefix, created_at) "
            "VALUES (1, 'old', 'h', 'tmd_old', '2024-01-01 00:00:00')"
        )
    open_database(data_dir)
    database.connect(reuse_if_open=True)
    try:
        assert read_version(database) == CURRENT_VERSION
        _server_sessions_and_token_limits(database)  # again: nothing to do, no error
        token = ApiToken.get(ApiToken.name == "old")
        assert token.expires_at is not None and token.scope == "read_write"
    finally:
        database.close()
