"""A recipient organisation's finer kind (issue #16): read from the name when not chosen,
shown and edited on the organisation admin pages, in the API, in report contexts."""

from __future__ import annotations

import pytest

from tests.helpers import login, post
from tmdesk.core import accounts, tokens
from tmdesk.core.errors import ValidationError
from tmdesk.core.models import Organisation
from tmdesk.core.orgkinds import guess_recipient_type
from tmdesk.core.reporting import build_context


@pytest.mark.parametrize(
    ("name_en", "name_uk", "expected"),
    [
        ("Ministry of Digital Transformation of Ukraine", "", "ministry"),
        ("State Service of Special Communications", "", "ministry"),
        ("Kharkiv Regional Military Administration", "", "regional"),
        ("", "Львівська обласна військова адміністрація", "regional"),
        ("Lviv City Council", "", "local"),
        ("", "Бучанська міська рада", "local"),
        ("JSC Ukrzaliznytsia (Ukrainian Railways)", "", "state_enterprise"),
        ("", "ДП «Антонов»", "state_enterprise"),
        ("Kyiv Polytechnic", "", "other"),
    ],
)
def test_the_name_suggests_the_finer_kind(name_en, name_uk, expected):
    assert guess_recipient_type(name_en, name_uk) == expected


def test_chosen_kept_guessed_when_empty_and_only_for_recipients(db):
    chosen = accounts.create_organisation(
        None,
        {"code": "KYIV", "kind": "recipient", "country": "UA", "name_en": "Kyiv City",
         "recipient_type": "local"},
    )  # fmt: skip
    guessed = accounts.create_organisation(
        None,
        {"code": "MOD", "kind": "recipient", "country": "UA", "name_en": "Ministry of Defence"},
    )
    donor = accounts.create_organisation(
        None,
        {"code": "NO", "kind": "donor", "country": "NO", "name_en": "Norway",
         "recipient_type": "ministry"},
    )  # fmt: skip
    assert (chosen.recipient_type, guessed.recipient_type, donor.recipient_type) == (
        "local",
        "ministry",
        "",
    )
    with pytest.raises(ValidationError) as refused:
        accounts.create_organisation(
            None,
            {"code": "X", "kind": "recipient", "country": "UA", "name_en": "X",
             "recipient_type": "oblast"},
        )  # fmt: skip
    assert "recipient_type" in refused.value.fields


def test_admin_pages_show_and_edit_it_and_api_and_reports_carry_it(client, desk):
    login(client, desk.users["admin"])
    org = desk.orgs["recipient"]
    assert Organisation.get_by_id(org.id).recipient_type == "ministry"  # "State Service…"
    path = f"/admin/organisations/{org.id}/edit"
    form = client.get(path).get_data(as_text=True)
    assert "Kind of recipient" in form and 'value="state_enterprise"' in form
    saved = post(
        client,
        path,
        {"kind": "recipient", "recipient_type": "state_enterprise", "country": "UA",
         "name_en": org.name_en},
    )  # fmt: skip
    assert saved.status_code == 302
    assert Organisation.get_by_id(org.id).recipient_type == "state_enterprise"
    listing = client.get("/admin/organisations").get_data(as_text=True)
    assert "State enterprise" in listing
    uk = client.get("/admin/organisations", headers={"Accept-Language": "uk"})
    assert "Державне підприємство" in uk.get_data(as_text=True)
    project = desk.published()
    views = {p.ref: p for p in build_context(desk.user("donor")).projects}
    assert views[project.ref].recipient.recipient_type == "state_enterprise"


def test_api_organisations_carry_it(client, desk):
    _token = tokens.create_token(None, desk.user("donor"), "t")[1]
    body = client.get(
        "/api/v1/organisations?per_page=100", headers={"Authorization": f"Bearer {_token}"}
    ).get_json()
    by_code = {o["code"]: o for o in body["items"]}
    assert by_code["SSSCIP"]["recipient_type"] == "ministry"
    assert by_code["GB"]["recipient_type"] is None
