"""Access control, proven on every route (issue 5).

``ACCESS`` is the policy: for every URL rule of the app (from
``app.url_map.iter_rules()``, pages and API alike), which roles may use each
of its methods. A route that is not in the table fails
:func:`test_every_route_has_a_policy`: add it to ``ACCESS``.

What "may" means, checked for every role (and anonymous):

* GET: allowed roles get the page (a status below 400, never the login
  page); the others get 403 or 404; anonymous visitors are sent to /login
  (401 JSON on /api). No GET ever changes a row of any table.
* POST / PATCH with a valid payload: allowed roles change something (the
  rows of the database differ afterwards); for the others nothing changes
  and the answer is a refusal (403/404, a 4xx, or a redirect with a message).

Project-scoped routes are then checked across every TLP label and workflow
state against :func:`tmdesk.core.visibility.can_see`: a user who may not see
the project gets 404 (never 403, never 200) and never its title or reference.
Lists, the API and every report format never show a hidden project either.
"""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import csrf_token
from tests.security_world import (
    LOGGED_IN,
    ORGS,
    PASSWORD,
    PENDING_SHA256,
    ROLES,
    STATES,
    TLPS,
    World,
    email,
    fast_sync,
    fingerprint,
    marker,
    restore,
    snapshot,
    world_in,
)
from tmdesk.core.db import database
from tmdesk.core.models import (
    Document,
    Engagement,
    OfferLink,
    Pledge,
    Project,
    ProjectLink,
    User,
)
from tmdesk.core.visibility import can_see


def _confirmed_transaction(world: World) -> str:
    """The commitment recorded when the other donor's pledge was confirmed (its uid)."""
    from tmdesk.core.models import Transaction

    return Transaction.get(Transaction.pledge == world.ids["pledge_confirmed"]).uid


PUBLIC = frozenset(ROLES)
ALL = frozenset(LOGGED_IN)
OFFICERS = frozenset({"back_office", "project_office", "admin"})
ADMIN = frozenset({"admin"})
RECIPIENTS = frozenset({"recipient", "recipient_other"})
OWNER = frozenset({"recipient"})
DONOR = frozenset({"donor"})
OFFERERS = OFFICERS | {"donor", "company", "company_other"}
NOBODY: frozenset[str] = frozenset()


@dataclass
class Rule:
    """The policy of one URL rule."""

    who: dict[str, frozenset[str]]  # method → roles allowed
    args: Callable[[World], dict[str, Any]] = lambda w: {}
    data: Callable[[World, str], dict[str, Any]] = lambda w, role: {}
    query: dict[str, str] = field(default_factory=dict)
    #: "state": an allowed POST changes rows; "status": it only answers < 400.
    effect: str = "state"
    #: How a project of the visibility matrix fills this rule's URL (None: not scoped).
    scope: str | None = None
    #: Answers 404 in these tests (desktop mode only; see tests/system/test_desktop.py).
    absent: bool = False
    files: bool = False
    #: Sending even allowed users to /login is right (logging out; setup once closed).
    to_login_ok: bool = False
    #: A refused password is recorded (audit event, the account's failure count).
    refusal_recorded: bool = False
    #: Authenticated by a linked desk's token only: a browser session is refused with 401.
    desk_token_only: bool = False
    #: Succeeds only with a real office or a signed exchange file (tests/test_sync_*);
    #: here an allowed role is told why it could not be done (400), nothing saved.
    needs_office: bool = False


def _new_key_form() -> dict[str, str]:
    """The Trust a key form for a new installation's key, with its right fingerprint."""
    from nacl.public import PrivateKey
    from nacl.signing import SigningKey

    from tmdesk.exchange.keys import PublicKeys

    key = PublicKeys(
        sign=bytes(SigningKey.generate().verify_key), box=bytes(PrivateKey.generate().public_key)
    )
    return {"public_key": key.text, "fingerprint": key.fingerprint, "role": "office"}


def _pub(w: World) -> dict[str, Any]:
    return {"ref": w.refs["pub"]}


PROJECT_FORM = {
    "title_en": "New water utility SOC",
    "summary_en": "A SOC.",
    "category": "training",
    "budget_amount": "2000",
    "budget_currency": "EUR",
    "tlp": "GREEN",
    "priority": "high",
    "oblast": "UA",
}


def _offer_org(role: str) -> str:
    return ORGS[role][0] if role in ("donor", "company", "company_other") else "GB"


def _old(
    key: str, arg: str, who: frozenset[str], scope: str | None = None, ref: str | None = None
) -> Rule:
    """An old address by sequential id: GET only, for whoever may see the record."""

    def args(w: World) -> dict[str, Any]:
        return {arg: w.ids[key], **({"ref": w.refs[ref]} if ref else {})}

    return Rule({"GET": who}, args=args, scope=scope)


