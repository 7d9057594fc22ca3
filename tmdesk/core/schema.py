"""Schema version and step-by-step upgrades.

A new database is created at :data:`CURRENT_VERSION` directly. An existing
one is upgraded one step at a time, each step in its own transaction, after
an automatic backup of the file. A database written by a newer tmdesk is
refused rather than guessed at. Tests keep a database file of every released
schema version in ``tests/fixtures/`` and open each one.
"""

from __future__ import annotations

import datetime as dt
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
    AccountChange,
    ApiToken,
    AuditEvent,
    DatedRate,
    Document,
    Engagement,
    ExchangeRate,
    Meta,
    Notification,
    Offer,
    OfferLink,
    Organisation,
    Pledge,
    PledgeField,
    PluginApproval,
    Project,
    ProjectLink,
    ReportSetting,
    Transaction,
    TrustedKey,
    Update,
    User,
    UserSession,
    utcnow,
)
from tmdesk.core.orgkinds import guess_recipient_type
from tmdesk.core.search import install_search

log = logging.getLogger(__name__)

CURRENT_VERSION = 12

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


def _donor_fields_settings_and_recipient_types(db: peewee.Database) -> None:
    """Version 8: donors' own fields on pledges and organisations' saved report settings (two new
    tables), and a recipient's finer kind (a column), read from existing recipients'
    names (issue #16). Idempotent: what exists already is left alone."""
    db.create_tables([PledgeField, ReportSetting], safe=True)
    table = Organisation._meta.table_name
    if "recipient_type" not in {c.name for c in db.get_columns(table)}:
        # Nullable, like the uids: NOT NULL would rebuild the SQLite table, and
        # dropping the old one would break every foreign key to it.
        migrator = SchemaMigrator.from_database(db)
        column = peewee.CharField(max_length=24, null=True, default="")
        migrate(migrator.add_column(table, "recipient_type", column))
    unset = Organisation.recipient_type.is_null() | (Organisation.recipient_type == "")
    recipients = Organisation.select(
        Organisation.id, Organisation.name_en, Organisation.name_uk
    ).where((Organisation.kind == "recipient") & unset)
    for org in recipients:
        kind = guess_recipient_type(org.name_en, org.name_uk)
        Organisation.update(recipient_type=kind).where(Organisation.id == org.id).execute()


#: The effective date of the rates a database held before rates were dated, and of
#: a new database's starting rates: in force for every earlier day too.
RATES_SINCE = dt.date(2000, 1, 1)
#: Which audit actions dated today's confirmed and disbursed pledges.
_DATED_BY = {
    "commitment": ("pledge.confirm",),
    "disbursement": ("pledge.disburse", "pledge.deliver"),
}


def _money_over_time(db: peewee.Database) -> None:
    """Dated transactions on pledges and dated exchange rates (issue #16).

    Every rate the database holds becomes a dated rate in force since
    :data:`RATES_SINCE`. Every confirmed pledge gets one commitment, and every
    disbursed or delivered one also a disbursement, of its whole amount (and
    quantity), dated as the records say: the day of its ``pledge.confirm`` (or
    ``pledge.disburse``/``pledge.deliver``) audit event, else the pledge's own
    date (or its last change, for the disbursement). Idempotent: tables and
    index that exist are kept, a currency already dated and a pledge that
    already has transactions are skipped. Columns are named explicitly, so a
    later step that adds one to these models does not break this one.
    """
    from tmdesk.core import engine

    # "partly_disbursed" and "partly_delivered" are longer than the old 12 characters.
    engine.widen_text_column(db, Pledge._meta.table_name, "status", 20)
    db.create_tables([DatedRate, Transaction], safe=True)
    dated = {c for (c,) in DatedRate.select(DatedRate.currency).distinct().tuples()}
    for currency, rate in ExchangeRate.select(
        ExchangeRate.currency, ExchangeRate.eur_per_unit
    ).tuples():
        if currency not in dated and currency != "EUR":
            DatedRate.insert(
                currency=currency, effective_from=RATES_SINCE, eur_per_unit=rate
            ).execute()
    has_transactions = Transaction.select(Transaction.id).where(Transaction.pledge == Pledge.id)
    pledges = (
        Pledge.select(
            Pledge.id,
            Pledge.amount,
            Pledge.currency,
            Pledge.in_kind_quantity,
            Pledge.status,
            Pledge.date,
            Pledge.updated_at,
            Pledge.created_by,
        )
        .where(Pledge.status.in_(("confirmed", "disbursed", "delivered")))
        .where(~pw_exists(has_transactions))
        .tuples()
    )
    for pid, amount, currency, quantity, status, date, updated_at, author in list(pledges):
        events = dict(
            AuditEvent.select(AuditEvent.action, peewee.fn.MIN(AuditEvent.at))
            .where(
                (AuditEvent.entity_type == "pledge")
                & (AuditEvent.entity_id == str(pid))
                & AuditEvent.action.in_([a for acts in _DATED_BY.values() for a in acts])
            )
            .group_by(AuditEvent.action)
            .tuples()
        )

        def day(kind: str, fallback: dt.date, events=events) -> dt.date:
            for action in _DATED_BY[kind]:
                at = events.get(action)
                if at is not None:
                    return (at if isinstance(at, dt.datetime) else _parse_at(at)).date()
            return fallback

        committed_on = day("commitment", date)
        kinds = [("commitment", committed_on)]
        if status in ("disbursed", "delivered"):
            fallback = max(updated_at.date() if updated_at else date, committed_on)
            kinds.append(("disbursement", day("disbursement", fallback)))
        for kind, when in kinds:
            Transaction.insert(
                uid=new_uid(),
                pledge=pid,
                kind=kind,
                amount=amount,
                currency=currency if amount is not None else None,
                quantity=quantity if amount is None else None,
                value_date=when,
                reference="",
                note="",
                created_by=author,
            ).execute()


