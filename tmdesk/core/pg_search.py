"""PostgreSQL-only: the search index (a ``tsvector`` column with a GIN index), its
triggers and its queries; the counterpart of :mod:`tmdesk.core.sqlite_search`.

PostgreSQL-specific SQL for search lives here and nowhere else; the interface
other modules use is :mod:`tmdesk.core.search`, which chooses this engine and
ranks what it finds.

Each searchable table (``project``, ``offer``, ``update``) gets a
``search_tsv`` column, filled by a ``BEFORE INSERT OR UPDATE`` trigger in the
same transaction as the change, and a GIN index on it. The title part (a
project's reference and titles, an update's title) has weight ``A``, the rest
the default ``D``: a query asks ``'t':*A`` for "in the title".

The text is folded exactly as the SQLite side and :func:`tmdesk.core.textnorm.fold`
fold it, without depending on the database's locale: a SQL function
``tmdesk_search_text`` (NFC, then ``translate`` with a table generated from
Python's Unicode data by :func:`textnorm.index_fold_table`: case, Latin
diacritics, the apostrophe variants dropped; then every run of characters that
are not letters or digits becomes one space). Only then does the ``simple``
configuration split the words (PostgreSQL ships no Ukrainian configuration,
and ``simple`` neither stems nor drops words), so і ї є ґ stay themselves.
Queries are written as ``tsquery`` text with quoted lexemes (no parsing, no
lower-casing by the server either).
"""

from __future__ import annotations

import peewee as pw

from tmdesk.core import textnorm
from tmdesk.core.textnorm import All, Match, Term

#: kind → (table, title columns, body columns)
_SPECS = {
    "project": (
        "project",
        ("ref", "title_en", "title_uk"),
        ("summary_en", "summary_uk", "beneficiaries"),
    ),
    "offer": ("offer", (), ("description",)),
    "update": ("update", ("title",), ("body",)),
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fold_function() -> str:
    src, dst, word = textnorm.index_fold_table()
    return (
        "CREATE OR REPLACE FUNCTION tmdesk_search_text(t text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT regexp_replace("
        f"translate(normalize(coalesce(t, ''), NFC), {_literal(src)}, {_literal(dst)}), "
        f"{_literal('[^' + word + ']+')}, ' ', 'g') $$"
    )


def _vector(columns: tuple[str, ...], row: str, weight: str) -> str:
    if not columns:
        return "''::tsvector"
    text = " || ' ' || ".join(f"tmdesk_search_text({row}.{c})" for c in columns)
    return f"setweight(to_tsvector('simple', {text}), '{weight}')"


def statements() -> list[str]:
    """Every statement of the index (idempotent: run again by upgrades and rebuilds)."""
    out = [_fold_function()]
    for kind, (table, title, body) in _SPECS.items():
        watched = ", ".join((*title, *body))
        out += [
            f'ALTER TABLE "{table}" ADD COLUMN IF NOT EXISTS search_tsv tsvector',
            f"CREATE OR REPLACE FUNCTION tmdesk_{kind}_tsv() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN NEW.search_tsv := "
            f"{_vector(title, 'NEW', 'A')} || {_vector(body, 'NEW', 'D')}; "
            "RETURN NEW; END $$",
            f'DROP TRIGGER IF EXISTS tmdesk_{kind}_tsv ON "{table}"',
            f"CREATE TRIGGER tmdesk_{kind}_tsv BEFORE INSERT OR UPDATE OF {watched} "
            f'ON "{table}" FOR EACH ROW EXECUTE FUNCTION tmdesk_{kind}_tsv()',
            f'CREATE INDEX IF NOT EXISTS {table}_search ON "{table}" USING gin (search_tsv)',
        ]
    return out


def install(db: pw.Database) -> None:
    """Create the columns, triggers and indexes (a fresh database, or an upgrade)."""
    with db.atomic():
        for sql in statements():
            db.execute_sql(sql)


def rebuild(db: pw.Database) -> None:
    """Refill every row's ``search_tsv`` (assigning a watched column fires the trigger)."""
    install(db)
    with db.atomic():
        for _kind, (table, title, body) in _SPECS.items():
            first = (*title, *body)[0]
            db.execute_sql(f'UPDATE "{table}" SET {first} = {first}')  # nosec B608: table and column names are this module's constants


def render(match: Match) -> str:
    """``match`` as ``tsquery`` text: each prefix a quoted lexeme, ``:*A`` for the title."""
    if isinstance(match, Term):
        lexeme = _literal(textnorm.index_term(match.prefix))
        if match.where == "any":
            return f"{lexeme}:*"
        if match.where == "title":
            return f"{lexeme}:*A"
        return f"({lexeme}:* & !{lexeme}:*A)"
    joiner = " & " if isinstance(match, All) else " | "
    return "(" + joiner.join(render(m) for m in match.items) + ")"


def _tsv(model: type[pw.Model]) -> pw.Field:
    """The ``search_tsv`` column of ``model``'s table, as peewee names it in a query."""
    field = pw.Field(column_name="search_tsv")
    field.bind(model, "search_tsv", set_attribute=False)
    return field


def _matches(model: type[pw.Model], match: Match) -> pw.Node:
    return pw.NodeList((_tsv(model), pw.SQL("@@"), pw.Value(render(match)), pw.SQL("::tsquery")))


class PgSearch:
    """The ``tsvector`` engine behind :mod:`tmdesk.core.search` (finding rows, never ranking)."""

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
        rows = query.select(key).where(_matches(key.model, match)).order_by(key.desc())
        if limit is not None:
            rows = rows.limit(limit)
        return [int(i) for (i,) in rows.tuples()]

    def index_ids(self, kind: str, key: pw.Field, match: Match) -> set[int]:
        rows = key.model.select(key).where(_matches(key.model, match))
        return {int(i) for (i,) in rows.tuples()}
