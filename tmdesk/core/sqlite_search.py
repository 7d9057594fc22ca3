"""SQLite-only: the FTS5 search index, its triggers and its queries.

SQLite-specific SQL for search lives here and nowhere else; the interface
other modules use is :mod:`tmdesk.core.search`. A PostgreSQL implementation
replaces this module behind the same interface (see ``search.GenericSearch``
for the portable fallback it would improve on).

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

from tmdesk.core.textnorm import APOSTROPHES

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
    out.append(
        "CREATE VIRTUAL TABLE IF NOT EXISTS project_fts_vocab USING fts5vocab(project_fts, row)"
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


def document_frequencies(db: pw.Database, terms: list[str]) -> tuple[int, dict[str, int]]:
    """How many projects there are, and how many contain each indexed term (exact)."""
    total = db.execute_sql("SELECT count(*) FROM project_fts").fetchone()[0]
    out: dict[str, int] = {}
    unique = sorted(set(terms))
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT term, doc FROM project_fts_vocab WHERE term IN ({marks})"  # nosec B608: table and column names are this module's constants; values are bound parameters
        for term, doc in db.execute_sql(sql, chunk):
            out[term] = int(doc)
    return int(total), out


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


#: Column weights for bm25: a word in the title counts more than one in the body.
WEIGHTS = {
    "project_fts": (2.0, 8.0, 2.0),
    "offer_fts": (1.0,),
    "update_fts": (6.0, 2.0),
}
_MODELS: dict[str, type[FTS5Model]] = {
    "project_fts": ProjectFTS,
    "offer_fts": OfferFTS,
    "update_fts": UpdateFTS,
}


def ranked(
    query: pw.ModelSelect, key: pw.Field, table: str, match: str, limit: int
) -> list[tuple[int, float]]:
    """``(id, score)`` of the rows of ``query`` whose text matches, best first.

    ``query`` is already narrowed (visibility, status…); ``key`` is its id
    column. Scores are ``-bm25`` (higher is better).

    Two phases, because joining every match to the visibility rule is what
    costs: the index ranks its own top rows alone, then one query keeps those
    ``query`` allows; a user who sees few of many matches gets a few more
    rounds, and after that the exact join.
    """
    weights = ", ".join(str(w) for w in WEIGHTS[table])
    sql = (
        f"SELECT rowid, 0 - bm25({table}, {weights}) AS score FROM {table} "  # nosec B608: table and column names are this module's constants; values are bound parameters
        f"WHERE {table} MATCH ? ORDER BY score DESC LIMIT ? OFFSET ?"
    )
    db = query.model._meta.database
    out: list[tuple[int, float]] = []
    batch, offset = max(limit * 3, 60), 0
    for _round in range(3):
        rows = db.execute_sql(sql, (match, batch, offset)).fetchall()
        if not rows:
            return out
        ids = [int(r[0]) for r in rows]
        allowed = {int(i) for (i,) in query.select(key).where(key.in_(ids)).tuples()}
        out.extend((int(i), float(s)) for i, s in rows if int(i) in allowed)
        if len(out) >= limit or len(rows) < batch:
            return out[:limit]
        offset += batch
        batch *= 4
    return _ranked_join(query, key, table, match, limit)


def _ranked_join(
    query: pw.ModelSelect, key: pw.Field, table: str, match: str, limit: int
) -> list[tuple[int, float]]:
    """The exact ranking: every match joined to ``query``."""
    fts = _MODELS[table]
    alias = fts.alias(table)  # MATCH and bm25 name the table, so the alias must be its name
    score = (pw.Value(0) - fts.bm25(*WEIGHTS[table])).alias("score")
    rows = (
        query.select(key, score)
        .join(alias, on=(alias.rowid == key))
        .where(fts.match(match))
        .order_by(pw.SQL("score").desc())
        .limit(limit)
        .tuples()
    )
    return [(int(i), float(s)) for i, s in rows]
