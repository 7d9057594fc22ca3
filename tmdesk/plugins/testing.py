"""Test helpers for plugin authors: run a format against the demo data.

The quickest test a partner can write::

    from tmdesk.plugins.testing import render_with_demo
    import my_plugin

    def test_my_format_renders():
        data = render_with_demo("my-format", plugins=[my_plugin], role="donor")
        assert data.startswith(b"...")

:func:`render_with_demo` builds a throw-away data dir holding the demo data
set (``tmdesk demo``), builds the report context as a user of the role you
name (or the e-mail you give) under the real visibility policy, renders the
format through the real plugin manager (options validated, all-or-nothing
write) and returns the bytes. The demo data dir is built once per process
and reused; the database that was open before is put back afterwards.

If ``tmdesk.demo`` is not available (an older tmdesk), a small
built-in fixture set is used instead: :data:`FIXTURE_NOTE` says so and
:func:`data_source` returns ``"fixture"``.

For finer control, :func:`demo_database` opens the demo database for a
``with`` block and :func:`make_context` builds a context inside it.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from tmdesk.core.catalogue import CatalogueFilters
from tmdesk.core.db import DATABASE_FILENAME
from tmdesk.core.report_views import ReportContext
from tmdesk.core.reporting import build_context

FIXTURE_NOTE = (
    "tmdesk.demo is not available: tmdesk.plugins.testing uses its small "
    "built-in fixture set (a few organisations, users and projects) instead."
)
FIXTURE_PASSWORD = "fixture password 2026"  # nosec B105: the password of throw-away fixture accounts in plugin tests

_LIST_FILTERS = ("category", "status", "funding", "recipient", "oblast", "priority")
_cache: dict[str, Any] = {}


def data_source() -> str:
    """``"demo"`` or ``"fixture"``: what :func:`demo_database` fills the data dir with."""
    try:
        import tmdesk.demo  # noqa: F401
    except ImportError:
        return "fixture"
    return "demo"


def fill_demo_data(data_dir: Path) -> str:
    """Fill ``data_dir`` (its database already open) with demo or fixture data."""
    try:
        from tmdesk.demo import load_demo
    except ImportError:
        load_fixture_data()
        return "fixture"
    load_demo(force=True)
    return "demo"


def _demo_dir() -> Path:
    """The per-process demo data dir (built on first use, removed at exit)."""
    path = _cache.get("demo_dir")
    if path is not None and path.exists():
        return path
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database

    path = Path(tempfile.mkdtemp(prefix="tmdesk-plugin-test-")) / "data"
    atexit.register(shutil.rmtree, path.parent, True)
    open_database(path, url=_demo_url(path))
    database.connect(reuse_if_open=True)
    try:
        _cache["source"] = fill_demo_data(path)
    finally:
        database.close()
    _cache["demo_dir"] = path
    return path


def _demo_url(path: Path) -> str:
    """The demo's own SQLite file, whatever ``TMDESK_DATABASE_URL`` says: the suite
    around it (tmdesk's on PostgreSQL, a partner's) empties its database between
    tests, and the demo data must outlive that."""
    return f"sqlite:///{path / DATABASE_FILENAME}"


@contextlib.contextmanager
def demo_database() -> Iterator[Path]:
    """Open the demo database for the ``with`` block; yields its data dir.

    Whatever database was open before is restored afterwards, so this is safe
    to use inside a test suite that has its own database.
    """
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database

    previous = database.obj
    was_open = previous is not None and not previous.is_closed()
    path = _demo_dir()
    open_database(path, url=_demo_url(path))
    database.connect(reuse_if_open=True)
    try:
        yield path
    finally:
        database.close()
        if previous is not None:
            database.initialize(previous)
            if was_open:
                previous.connect(reuse_if_open=True)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def _as_date(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def make_filters(**filters: Any) -> CatalogueFilters:
    """Catalogue filters from keywords: ``category="training"``, ``donor="GB"``,
    ``status=["published", "in_implementation"]``, ``since="2026-01-01"``, ``tlp_max="GREEN"``."""
    f = CatalogueFilters()
    for name, value in filters.items():
        if name in _LIST_FILTERS:
            setattr(
                f,
                name,
                [v.upper() for v in _as_list(value)] if name == "recipient" else _as_list(value),
            )
        elif name in ("since", "until"):
            setattr(f, name, _as_date(value))
        elif name in ("donor", "tlp_max"):
            setattr(f, name, str(value).upper() if value else None)
        else:
            raise TypeError(f"unknown filter {name!r}")
    return f


def user_for(role: str | None = None, email: str | None = None):
    """The user ``email``, or the first active user whose organisation kind is ``role``."""
    from tmdesk.core.models import Organisation, User

    if email:
        user = User.get_or_none(User.email == email.strip().lower())
        if user is None:
            raise LookupError(f"no user {email} in the test data")
        return user
    user = (
        User.select(User, Organisation)
        .join(Organisation)
        .where((Organisation.kind == (role or "project_office")) & User.active)
        .order_by(User.is_admin.desc(), User.id)
        .first()
    )
    if user is None:
        raise LookupError(f"no active user with the role {role!r} in the test data")
    return user


def make_context(
    role: str | None = "project_office",
    *,
    as_email: str | None = None,
    locale: str = "en",
    **filters: Any,
) -> ReportContext:
    """A report context from the open database, as a user of ``role`` (or ``as_email``).

    Call it inside :func:`demo_database` (or with your own database open).
    ``filters`` are those of :func:`make_filters`.
    """
    return build_context(user_for(role, as_email), make_filters(**filters), locale)


def render(
    format_name: str,
    context: ReportContext,
    options: dict[str, str] | None = None,
    plugins: Iterable[ModuleType | object] = (),
    data_dir: Path | None = None,
) -> bytes:
    """Render ``format_name`` for ``context`` through a real plugin manager; the bytes.

    ``plugins`` are registered after the built-ins (your plugin, loaded from
    source). Raises :class:`~tmdesk.plugins.manager.ReportError` as the app would.
    """
    from tmdesk.plugins.manager import make_plugin_manager, render_report

    pm = make_plugin_manager(data_dir, extra_plugins=plugins)
    with tempfile.TemporaryDirectory(prefix="tmdesk-render-") as tmp:
        out = Path(tmp) / f"report.{format_name}"
        render_report(pm, format_name, context, options, out)
        return out.read_bytes()


def render_with_demo(
    format_name: str,
    *,
    role: str | None = "project_office",
    as_email: str | None = None,
    locale: str = "en",
    options: dict[str, str] | None = None,
    plugins: Iterable[ModuleType | object] = (),
    **filters: Any,
) -> bytes:
    """Render ``format_name`` against the demo data as ``role`` (or ``as_email``).

    ``filters`` as for :func:`make_filters`, e.g. ``donor="EE"``. Returns the
    file's bytes.
    """
    with demo_database():
        context = make_context(role, as_email=as_email, locale=locale, **filters)
    return render(format_name, context, options, plugins)


# --- the fallback fixture -----------------------------------------------------------------

FIXTURE_ORGS = (
    # code, kind, country, name_en, name_uk
    (
        "SSSCIP",
        "recipient",
        "UA",
        "State Service of Special Communications",
        "Державна служба спеціального зв'язку та захисту інформації",
    ),
    (
        "MDT",
        "recipient",
        "UA",
        "Ministry of Digital Transformation",
        "Міністерство цифрової трансформації",
    ),
    ("BACKOFFICE", "back_office", "PL", "Tallinn Mechanism Back Office", ""),
    (
        "TMPO",
        "project_office",
        "UA",
        "Tallinn Mechanism Project Office",
        "Проєктний офіс Таллінського механізму",
    ),
    ("GB", "donor", "GB", "United Kingdom", "Сполучене Королівство"),
    ("EE", "donor", "EE", "Estonia", "Естонія"),
    ("EU", "observer", "BE", "European Union", "Європейський Союз"),
    ("CYBERCO", "company", "UA", "CyberCo LLC", "ТОВ «КіберКо»"),
)

FIXTURE_PROJECTS = (
    # owner, title_en, title_uk, category, oblast, budget, currency, tlp, pledges
    (
        "SSSCIP",
        "SOC analyst training",
        "Навчання аналітиків SOC",
        "training",
        "UA-30",
        "120000",
        "EUR",
        "GREEN",
        (("GB", "80000", "EUR", True), ("EE", "20000", "EUR", False)),
    ),
    (
        "SSSCIP",
        "Incident response kits",
        "Набори реагування на інциденти",
        "incident-response",
        "UA-46",
        "250000",
        "USD",
        "AMBER",
        (("GB", "100000", "GBP", True),),
    ),
    (
        "MDT",
        "Security audit of e-services",
        "Аудит безпеки електронних послуг",
        "assessment",
        "UA",
        "90000",
        "EUR",
        "CLEAR",
        (("EE", "90000", "EUR", True),),
    ),
    (
        "MDT",
        "Starlink terminals for hromadas",
        "Термінали Starlink для громад",
        "connectivity",
        "UA-63",
        "400000",
        "EUR",
        "AMBER+STRICT",
        (),
    ),
    (
        "SSSCIP",
        "Threat detection sensors",
        "Сенсори виявлення загроз",
        "detection",
        "UA-12",
        "300000",
        "UAH",
        "GREEN",
        (),
    ),
)


def load_fixture_data() -> None:
    """A small, realistic data set made through the core services (open database)."""
    from tmdesk.core import accounts, offers, pledges, projects
    from tmdesk.core.models import User

    for code, kind, country, name_en, name_uk in FIXTURE_ORGS:
        accounts.create_organisation(
            None,
            {
                "code": code,
                "kind": kind,
                "country": country,
                "name_en": name_en,
                "name_uk": name_uk,
            },
        )
        accounts.create_user(
            None,
            f"{code.lower()}@fixture.example",
            code,
            FIXTURE_PASSWORD,
            name=f"{name_en} officer",
            is_admin=(code == "TMPO"),
        )

    def user(code: str) -> User:
        return User.get(User.email == f"{code.lower()}@fixture.example")

    officer = user("BACKOFFICE")
    for owner, title_en, title_uk, category, oblast, budget, currency, tlp, pls in FIXTURE_PROJECTS:
        project = projects.create_draft(
            user(owner),
            {
                "title_en": title_en,
                "title_uk": title_uk,
                "category": category,
                "oblast": oblast,
                "budget_amount": budget,
                "budget_currency": currency,
                "tlp": tlp,
                "priority": "high",
                "planned_start": "2026-03-01",
                "planned_end": "2026-12-31",
                "summary_en": f"{title_en} for {owner}.",
                "summary_uk": f"{title_uk}.",
            },
        )
        projects.transition(user(owner), project, "submit")
        projects.transition(officer, project, "publish")
        for donor, amount, pl_currency, confirm in pls:
            pledge = pledges.create_pledge(
                officer,
                project,
                {"amount": amount, "currency": pl_currency, "date": "2026-02-01"},
                donor_code=donor,
            )
            if confirm:
                pledges.transition_pledge(officer, pledge, "confirm")
        if category == "incident-response":
            offers.create_engagement(officer, project, "CYBERCO", {"role": "Implementer"})
    # One draft that only its recipient sees.
    projects.create_draft(
        user("MDT"),
        {
            "title_en": "Draft: backup data centre",
            "title_uk": "Чернетка: резервний ЦОД",
            "category": "equipment",
            "budget_amount": "1000000",
            "budget_currency": "EUR",
            "tlp": "AMBER",
        },
    )
    offers.create_offer(
        user("GB"),
        {
            "category": "training",
            "description": "SOC analyst training for 40 people",
            "quantity": "40",
        },
    )
