"""SQLite-only: the FTS5 search index, its triggers and its queries.

SQLite-specific SQL for search lives here and nowhere else; the interface
other modules use is :mod:`tmdesk.core.search`, which ranks what this module
finds (FTS5's bm25 is not used: it counts words over the whole index, hidden
rows included). :mod:`tmdesk.core.pg_search` is the PostgreSQL counterpart.

Three FTS5 tables, one per searchable thing, each keyed by the row id of its
source table so that a join is a rowid lookup:

* ``project_fts(ref, title, body)``: titles (en + uk), summaries and beneficiaries;
* ``offer_fts(body)``: the offer's description;
* ``update_fts(title, body)``: progress updates.

Triggers keep them in step with the tables inside the same transaction as
the change. The text is indexed in the folded form of
:func:`tmdesk.core.textnorm.fold` (apostrophes dropped in SQL with
``replace``; case folding by the ``unicode61`` tokenizer, which folds
Cyrillic and keeps і ї є ґ distinct from и ы э г).
"""

from __future__ import annotations

import peewee as pw

from tmdesk.core.textnorm import APOSTROPHES, All, Match, Term

TOKENIZE = "unicode61 remove_diacritics 2"
#: Prefix indexes make "навчанн"* fast.
PREFIX = "2 3 4 5 6"

TABLES = ("project_fts", "offer_fts", "update_fts")


def _norm(expr: str) -> str:
    """SQL that drops every apostrophe variant from ``expr`` (NULL becomes '')."""
    out = f"coalesce({expr}, '')"
    for ch in APOSTROPHES:
        literal = ch.replace("'", "''")
        out = f"replace({out}, '{literal}', '')"
    return out


def _project_values(row: str) -> str:
    return (
        f"{row}.id, {row}.ref, "
        f"{_norm(f'{row}.title_en')} || ' ' || {_norm(f'{row}.title_uk')}, "
        f"{_norm(f'{row}.summary_en')} || ' ' || {_norm(f'{row}.summary_uk')} || ' ' || "
        f"{_norm(f'{row}.beneficiaries')}"
    )


def _offer_values(row: str) -> str:
    return f"{row}.id, {_norm(f'{row}.description')}"


def _update_values(row: str) -> str:
    return f"{row}.id, {_norm(f'{row}.title')}, {_norm(f'{row}.body')}"


_SPECS = {
    # fts table: (source table, fts columns, value builder, columns watched by UPDATE)
    "project_fts": (
        "project",
        "ref, title, body",
        _project_values,
        "ref, title_en, title_uk, summary_en, summary_uk, beneficiaries",
    ),
    "offer_fts": ("offer", "body", _offer_values, "description"),
    "update_fts": ("update", "title, body", _update_values, "title, body"),
}


