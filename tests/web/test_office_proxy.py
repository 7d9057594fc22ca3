"""Serving an office behind a TLS reverse proxy: forwarded headers, Secure cookies, Host list."""

from __future__ import annotations

from tmdesk.runtime.server import allowed_hosts
from tmdesk.web import create_app

HTTPS_PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "desk.tmpo.example"}


def test_behind_a_trusted_proxy_cookies_are_secure(monkeypatch, data_dir, db, desk):
    monkeypatch.setenv("TMDESK_TRUSTED_PROXIES", "1")
    app = create_app(data_dir, {"TESTING": True})
    client = app.test_client()
    response = client.get("/login", headers=HTTPS_PROXY)
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" in c for c in cookies)


def test_forwarded_headers_are_ignored_without_trusted_proxies(monkeypatch, data_dir, db, desk):
    monkeypatch.delenv("TMDESK_TRUSTED_PROXIES", raising=False)
    app = create_app(data_dir, {"TESTING": True})
    response = app.test_client().get("/login", headers=HTTPS_PROXY)
    cookies = response.headers.getlist("Set-Cookie")
    assert cookies and all("Secure" not in c for c in cookies)


def test_allowed_hosts_setting(monkeypatch):
    monkeypatch.setenv("TMDESK_ALLOWED_HOSTS", "desk.tmpo.example, desk.tmpo.example:8443")
    assert allowed_hosts("0.0.0.0", 8750) == {"desk.tmpo.example", "desk.tmpo.example:8443"}  # nosec B104
    monkeypatch.delenv("TMDESK_ALLOWED_HOSTS")
    assert allowed_hosts("0.0.0.0", 8750) is None  # nosec B104


def test_unknown_host_is_refused_when_a_list_is_set(data_dir, db):
    app = create_app(data_dir, {"TESTING": True})
    app.config["TMDESK_ALLOWED_HOSTS"] = {"desk.tmpo.example"}
    client = app.test_client()
    assert client.get("/healthz", headers={"Host": "desk.tmpo.example"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
