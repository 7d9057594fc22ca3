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
from decimal import Decimal
from pathlib import Path

import peewee
from playhouse.migrate import SchemaMigrator, migrate

from tmdesk.core.backup import backup_before_upgrade
from tmdesk.core.ids import new_uid
from tmdesk.core.models import (
    ALL_MODELS,
    CATALOGUE_INDEX_FIELDS,
    SYNC_MODELS,
    AuditEvent,
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
)
from tmdesk.core.search import install_search

log = logging.getLogger(__name__)

CURRENT_VERSION = 7

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


def _audit_fork_guard_and_covering_indexes(db: peewee.Database) -> None:
    """The audit log refuses a second event after the same one (a unique index on
    ``prev_hash``), and the coordination figures' covering indexes exist on every
    engine (they were created only beside SQLite's search index before)."""
    covering = {"project_dashboard", "project_by_recipient", "pledge_funding", "pledge_by_donor"}
    wanted = [
        peewee.ModelIndex(
            AuditEvent, (AuditEvent.prev_hash,), unique=True, name="audit_event_prev_hash"
        ),
        *(
            index
            for model in (Project, Pledge)
            for index in model._meta.indexes
            if isinstance(index, peewee.ModelIndex) and index._name in covering
        ),
    ]
    for index in wanted:
        db.execute(index.safe(True))


#: The tables whose rows carry a ``version`` (schema version 6).
VERSIONED_MODELS = (Project, Offer, Pledge, Engagement, Update, Document)


def _add_exchange(db: peewee.Database) -> None:
    """Version 6: what desks and the office exchange by (issue #14): a ``version`` on
    every exchanged record, the office's change log, desk links and queues."""
    migrator = SchemaMigrator.from_database(db)
    for model in VERSIONED_MODELS:
        table = model._meta.table_name
        if "version" in {c.name for c in db.get_columns(table)}:
            continue  # idempotent: a partly upgraded or newer-built database
        # Nullable in upgraded databases, like the uids: making it NOT NULL would
        # rebuild the SQLite table, and dropping the old table would cascade.
        column = peewee.IntegerField(null=True, default=1)
        migrate(migrator.add_column(table, "version", column))
    db.create_tables(SYNC_MODELS, safe=True)


def _add_catalogue_index(db: peewee.Database) -> None:
    """Version 7: the index the Catalogue's page reads in order (issue 13, speed at office scale).

    New databases get it from :class:`~tmdesk.core.models.Project`'s ``Meta``;
    this names it the same way (peewee's table_col_col… name) on both engines.
    An earlier step that creates every index a model declares may have made it
    already, so it is added only when missing.
    """
    table = Project._meta.table_name
    columns = [Project._meta.fields[name].column_name for name in CATALOGUE_INDEX_FIELDS]
    if any(index.columns == columns for index in db.get_indexes(table)):
        return
    migrate(SchemaMigrator.from_database(db).add_index(table, columns))


#: Upgrade steps: ``STEPS[n]`` takes a database from version n to n + 1.
STEPS: dict[int, Callable[[peewee.Database], None]] = {
    1: _v1_to_v2,
    2: _add_uids,
    3: _add_trusted_keys,
    4: _audit_fork_guard_and_covering_indexes,
    5: _add_exchange,
    6: _add_catalogue_index,
}


def read_version(db: peewee.Database) -> int | None:
    """The schema version stored in ``db``, or None for an empty database."""
    if not db.table_exists(Meta._meta.table_name):
        return None
    row = Meta.get_or_none(Meta.key == "schema_version")
    return int(row.value) if row else None


def _write_version(version: int) -> None:
    """Store the schema version (an upsert both engines understand)."""
    (
        Meta.insert(key="schema_version", value=str(version))
        .on_conflict(conflict_target=[Meta.key], update={Meta.value: str(version)})
        .execute()
    )


def _create_fresh(db: peewee.Database) -> None:
    db.create_tables(ALL_MODELS)
    install_search(db)
    _write_version(CURRENT_VERSION)
    for currency, rate in DEFAULT_RATES.items():
        ExchangeRate.create(currency=currency, eur_per_unit=Decimal(rate))


def upgrade(db: peewee.Database, data_dir: Path | None = None) -> int:
    """Bring ``db`` to :data:`CURRENT_VERSION`; returns the version it started at (0 if new).

    Runs under the engine's schema lock, and every step re-reads the version
    inside its own transaction: a second server starting at the same moment
    waits, then finds the work done instead of doing it twice.
    """
    from tmdesk.core import engine

    with engine.schema_lock(db):
        return _upgrade_locked(db, data_dir)


def _upgrade_locked(db: peewee.Database, data_dir: Path | None) -> int:
    with db.atomic():
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
        with db.atomic():
            if (read_version(db) or 0) > step:
                continue  # another process did this step while we waited
            log.info("upgrading the database schema from version %s to %s", step, step + 1)
            STEPS[step](db)
            _write_version(step + 1)
    return version
