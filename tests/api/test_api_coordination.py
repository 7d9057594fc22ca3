"""Coordination API: search, similar, links, matches, proposed pledges, dashboard."""

from __future__ import annotations

from tmdesk.core import offers, tokens
from tmdesk.core.models import Pledge, ProjectLink


def _auth(desk, key):
    _token, secret = tokens.create_token(None, desk.user(key), "test")
    return {"Authorization": f"Bearer {secret}"}


def test_search_shape_and_visibility(client, desk):
    p = desk.published(title_en="SOC analyst training", summary_en="Train <b>40</b> analysts.")
    hidden = desk.published(title_en="SOC analyst secret", tlp="AMBER+STRICT")
    r = client.get("/api/v1/search?q=analyst", headers=_auth(desk, "donor"))
    assert r.status_code == 200
    results = r.json["results"]
    assert [x["ref"] for x in results] == [p.ref]
    assert set(results[0]) >= {"type", "ref", "title", "snippet", "score"}
    assert "<mark>analysts</mark>" in results[0]["snippet"]
    assert "&lt;b&gt;" in results[0]["snippet"]
    officer = client.get(
        "/api/v1/search?q=analyst&type=project", headers=_auth(desk, "back_office")
    ).json["results"]
    assert {x["ref"] for x in officer} == {p.ref, hidden.ref}
    assert client.get(
        "/api/v1/search?q=x&type=bogus", headers=_auth(desk, "donor")
    ).status_code in (400, 422)
    assert client.get("/api/v1/search?q=x").status_code == 401


def test_similar_and_links(client, desk):
    a = desk.published(
        title_en="SOC analyst training programme",
        summary_en="Train 40 SOC analysts in threat hunting.",
    )
    b = desk.published(
        title_en="Training for SOC analysts",
        summary_en="A course for 40 SOC analysts covering threat hunting.",
    )
    officer = _auth(desk, "back_office")
    r = client.get(f"/api/v1/projects/{a.ref}/similar", headers=officer)
    assert r.status_code == 200
    cand = r.json["candidates"][0]
    assert cand["ref"] == b.ref and 0 <= cand["score"] <= 1 and cand["reasons"]
    assert (
        client.get(
            f"/api/v1/projects/{a.ref}/similar", headers=_auth(desk, "recipient")
        ).status_code
        == 200
    )
    assert (
        client.get(f"/api/v1/projects/{a.ref}/similar", headers=_auth(desk, "donor")).status_code
        == 403
    )
    r = client.post(
        f"/api/v1/projects/{a.ref}/links", headers=officer, json={"other": b.ref, "kind": "related"}
    )
    assert r.status_code == 201 and r.json["link"]["kind"] == "related"
    assert ProjectLink.select().count() == 1
    assert client.get(f"/api/v1/projects/{a.ref}/similar", headers=officer).json["candidates"] == []
    bad = client.post(
        f"/api/v1/projects/{a.ref}/links", headers=officer, json={"other": b.ref, "kind": "nope"}
    )
    assert bad.status_code == 422 and "kind" in bad.json["fields"]
    denied = client.post(
        f"/api/v1/projects/{a.ref}/links",
        headers=_auth(desk, "donor"),
        json={"other": b.ref, "kind": "duplicate"},
    )
    assert denied.status_code == 403


def test_hidden_project_404_everywhere(client, desk):
    hidden = desk.published(title_en="Secret", tlp="AMBER+STRICT")
    donor = _auth(desk, "donor")
    assert client.get(f"/api/v1/projects/{hidden.ref}/similar", headers=donor).status_code == 404
    assert (
        client.post(
            f"/api/v1/projects/{hidden.ref}/links",
            headers=donor,
            json={"other": hidden.ref, "kind": "related"},
        ).status_code
        == 404
    )


def test_offer_matches_and_pledge(client, desk):
    p = desk.published(
        title_en="Starlink terminals for Kharkiv",
        category="connectivity",
        summary_en="150 terminals.",
    )
    offer = offers.create_offer(
        desk.user("donor"),
        {"category": "connectivity", "description": "150 Starlink terminals", "quantity": "150"},
    )
    r = client.get(f"/api/v1/offers/{offer.id}/matches", headers=_auth(desk, "back_office"))
    assert r.status_code == 200
    assert r.json["matches"][0]["ref"] == p.ref and r.json["matches"][0]["reasons"]
    assert (
        client.get(f"/api/v1/offers/{offer.id}/matches", headers=_auth(desk, "donor2")).status_code
        == 404
    )
    r = client.get(f"/api/v1/projects/{p.ref}/offers", headers=_auth(desk, "back_office"))
    assert r.json["offers"][0]["id"] == offer.id
    r = client.post(
        f"/api/v1/offers/{offer.id}/matches/{p.ref}/pledge", headers=_auth(desk, "back_office")
    )
    assert r.status_code == 201 and r.json["pledge"]["status"] == "offered"
    assert Pledge.get().offer_id == offer.id
    assert (
        client.post(
            f"/api/v1/offers/{offer.id}/matches/{p.ref}/pledge", headers=_auth(desk, "donor")
        ).status_code
        == 403
    )


def test_dashboard_api(client, desk):
    desk.published(category="training", budget_amount="1000")
    desk.published(category="training", budget_amount="5000", tlp="AMBER+STRICT")
    donor = client.get("/api/v1/dashboard", headers=_auth(desk, "donor")).json
    assert donor["full"] is False and "review_waiting" not in donor
    assert donor["totals_eur"]["gap"] == "1000.00"
    officer = client.get("/api/v1/dashboard", headers=_auth(desk, "back_office")).json
    assert officer["full"] is True and officer["totals_eur"]["gap"] == "6000.00"
