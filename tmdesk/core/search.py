"""Search over projects, offers and updates: one interface, one backend per database.

Callers use the functions of this module only:

* :func:`search` answers the search box and ``GET /api/v1/search``;
* :func:`rank` ranks the rows of an already-narrowed query by text (used by
  overlap detection and offer matching to find candidates fast);
* :func:`install_search` / :func:`rebuild_search` create and refill the index.

On SQLite the work is done by FTS5 (:mod:`tmdesk.core.sqlite_search`, kept in
step by triggers in the same transaction as each change). Any other database
gets :class:`GenericSearch`, a portable LIKE-based fallback with the same
answers in a slower way; a PostgreSQL backend (tsvector + GIN) can replace
it by implementing :class:`SearchBackend`.

Visibility: every query starts from ``visible_projects(user)`` or
``visible_offers(user)``, so the index never widens what a user may see.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Protocol

import peewee as pw

from tmdesk.core import sqlite_search, textnorm
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.models import Offer, Organisation, Project, Update, User
from tmdesk.core.visibility import visibility_condition, visible_offers, visible_projects

TYPES = ("project", "offer", "update")
MAX_LIMIT = 100


@dataclass
class SearchResult:
    type: str
    key: str | int  # the project's ref, or the offer's / update's id
    title: str
    snippet: str  # HTML: escaped text with the matched words in <mark>
    score: float
    title_html: str = ""
    project_ref: str | None = None  # for updates: the project they report on
    #: The language ``title`` is written in, when it is a bilingual field: the page
    #: marks a title that is not in the reader's language.
    title_lang: str | None = None


class SearchBackend(Protocol):
    def install(self, db: pw.Database) -> None: ...

    def rebuild(self, db: pw.Database) -> None: ...

    def rank(
        self, kind: str, query: pw.ModelSelect, terms: list[str], operator: str, limit: int
    ) -> list[tuple[int, float]]: ...

    def rank_any(
        self, kind: str, query: pw.ModelSelect, groups: list[list[list[str]]], limit: int
    ) -> list[tuple[int, float]]: ...


class SqliteSearch:
    """FTS5: see :mod:`tmdesk.core.sqlite_search`."""

    def install(self, db: pw.Database) -> None:
        sqlite_search.install(db)

    def rebuild(self, db: pw.Database) -> None:
        sqlite_search.rebuild(db)

    def rank(self, kind, query, terms, operator, limit):
        match = textnorm.fts_query(terms, operator)
        if not match:
            return []
        table, key = _TABLES[kind]
        return sqlite_search.ranked(query, key, table, match, limit)

    def rank_any(self, kind, query, groups, limit):
        match = textnorm.fts_any_of(groups)
        if not match:
            return []
        table, key = _TABLES[kind]
        return sqlite_search.ranked(query, key, table, match, limit)


class GenericSearch:
    """Portable fallback: LIKE on the lower-cased text, scored by matched terms.

    Slower than an index, but answers the same questions on any database.
    Apostrophes are not folded in the stored text here (only in the query).
    """

    def install(self, db):  # nothing to create
        return None

    def rebuild(self, db):
        return None

    def rank(self, kind, query, terms, operator, limit):
        if not terms:
            return []
        columns = _TEXT_COLUMNS[kind]
        _table, key = _TABLES[kind]

        conditions = [_any_contains(columns, t) for t in terms]
        combined = conditions[0]
        for c in conditions[1:]:
            combined = (combined & c) if operator == "AND" else (combined | c)
        rows = list(query.select(key, *columns).where(combined).limit(limit * 5).tuples())
        scored = []
        for row in rows:
            text = textnorm.fold(" ".join(str(v or "") for v in row[1:]))
            scored.append((int(row[0]), float(sum(text.count(t) for t in terms))))
        scored.sort(key=lambda r: -r[1])
        return scored[:limit]

    def rank_any(self, kind, query, groups, limit):
        columns = _TEXT_COLUMNS[kind]
        clauses = []
        for group in groups:
            members = []
            for alternatives in group:
                alt = None
                for a in alternatives:
                    e = _any_contains(columns, a)
                    alt = e if alt is None else (alt | e)
                if alt is not None:
                    members.append(alt)
            if members:
                clause = members[0]
                for m in members[1:]:
                    clause = clause & m
                clauses.append(clause)
        if not clauses:
            return []
        combined = clauses[0]
        for c in clauses[1:]:
            combined = combined | c
        _table, key = _TABLES[kind]
        return [(int(i), 1.0) for (i,) in query.select(key).where(combined).limit(limit).tuples()]


def _any_contains(columns, term: str) -> pw.Expression:
    expr = None
    for c in columns:
        e = pw.fn.LOWER(c).contains(term)
        expr = e if expr is None else (expr | e)
    return expr


_TABLES = {
    "project": ("project_fts", Project.id),
    "offer": ("offer_fts", Offer.id),
    "update": ("update_fts", Update.id),
}
_TEXT_COLUMNS = {
    "project": (
        Project.ref,
        Project.title_en,
        Project.title_uk,
        Project.summary_en,
        Project.summary_uk,
        Project.beneficiaries,
    ),
    "offer": (Offer.description,),
    "update": (Update.title, Update.body),
}


def backend(db: pw.Database | None = None) -> SearchBackend:
    """The search backend for ``db`` (default: the open database)."""
    return SqliteSearch() if is_sqlite(db) else GenericSearch()


def install_search(db: pw.Database) -> None:
    """Create the search index for a fresh database (called by the schema)."""
    backend(db).install(db)


def rebuild_search(db: pw.Database | None = None) -> None:
    """Refill the search index from the tables (after bulk loads; used by tests)."""
    db = db if db is not None else database.obj
    backend(db).rebuild(db)


def rank(
    kind: str, query: pw.ModelSelect, terms: list[str], operator: str = "AND", limit: int = 50
) -> list[tuple[int, float]]:
    """``(id, score)`` of rows of ``query`` (already narrowed) matching ``terms``, best first.

    ``terms`` are prefixes from :func:`textnorm.query_terms`; ``operator`` is
    ``AND`` (every term) or ``OR`` (any term, ranked by how well they match).
    """
    return backend().rank(kind, query, terms, operator, limit)


def rank_any(
    kind: str, query: pw.ModelSelect, groups: list[list[list[str]]], limit: int = 50
) -> list[tuple[int, float]]:
    """Like :func:`rank`, for "any of these groups of words" (see :func:`textnorm.fts_any_of`)."""
    return backend().rank_any(kind, query, groups, limit)


# --- highlighting: escape first, then mark --------------------------------

_TOKEN_RE = re.compile(r"[^\W_]+(?:['\u02bc\u2019\u2018`][^\W_]+)*", re.UNICODE)


def _is_hit(word: str, terms: list[str]) -> bool:
    folded = textnorm.fold(word)
    return any(folded.startswith(t) for t in terms)


def _has_hit(text: str, terms: list[str]) -> bool:
    return any(_is_hit(w, terms) for w in _TOKEN_RE.findall(text or ""))


def highlight(text: str, terms: list[str]) -> str:
    """``text`` as HTML with every word that starts with a term wrapped in ``<mark>``.

    Each piece of the original text is escaped before any markup is added,
    so nothing typed by a user can become markup.
    """
    out: list[str] = []
    pos = 0
    for m in _TOKEN_RE.finditer(text or ""):
        if not _is_hit(m.group(), terms):
            continue
        out.append(html.escape(text[pos : m.start()]))
        out.append("<mark>" + html.escape(m.group()) + "</mark>")
        pos = m.end()
    out.append(html.escape((text or "")[pos:]))
    return "".join(out)


def snippet(text: str, terms: list[str], width: int = 200) -> str:
    """A window of about ``width`` characters around the first hit, highlighted."""
    text = " ".join((text or "").split())
    if len(text) <= width:
        return highlight(text, terms)
    first = next((m.start() for m in _TOKEN_RE.finditer(text) if _is_hit(m.group(), terms)), 0)
    start = max(0, first - width // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > first else end
    body = highlight(text[start:end], terms)
    return ("… " if start else "") + body + (" …" if end < len(text) else "")


# --- the search box ---------------------------------------------------------


def _project_results(user, terms, limit, locale) -> list[SearchResult]:
    hits = rank("project", visible_projects(user, Project.select()), terms, "AND", limit)
    if not hits:
        return []
    by_id = {p.id: p for p in Project.select().where(Project.id.in_([i for i, _ in hits]))}
    out = []
    for pid, score in hits:
        p = by_id[pid]
        other = "en" if locale == "uk" else "uk"
        body = p.summary(locale)
        if not _has_hit(body + " " + p.title(locale), terms):
            body = p.summary(other) or body  # the words matched the other language
        title = p.title(locale)
        title_lang = locale if (p.title_uk if locale == "uk" else p.title_en) else other
        if not _has_hit(title, terms) and _has_hit(p.title(other), terms):
            title, title_lang = p.title(other), other
        out.append(
            SearchResult(
                "project",
                p.ref,
                title,
                snippet(body, terms),
                score,
                highlight(title, terms),
                title_lang=title_lang,
            )
        )
    return out


def _offer_title(offer: Offer, org: Organisation, locale: str) -> str:
    first = " ".join(offer.description.split())
    short = first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "…"
    return f"{org.name(locale)}: {short}"


def _offer_results(user, terms, limit, locale) -> list[SearchResult]:
    hits = rank("offer", visible_offers(user, Offer.select()), terms, "AND", limit)
    if not hits:
        return []
    rows = (
        Offer.select(Offer, Organisation)
        .join(Organisation)
        .where(Offer.id.in_([i for i, _ in hits]))
    )
    by_id = {o.id: o for o in rows}
    out = []
    for oid, score in hits:
        o = by_id[oid]
        title = _offer_title(o, o.organisation, locale)
        out.append(
            SearchResult(
                "offer", o.id, title, snippet(o.description, terms), score, highlight(title, terms)
            )
        )
    return out


def _update_results(user, terms, limit, locale) -> list[SearchResult]:
    query = (
        Update.select()
        .join(Project, on=(Update.project == Project.id))
        .where(visibility_condition(user))
    )
    hits = rank("update", query, terms, "AND", limit)
    if not hits:
        return []
    rows = Update.select(Update, Project).join(Project).where(Update.id.in_([i for i, _ in hits]))
    by_id = {u.id: u for u in rows}
    out = []
    for uid, score in hits:
        u = by_id[uid]
        out.append(
            SearchResult(
                "update",
                u.id,
                u.title,
                snippet(u.body or u.title, terms),
                score,
                highlight(u.title, terms),
                project_ref=u.project.ref,
            )
        )
    return out


_FINDERS = {"project": _project_results, "offer": _offer_results, "update": _update_results}


def search(
    user: User | None, q: str, type: str | None = None, limit: int = 20, locale: str = "en"
) -> list[SearchResult]:
    """Ranked results for ``q`` among what ``user`` may see; ``type`` narrows to one kind.

    Every word of the query must match (as a prefix of a word form); results
    of several kinds are merged by score.
    """
    terms = textnorm.query_terms(q or "")
    if not terms or user is None:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    kinds = [type] if type in TYPES else list(TYPES)
    results: list[SearchResult] = []
    for kind in kinds:
        results.extend(_FINDERS[kind](user, terms, limit, locale))
    results.sort(key=lambda r: -r.score)
    return results[:limit]


def query_terms(q: str) -> list[str]:
    """The terms :func:`search` looks for (for highlighting elsewhere)."""
    return textnorm.query_terms(q or "")