def statements() -> list[str]:
    """Every CREATE statement of the index (idempotent)."""
    out = []
    for fts, (source, columns, values, watched) in _SPECS.items():
        cols = ", ".join(c.strip() for c in columns.split(","))
        out.append(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({cols}, "
            f"tokenize='{TOKENIZE}', prefix='{PREFIX}')"
        )
        out.append(
            f'CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON "{source}" BEGIN '  # nosec B608: table and column names are this module's constants; values are bound parameters
            f"INSERT INTO {fts}(rowid, {cols}) VALUES ({values('new')}); END"
        )
        out.append(
            f'CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON "{source}" BEGIN '  # nosec B608: table and column names are this module's constants; values are bound parameters
            f"DELETE FROM {fts} WHERE rowid = old.id; END"
        )
        out.append(
            f'CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {watched} ON "{source}" '  # nosec B608: table and column names are this module's constants; values are bound parameters
            f"BEGIN DELETE FROM {fts} WHERE rowid = old.id; "
            f"INSERT INTO {fts}(rowid, {cols}) VALUES ({values('new')}); END"
        )
    # Covering indexes for the coordination figures (tmdesk.core.dashboard, funding):
    # a scan of these reads narrow index pages instead of whole project rows with their
    # texts, and each is in the order its query groups by, so nothing is sorted.
    # Projects by status, category, priority, oblast: the pipeline and the gaps.
    out.append(
        "CREATE INDEX IF NOT EXISTS project_dashboard ON project(status, category, "
        "priority, oblast, recipient_id, budget_currency, budget_amount, tlp, "
        "published_at, submitted_at)"
    )
    # Projects by recipient (and category): the gap by recipient, and the same
    # recipient's projects in a category (tmdesk.core.similarity's quick check).
    out.append(
        "CREATE INDEX IF NOT EXISTS project_by_recipient ON project(recipient_id, "
        "category, status, budget_currency, budget_amount, tlp, published_at, "
        "submitted_at)"
    )
    # A project's pledges (one seek per project; status last so that a status filter
    # does not split the seek): confirmed money per project, funding_for.
    out.append(
        "CREATE INDEX IF NOT EXISTS pledge_funding ON pledge(project_id, currency, amount, status)"
    )
    # Pledges by donor, status and currency: the donors' table.
    out.append(
        "CREATE INDEX IF NOT EXISTS pledge_by_donor ON pledge(donor_id, status, "
        "currency, amount, project_id)"
    )
    return out


def install(db: pw.Database) -> None:
    """Create the FTS5 tables and their triggers (a fresh database calls this)."""
    with db.atomic():
        for sql in statements():
            db.execute_sql(sql)


def rebuild(db: pw.Database) -> None:
    """Refill the index from the tables (after bulk loads that bypassed triggers)."""
    install(db)
    with db.atomic():
        for fts, (source, columns, values, _watched) in _SPECS.items():
            cols = ", ".join(c.strip() for c in columns.split(","))
            db.execute_sql(f"DELETE FROM {fts}")  # nosec B608: table and column names are this module's constants; values are bound parameters
            copy = f'INSERT INTO {fts}(rowid, {cols}) SELECT {values("s")} FROM "{source}" AS s'  # nosec B608: table and column names are this module's constants; values are bound parameters
            db.execute_sql(copy)
            db.execute_sql(f"INSERT INTO {fts}({fts}) VALUES ('optimize')")  # nosec B608: table and column names are this module's constants; values are bound parameters


def drop_triggers(db: pw.Database) -> None:
    """Remove the triggers (bulk loaders call this, then :func:`rebuild`)."""
    for fts in _SPECS:
        for suffix in ("ai", "ad", "au"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS {fts}_{suffix}")


# --- peewee views of the FTS tables (joined to their source tables by rowid) ---

from playhouse.sqlite_ext import FTS5Model, RowIDField, SearchField  # noqa: E402

from tmdesk.core.db import database  # noqa: E402


class ProjectFTS(FTS5Model):
    rowid = RowIDField()
    ref = SearchField()
    title = SearchField()
    body = SearchField()

    class Meta:
        database = database
        table_name = "project_fts"


class OfferFTS(FTS5Model):
    rowid = RowIDField()
    body = SearchField()

    class Meta:
        database = database
        table_name = "offer_fts"


class UpdateFTS(FTS5Model):
    rowid = RowIDField()
    title = SearchField()
    body = SearchField()

    class Meta:
        database = database
        table_name = "update_fts"


_MODELS: dict[str, type[FTS5Model]] = {
    "project": ProjectFTS,
    "offer": OfferFTS,
    "update": UpdateFTS,
}
#: The FTS columns that are a kind's title (a project's reference counts as title).
_TITLE_COLUMNS = {"project": "{ref title}", "update": "{title}"}


def render(kind: str, match: Match) -> str:
    """``match`` as an FTS5 MATCH expression; every prefix quoted, so nothing a user
    typed (NEAR, -, :) is an operator. Terms come from :func:`textnorm.query_terms`."""
    if isinstance(match, Term):
        phrase = '"' + match.prefix.replace('"', '""') + '"*'
        if match.where == "any":
            return phrase
        title = _TITLE_COLUMNS.get(kind)
        if title is None:  # a kind without a title: nothing is in it
            return phrase if match.where == "rest" else f"({phrase} NOT {phrase})"
        in_title = f"{title} : {phrase}"
        return in_title if match.where == "title" else f"({phrase} NOT {in_title})"
    joiner = " AND " if isinstance(match, All) else " OR "
    return "(" + joiner.join(render(kind, m) for m in match.items) + ")"


class SqliteSearch:
    """The FTS5 engine behind :mod:`tmdesk.core.search` (finding rows, never ranking)."""

    def install(self, db: pw.Database) -> None:
        install(db)

    def rebuild(self, db: pw.Database) -> None:
        rebuild(db)

    def ids(
        self,
        kind: str,
        query: pw.ModelSelect,
        key: pw.Field,
        match: Match,
        limit: int | None,
    ) -> list[int]:
        fts = _MODELS[kind]
        alias = fts.alias(fts._meta.table_name)  # MATCH names the table: alias = its name
        rows = (
            query.select(key)
            .join(alias, on=(alias.rowid == key))
            .where(fts.match(render(kind, match)))
            .order_by(alias.rowid.desc())  # the index's own order: no sort, stops at LIMIT
        )
        if limit is not None:
            rows = rows.limit(limit)
        return [int(i) for (i,) in rows.tuples()]

    def index_ids(self, kind: str, key: pw.Field, match: Match) -> set[int]:
        table = _MODELS[kind]._meta.table_name
        sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ?"  # nosec B608: table is this module's constant; the expression is a bound parameter
        db = _MODELS[kind]._meta.database
        return {int(i) for (i,) in db.execute_sql(sql, (render(kind, match),))}
