from tests.helpers import login, post


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_first_run_setup_creates_admin(client):
    response = client.get("/login")
    assert response.status_code == 302 and "/setup" in response.location
    page = client.get("/setup")
    assert page.status_code == 200
    response = post(
        client,
        "/setup",
        {
            "org_code": "TMPO",
            "org_name_en": "Project Office",
            "org_name_uk": "",
            "org_kind": "project_office",
            "org_country": "UA",
            "name": "Olena",
            "email": "olena@tmpo.example",
            "password": "short",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "olena@tmpo.example" in html  # the form keeps what was typed
    response = post(
        client,
        "/setup",
        {
            "org_code": "TMPO",
            "org_name_en": "Project Office",
            "org_name_uk": "",
            "org_kind": "project_office",
            "org_country": "UA",
            "name": "Olena",
            "email": "olena@tmpo.example",
            "password": "a long enough passphrase",
        },
        form_page="/setup",
    )
    assert response.status_code == 302
    assert client.get("/setup").status_code == 302  # closed once an admin exists


def test_login_logout(client, desk):
    response = client.get("/")
    assert response.status_code == 302
    login(client, desk.users["donor"])
    assert client.get("/").status_code == 200
    assert client.get("/logout").status_code == 405  # no state change on GET
    response = post(client, "/logout", form_page="/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_login_wrong_password_generic_message(client, desk):
    from tests.helpers import csrf_token

    response = client.post(
        "/login",
        data={"email": "donor@example.org", "password": "nope", "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 400
    assert "do not match" in response.get_data(as_text=True)