ACCESS: dict[str, Rule] = {
    # --- public: login, first-run setup, health, static files, desktop launch
    "/login": Rule(
        {"GET": PUBLIC, "POST": PUBLIC},
        effect="status",
        refusal_recorded=True,
        data=lambda w, r: {"email": email("donor"), "password": PASSWORD},
    ),
    "/logout": Rule({"POST": PUBLIC}, effect="status", to_login_ok=True),
    "/language": Rule(
        {"POST": PUBLIC}, effect="status", data=lambda w, r: {"lang": "en", "next": "/"}
    ),
    "/setup": Rule(
        {"GET": PUBLIC, "POST": PUBLIC},
        effect="status",  # closed: admin exists
        to_login_ok=True,
    ),
    "/healthz": Rule({"GET": PUBLIC}),
    "/static/<path:filename>": Rule({"GET": PUBLIC}, args=lambda w: {"filename": "tmdesk.css"}),
    "/desktop/launch": Rule({"GET": PUBLIC}, absent=True),
    "/desktop/quit": Rule({"POST": PUBLIC}, absent=True, effect="status"),
    # --- every account
    "/": Rule({"GET": ALL}),
    "/catalogue": Rule({"GET": ALL}),
    "/dashboard": Rule({"GET": ALL}),
    "/search": Rule({"GET": ALL}, query={"q": "grid"}),
    "/confirm": Rule(
        {"GET": ALL, "POST": ALL},
        effect="status",
        refusal_recorded=True,
        data=lambda w, r: {"password": PASSWORD},
    ),
    "/profile": Rule(
        {"GET": ALL, "POST": ALL},
        data=lambda w, r: {"tok-name": "laptop", "tok-expires_days": "30", "tok-scope": "read"},
    ),
    "/profile/tokens/<int:token_id>/revoke": Rule(
        {"POST": DONOR}, args=lambda w: {"token_id": w.ids["donor_token"]}
    ),
    "/profile/tokens/<int:token_id>/renew": Rule(
        {"POST": DONOR}, args=lambda w: {"token_id": w.ids["donor_token"]}
    ),
    "/reports": Rule({"GET": ALL}),
    "/reports/": Rule({"GET": ALL}),
    "/reports/<name>": Rule(
        {"GET": ALL, "POST": ALL},
        args=lambda w: {"name": "csv"},
        data=lambda w, r: {"lang": "en", "opt_delimiter": "comma"},
        effect="status",
    ),
    # An organisation's saved settings for a format: whoever may use the format (iati).
    "/reports/<name>/settings": Rule(
        {"POST": DONOR | OFFICERS},
        args=lambda w: {"name": "iati"},
        data=lambda w, r: {"settings-set_max_tlp": "CLEAR"},
    ),
    "/reports/plugins": Rule({"GET": ADMIN}),
    "/reports/plugins/approve": Rule(
        {"POST": ADMIN}, data=lambda w, r: {"file_name": "pending.py", "sha256": PENDING_SHA256}
    ),
    "/reports/plugins/revoke": Rule(
        {"POST": ADMIN}, data=lambda w, r: {"file_name": "approved.py"}
    ),
    # Loading the plugins again changes what runs, not the database.
    "/reports/plugins/reload": Rule({"POST": ADMIN}, effect="status"),
    # --- projects
    "/projects/new": Rule({"GET": RECIPIENTS, "POST": RECIPIENTS}, data=lambda w, r: PROJECT_FORM),
    "/projects/<ref>": Rule({"GET": ALL}, args=_pub, scope="project"),
    "/projects/<ref>/edit": Rule(
        {"GET": OWNER, "POST": OWNER},
        args=lambda w: {"ref": w.refs["draft"]},
        data=lambda w, r: PROJECT_FORM,
        scope="project",
    ),
    "/projects/<ref>/transition": Rule(
        {"POST": OWNER | OFFICERS},
        args=_pub,
        scope="project",
        data=lambda w, r: {"action": "start"},
    ),
    "/projects/<ref>/steps/<action>": Rule(
        {"GET": OWNER | OFFICERS},
        args=lambda w: {"ref": w.refs["pub"], "action": "withdraw"},
        scope="project+step",
    ),
    "/projects/<ref>/members": Rule(
        {"POST": OWNER | OFFICERS},
        args=_pub,
        scope="project",
        data=lambda w, r: {"members": email("recipient")},
    ),
    "/projects/<ref>/updates": Rule(
        {"POST": OWNER | OFFICERS | {"company"}},
        args=_pub,
        scope="project",
        data=lambda w, r: {"title": "Week 2", "date": "2026-03-01", "body": "More done."},
    ),
    "/projects/<ref>/documents": Rule(
        {"POST": OWNER | OFFICERS}, args=_pub, scope="project", files=True
    ),
    "/documents/<uid:doc_id>": Rule(
        {"GET": ALL}, args=lambda w: {"doc_id": w.uids["doc"]}, scope="document"
    ),
    "/review": Rule({"GET": OFFICERS}),
    # --- pledges
    "/pledges": Rule({"GET": DONOR | OFFICERS}),
    "/projects/<ref>/pledges/new": Rule(
        {"GET": DONOR | OFFICERS, "POST": DONOR | OFFICERS},
        args=_pub,
        scope="project",
        data=lambda w, r: {"amount": "100", "currency": "EUR", "date": "2026-03-01", "donor": "GB"},
    ),
    "/pledges/<uid:pledge_id>/edit": Rule(
        {"GET": DONOR | OFFICERS, "POST": DONOR | OFFICERS},
        args=lambda w: {"pledge_id": w.uids["pledge"]},
        scope="pledge",
        data=lambda w, r: {"amount": "1500", "currency": "EUR", "date": "2026-01-10"},
    ),
    # A donor's own fields: that donor and the offices only.
    "/pledges/<uid:pledge_id>/fields": Rule(
        {"GET": DONOR | OFFICERS, "POST": DONOR | OFFICERS},
        args=lambda w: {"pledge_id": w.uids["pledge"]},
        scope="pledge",
        data=lambda w, r: {"f_crs_id": "2026000123"},
    ),
    "/pledges/<uid:pledge_id>/transition": Rule(
        {"POST": DONOR | OFFICERS},
        args=lambda w: {"pledge_id": w.uids["pledge"]},
        scope="pledge",
        data=lambda w, r: {"action": "withdraw"},
    ),
    "/pledges/<uid:pledge_id>": Rule(
        {"GET": ALL}, args=lambda w: {"pledge_id": w.uids["pledge"]}, scope="pledge"
    ),
    # The form opens for whoever may record some kind on the pledge: the donor and the
    # offices (commitments, disbursements), the recipient (incoming commitments) and
    # the engaged company (expenditures); a commitment is the donor's or the offices'.
    "/pledges/<uid:pledge_id>/transactions/new": Rule(
        {"GET": DONOR | OFFICERS | OWNER | {"company"}, "POST": DONOR | OFFICERS},
        args=lambda w: {"pledge_id": w.uids["pledge"]},
        scope="pledge",
        data=lambda w, r: {
            "kind": "commitment",
            "amount": "100",
            "currency": "EUR",
            "value_date": "2026-02-01",
        },
    ),
    # A text file is no IATI file: refused (400) for everyone; a real file is
    # tested in tests/plugins/test_iati_import.py.
    "/pledges/import-iati": Rule(
        {"GET": DONOR | OFFICERS | {"donor_other"}, "POST": NOBODY}, files=True
    ),
    "/transactions/<uid:transaction_id>/delete": Rule(
        {"POST": OFFICERS | {"donor_other"}},
        args=lambda w: {"transaction_id": _confirmed_transaction(w)},
    ),
    # --- offers, links, engagements
    "/offers": Rule({"GET": OFFERERS}),
    "/offers/new": Rule(
        {"GET": OFFERERS, "POST": OFFERERS},
        data=lambda w, r: {
            "category": "training",
            "description": "More training",
            "status": "open",
            "organisation": _offer_org(r),
        },
    ),
    "/offers/<uid:offer_id>": Rule(
        {"GET": DONOR | OFFICERS}, args=lambda w: {"offer_id": w.uids["donor_offer"]}
    ),
    "/offers/<uid:offer_id>/edit": Rule(
        {"GET": DONOR | OFFICERS, "POST": DONOR | OFFICERS},
        args=lambda w: {"offer_id": w.uids["donor_offer"]},
        data=lambda w, r: {"category": "training", "description": "Edited", "status": "open"},
    ),
    "/offers/<uid:offer_id>/links": Rule(
        {"POST": OFFICERS},
        args=lambda w: {"offer_id": w.uids["donor_offer"]},
        data=lambda w, r: {"ref": w.refs["pub2"], "note": ""},
    ),
    "/offers/<uid:offer_id>/matches": Rule(
        {"GET": DONOR | OFFICERS}, args=lambda w: {"offer_id": w.uids["donor_offer"]}
    ),
    "/offers/<uid:offer_id>/matches/<ref>/propose": Rule(
        {"GET": OFFICERS, "POST": OFFICERS},
        scope="offer+project",
        args=lambda w: {"offer_id": w.uids["donor_offer"], "ref": w.refs["pub2"]},
        data=lambda w, r: {"amount": "100", "currency": "EUR", "acknowledge": "y"},
    ),
    "/duplicate-decisions/<uid:link_id>/undo": Rule(
        # The world's decision is "related": officers are told it cannot be undone.
        {"POST": OFFICERS},
        effect="status",
        scope="decision",
        args=lambda w: {"link_id": w.uids["decision"]},
        data=lambda w, r: {"confirmed": "yes"},
    ),
    "/notifications": Rule({"GET": ALL}),
    "/notifications/read": Rule({"POST": ALL}, effect="status"),
    "/projects/<ref>/offer-links": Rule(
        {"POST": OFFICERS},
        args=_pub,
        scope="project",
        data=lambda w, r: {"olink-offer": w.uids["company_offer"], "olink-note": ""},
    ),
    "/offer-links/<uid:link_id>/delete": Rule(
        {"POST": OFFICERS}, scope="link", args=lambda w: {"link_id": w.uids["link"]}
    ),
    "/projects/<ref>/engagements/new": Rule({"GET": OFFICERS}, args=_pub, scope="project"),
    "/projects/<ref>/engagements": Rule(
        {"POST": OFFICERS},
        args=_pub,
        scope="project",
        data=lambda w, r: {"eng-company": "SECURA", "eng-role": "Training provider"},
    ),
    "/engagements/<uid:engagement_id>/edit": Rule(
        {"GET": OFFICERS, "POST": OFFICERS},
        scope="engagement",
        args=lambda w: {"engagement_id": w.uids["engagement"]},
        data=lambda w, r: {"eng-role": "Changed role"},
    ),
    "/engagements/<uid:engagement_id>/delete": Rule(
        {"POST": OFFICERS},
        scope="engagement",
        args=lambda w: {"engagement_id": w.uids["engagement"]},
    ),
    # --- coordination
    "/projects/<ref>/duplicate-decisions": Rule(
        {"POST": OFFICERS},
        args=_pub,
        scope="project",
        data=lambda w, r: {"other": w.refs["pub2"], "kind": "related", "note": ""},
    ),
    # --- administration
    "/admin/": Rule({"GET": ADMIN}),
    "/admin/audit": Rule({"GET": ADMIN}),
    "/admin/organisations": Rule({"GET": ADMIN}),
    "/admin/organisations/new": Rule(
        {"GET": ADMIN, "POST": ADMIN},
        data=lambda w, r: {"code": "FR", "kind": "donor", "country": "FR", "name_en": "France"},
    ),
    "/admin/organisations/<int:org_id>/edit": Rule(
        {"GET": ADMIN, "POST": ADMIN},
        args=lambda w: {"org_id": w.ids["org_donor"]},
        data=lambda w, r: {"kind": "donor", "country": "GB", "name_en": "The UK"},
    ),
    "/admin/rates": Rule({"GET": ADMIN}),
    "/admin/backups": Rule({"GET": ADMIN}),
    "/admin/keys": Rule({"GET": ADMIN}),
    # A fresh key each time, so every allowed POST pins one.
    "/admin/keys/trust": Rule({"GET": ADMIN, "POST": ADMIN}, data=lambda w, r: _new_key_form()),
    "/admin/keys/<fingerprint>/revoke": Rule(
        {"POST": ADMIN}, args=lambda w: {"fingerprint": w.refs["trusted_key"]}
    ),
    # An allowed POST writes a backup file and its audit event ("backup").
    "/admin/backups/now": Rule({"POST": ADMIN}),
    "/admin/rates/<currency>": Rule(
        {"GET": ADMIN, "POST": ADMIN},
        args=lambda w: {"currency": "USD"},
        data=lambda w, r: {"rate": "0.91"},
    ),
    "/admin/users": Rule({"GET": ADMIN}),
    "/admin/approvals": Rule({"GET": ADMIN}),
    "/admin/approvals/<int:change_id>/approve": Rule(
        {"POST": ADMIN}, args=lambda w: {"change_id": w.ids["account_change"]}
    ),
    "/admin/approvals/<int:change_id>/refuse": Rule(
        {"POST": ADMIN}, args=lambda w: {"change_id": w.ids["account_change"]}
    ),
    "/admin/desks": Rule({"GET": ADMIN}),
    "/admin/desks/<int:desk_id>/revoke": Rule(
        {"POST": ADMIN}, args=lambda w: {"desk_id": w.ids["desk_link"]}
    ),
    "/admin/users/new": Rule(
        {"GET": ADMIN, "POST": ADMIN},
        data=lambda w, r: {
            "email": "new.person@example.org",
            "organisation": "GB",
            "name": "New",
            "password": "a brand new passphrase",
        },
    ),
    "/admin/users/<int:user_id>/edit": Rule(
        {"GET": ADMIN, "POST": ADMIN},
        args=lambda w: {"user_id": w.ids["donor_other_user"]},
        data=lambda w, r: {"name": "Renamed", "organisation": "GB"},
    ),
    "/admin/users/<int:user_id>/deactivate": Rule(
        {"POST": ADMIN}, args=lambda w: {"user_id": w.ids["donor_other_user"]}
    ),
    "/admin/users/<int:user_id>/reactivate": Rule(
        {"POST": ADMIN}, args=lambda w: {"user_id": w.ids["donor_other_user"]}
    ),
    "/admin/users/<int:user_id>/password": Rule(
        {"GET": ADMIN, "POST": ADMIN},
        args=lambda w: {"user_id": w.ids["donor_other_user"]},
        data=lambda w, r: {"password": "another fine passphrase"},
    ),
    # --- the JSON API (bearer token; never the session cookie)
    "/api/v1/me": Rule({"GET": ALL}),
    "/api/v1/projects": Rule(
        {"GET": ALL, "POST": RECIPIENTS},
        data=lambda w, r: {
            "title": {"en": "API project"},
            "summary": {"en": "Made by the API."},
            "category": "training",
            "budget": {"amount": "1000", "currency": "EUR"},
            "tlp": "GREEN",
            "priority": "high",
        },
    ),
    "/api/v1/projects/<ref>": Rule(
        {"GET": OWNER, "PATCH": OWNER},
        scope="project",
        args=lambda w: {"ref": w.refs["draft"]},
        data=lambda w, r: {"title": {"en": "Renamed"}},
    ),
    "/api/v1/projects/<ref>/transitions": Rule(
        {"POST": OWNER | OFFICERS},
        args=_pub,
        scope="project",
        data=lambda w, r: {"action": "start"},
    ),
    "/api/v1/projects/<ref>/pledges": Rule(
        {"GET": ALL, "POST": DONOR | OFFICERS},
        args=_pub,
        scope="project",
        data=lambda w, r: {"amount": "100", "currency": "EUR", "date": "2026-03-01", "donor": "GB"},
    ),
    "/api/v1/pledges/<uid:pledge_id>": Rule(
        {"GET": ALL}, scope="pledge", args=lambda w: {"pledge_id": w.uids["pledge"]}
    ),
    "/api/v1/pledges/<uid:pledge_id>/fields": Rule(
        {"GET": DONOR | OFFICERS, "PUT": DONOR | OFFICERS},
        scope="pledge",
        args=lambda w: {"pledge_id": w.uids["pledge"]},
        data=lambda w, r: {"fields": {"crs_id": "2026000123"}},
    ),
    "/api/v1/pledges/<uid:pledge_id>/transactions": Rule(
        {"GET": ALL, "POST": DONOR | OFFICERS},
        scope="pledge",
        args=lambda w: {"pledge_id": w.uids["pledge"]},
        data=lambda w, r: {"kind": "commitment", "amount": "100", "value_date": "2026-02-01"},
    ),
    "/api/v1/pledges/<uid:pledge_id>/transitions": Rule(
        {"POST": DONOR | OFFICERS},
        scope="pledge",
        args=lambda w: {"pledge_id": w.uids["pledge"]},
        data=lambda w, r: {"action": "withdraw"},
    ),
    "/api/v1/offers": Rule(
        {"GET": ALL, "POST": OFFERERS},
        data=lambda w, r: {
            "category": "training",
            "description": "API offer",
            "organisation": _offer_org(r),
        },
    ),
    "/api/v1/offers/<uid:offer_id>": Rule(
        {"GET": DONOR | OFFICERS}, args=lambda w: {"offer_id": w.uids["donor_offer"]}
    ),
    "/api/v1/offers/<uid:offer_id>/matches": Rule(
        {"GET": DONOR | OFFICERS}, args=lambda w: {"offer_id": w.uids["donor_offer"]}
    ),
    "/api/v1/offers/<uid:offer_id>/matches/<ref>/pledge": Rule(
        {"POST": OFFICERS},
        scope="offer+project",
        args=lambda w: {"offer_id": w.uids["donor_offer"], "ref": w.refs["pub2"]},
    ),
    "/api/v1/organisations": Rule({"GET": ALL}),
    "/api/v1/projects/<ref>/similar": Rule({"GET": OWNER | OFFICERS}, args=_pub, scope="project"),
    "/api/v1/projects/<ref>/offers": Rule({"GET": OFFICERS}, args=_pub, scope="project"),
    "/api/v1/projects/<ref>/links": Rule(
        {"POST": OFFICERS},
        args=_pub,
        scope="project",
        data=lambda w, r: {"other": w.refs["pub2"], "kind": "related"},
    ),
    "/api/v1/search": Rule({"GET": ALL}, query={"q": "grid"}),
    # --- the office's sync API: a linked desk's bearer token only (tests/test_sync_*)
    "/api/v1/sync/link": Rule(  # a person's office e-mail and password link their desk
        {"POST": PUBLIC},
        effect="status",
        refusal_recorded=True,
        data=lambda w, r: {"email": email("donor"), "password": PASSWORD, "desk": "laptop"},
    ),
    "/api/v1/sync/pull": Rule({"GET": NOBODY}, desk_token_only=True),
    "/api/v1/sync/push": Rule({"POST": NOBODY}, desk_token_only=True),
    "/api/v1/sync/blobs/<sha256>": Rule(
        {"PUT": NOBODY}, desk_token_only=True, args=lambda w: {"sha256": "a" * 64}
    ),
    "/api/v1/sync/documents/<uid>": Rule(
        {"GET": NOBODY},
        desk_token_only=True,
        args=lambda w: {"uid": w.uids["doc"]},
    ),
    # --- a desk's side of the exchange (this test app is a desk never linked)
    "/office": Rule(
        {"GET": ADMIN, "POST": ADMIN},
        needs_office=True,
        data=lambda w, r: {"url": "http://127.0.0.1:9/", "email": email(r), "password": "x"},
    ),
    "/office/sync": Rule({"POST": NOBODY}),  # 404 on a desk never linked
    "/office/refused": Rule({"GET": ALL}),
    "/office/refused/<int:action_id>/redo": Rule(
        {"POST": NOBODY},
        args=lambda w: {"action_id": 1},  # only one's own refused actions
    ),
    "/office/refused/<int:action_id>/discard": Rule(
        {"POST": NOBODY}, args=lambda w: {"action_id": 1}
    ),
    "/office/import": Rule({"GET": ADMIN, "POST": ADMIN}, needs_office=True, files=True),
    "/api/v1/dashboard": Rule({"GET": ALL}),
    # --- old addresses by sequential id (issue 12): a GET moves (301 pages, 308 API) to
    # the uid address for whoever may see the record, whatever the new page then says.
    "/pledges/<int:pledge_id>": _old("pledge", "pledge_id", ALL, "pledge"),
    "/pledges/<int:pledge_id>/edit": _old("pledge", "pledge_id", ALL, "pledge"),
    "/pledges/<int:pledge_id>/fields": _old("pledge", "pledge_id", ALL, "pledge"),
    "/pledges/<int:pledge_id>/transactions/new": _old("pledge", "pledge_id", ALL, "pledge"),
    "/offers/<int:offer_id>": _old("donor_offer", "offer_id", DONOR | OFFICERS),
    "/offers/<int:offer_id>/edit": _old("donor_offer", "offer_id", DONOR | OFFICERS),
    "/offers/<int:offer_id>/matches": _old("donor_offer", "offer_id", DONOR | OFFICERS),
    "/offers/<int:offer_id>/matches/<ref>/propose": _old(
        "donor_offer", "offer_id", DONOR | OFFICERS, "offer+project", ref="pub2"
    ),
    "/engagements/<int:engagement_id>/edit": _old("engagement", "engagement_id", ALL, "engagement"),
    "/documents/<int:doc_id>": _old("doc", "doc_id", ALL, "document"),
    "/api/v1/pledges/<int:pledge_id>": _old("pledge", "pledge_id", ALL, "pledge"),
    "/api/v1/pledges/<int:pledge_id>/fields": _old("pledge", "pledge_id", ALL, "pledge"),
    "/api/v1/pledges/<int:pledge_id>/transactions": _old("pledge", "pledge_id", ALL, "pledge"),
    "/api/v1/offers/<int:offer_id>": _old("donor_offer", "offer_id", DONOR | OFFICERS),
    "/api/v1/offers/<int:offer_id>/matches": _old("donor_offer", "offer_id", DONOR | OFFICERS),
}