def pw_exists(query: peewee.SelectQuery) -> peewee.Node:
    """SQL ``EXISTS (query)``."""
    return peewee.fn.EXISTS(query)


def _parse_at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(str(value))


#: How long an API token lasts unless its owner says otherwise (days).
TOKEN_DAYS_ON_UPGRADE = 90


def _server_sessions_and_token_limits(db: peewee.Database) -> None:
    """Version 10 (issue #12): sessions known to the server, API tokens with an
    expiry and a scope, and account changes waiting for a second administrator.

    Tokens made before have no expiry; they get :data:`TOKEN_DAYS_ON_UPGRADE`
    days from the upgrade (not from their creation, which could end them
    without warning) and keep writing as before.
    """
    db.create_tables([UserSession, AccountChange], safe=True)
    migrator = SchemaMigrator.from_database(db)
    table = ApiToken._meta.table_name
    wanted = {
        "expires_at": peewee.DateTimeField(null=True),
        "scope": peewee.CharField(max_length=20, default="read_write"),
    }
    present = {c.name for c in db.get_columns(table)}
    for name, column in wanted.items():
        if name not in present:  # idempotent: a partly upgraded or newer-built database
            migrate(migrator.add_column(table, name, column))
    ApiToken.update(expires_at=utcnow() + dt.timedelta(days=TOKEN_DAYS_ON_UPGRADE)).where(
        ApiToken.expires_at.is_null()
    ).execute()


def _add_notifications(db: peewee.Database) -> None:
    """Version 11: in-app notifications and the e-mail digest's record (issue #15).

    ``safe``: a second server upgrading at the same moment finds the table made."""
    db.create_tables([Notification], safe=True)


#: Every table whose rows page URLs and the API name by uid (schema version 12).
URL_UID_MODELS = (*UID_MODELS, Transaction, OfferLink, ProjectLink, Notification)


def _uids_in_urls(db: peewee.Database) -> None:
    """Version 12 (issue 12, "counting by identifiers"): pages and the API name records
    by uid, so offer links, duplicate decisions and notifications get one too, and any row of a named
    table still without one (a hand-made or half-upgraded database) is given one.

    Idempotent and safe beside a second server: a column or unique index that exists
    is kept, and only rows whose uid is still empty are filled. The column stays
    nullable, like step 3's (NOT NULL would rebuild the SQLite table).
    """
    migrator = SchemaMigrator.from_database(db)
    for model in URL_UID_MODELS:
        table = model._meta.table_name
        if "uid" not in {c.name for c in db.get_columns(table)}:
            migrate(migrator.add_column(table, "uid", peewee.CharField(max_length=36, null=True)))
        missing = model.select(model.id).where(model.uid.is_null() | (model.uid == ""))
        for (row_id,) in list(missing.tuples()):
            model.update(uid=new_uid()).where(model.id == row_id).execute()
        if not any(index.columns == ["uid"] and index.unique for index in db.get_indexes(table)):
            migrate(migrator.add_index(table, ("uid",), unique=True))


#: Upgrade steps: ``STEPS[n]`` takes a database from version n to n + 1.
STEPS: dict[int, Callable[[peewee.Database], None]] = {
    1: _v1_to_v2,
    2: _add_uids,
    3: _add_trusted_keys,
    4: _audit_fork_guard_and_covering_indexes,
    5: _add_exchange,
    6: _add_catalogue_index,
    7: _donor_fields_settings_and_recipient_types,
    8: _money_over_time,
    9: _server_sessions_and_token_limits,
    10: _add_notifications,
    11: _uids_in_urls,
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
        if currency != "EUR":
            DatedRate.create(
                currency=currency, effective_from=RATES_SINCE, eur_per_unit=Decimal(rate)
            )


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
