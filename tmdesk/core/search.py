"""Search over projects, offers and updates: one interface, one engine per database.

Callers use the functions of this module only:

* :func:`search` answers the search box and ``GET /api/v1/search``;
* :func:`rank` ranks the rows of an already-narrowed query by text (used by
  overlap detection and offer matching to find candidates fast);
* :func:`install_search` / :func:`rebuild_search` create and refill the index.

The engine only *finds* rows: :mod:`tmdesk.core.sqlite_search` (FTS5) on
SQLite, :mod:`tmdesk.core.pg_search` (a ``tsvector`` column with a GIN index)
on PostgreSQL, chosen in :func:`backend` and nowhere else. Both answer the
same two questions about a :class:`Match` expression: which rows of a
(visibility-narrowed) query match it, newest first; and which indexed rows
match it (used only to learn a visible candidate's own term data).

Ranking is done here, in Python, from each visible candidate's own words
(which query terms it has in its title, which only in its body; how many of
a set of words or groups it has), ties broken newest first. No corpus
statistic enters a score (no document frequencies, no average lengths), so
nothing a user receives (a score, an order, a count) can depend on a row that
user may not see, and both engines rank identically. See docs/security.md.

Visibility: every query starts from ``visible_projects(user)`` or
``visible_offers(user)``, so the index never widens what a user may see.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Protocol

import peewee as pw

from tmdesk.core import glossary, pg_search, sqlite_search, textnorm
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.models import Offer, Organisation, Project, Update, User
from tmdesk.core.textnorm import All, AnyOf, Match, Term
from tmdesk.core.visibility import visibility_condition, visible_offers, visible_projects

TYPES = ("project", "offer", "update")
MAX_LIMIT = 100

#: Score of a query term found in a title (or a project's reference) and of one
#: found only in the body. A row's score is the sum over the query's terms.
TITLE_WEIGHT = 3.0
BODY_WEIGHT = 1.0
#: Kinds whose index tells a title from a body (an offer is one text).
TITLED = ("project", "update")
#: Up to this many terms, the best rows are found tier by tier (which terms are in
#: the title), each tier a LIMITed index query; longer queries (rarer rows) are
#: ranked from their whole candidate set.
TIER_TERMS = 3


@dataclass
class SearchResult:
    type: str
    key: str  # the project's ref, or the offer's / update's uid (ids would count)
    title: str
    snippet: str  # HTML: escaped text with the matched words in <mark>
    score: float
    title_html: str = ""
    project_ref: str | None = None  # for updates: the project they report on
    #: The language ``title`` is written in, when it is a bilingual field: the page
    #: marks a title that is not in the reader's language.
    title_lang: str | None = None


# --- what the engines are asked: a match expression (textnorm.Term, All, AnyOf) -----------


class SearchBackend(Protocol):
    def install(self, db: pw.Database) -> None: ...

    def rebuild(self, db: pw.Database) -> None: ...

    def ids(
        self, kind: str, query: pw.ModelSelect, key: pw.Field, match: Match, limit: int | None
    ) -> list[int]:
        """Ids of the rows of ``query`` matching ``match``, highest id first, at most ``limit``."""
        ...

    def index_ids(self, kind: str, key: pw.Field, match: Match) -> set[int]:
        """Ids of every indexed row matching ``match``: only ever intersected with
        candidates already narrowed to what the user may see."""
        ...


KEYS = {"project": Project.id, "offer": Offer.id, "update": Update.id}


def backend(db: pw.Database | None = None) -> SearchBackend:
    """The search engine for ``db`` (default: the open database): the one dispatch point."""
    return sqlite_search.SqliteSearch() if is_sqlite(db) else pg_search.PgSearch()


def install_search(db: pw.Database) -> None:
    """Create the search index for a fresh database (called by the schema)."""
    backend(db).install(db)


def rebuild_search(db: pw.Database | None = None) -> None:
    """Refill the search index from the tables (after bulk loads; used by tests)."""
    db = db if db is not None else database.obj
    backend(db).rebuild(db)


# --- ranking: Python, over the visible candidates' own term data -------------------------


def _ordered(scored: list[tuple[int, float]], limit: int) -> list[tuple[int, float]]:
    scored.sort(key=lambda r: (-r[1], -r[0]))
    return scored[:limit]


def _title_score(in_title: int, terms: int) -> float:
    return in_title * TITLE_WEIGHT + (terms - in_title) * BODY_WEIGHT


#: One query term with the other word beginnings that stand for it (its translations
#: through the glossary): a row has the term when it has any of them.
Alternatives = tuple[str, ...]


def _at(prefix: str, where: str) -> Match:
    """``prefix`` as the index holds words, at ``where`` (a phrase: all its words)."""
    found = textnorm.words(prefix)
    if len(found) == 1:
        return Term(found[0], where)
    return All(tuple(Term(w, where) for w in found))


def _one_of(alts: Alternatives, where: str = "any") -> Match:
    """Any of ``alts`` at ``where``."""
    items = tuple(_at(a, where) for a in alts if textnorm.words(a))
    return items[0] if len(items) == 1 else AnyOf(items)


def _rank_all(kind: str, query: pw.ModelSelect, groups: list[Alternatives], limit: int):
    """Rows having every term (any of its alternatives), by how many of the terms are
    in their title, newest first."""
    engine, key, n = backend(), KEYS[kind], len(groups)
    everything = All(tuple(_one_of(g) for g in groups))
    if kind not in TITLED:
        return [(i, _title_score(0, n)) for i in engine.ids(kind, query, key, everything, limit)]
    if n <= TIER_TERMS:
        out: list[tuple[int, float]] = []
        seen: set[int] = set()
        for in_title in range(n, -1, -1):  # best tier first; a tier is one score
            tier: list[int] = []
            for chosen in combinations(range(n), in_title):
                exact = All(
                    tuple(
                        _one_of(g, "title" if i in chosen else "rest") for i, g in enumerate(groups)
                    )
                )
                # With alternatives, "rest" (one of them outside the title) can also
                # hold a row that has another one in its title: that row was already
                # placed in its own, higher tier, so it is skipped here.
                found = engine.ids(kind, query, key, exact, limit - len(out) + len(seen))
                tier.extend(i for i in found if i not in seen)
            tier = sorted(set(tier), reverse=True)[: limit - len(out)]
            seen.update(tier)
            out.extend((i, _title_score(in_title, n)) for i in tier)
            if len(out) >= limit:
                break
        return out
    candidates = engine.ids(kind, query, key, everything, None)
    if not candidates:
        return []
    mine = set(candidates)
    hits: Counter = Counter()
    for g in groups:
        hits.update(
            mine & engine.index_ids(kind, key, All((*everything.items, _one_of(g, "title"))))
        )
    return _ordered([(i, _title_score(hits[i], n)) for i in candidates], limit)


def _rank_count(kind: str, query: pw.ModelSelect, clauses: list[Match], limit: int):
    """Rows matching any of ``clauses``, by how many of them each matches, newest first."""
    engine, key = backend(), KEYS[kind]
    candidates = engine.ids(kind, query, key, AnyOf(tuple(clauses)), None)
    if not candidates:
        return []
    mine = set(candidates)
    counts: Counter = Counter()
    for clause in clauses:
        counts.update(mine & engine.index_ids(kind, key, clause))
    return _ordered([(i, float(counts[i])) for i in candidates], limit)


def _term(prefix: str) -> Match:
    """``prefix`` as the index holds words: one word, or all the words of a phrase
    (``e-mail`` → ``e`` and ``mail``), so that both engines read it the same way."""
    found = textnorm.words(prefix)
    return Term(found[0]) if len(found) == 1 else All(tuple(Term(w) for w in found))


def rank(
    kind: str, query: pw.ModelSelect, terms: list[str], operator: str = "AND", limit: int = 50
) -> list[tuple[int, float]]:
    """``(id, score)`` of rows of ``query`` (already narrowed) matching ``terms``, best first.

    ``terms`` are prefixes from :func:`textnorm.query_terms`; ``operator`` is
    ``AND`` (every term; ranked by how many are in the title) or ``OR`` (any
    term; ranked by how many it has). Ties: newest first.
    """
    terms = [t for t in terms if textnorm.words(t)]
    if not terms:
        return []
    if operator == "OR":
        return _rank_count(kind, query, [_term(t) for t in terms], limit)
    return _rank_all(kind, query, [(t,) for t in terms], limit)


def across_languages(terms: list[str]) -> list[Alternatives]:
    """Each term with its translations from the bilingual glossary (:mod:`tmdesk.core.glossary`),
    so that "training" also finds "навчання" and the other way round."""
    return [(t, *glossary.translations_of_term(t)) for t in terms]


def _rank_groups(kind: str, query: pw.ModelSelect, groups: list[Alternatives], limit: int):
    """Rows of ``query`` having every group (any of its alternatives), best first."""
    groups = [g for g in groups if any(textnorm.words(a) for a in g)]
    return _rank_all(kind, query, groups, limit) if groups else []


def rank_any(
    kind: str, query: pw.ModelSelect, groups: list[list[list[str]]], limit: int = 50
) -> list[tuple[int, float]]:
    """Rows having any of ``groups`` (a group: all its members; a member: any of its
    alternative prefixes), ranked by how many groups each has, newest first.

    ``[[["soc"], ["analyst", "аналіт"]]]`` asks for "soc" and ("analyst" or "аналіт").
    """
    clauses: list[Match] = []
    for group in groups:
        members = tuple(
            AnyOf(tuple(_term(a) for a in alts if textnorm.words(a)))
            for alts in group
            if any(textnorm.words(a) for a in alts)
        )
        if members:
            clauses.append(All(members))
    if not clauses:
        return []
    return _rank_count(kind, query, clauses, limit)


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


def marks(groups: list[Alternatives]) -> list[str]:
    """The word beginnings to highlight for ``groups``: every one-word alternative."""
    out: list[str] = []
    for g in groups:
        for a in g:
            if len(textnorm.words(a)) == 1 and a not in out:
                out.append(a)
    return out


def _project_results(user, groups, limit, locale) -> list[SearchResult]:
    terms = marks(groups)
    hits = _rank_groups("project", visible_projects(user, Project.select()), groups, limit)
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


def _offer_results(user, groups, limit, locale) -> list[SearchResult]:
    terms = marks(groups)
    hits = _rank_groups("offer", visible_offers(user, Offer.select()), groups, limit)
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
                "offer", o.uid, title, snippet(o.description, terms), score, highlight(title, terms)
            )
        )
    return out


def _update_results(user, groups, limit, locale) -> list[SearchResult]:
    terms = marks(groups)
    query = (
        Update.select()
        .join(Project, on=(Update.project == Project.id))
        .where(visibility_condition(user))
    )
    hits = _rank_groups("update", query, groups, limit)
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
                u.uid,
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

    Every word of the query must match (as a prefix of a word form, or one of its
    translations in the bilingual glossary); results of several kinds are merged by
    score.
    """
    terms = textnorm.query_terms(q or "")
    if not terms or user is None:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    kinds = [type] if type in TYPES else list(TYPES)
    groups = across_languages(terms)
    results: list[SearchResult] = []
    for kind in kinds:
        results.extend(_FINDERS[kind](user, groups, limit, locale))
    results.sort(key=lambda r: -r.score)
    return results[:limit]


def query_terms(q: str) -> list[str]:
    """The word beginnings :func:`search` looks for, translations included (for
    highlighting elsewhere)."""
    return marks(across_languages(textnorm.query_terms(q or "")))