STATE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


# --- fixtures and helpers -----------------------------------------------------------


@pytest.fixture
def world(data_dir) -> World:
    return world_in(data_dir)


@pytest.fixture
def wapp(data_dir, world):
    from tmdesk.web import create_app

    database.close()
    app = create_app(data_dir, {"TESTING": True})
    fast_sync()
    database.connect(reuse_if_open=True)
    return app


def app_rules(app) -> dict[str, set[str]]:
    """URL rule → the methods it answers (HEAD and OPTIONS are Flask's own)."""
    rules: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.rule, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    return rules


def build_url(rule: str, args: dict[str, Any], query: dict[str, str] | None = None) -> str:
    def fill(match: re.Match) -> str:
        return str(args[match.group(1)])

    url = re.sub(r"<(?:[a-z]+:)?([a-z_0-9]+)>", fill, rule)
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def is_api(url: str) -> bool:
    return url.startswith("/api/")


class Caller:
    """Test clients logged in as each role, and a way to send any method with a payload."""

    def __init__(self, app, world: World):
        self.app, self.world = app, world
        self.clients: dict[str, Any] = {}
        self.tokens: dict[str, str] = {}

    def client(self, role: str):
        if role not in self.clients:
            client = self.app.test_client()
            if role != "anonymous":
                response = client.post(
                    "/login",
                    data={
                        "email": email(role),
                        "password": PASSWORD,
                        "csrf_token": csrf_token(client, "/login"),
                    },
                )
                assert response.status_code == 302, role
            self.tokens[role] = csrf_token(client, "/login" if role == "anonymous" else "/confirm")
            self.clients[role] = client
        return self.clients[role]

    def send(
        self,
        role: str,
        method: str,
        url: str,
        data: dict[str, Any] | None = None,
        files: bool = False,
        with_csrf: bool = True,
    ):
        client = self.client(role)
        kwargs: dict[str, Any] = {}
        if is_api(url):
            if role != "anonymous":
                kwargs["headers"] = {"Authorization": f"Bearer {self.world.tokens[role]}"}
            if method in STATE_METHODS:
                kwargs["json"] = data or {}
        elif method in STATE_METHODS:
            form = dict(data or {})
            if with_csrf:
                form["csrf_token"] = self.tokens[role]
                for key in list(form):  # prefixed forms carry a prefixed token
                    if "-" in key:
                        form[key.split("-", 1)[0] + "-csrf_token"] = self.tokens[role]
            if files:
                form["file"] = (io.BytesIO(b"minutes of the meeting\n"), "minutes.txt")
            kwargs["data"] = form
            kwargs["content_type"] = "multipart/form-data"
        return client.open(url, method=method, **kwargs)


