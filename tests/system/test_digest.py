"""The e-mail digest (issue #15): ``tmdesk notify digest`` against a real SMTP server
(aiosmtpd) started by the test, with a login; settings checked; only what each
reader may see is sent, once."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from tmdesk.cli import cli
from tmdesk.core import digest, pledges
from tmdesk.core.db import database
from tmdesk.core.models import Notification, Project, User


class Inbox:
    """An aiosmtpd handler keeping every message it is given."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"tmdesk"
        and auth_data.password == b"s3cret"
    )
    return AuthResult(success=ok)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Inbox()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=_authenticator,
        auth_require_tls=False,
    )
    controller.start()
    yield controller, handler
    controller.stop()


def _env(monkeypatch, port: int, **extra: str) -> None:
    values = {
        "TMDESK_SMTP_HOST": "127.0.0.1",
        "TMDESK_SMTP_PORT": str(port),
        "TMDESK_SMTP_STARTTLS": "0",
        "TMDESK_SMTP_USER": "tmdesk",
        "TMDESK_SMTP_PASSWORD": "s3cret",
        "TMDESK_SMTP_SENDER": "tmdesk@tmpo.example",
        "TMDESK_PUBLIC_URL": "https://desk.tmpo.example/",
    } | extra
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def _digest(data_dir) -> tuple[int, str]:
    if not database.is_closed():
        database.close()
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "notify", "digest"])
    database.connect(reuse_if_open=True)
    return result.exit_code, result.output


def test_digest_is_sent_once_in_the_readers_language(desk, data_dir, smtp_server, monkeypatch):
    controller, inbox = smtp_server
    _env(monkeypatch, controller.port)
    project = desk.published(
        title_en="Mobile data centre", title_uk="Мобільний центр обробки даних"
    )
    User.update(locale="en").where(User.email == "recipient@example.org").execute()
    pledges.create_pledge(desk.user("donor"), project, {"amount": "2500", "currency": "EUR"})
    other = desk.published("recipient2", title_en="Sensor grid")  # MDT's people hear of it
    User.update(locale="uk").where(User.email == "recipient2@example.org").execute()

    code, output = _digest(data_dir)
    assert code == 0, output
    assert "Digest sent to 2 people." in output
    by_rcpt = {tuple(rcpts): msg for rcpts, msg in inbox.messages}
    mail = by_rcpt[("recipient@example.org",)]
    assert mail["From"] == "tmdesk@tmpo.example"
    assert mail["Subject"] == "tmdesk: 2 new notifications"
    body = mail.get_content()
    assert "United Kingdom pledged 2,500 EUR to your project" in body
    assert f"https://desk.tmpo.example/projects/{project.ref}" in body
    assert other.ref not in body  # only the reader's own notifications
    ukrainian = by_rcpt[("recipient2@example.org",)].get_content()
    assert other.ref in ukrainian and "опубліковано" in ukrainian.lower()
    # Sent once: the next run has nothing new.
    assert Notification.select().where(Notification.emailed_at.is_null()).count() == 0
    code, output = _digest(data_dir)
    assert code == 0 and "Digest sent to 0 people." in output
    assert len(inbox.messages) == 2


def test_digest_never_names_a_project_its_reader_may_no_longer_see(
    desk, data_dir, smtp_server, monkeypatch
):
    controller, inbox = smtp_server
    _env(monkeypatch, controller.port)
    project = desk.published(title_en="Secret sensor grid")
    pledge = pledges.create_pledge(desk.user("donor"), project, {"amount": "10", "currency": "EUR"})
    pledges.transition_pledge(desk.user("back_office"), pledge, "confirm")
    Project.update(tlp="RED").where(Project.id == project.id).execute()
    code, output = _digest(data_dir)
    assert code == 0, output
    for rcpts, msg in inbox.messages:
        assert "donor@example.org" not in rcpts
        assert "Secret sensor grid" not in msg.get_content() or rcpts != ["donor@example.org"]


def test_wrong_password_and_missing_starttls_are_reported(desk, data_dir, smtp_server, monkeypatch):
    controller, inbox = smtp_server
    desk.published()
    _env(monkeypatch, controller.port, TMDESK_SMTP_PASSWORD="wrong")
    code, output = _digest(data_dir)
    assert code == 1 and "could not send through 127.0.0.1" in output
    _env(monkeypatch, controller.port, TMDESK_SMTP_STARTTLS="1")
    code, output = _digest(data_dir)
    assert code == 1 and "STARTTLS" in output
    assert inbox.messages == []
    assert Notification.select().where(Notification.emailed_at.is_null()).count() == 1


def test_settings_are_checked(data_dir, monkeypatch, db):
    assert digest.SmtpConfig.from_settings({}) is None
    with pytest.raises(digest.DigestConfigError, match="TMDESK_SMTP_SENDER"):
        digest.SmtpConfig.from_settings({"TMDESK_SMTP_HOST": "mail"})
    with pytest.raises(digest.DigestConfigError, match="port"):
        digest.SmtpConfig.from_settings(
            {"TMDESK_SMTP_HOST": "mail", "TMDESK_SMTP_PORT": "x", "TMDESK_SMTP_SENDER": "a@b"}
        )
    config = digest.SmtpConfig.from_settings(
        {"TMDESK_SMTP_HOST": "mail", "TMDESK_SMTP_SENDER": "a@b.example"}
    )
    assert config.port == 587 and config.starttls and config.user is None
    for name in ("TMDESK_SMTP_HOST",):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["--data-dir", str(data_dir), "notify", "digest"])
    assert result.exit_code == 1 and "no SMTP server is set" in result.output
