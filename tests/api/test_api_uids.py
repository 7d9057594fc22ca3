"""The API names records by uid and moves its old numeric paths (issue 12, item 4).

Pledges and offers made one after another with hidden ones in between: every
identifier a donor's token receives is a uid (``"id"`` and every reference
to another record), never a row id from which the others could be counted.
An old numeric path answers 308 to the uid path for whoever may see the
record, and the same JSON 404 as a missing record otherwise (docs/api.md).
"""

from __future__ import annotations

import re

import pytest

from tests.api.test_api import API, Api
from tmdesk.core import offers, pledges
from tmdesk.core.models import Offer, Pledge, Project

UID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
#: Keys whose values name a record.
NAMING = {"id", "offer", "pledge", "engagement", "offers_unmatched"}


@pytest.fixture
def api(client, desk) -> Api:
    return Api(client, desk)


def _ids_in(value, key: str = "") -> list:
    """Every value under a naming key, anywhere in a JSON answer."""
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _ids_in(v, k)]
    if isinstance(value, list):
        return [x for v in value for x in _ids_in(v, key)]
    return [value] if key in NAMING and value is not None else []


@pytest.fixture
def seq(desk):
    visible = desk.published(title_en="Visible grid", tlp="GREEN")
    hidden = desk.published(title_en="Hidden grid")
    Project.update(tlp="AMBER+STRICT").where(Project.id == hidden.id).execute()
    gb, ee, office = desk.user("donor"), desk.user("donor2"), desk.user("back_office")
    engagement = offers.create_engagement(office, visible, "CYBERCO", {"role": "SOC"})
    made = {"pledge": [], "offer": []}
    for _ in range(2):
        made["offer"].append(offers.create_offer(gb, {"category": "training", "description": "x"}))
        offers.create_offer(ee, {"category": "training", "description": "another's"})
        made["pledge"].append(
            pledges.create_pledge(gb, visible, {"amount": "100", "currency": "EUR"})
        )
        Pledge.create(
            project=hidden, donor=ee.organisation, amount=7, currency="EUR",
            date="2026-01-01", created_by=ee,
        )  # fmt: skip
    pledges.transition_pledge(gb, made["pledge"][0], "confirm")
    return {"visible": visible, "hidden": hidden, "engagement": engagement, **made}


def test_every_identifier_a_donor_receives_is_a_uid(api, desk, seq):
    ref = seq["visible"].ref
    first = seq["pledge"][0]
    expense = api.post(
        "back_office",
        f"/pledges/{first.uid}/transactions",
        {"kind": "expenditure", "amount": "10", "engagement": seq["engagement"].uid},
    )
    assert expense.status_code == 201, expense.json
    assert expense.json["engagement"] == seq["engagement"].uid
    answers = [
        api.get("donor", f"/projects/{ref}/pledges").json,
        api.get("donor", f"/pledges/{first.uid}").json,
        api.get("donor", f"/pledges/{first.uid}/fields").json,
        api.get("donor", f"/pledges/{first.uid}/transactions").json,
        api.get("donor", "/offers").json,
        api.get("donor", f"/offers/{seq['offer'][0].uid}").json,
        api.get("donor", "/search?q=grid&type=update").json,
        api.get("donor", "/dashboard").json,
    ]
    found = [x for answer in answers for x in _ids_in(answer)]
    assert found, "nothing named anything"
    assert all(isinstance(x, str) and UID.match(x) for x in found), found
    listed = {p["id"] for p in answers[0]["items"]}
    assert {p.uid for p in seq["pledge"]} <= listed
    assert {o["id"] for o in answers[4]["items"]} == {o.uid for o in seq["offer"]}


def test_bodies_name_records_by_uid(api, desk, seq):
    ref = seq["visible"].ref
    offer = seq["offer"][1]
    made = api.post(
        "donor", f"/projects/{ref}/pledges", {"amount": "5", "currency": "EUR", "offer": offer.uid}
    )
    assert made.status_code == 201 and made.json["offer"] == offer.uid
    assert made.headers["Location"].endswith(f"{API}/pledges/{made.json['id']}")
    numeric = api.post(
        "donor", f"/projects/{ref}/pledges", {"amount": "5", "currency": "EUR", "offer": offer.id}
    )
    assert numeric.status_code == 422 and "offer" in numeric.json["fields"]


OLD = [
    ("pledge", "/pledges/{}"),
    ("pledge", "/pledges/{}/fields"),
    ("pledge", "/pledges/{}/transactions"),
    ("offer", "/offers/{}"),
    ("offer", "/offers/{}/matches"),
]


@pytest.mark.parametrize(("kind", "path"), OLD)
def test_old_numeric_paths_move_or_404_alike(api, desk, seq, kind, path):
    model = Pledge if kind == "pledge" else Offer
    mine = seq[kind][0]
    mine_ids = {r.id for r in seq[kind]}
    others = [
        r.id
        for r in model.select()
        if r.id not in mine_ids and (kind == "offer" or r.project_id == seq["hidden"].id)
    ]
    assert others
    moved = api.get("donor", path.format(mine.id) + "?per_page=5")
    assert moved.status_code == 308
    assert moved.location.endswith(API + path.format(mine.uid) + "?per_page=5")
    missing = api.get("donor", path.format(10**9))
    assert missing.status_code == 404
    for row_id in others:  # another donor's offer, a pledge on a project the donor cannot see
        hidden = api.get("donor", path.format(row_id))
        assert (hidden.status_code, hidden.get_data()) == (404, missing.get_data())
    assert api.get(None, path.format(mine.id)).status_code == 401
    # Writes are not redirected: they go to the uid path.
    assert api.post("donor", path.format(mine.id), {}).status_code == 405