def goes_to_login(response) -> bool:
    return response.status_code in (301, 302, 303) and "/login" in response.location


# --- the table covers the app -----------------------------------------------------------


def test_every_route_has_a_policy(wapp):
    rules = app_rules(wapp)
    missing = sorted(set(rules) - set(ACCESS))
    assert not missing, f"add these routes to ACCESS in {__file__}: {missing}"
    stale = sorted(set(ACCESS) - set(rules))
    assert not stale, f"ACCESS names routes the app no longer has: {stale}"
    for rule, methods in rules.items():
        assert set(ACCESS[rule].who) == methods, (
            f"{rule}: the app answers {sorted(methods)}, ACCESS says {sorted(ACCESS[rule].who)}"
        )


def test_the_test_app_enforces_csrf(wapp):
    """The fixture app has TESTING=True; CSRF must still be on (flask-wtf keys it on
    WTF_CSRF_ENABLED, not TESTING), or every CSRF check below would be hollow."""
    assert wapp.config.get("WTF_CSRF_ENABLED", True) is True
    assert wapp.config.get("WTF_CSRF_CHECK_DEFAULT", True) is True


# --- every route × every role ----------------------------------------------------------


@pytest.mark.parametrize("rule", sorted(ACCESS))
def test_route_access(rule, wapp, world, data_dir):
    policy = ACCESS[rule]
    caller = Caller(wapp, world)
    for role in ROLES:
        caller.client(role)
    blob = snapshot(data_dir)
    clean = fingerprint()
    url = build_url(rule, policy.args(world), policy.query)
    problems = []
    for method, allowed in policy.who.items():
        for role in ROLES:
            response = caller.send(role, method, url, policy.data(world, role), policy.files)
            changed = fingerprint() != clean
            if changed:
                restore(data_dir, blob)
            status = response.status_code
            got = f"{method} {url} as {role}: {status} changed={changed}"
            if status >= 500:
                problems.append(got + " (server error)")
            elif method == "GET" and changed:
                problems.append(got + " (a GET changed the database)")
            elif policy.absent:
                if status != 404 or changed:
                    problems.append(got + " (expected 404: desktop mode only)")
            elif role == "anonymous" and role not in allowed:
                expected = status == 401 if is_api(url) else goes_to_login(response)
                if not expected or changed:
                    problems.append(got + " (anonymous: expected the login page / 401)")
            elif role in allowed and policy.needs_office and status == 400:
                if changed:
                    problems.append(got + " (no office here: refused, yet something changed)")
            elif role in allowed:
                if status >= 400 or (goes_to_login(response) and not policy.to_login_ok):
                    problems.append(got + " (expected to be allowed)")
                elif method in STATE_METHODS and policy.effect == "state" and not changed:
                    problems.append(got + " (allowed, but nothing was saved)")
            else:
                refused = status in (302, 303, 400, 403, 404, 409, 422) or (
                    policy.desk_token_only and status == 401
                )
                if changed or not refused:
                    problems.append(got + " (expected to be refused, nothing saved)")
    assert not problems, "\n".join(problems)


