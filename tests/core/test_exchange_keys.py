"""Installation keys and trusted keys: the key file, pinning by fingerprint, revoking,
the ``tmdesk keys`` commands and Administration → Keys."""

from __future__ import annotations

import json
import os
import stat
import time

import pytest
from click.testing import CliRunner

from tests.helpers import PASSWORD, csrf_token, login, post
from tmdesk.cli import cli
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.models import AuditEvent, TrustedKey
from tmdesk.exchange import trust
from tmdesk.exchange.keys import (
    KEY_FILE_NAME,
    KeyFileError,
    PublicKeys,
    installation_keys,
    normalise_fingerprint,
    show_fingerprint,
)


@pytest.fixture
def other(tmp_path):
    """Another installation's keys, in its own folder."""
    return installation_keys(tmp_path / "other-installation")


def spaced_upper(fp: str) -> str:
    return show_fingerprint(fp).upper()


# --- this installation's keys ------------------------------------------------------------


def test_keys_are_made_once_and_kept_owner_only(tmp_path):
    folder = tmp_path / "desk"
    first = installation_keys(folder)
    again = installation_keys(folder)
    assert first.public == again.public
    assert bytes(first.signing_key) == bytes(again.signing_key)
    path = folder / KEY_FILE_NAME
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        path.chmod(0o644)
        installation_keys(folder)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.public != installation_keys(tmp_path / "elsewhere").public
    assert not list(folder.glob(".*.tmp"))


def test_the_signing_and_encryption_keys_are_separate(tmp_path):
    keys = installation_keys(tmp_path / "desk")
    assert keys.public.sign != keys.public.box
    stored = json.loads((tmp_path / "desk" / KEY_FILE_NAME).read_text())
    assert stored["signing_seed"] != stored["box_secret"]


def test_fingerprints_and_public_key_text(other):
    fp = other.fingerprint
    assert len(fp) == 32 and int(fp, 16) >= 0
    shown = show_fingerprint(fp)
    assert len(shown.split()) == 8
    assert normalise_fingerprint(shown.upper()) == fp
    assert normalise_fingerprint(shown.replace(" ", ":")) == fp
    assert PublicKeys.from_text(other.public.text) == other.public
    assert PublicKeys.from_text(other.public.file_text("Back Office")) == other.public
    for bad in ("", "tmdesk-key1:AAAA", "ssh-ed25519 AAAA", "tmdesk-key1:***"):
        with pytest.raises(ValidationError):
            PublicKeys.from_text(bad)
    for bad in ("", "abc", "g" * 32, fp + "0"):
        with pytest.raises(ValidationError):
            normalise_fingerprint(bad)


# --- pinning and revoking ---------------------------------------------------------------


def test_a_key_is_trusted_only_with_its_fingerprint(desk, other, tmp_path):
    stranger = installation_keys(tmp_path / "stranger")
    with pytest.raises(ValidationError) as caught:
        trust.trust_key(
            None, other.public.text, fingerprint=stranger.fingerprint, role=trust.ROLE_OFFICE
        )
    assert "fingerprint" in caught.value.fields
    assert TrustedKey.select().count() == 0
    peer = trust.trust_key(
        desk.users["admin"],
        other.public.text,
        fingerprint=spaced_upper(other.fingerprint),
        role=trust.ROLE_DESK,
        person_email=" Olena@Example.org ",
        label="Olena's laptop",
    )
    assert (peer.role, peer.person_email, peer.pinned_by_email) == (
        "desk",
        "olena@example.org",
        "admin@example.org",
    )
    assert trust.public_keys_of(peer) == other.public
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert (event.action, event.entity_id) == ("key.trust", other.fingerprint)


def test_pinning_the_same_key_again_changes_nothing_but_another_role_is_refused(desk, other):
    first = trust.pin_linked_key(None, other.public, role=trust.ROLE_OFFICE)
    events = AuditEvent.select().count()
    assert trust.pin_linked_key(None, other.public, role=trust.ROLE_OFFICE).id == first.id
    assert AuditEvent.select().count() == events
    with pytest.raises(ValidationError):
        trust.pin_linked_key(None, other.public, role=trust.ROLE_DESK, person_email="x@example.org")
    assert trust.office_key().id == first.id


