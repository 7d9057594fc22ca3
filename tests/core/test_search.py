"""Search: Ukrainian/English folding, prefix matching, ranking, highlighting, visibility."""

from __future__ import annotations

import datetime as dt

from tmdesk.core import offers, search, sqlite_search, textnorm
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.models import Project, Update


def test_fold_apostrophes_and_case():
    assert textnorm.fold("ОБʼЄКТ") == textnorm.fold("об'єкт") == textnorm.fold("об’єкт") == "обєкт"
    # Ukrainian letters stay distinct from Russian ones.
    assert textnorm.fold("ЇЖАК") == "їжак"
    assert textnorm.fold("і") != textnorm.fold("и")
    assert textnorm.fold("Ґ") == "ґ" != "г"


def test_stem_meets_word_forms():
    assert textnorm.stem("навчанням").startswith(textnorm.stem("навчання"))
    assert textnorm.stem("analysts") == textnorm.stem("analyst")


def test_query_terms_are_safe_fts():
    terms = textnorm.query_terms('"NEAR(a b)" -x OR:y')
    match = sqlite_search.render("project", search.All(tuple(search.Term(t) for t in terms)))
    assert all(t.isalnum() for t in terms)
    assert match.count('"') == 2 * len(terms)


def test_search_ukrainian_prefix_and_apostrophes(desk):
    p = desk.published(
        title_uk="Навчання аналітиків SOC",
        summary_uk="Навчанням охоплено 40 фахівців обʼєкта критичної інфраструктури",
    )
    user = desk.user("donor")
    for q in ("навчанн", "НАВЧАННЯ", "навчанням", "об'єкт", "об’єкта", "soc analyst"):
        refs = [r.key for r in search.search(user, q)]
        assert refs == [p.ref], q
    assert search.search(user, "нічого такого") == []
    # Russian spelling does not match the Ukrainian word (і is not и).
    assert search.search(user, "навчання аналитиков") == []


def test_ranking_title_before_body(desk):
    body = desk.published(title_en="Firewall replacement", summary_en="Includes some SIEM work.")
    title = desk.published(title_en="SIEM deployment", summary_en="Log monitoring.")
    results = search.search(desk.user("donor"), "siem", type="project")
    assert [r.key for r in results] == [title.ref, body.ref]
    assert results[0].score >= results[1].score


def test_highlight_escapes_before_marking():
    html = search.highlight("<b>SIEM</b> & siem-like <script>", ["siem"])
    assert "<b>" not in html and "<script>" not in html
    assert html.count("<mark>") == 2
    assert "&lt;b&gt;<mark>SIEM</mark>&lt;/b&gt; &amp;" in html


def test_index_follows_updates_and_deletes(desk):
    p = desk.draft(title_en="Unique zebra project")
    user = desk.user("recipient")
    assert [r.key for r in search.search(user, "zebra")] == [p.ref]
    Project.update(title_en="Unique okapi project").where(Project.id == p.id).execute()
    assert search.search(user, "zebra") == []
    assert [r.key for r in search.search(user, "okapi")] == [p.ref]
    Project.delete().where(Project.id == p.id).execute()
    assert search.search(user, "okapi") == []


def test_rebuild_restores_the_index(desk):
    p = desk.published(title_en="Mobile data centre")
    if is_sqlite():
        database.execute_sql("DELETE FROM project_fts")
    else:  # the index is a column there: empty it without firing its trigger
        database.execute_sql("UPDATE project SET search_tsv = NULL")
    assert search.search(desk.user("donor"), "datacentre centre") == []
    search.rebuild_search()
    assert [r.key for r in search.search(desk.user("donor"), "centre")] == [p.ref]


def test_hidden_projects_never_found(desk):
    hidden = desk.published(title_en="Secret amber thing", tlp="AMBER+STRICT")
    draft = desk.draft(title_en="Secret draft thing")
    for key in ("donor", "observer", "company", "recipient2"):
        assert search.search(desk.user(key), "secret") == [], key
    officer_refs = {r.key for r in search.search(desk.user("back_office"), "secret")}
    assert officer_refs == {hidden.ref}  # officers never see drafts
    assert {r.key for r in search.search(desk.user("recipient"), "secret")} == {
        hidden.ref,
        draft.ref,
    }


def test_offers_and_updates(desk):
    p = desk.published(title_en="Radio network", tlp="AMBER+STRICT")
    offer = offers.create_offer(
        desk.user("donor"),
        {"category": "connectivity", "description": "200 Starlink terminals with power banks"},
    )
    Update.create(
        project=p,
        author=desk.user("back_office"),
        date=dt.date(2026, 3, 1),
        title="Starlink terminals arrived",
        body="All 200 delivered.",
    )
    officer = desk.user("back_office")
    kinds = {(r.type, r.key) for r in search.search(officer, "starlink")}
    assert ("offer", offer.uid) in kinds and any(k == "update" for k, _ in kinds)
    assert [r.type for r in search.search(officer, "starlink", type="offer")] == ["offer"]
    # The donor sees its own offer but not the update on a project it may not see.
    assert {r.type for r in search.search(desk.user("donor"), "starlink")} == {"offer"}
    assert search.search(desk.user("donor2"), "starlink") == []