# --- hidden projects: 404, whatever the label and the state ------------------------


@pytest.fixture
def matrix_world(data_dir) -> World:
    return world_in(data_dir, with_matrix=True)


@pytest.fixture
def matrix_app(data_dir, matrix_world):
    from tmdesk.web import create_app

    database.close()
    app = create_app(data_dir, {"TESTING": True})
    fast_sync()
    database.connect(reuse_if_open=True)
    return app


def scoped_args(scope: str, project: Project, world: World, rule: str = "") -> dict[str, Any]:
    """The URL arguments that point a ``scope`` rule at ``project`` (or what hangs off it):
    uids, or sequential ids for the old addresses (``<int:…>``)."""

    def key(row) -> int | str:
        return row.id if "<int:" in rule else row.uid

    if scope == "project":
        return {"ref": project.ref}
    if scope == "offer+project":
        offer = world.ids["donor_offer"] if "<int:" in rule else world.uids["donor_offer"]
        return {"offer_id": offer, "ref": project.ref}
    if scope == "pledge":
        return {"pledge_id": key(Pledge.get(Pledge.project == project.id))}
    if scope == "document":
        return {"doc_id": key(Document.get(Document.project == project.id))}
    if scope == "engagement":
        return {"engagement_id": key(Engagement.get(Engagement.project == project.id))}
    if scope == "link":
        return {"link_id": key(OfferLink.get(OfferLink.project == project.id))}
    if scope == "project+step":
        return {"ref": project.ref, "action": "withdraw"}
    if scope == "decision":
        # A decision pairing the project with the world's public one.
        pub = Project.get(Project.ref == world.refs["pub"])
        first, second = sorted((project.id, pub.id))
        link, _created = ProjectLink.get_or_create(
            project_a=first,
            project_b=second,
            defaults={
                "kind": "related",
                "created_by": User.get(User.email == email("back_office")),
            },
        )
        return {"link_id": key(link)}
    raise AssertionError(scope)


