"""Ukrainian and English throughout: marked strings, complete catalogue, plurals, switch.

(a) every template's visible text is marked for translation; (b) every extracted
message has a Ukrainian translation (extracted fresh, so a new string fails here
until a translator runs scripts/i18n); (c) Ukrainian plural forms; (d) the main
pages in each language and the remembered choice; (e) Accept-Language.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from jinja2 import Environment
from jinja2.ext import do, i18n

from tests.helpers import csrf_token, login, post
from tools.i18n_build import compile_catalogues

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "tmdesk" / "templates"
PO = ROOT / "tmdesk" / "translations" / "uk" / "LC_MESSAGES" / "messages.po"

# --- (a) templates: no visible text outside _() / trans --------------------

#: Text that is the same in every language: names, codes and symbols.
ALLOWED = {
    "TLP",
    "API",
    "tmdesk",
    "TM",
    "Українська",
    "English",
    "IATI",
    "EUR",
    "UTC",
    "CSV",
    "XLSX",
    "PDF",
    "XML",
    "JSON",
    "ID",
    "SOC",
    "TLP:",
    "OK",
}
#: Attributes whose values people read (or hear, through a screen reader).
READ_ATTRS = {"title", "alt", "placeholder", "aria-label", "aria-description", "summary"}
HOLE = " "  # stands for a Jinja expression or tag (a space also keeps tags parseable)


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READ_ATTRS and value:
                self.found.append(value)
            if (
                tag == "input"
                and name == "value"
                and value
                and dict(attrs).get("type") in ("submit", "button", "reset")
            ):
                self.found.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def unmarked_text(source: str) -> list[str]:
    """Words in ``source`` (a Jinja template) a user would see untranslated."""
    env = Environment(extensions=[i18n, do])
    pieces, in_trans = [], 0
    for _lineno, kind, value in env.lex(source):
        if kind == "data" and not in_trans:
            pieces.append(value)
        else:
            pieces.append(HOLE)
        # {% trans %} … {% endtrans %}: the text inside is marked
        if kind == "name" and value in ("trans", "pluralize"):
            in_trans = 1 if value == "trans" else in_trans
        if kind == "name" and value == "endtrans":
            in_trans = 0
    text = "".join(pieces)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    parser = _VisibleText()
    parser.feed(text)
    bad = []
    for chunk in parser.found:
        words = re.findall(r"[^\W\d_]{2,}[^\s]*", chunk)
        words = [w.strip(".,:;()·—-") for w in words]
        if [w for w in words if w and w not in ALLOWED]:
            bad.append(" ".join(chunk.split()))
    return bad


def test_the_checker_finds_unmarked_text():
    assert unmarked_text("<p>Hello {{ name }}</p>") == ["Hello"]
    assert unmarked_text('<a title="Open it" href="{{ u }}">{{ _("Open") }}</a>') == ["Open it"]
    assert unmarked_text("<p>{{ _('Hello') }} · TLP</p>{% trans %}Hi {{ n }}{% endtrans %}") == []
    assert unmarked_text('<input type="submit" value="Send">') == ["Send"]
    assert unmarked_text("{# a comment #}<p>{{ x }} (EUR)</p>") == []


@pytest.mark.parametrize(
    "path", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: str(p.relative_to(TEMPLATES))
)
def test_template_text_is_marked_for_translation(path):
    assert unmarked_text(path.read_text(encoding="utf-8")) == []


# --- (b) every message has a Ukrainian translation ------------------------

KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
METHOD_MAP = [("tmdesk/**.py", "python"), ("tmdesk/templates/**.html", "jinja2")]


def extracted_messages() -> set[str]:
    """Every msgid in the code now (not the committed .pot, which may be stale)."""
    found = set()
    options = {"tmdesk/templates/**.html": {"extensions": "jinja2.ext.do"}}
    for _file, _line, message, _comments, context in extract_from_dir(
        str(ROOT), METHOD_MAP, options_map=options, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.add((context or "") + "\x04" + msgid)
    return found


def ukrainian_catalogue():
    with PO.open("rb") as fh:
        return read_po(fh, locale="uk")


def test_every_message_has_a_ukrainian_translation():
    catalogue = ukrainian_catalogue()
    translated = set()
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(s.strip() for s in strings):
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            translated.add((message.context or "") + "\x04" + msgid)
    missing = sorted(m.split("\x04", 1)[1] for m in extracted_messages() - translated)
    assert not missing, (
        f"{len(missing)} message(s) lack a Ukrainian translation; run scripts/i18n and "
        f"translate them in {PO.relative_to(ROOT)}:\n" + "\n".join(missing[:40])
    )


PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdf]|%%")


def test_translations_keep_their_placeholders():
    """Same placeholders (and ``%%``) as the msgid, and no stray ``%``: templates always
    %-format their strings, so a bare ``%`` in a translation would break the page."""
    wrong = []
    for message in ukrainian_catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        allowed = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        for text in strings:
            found = set(PLACEHOLDER.findall(text))
            stray = "%" in PLACEHOLDER.sub("", text) and "%" not in PLACEHOLDER.sub("", ids[0])
            # plural forms may leave the count out (“один проєкт”); others keep all
            needed = allowed - {"%(num)d"} if len(ids) > 1 else allowed
            if found - allowed or needed - found or stray:
                wrong.append((ids[0], text))
    assert not wrong, wrong


def test_catalogue_header_has_ukrainian_plural_forms():
    catalogue = ukrainian_catalogue()
    assert catalogue.num_plurals == 3
    assert catalogue.plural_expr.replace(" ", "") == (
        "(n%10==1&&n%100!=11?0:n%10>=2&&n%10<=4&&(n%100<10||n%100>=20)?1:2)"
    )


# --- the app in Ukrainian -------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    """The .mo files from the .po now, whatever was compiled before."""
    compile_catalogues()


def uk_client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    return client


# --- (c) plural forms -----------------------------------------------------


@pytest.mark.parametrize(
    "n, word",
    [
        (1, "проєкт"),
        (2, "проєкти"),
        (5, "проєктів"),
        (11, "проєктів"),
        (21, "проєкт"),
        (22, "проєкти"),
        (0, "проєктів"),
        (14, "проєктів"),
        (104, "проєкти"),
    ],
)
def test_ukrainian_plural_forms(app, n, word):
    from flask_babel import ngettext

    with app.test_request_context("/", headers={"Accept-Language": "uk"}):
        assert ngettext("%(num)d project", "%(num)d projects", n) == f"{n} {word}"


@pytest.mark.parametrize("n, text", [(1, "1 project"), (2, "2 projects"), (5, "5 projects")])
def test_english_plural_forms(app, n, text):
    from flask_babel import ngettext

    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert ngettext("%(num)d project", "%(num)d projects", n) == text


def test_catalogue_counts_projects_in_ukrainian(desk, app):
    for i in range(2):
        desk.published(title_en=f"Project {i}", title_uk=f"Проєкт {i}")
    client = uk_client(app)
    login(client, desk.user("donor"))
    html = client.get("/catalogue").get_data(as_text=True)
    assert "2 проєкти" in html


def test_review_queue_ages_in_days(desk, app):
    from tmdesk.core import projects
    from tmdesk.core.models import Project

    project = desk.draft(title_en="Old submission", title_uk="Давня заявка")
    projects.transition(desk.user("recipient"), project, "submit")
    old = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=5, hours=1)
    Project.update(submitted_at=old).where(Project.id == project.id).execute()
    client = uk_client(app)
    login(client, desk.user("back_office"))
    html = client.get("/review").get_data(as_text=True)
    assert "Давня заявка" in html
    assert "5 днів" in html


# --- dates, numbers, money by locale ------------------------------------


def test_money_and_dates_follow_the_locale(app):
    from tmdesk.web.templating import date, money

    with app.test_request_context("/", headers={"Accept-Language": "uk"}):
        assert money(Decimal("12500")) == "12\xa0500,00 EUR"
        assert date(dt.date(2026, 11, 3)).startswith("3 лист. 2026")
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert money(Decimal("12500")) == "12,500.00 EUR"
        assert "Nov" in date(dt.date(2026, 11, 3))


# --- (d) the main pages in each language, the remembered choice ----------

MAIN_PAGES = [
    "/",
    "/catalogue",
    "/review",
    "/offers",
    "/pledges",
    "/dashboard",
    "/search",
    "/reports",
    "/admin",
    "/profile",
]


def _pages_served(app) -> list[str]:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    return [p for p in MAIN_PAGES if p in rules]


@pytest.mark.parametrize(
    "lang, words, foreign",
    [
        ("uk", ["Каталог", "Вийти", "Пошук"], ["Catalogue", "Log out"]),
        ("en", ["Catalogue", "Log out", "Search"], ["Каталог", "Вийти"]),
    ],
)
def test_main_pages_speak_the_language(desk, app, lang, words, foreign):
    desk.published(title_en="SOC analyst training", title_uk="Навчання аналітиків SOC")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    login(client, desk.user("admin"))
    for page in _pages_served(app):
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert f'<html lang="{lang}">' in html, page
        nav = html.split("<main", 1)[0]
        for word in words:
            assert word in nav, (page, word)
        for word in foreign:
            assert word not in nav, (page, word)


def test_project_page_in_both_languages(desk, app):
    project = desk.published(title_en="SOC analyst training", title_uk="Навчання аналітиків SOC")
    client = app.test_client()
    login(client, desk.user("donor"))
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    html = client.get(f"/projects/{project.ref}").get_data(as_text=True)
    assert "Навчання аналітиків SOC" in html and "Орієнтовний бюджет" in html
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    html = client.get(f"/projects/{project.ref}").get_data(as_text=True)
    assert "SOC analyst training" in html and "Estimated budget" in html


def test_language_choice_is_remembered_for_the_user(desk, app):
    user = desk.user("donor")
    first = app.test_client()
    first.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    login(first, user)
    assert "Каталог" in first.get("/catalogue").get_data(as_text=True)
    response = post(
        first, "/language", {"lang": "en", "next": "/catalogue"}, form_page="/catalogue"
    )
    assert response.status_code == 302
    assert "Catalogue" in first.get("/catalogue").get_data(as_text=True)

    # a new session on another browser that prefers Ukrainian: the saved choice wins
    second = app.test_client()
    second.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    login(second, user)
    html = second.get("/catalogue").get_data(as_text=True)
    assert '<html lang="en">' in html and "Catalogue" in html

    post(second, "/language", {"lang": "uk", "next": "/catalogue"}, form_page="/catalogue")
    third = app.test_client()  # asks for English, but the user chose Ukrainian
    login(third, user)
    assert '<html lang="uk">' in third.get("/catalogue").get_data(as_text=True)


def test_anonymous_choice_is_remembered_in_the_session(desk, app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    token = csrf_token(client, "/login")
    client.post("/language", data={"lang": "uk", "next": "/login", "csrf_token": token})
    assert '<html lang="uk">' in client.get("/login").get_data(as_text=True)


# --- (e) Accept-Language for an anonymous visitor ------------------------


def test_accept_language_chooses_for_anonymous_visitors(desk, app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en-GB,en;q=0.9"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html and "Log in" in html
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk-UA,uk;q=0.9,en;q=0.5"
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="uk">' in html and "Увійти" in html
    client = app.test_client()
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")  # no preference: Ukrainian
    assert '<html lang="uk">' in client.get("/login").get_data(as_text=True)


# --- bilingual content: the other language, marked -------------------------


def test_title_falls_back_to_the_other_language_with_a_marker(desk, app):
    project = desk.published(title_en="Firewall licences", title_uk="")
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    login(client, desk.user("donor"))
    for page in ("/catalogue", f"/projects/{project.ref}", "/"):
        html = client.get(page).get_data(as_text=True)
        assert 'lang="en"' in html and "Firewall licences" in html, page
        assert "англійською" in html, page


def test_refused_step_names_statuses_in_ukrainian(desk, app):
    project = desk.published()
    client = uk_client(app)
    login(client, desk.user("back_office"))
    post(
        client,
        f"/projects/{project.ref}/transition",
        {"action": "publish", "confirmed": "yes"},
        form_page=f"/projects/{project.ref}",
    )
    html = client.get(f"/projects/{project.ref}").get_data(as_text=True)
    assert "Проєкт зі статусом «Опубліковано» не можна перевести в статус «Опубліковано»" in html