def test_a_desk_key_needs_a_persons_email_and_a_known_role(desk, other):
    with pytest.raises(ValidationError) as caught:
        trust.pin_linked_key(None, other.public, role=trust.ROLE_DESK, person_email="")
    assert "email" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        trust.pin_linked_key(None, other.public, role="donor")
    assert "role" in caught.value.fields


def test_only_administrators_trust_or_revoke(desk, other):
    with pytest.raises(PermissionDenied):
        trust.trust_key(
            desk.users["recipient"],
            other.public,
            fingerprint=other.fingerprint,
            role=trust.ROLE_OFFICE,
        )
    trust.trust_key(None, other.public, fingerprint=other.fingerprint, role=trust.ROLE_OFFICE)
    with pytest.raises(PermissionDenied):
        trust.revoke_key(desk.users["recipient"], other.fingerprint)


def test_a_revoked_key_stays_revoked(desk, other):
    trust.trust_key(None, other.public, fingerprint=other.fingerprint, role=trust.ROLE_OFFICE)
    peer = trust.revoke_key(desk.users["admin"], spaced_upper(other.fingerprint))
    assert peer.revoked_at is not None and peer.revoked_by_email == "admin@example.org"
    assert trust.office_key() is None
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert event.action == "key.revoke"
    with pytest.raises(ValidationError):
        trust.trust_key(None, other.public, fingerprint=other.fingerprint, role=trust.ROLE_OFFICE)
    with pytest.raises(ValidationError):
        trust.pin_linked_key(None, other.public, role=trust.ROLE_OFFICE)
    assert TrustedKey.get_by_id(peer.id).revoked_at is not None


# --- the command line --------------------------------------------------------------------


def run(data_dir, *args: str):
    return CliRunner().invoke(cli, ["--data-dir", str(data_dir), *args])


def test_cli_show_trust_list_revoke(desk, data_dir, other, tmp_path):
    shown = run(data_dir, "keys", "show", "--out", str(tmp_path / "me.pub"))
    assert shown.exit_code == 0, shown.output
    mine = installation_keys(data_dir)
    assert show_fingerprint(mine.fingerprint) in shown.output
    assert mine.public.text in shown.output
    assert PublicKeys.from_text((tmp_path / "me.pub").read_text()) == mine.public

    key_file = tmp_path / "office.pub"
    key_file.write_text(other.public.file_text("office"))
    wrong = run(data_dir, "keys", "trust", str(key_file), "--fingerprint", "0" * 32, "--office")
    assert wrong.exit_code == 1 and "not the one given" in wrong.output
    neither = run(data_dir, "keys", "trust", str(key_file), "--fingerprint", other.fingerprint)
    assert neither.exit_code == 1 and "--office, or --desk-of" in neither.output
    assert TrustedKey.select().count() == 0

    ok = run(
        data_dir,
        "keys",
        "trust",
        str(key_file),
        "--fingerprint",
        show_fingerprint(other.fingerprint),
        "--office",
    )
    assert ok.exit_code == 0, ok.output
    assert "as the office" in ok.output
    event = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert event.action == "key.trust" and "command line" in event.after

    listing = run(data_dir, "keys", "list")
    assert show_fingerprint(other.fingerprint) in listing.output and "trusted" in listing.output

    revoked = run(data_dir, "keys", "revoke", other.fingerprint)
    assert revoked.exit_code == 0, revoked.output
    assert "REVOKED" in run(data_dir, "keys", "list").output
    missing = run(data_dir, "keys", "revoke", "1" * 32)
    assert missing.exit_code == 1 and "No trusted key" in missing.output


def test_cli_trusts_a_key_given_inline_for_a_desk(desk, data_dir, other):
    ok = run(
        data_dir,
        "keys",
        "trust",
        other.public.text,
        "--fingerprint",
        other.fingerprint,
        "--desk-of",
        "olena@example.org",
    )
    assert ok.exit_code == 0, ok.output
    assert TrustedKey.get().person_email == "olena@example.org"


# --- Administration → Keys ----------------------------------------------------------------