SCOPED = sorted(rule for rule, policy in ACCESS.items() if policy.scope)


def test_every_project_scoped_route_is_checked():
    """Every rule with a project (or something derived from one) in its URL has a scope."""
    for rule, policy in ACCESS.items():
        if re.search(r"<(ref|[a-z:]*(pledge|doc|engagement|link)_id)>", rule):
            assert policy.scope, f"{rule} needs a scope in ACCESS"


#: Checked for every (label, state) × every role; the other scoped rules get every
#: (label, state) with one role that may not see it, taking the roles in turn.
FULL_SWEEP = ("/projects/<ref>", "/api/v1/projects/<ref>")


@pytest.mark.parametrize("rule", SCOPED)
def test_hidden_project_answers_404(rule, matrix_app, matrix_world):
    """Not visible → 404, without the project's title or reference, nothing changed;
    visible → never 404 on a GET (the oracle is ``can_see``)."""
    policy = ACCESS[rule]
    caller = Caller(matrix_app, matrix_world)
    for role in LOGGED_IN:
        caller.client(role)
    problems = []
    checked_hidden = 0
    turn = 0
    for (tlp, state), ref in sorted(matrix_world.matrix.items()):
        project = Project.get(Project.ref == ref)
        url = build_url(rule, scoped_args(policy.scope, project, matrix_world, rule), policy.query)
        title = marker(tlp, state)
        seen_by = {role: matrix_world.visible[(ref, role)] for role in LOGGED_IN}
        if rule in FULL_SWEEP:
            cases = [
                (role, method)
                for role in LOGGED_IN
                for method in policy.who
                if not seen_by[role] or method == "GET"
            ]
        else:
            blind = [role for role in LOGGED_IN if not seen_by[role]]
            turn += 1
            cases = [(blind[turn % len(blind)], method) for method in policy.who] if blind else []
        for role, method in cases:
            visible = seen_by[role]
            before = fingerprint() if method != "GET" else None
            response = caller.send(role, method, url, policy.data(matrix_world, role), policy.files)
            # The page may repeat the address asked for (the language form's "next").
            body = response.get_data(as_text=True).replace(url, "")
            got = f"{method} {url} ({tlp}, {state}) as {role}: {response.status_code}"
            if not visible:
                checked_hidden += 1
                if response.status_code != 404:
                    problems.append(got + " (hidden: expected 404)")
                if title in body or ref in body:
                    problems.append(got + " (hidden project's title or reference shown)")
                if before is not None and fingerprint() != before:
                    problems.append(got + " (changed the database)")
            elif response.status_code == 404:
                problems.append(got + " (visible, yet 404)")
    assert checked_hidden >= len(TLPS) * 4, "the matrix hid too little to prove anything"
    assert not problems, "\n".join(problems[:60]) + f"\n({len(problems)} problems)"


