"""Schema version and step-by-step upgrades.

A new database is created at :data:`CURRENT_VERSION` directly. An existing
one is upgraded one step at a time, each step in its own transaction, after
an automatic backup of the file. A database written by a newer tmdesk is
refused rather than guessed at. Tests keep a database file of every released
schema version in ``tests/fixtures/`` and open each one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from tmdesk.core.backup import backup_before_upgrade
from tmdesk.core.ids import new_uid
from tmdesk.core.models import (
    ALL_MODELS,
    AccountChange,
    ApiToken,
    Document,
    Engagement,
    ExchangeRate,
    Meta,
    Offer,
    Organisation,
    Pledge,
    PluginApproval,
    Project,
    TrustedKey,
    Update,
    User,
    UserSession,
)
from tmdesk.core.search import install_search

log = logging.getLogger(__name__)

CURRENT_VERSION = 5

#: Starting exchange rates (EUR per unit), editable by administrators.
DEFAULT_RATES = {
    "EUR": "1",
    "USD": "0.92",
    "GBP": "1.17",
    "UAH": "0.022",
    "CAD": "0.67",
    "DKK": "0.134",
    "PLN": "0.23",
    "SEK": "0.087",
    "CHF": "1.05",
    "NOK": "0.085",
    "JPY": "0.0061",
}


class SchemaError(RuntimeError):
    """The database cannot be used by this version of tmdesk."""


def _v1_to_v2(db: peewee.Database) -> None:
    """Version 2: administrators' approvals of plugin files (issue #5)."""
    db.create_tables([PluginApproval])


#: The tables whose rows carry a ``uid`` (schema version 3).
UID_MODELS = (Organisation, User, Project, Offer, Pledge, Engagement, Update, Document)


def _add_uids(db: peewee.Database) -> None:
    """Version 3: a stable, non-counting unique id on every record that travels (issues #12, #14).

    Existing rows get a new uid each; the column stays nullable in upgraded
    databases (rebuilding a SQLite table would drop the search triggers), and
    every insert fills it from the model's default.
    """
    migrator = SchemaMigrator.from_database(db)
    for model in UID_MODELS:
        table = model._meta.table_name
        migrate(migrator.add_column(table, "uid", peewee.CharField(max_length=36, null=True)))
        for (row_id,) in model.select(model.id).tuples():
            model.update(uid=new_uid()).where(model.id == row_id).execute()
        migrate(migrator.add_index(table, ("uid",), unique=True))


def _add_trusted_keys(db: peewee.Database) -> None:
    """Version 4: the other installations' pinned public keys (issue #14)."""
    db.create_tables([TrustedKey])


#: How long an API token lasts unless its owner says otherwise (days).
TOKEN_DAYS_ON_UPGRADE = 90


def _server_sessions_and_token_limits(db: peewee.Database) -> None:
    """Version 5 (issue #12): sessions known to the server, API tokens with an
    expiry and a scope, and account changes waiting for a second administrator.

    Tokens made before have no expiry; they get :data:`TOKEN_DAYS_ON_UPGRADE`
    days from the upgrade (not from their creation, which could end them
    without warning) and keep writing as before.
    """
    from tmdesk.core.models import utcnow

    db.create_tables([UserSession, AccountChange])
    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("api_token", "expires_at", peewee.DateTimeField(null=True)),
        migrator.add_column(
            "api_token", "scope", peewee.CharField(max_length=20, default="read_write")
        ),
    )
    ApiToken.update(expires_at=utcnow() + timedelta(days=TOKEN_DAYS_ON_UPGRADE)).where(
        ApiToken.expires_at.is_null()
    ).execute()


#: Upgrade steps: ``STEPS[n]`` takes a database from version n to n + 1.
STEPS: dict[int, Callable[[peewee.Database], None]] = {
    1: _v1_to_v2,
    2: _add_uids,
    3: _add_trusted_keys,
    4: _server_sessions_and_token_limits,
}


def read_version(db: peewee.Database) -> int | None:
    """The schema version stored in ``db``, or None for an empty database."""
    if not db.table_exists(Meta._meta.table_name):
        return None
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else None


def _create_fresh(db: peewee.Database) -> None:
    with db.atomic():
        db.create_tables(ALL_MODELS)
        install_search(db)
        Meta.replace(key="schema_version", value=str(CURRENT_VERSION)).execute()
        for currency, rate in DEFAULT_RATES.items():
            ExchangeRate.create(currency=currency, eur_per_unit=Decimal(rate))


def upgrade(db: peewee.Database, data_dir: Path | None = None) -> int:
    """Bring ``db`` to :data:`CURRENT_VERSION`; returns the version it started at (0 if new)."""
    version = read_version(db)
    if version is None:
        log.info("creating a new database at schema version %s", CURRENT_VERSION)
        _create_fresh(db)
        return 0
    if version > CURRENT_VERSION:
        raise SchemaError(
            f"This database was written by a newer tmdesk (schema version {version}; "
            f"this program knows up to {CURRENT_VERSION}). Install the newer tmdesk "
            "or restore an older backup."
        )
    if version < CURRENT_VERSION and data_dir is not None:
        backup_before_upgrade(db, Path(data_dir), version)
    for step in range(version, CURRENT_VERSION):
        log.info("upgrading the database schema from version %s to %s", step, step + 1)
        with db.atomic():
            STEPS[step](db)
            Meta.replace(key="schema_version", value=str(step + 1)).execute()
    return version
