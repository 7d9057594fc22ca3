"""Every id and number in a request is bounded: 404 or 400, never a 500 (issue 12, item 8).

Generated from the app's URL map, as tests/web/test_access_matrix.py is: every
rule, every argument of every converter, every method, each filled in turn
with hostile values (huge and negative numbers, Unicode digits, NUL, very long
strings, path traversal), sent by a logged-in officer, an administrator and
an anonymous visitor. A route added later is covered without touching this
file; its other arguments come from ``ACCESS`` (which must name every route).
Query parameters, form fields and cookies get the same values in
tests/web/test_hostile_input.py.
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests import payloads
from tests.security_world import fast_sync, world_in
from tests.web.test_access_matrix import ACCESS, STATE_METHODS, Caller, app_rules
from tmdesk.core.db import database

#: The roles that send every request: an officer, an administrator, nobody.
CALLERS = ("back_office", "admin", "anonymous")

_ARG = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")


@pytest.fixture
def world(data_dir):
    return world_in(data_dir)


@pytest.fixture
def wapp(data_dir, world):
    from tmdesk.web import create_app

    database.close()
    app = create_app(data_dir, {"TESTING": True})
    fast_sync()
    database.connect(reuse_if_open=True)
    return app


def _fill(rule: str, args: dict[str, str]) -> str:
    return _ARG.sub(
        lambda m: quote(str(args[m.group(2)]), safe="/" if m.group(1) == "path" else ""), rule
    )


def _send(caller: Caller, role: str, method: str, url: str, data=None):
    """Like :meth:`Caller.send`, without the request a 5000-character URL would break
    in the test client's own environment building (the app must answer, not the client)."""
    return caller.send(role, method, url, data if data is not None else {})


def _routes(app) -> list[tuple[str, str]]:
    return sorted(
        (rule, method)
        for rule, methods in app_rules(app).items()
        for method in methods
        if rule not in ("/logout",)  # logging the caller out would end the sweep early
    )


@pytest.mark.slow  # every route argument x 27 hostile values x each caller: ~100 s of CPU
def test_every_route_argument_is_bounded(wapp, world):
    caller = Caller(wapp, world)
    problems, sent = [], 0
    for rule, method in _routes(wapp):
        policy = ACCESS[rule]
        names = [m.group(2) for m in _ARG.finditer(rule)]
        if not names:
            continue
        valid = {k: str(v) for k, v in policy.args(world).items()}
        for name in names:
            for label, value in payloads.HOSTILE_NUMBERS.items():
                url = _fill(rule, valid | {name: value})
                for role in CALLERS:
                    data = policy.data(world, role) if method in STATE_METHODS else None
                    response = _send(caller, role, method, url, data)
                    sent += 1
                    if response.status_code >= 500:
                        problems.append(
                            f"{method} {rule} {name}={label} as {role}: {response.status_code}"
                        )
    assert sent > 500, "the URL map gave too little to sweep"
    assert not problems, "\n".join(problems[:80]) + f"\n({len(problems)} problems)"


#: Near misses of a uid (issue 12, item 4): pages and the API name records by uid.
NOT_A_RECORD = ("unknown uid", "uid in capitals", "uid and more", "uid with nul")


def test_every_uid_argument_is_404_for_what_names_no_record(wapp, world):
    """Every ``<uid:…>`` of the URL map: a well-formed uid of no record and near misses
    of one are 404, for an officer who could see any record, on every GET."""
    caller = Caller(wapp, world)
    rules = [r for r, methods in app_rules(wapp).items() if "<uid:" in r and "GET" in methods]
    assert len(rules) >= 8, rules  # pledges, offers, documents, engagements, page and API
    problems = []
    for rule in rules:
        valid = {k: str(v) for k, v in ACCESS[rule].args(world).items()}
        assert caller.send("back_office", "GET", _fill(rule, valid)).status_code < 400, rule
        for name in [m.group(2) for m in _ARG.finditer(rule) if m.group(1) == "uid"]:
            for label in NOT_A_RECORD:
                url = _fill(rule, valid | {name: payloads.HOSTILE_NUMBERS[label]})
                status = caller.send("back_office", "GET", url).status_code
                # A NUL anywhere in a request is refused (400) before any route is matched.
                if status != 404 and not (label == "uid with nul" and status == 400):
                    problems.append(f"GET {rule} {name}={label}: {status}")
    assert not problems, "\n".join(problems)