def test_the_oracle_and_the_sweep(matrix_world):
    """The visibility worked out at build time is ``can_see`` here too, and every
    label and every state hides some project from someone (or the sweep is hollow)."""
    hidden_tlps, hidden_states = set(), set()
    for (tlp, state), ref in matrix_world.matrix.items():
        project = Project.get(Project.ref == ref)
        for role in LOGGED_IN:
            seen = can_see(User.get(User.email == email(role)), project)
            assert seen == matrix_world.visible[(ref, role)]
            if not seen:
                hidden_tlps.add(tlp)
                hidden_states.add(state)
    assert hidden_tlps == set(TLPS) and hidden_states == set(STATES)


def _hidden_and_visible(world: World, role: str) -> tuple[list[tuple[str, str]], list[str]]:
    hidden, visible = [], []
    for (tlp, state), ref in world.matrix.items():
        if world.visible[(ref, role)]:
            visible.append(ref)
        else:
            hidden.append((ref, marker(tlp, state)))
    return hidden, visible


LIST_PAGES = [
    "/",
    "/catalogue?per_page=100",
    "/catalogue?per_page=100&status=draft&status=submitted"
    "&status=returned&status=rejected&status=withdrawn&status=closed&status=delivered",
    "/dashboard",
    "/search?q=Marker",
    "/search?q=Zq",
    "/pledges",
    "/review",
    "/offers",
    "/api/v1/projects?per_page=100",
    "/api/v1/search?q=Marker&limit=100",
    "/api/v1/dashboard",
    "/api/v1/offers",
    "/admin/audit?entity_type=project",
]