def test_admin_sees_the_fingerprint_trusts_and_revokes(app, client, desk, data_dir, other):
    login(client, desk.users["admin"])
    html = client.get("/admin/keys").get_data(as_text=True)
    mine = installation_keys(data_dir)
    assert show_fingerprint(mine.fingerprint) in html and mine.public.text in html

    wrong = post(
        client,
        "/admin/keys/trust",
        {
            "public_key": other.public.text,
            "fingerprint": "0" * 32,
            "role": "office",
        },
    )
    assert wrong.status_code == 400 and "not the one given" in wrong.get_data(as_text=True)
    assert TrustedKey.select().count() == 0

    done = post(
        client,
        "/admin/keys/trust",
        {
            "public_key": other.public.text,
            "fingerprint": show_fingerprint(other.fingerprint),
            "role": "desk",
            "person_email": "olena@example.org",
        },
        follow_redirects=True,
    )
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "is trusted" in html and "Desk of olena@example.org" in html
    assert TrustedKey.get().pinned_by_email == "admin@example.org"

    gone = post(
        client,
        f"/admin/keys/{other.fingerprint}/revoke",
        form_page="/admin/keys",
        follow_redirects=True,
    )
    assert "is revoked" in gone.get_data(as_text=True)
    assert TrustedKey.get().revoked_by_email == "admin@example.org"


def test_keys_page_is_for_administrators_only(app, client, desk, other):
    login(client, desk.users["recipient"])
    assert client.get("/admin/keys").status_code == 403
    assert client.post("/admin/keys/trust", data={}).status_code in (400, 403)
    assert TrustedKey.select().count() == 0


def test_trusting_needs_a_fresh_password_and_a_csrf_token(app, client, desk, other, monkeypatch):
    from tmdesk.web import auth

    login(client, desk.users["admin"])
    data = {
        "public_key": other.public.text,
        "fingerprint": other.fingerprint,
        "role": "office",
    }
    assert client.post("/admin/keys/trust", data=data).status_code == 400  # no CSRF token
    token = csrf_token(client, "/admin/keys/trust")
    later = time.time() + 16 * 60
    monkeypatch.setattr(auth, "_now", lambda: later)
    stale = client.post("/admin/keys/trust", data={"csrf_token": token, **data})
    assert stale.status_code == 302 and "/confirm" in stale.location
    assert TrustedKey.select().count() == 0
    post(client, "/confirm?next=/admin/keys", {"password": PASSWORD}, form_page="/confirm")
    fresh = client.post("/admin/keys/trust", data={"csrf_token": token, **data})
    assert fresh.status_code == 302 and TrustedKey.select().count() == 1


def test_keys_page_speaks_ukrainian(app, client, desk):
    login(client, desk.users["admin"])
    html = client.get("/admin/keys", headers={"Accept-Language": "uk"}).get_data(as_text=True)
    assert "Довірені ключі" in html and "Відбиток" in html
    wrong = post(
        client,
        "/admin/keys/trust",
        {"public_key": "nonsense", "fingerprint": "0" * 32, "role": "office"},
        headers={"Accept-Language": "uk"},
    )
    html = wrong.get_data(as_text=True)
    assert "Це не відкритий ключ tmdesk" in html
    assert "Відбиток ключа — це 32 шістнадцяткові цифри" not in html  # the fingerprint was fine


def test_a_bad_key_and_a_bad_fingerprint_are_both_reported(desk):
    with pytest.raises(ValidationError) as caught:
        trust.trust_key(None, "nonsense", fingerprint="1234", role=trust.ROLE_OFFICE)
    assert set(caught.value.fields) == {"public_key", "fingerprint"}


def test_key_decisions_read_well_in_the_audit_log(app, client, desk, other):
    trust.trust_key(
        desk.users["admin"], other.public, fingerprint=other.fingerprint, role=trust.ROLE_OFFICE
    )
    login(client, desk.users["admin"])
    html = client.get("/admin/audit?entity_type=trusted_key").get_data(as_text=True)
    assert "Exchange key" in html and "key.trust" in html


def test_a_damaged_key_file_is_reported_never_replaced(data_dir):
    installation_keys(data_dir)
    path = data_dir / KEY_FILE_NAME
    path.write_text('{"signing_seed": "not base64!", "box_secret": ""}')
    with pytest.raises(KeyFileError):
        installation_keys(data_dir)
    shown = run(data_dir, "keys", "show")
    assert shown.exit_code == 1 and "is damaged" in shown.output and "Restore it" in shown.output
    assert "not base64!" in path.read_text()
