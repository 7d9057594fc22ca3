"""The cybil format, tested against tmdesk's demo data with tmdesk.plugins.testing."""

import json

import tmdesk_cybil

from tmdesk.plugins.testing import render_with_demo


def test_cybil_submission_only_shares_clear_projects():
    data = json.loads(render_with_demo("cybil", plugins=[tmdesk_cybil]))
    assert data["schema"] == "tmdesk-cybil/1"
    assert data["projects"], "the demo data has published TLP:CLEAR projects"
    assert {p["tlp"] for p in data["projects"]} == {"CLEAR"}
    for project in data["projects"]:
        assert project["beneficiary_countries"] == ["UA"]
        assert project["themes"]


def test_cybil_can_include_green_for_the_community():
    data = json.loads(
        render_with_demo("cybil", plugins=[tmdesk_cybil], options={"include_green": "yes"})
    )
    assert {p["tlp"] for p in data["projects"]} <= {"CLEAR", "GREEN"}
    assert data["tlp"] in ("CLEAR", "GREEN")