@pytest.mark.parametrize("role", LOGGED_IN)
def test_lists_never_show_a_hidden_project(role, matrix_app, matrix_world):
    caller = Caller(matrix_app, matrix_world)
    hidden, _visible = _hidden_and_visible(matrix_world, role)
    offer = matrix_world.uids["donor_offer"]
    pages = LIST_PAGES + [
        f"/offers/{offer}",
        f"/offers/{offer}/matches",
        f"/api/v1/offers/{offer}",
        f"/api/v1/offers/{offer}/matches",
    ]
    problems = []
    for url in pages:
        response = caller.send(role, "GET", url)
        body = response.get_data(as_text=True)
        for ref, title in hidden:
            if ref in body or title in body:
                problems.append(f"{url} as {role} shows hidden {ref} ({title})")
    assert not problems, "\n".join(problems[:40])


# --- reports and exports -------------------------------------------------------------


def report_text(fmt: str, content: bytes, tmp_path: Path) -> str:
    """The text a person could read in a report file of format ``fmt``."""
    if fmt == "xlsx":
        import openpyxl

        path = tmp_path / "r.xlsx"
        path.write_bytes(content)
        book = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(
            str(cell)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for cell in row
            if cell is not None
        )
    if content.startswith(b"%PDF"):
        path = tmp_path / "r.pdf"
        path.write_bytes(content)
        try:
            out = subprocess.run(
                ["pdftotext", str(path), "-"], capture_output=True, check=True
            ).stdout
        except FileNotFoundError:
            pytest.skip("pdftotext (poppler-utils) is needed to read PDFs")
        return out.decode("utf-8", "replace") + content.decode("latin-1")
    return content.decode("utf-8", "replace")


@pytest.mark.parametrize("role", LOGGED_IN)
def test_reports_never_show_a_hidden_project(role, matrix_app, matrix_world, tmp_path):
    """Every format the role may use, over every status: only what the role may see."""
    from tmdesk.plugins.manager import formats_for

    caller = Caller(matrix_app, matrix_world)
    user = User.get(User.email == email(role))
    hidden, visible = _hidden_and_visible(matrix_world, role)
    pm = matrix_app.extensions["tmdesk_plugins"]
    formats = formats_for(pm, user)
    assert formats, role
    everything = {
        "lang": "en",
        "status": [
            "draft",
            "submitted",
            "returned",
            "rejected",
            "published",
            "in_implementation",
            "delivered",
            "closed",
            "withdrawn",
        ],
    }
    problems, seen_any = [], False
    for fmt in formats:
        data = dict(everything)
        if fmt.needs_donor:
            data["donor"] = "GB"
        for opt in fmt.options:
            if opt.choices:
                data[f"opt_{opt.name}"] = (
                    opt.choices[-1][0]
                    if opt.name == "max_tlp"
                    else (opt.default or opt.choices[0][0])
                )
        response = caller.send(role, "POST", f"/reports/{fmt.name}", data)
        if response.status_code != 200 or "attachment" not in response.headers.get(
            "Content-Disposition", ""
        ):
            # A format may refuse an empty selection; it must say so, not fail.
            assert response.status_code in (400, 409, 422), (fmt.name, response.status_code)
            continue
        text = report_text(fmt.name, response.data, tmp_path)
        for ref, title in hidden:
            if ref in text or title in text:
                problems.append(f"{fmt.name} as {role} shows hidden {ref}")
        seen_any = seen_any or any(ref in text for ref in visible)
    assert not problems, "\n".join(problems[:40])
    if visible and role in OFFICERS:
        assert seen_any, f"no report showed any of {role}'s visible projects"


# --- CSRF, and the API never takes the cookie ------------------------------------------


FORM_POSTS = sorted(
    rule
    for rule, policy in ACCESS.items()
    if not rule.startswith("/api/") and not policy.absent and set(policy.who) & set(STATE_METHODS)
)


@pytest.mark.parametrize("rule", FORM_POSTS)
def test_form_post_without_csrf_token_is_refused(rule, wapp, world):
    policy = ACCESS[rule]
    caller = Caller(wapp, world)
    url = build_url(rule, policy.args(world))
    allowed = [r for r in policy.who["POST"] if r != "anonymous"] or ["donor"]
    role = sorted(allowed)[0]
    caller.client(role)
    before = fingerprint()
    response = caller.send(
        role, "POST", url, policy.data(world, role), policy.files, with_csrf=False
    )
    assert response.status_code == 400, (rule, role, response.status_code)
    assert fingerprint() == before


def test_api_ignores_the_session_cookie(wapp, world):
    """The API is exempt from CSRF because it only takes bearer tokens: a logged-in
    browser (cookie) gets 401 there, so another site cannot make it write."""
    caller = Caller(wapp, world)
    client = caller.client("recipient")
    before = fingerprint()
    response = client.post(
        "/api/v1/projects", json=ACCESS["/api/v1/projects"].data(world, "recipient")
    )
    assert response.status_code == 401
    assert client.get("/api/v1/me").status_code == 401
    assert fingerprint() == before


def test_matrix_covers_every_label_and_state(matrix_world):
    assert set(matrix_world.matrix) == {(t, s) for t in TLPS for s in STATES}