# --- pages -------------------------------------------------------------------------


def test_search_page_highlights_safely(client, desk):
    from tests.helpers import login

    p = desk.published(title_en="SOC <analyst> training", summary_en="Analysts & more.")
    login(client, desk.users["donor"])
    html = client.get("/search?q=analyst&type=project").get_data(as_text=True)
    assert p.ref in html
    assert "&lt;<mark>analyst</mark>&gt;" in html and "<analyst>" not in html
    assert '<option value="project" selected>' in html
    assert 'value="analyst"' in html  # the query is kept
    empty = client.get("/search?q=zzzz").get_data(as_text=True)
    assert "Nothing found" in empty or "0 results" in empty


# --- one set of queries, one expected answer, on every engine --------------------------
#
# Runs on SQLite in the SQLite run and on PostgreSQL in the PostgreSQL run (the suite's
# database fixture chooses); the expected sets are fixed here, so both engines must
# give exactly them.

ENGINE_PROJECTS = {
    "soc": ("SOC analyst training", "Навчання аналітиків SOC", "Навчанням охоплено 40 фахівців"),
    "link": ("Backup connectivity", "Резервний зв'язок для громад", "Супутниковий звʼязок"),
    "hedgehog": ("Field kit", "ЇЖАК: польовий комплект", "Ґанок і єдність"),
    "russian": ("Other kit", "Обучение аналитиков", "игла ганок"),
    "cafe": ("Café network audit", "Аудит мережі кафе", "Audit of the CAFÉ's Wi-Fi"),
}
ENGINE_QUERIES = {
    "навчанн": {"soc"},
    "НАВЧАННЯ аналітиків": {"soc"},
    "soc analyst": {"soc"},
    "зв'язок": {"link"},
    "звʼязок": {"link"},
    "зв’язок": {"link"},
    "ЗВ`ЯЗОК": {"link"},
    "їжак": {"hedgehog"},
    "іжак": set(),
    "ґанок": {"hedgehog"},
    "ганок": {"russian"},
    "єдн": {"hedgehog"},
    "аналитиков": {"russian"},
    "аналіт": {"soc"},
    "cafe": {"cafe"},
    "CAFÉ wi": {"cafe"},
    "кафе": {"cafe"},
    "audit": {"cafe"},
    "backup connect": {"link"},
    "field komplekt": set(),
    # Across languages, through the bilingual glossary (issue 15).
    "training": {"soc"},
    "satellite": {"link"},
    "аудит": {"cafe"},
}


def test_the_same_answers_on_every_engine(desk):
    refs = {}
    for key, (title_en, title_uk, summary_uk) in ENGINE_PROJECTS.items():
        project = desk.published(
            title_en=title_en, title_uk=title_uk, summary_en="", summary_uk=summary_uk
        )
        refs[project.ref] = key
    donor = desk.user("donor")
    for q, expected in ENGINE_QUERIES.items():
        found = {refs[r.key] for r in search.search(donor, q, type="project")}
        assert found == expected, q


def test_phrase_prefixes_read_alike_on_every_engine(desk):
    """The glossary's ``e-mail`` is the words ``e`` and ``mail`` on both engines."""
    p = desk.published(title_en="E-mail gateway hardening", summary_en="Mail filtering.")
    desk.published(title_en="Gateway for radio", summary_en="Nothing else.")
    pool = Project.select()
    assert [i for i, _ in search.rank_any("project", pool, [[["e-mail"], ["gateway"]]])] == [p.id]
    assert [i for i, _ in search.rank("project", pool, ["e-mail", "hardening"], "OR")] == [p.id]


def test_search_across_languages(desk):
    """An English query finds a project written only in Ukrainian, and the other way round,
    through the duplicate detector's bilingual glossary (issue 15)."""
    uk_only = desk.published(
        title_en="",
        summary_en="",
        title_uk="Навчання аналітиків центру моніторингу",
        summary_uk="Курс для фахівців обласної адміністрації.",
    )
    en_only = desk.published(
        title_uk="",
        title_en="Firewall replacement for the water utility",
        summary_en="Next-generation firewalls at two sites.",
    )
    user = desk.user("donor")
    found = search.search(user, "analyst training", locale="en")
    assert [r.key for r in found] == [uk_only.ref]
    assert "<mark>" in found[0].title_html  # the Ukrainian words that matched are marked
    assert [r.key for r in search.search(user, "фаєрвол", locale="uk")] == [en_only.ref]
    assert [r.key for r in search.search(user, "міжмережевий екран")] == []  # every word counts
    # Every term must still match: an English word with no Ukrainian counterpart in the
    # project keeps it out.
    assert search.search(user, "analyst starlink") == []
    assert "аналітик" in search.query_terms("analysts")


def test_cross_language_match_ranks_by_title(desk):
    """A translation found in the title ranks like the query's own word found there."""
    body = desk.published(
        title_en="Regional support", title_uk="", summary_en="Training of SOC analysts."
    )
    title = desk.published(
        title_en="", summary_en="", title_uk="Навчання аналітиків SOC", summary_uk="Обласний центр."
    )
    results = search.search(desk.user("donor"), "training", type="project")
    assert [r.key for r in results] == [title.ref, body.ref]
    assert results[0].score > results[1].score
