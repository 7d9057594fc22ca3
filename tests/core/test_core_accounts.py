"""Core rules for accounts: passwords, login lockout, API tokens, administration, rates."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tests.helpers import PASSWORD
from tmdesk.core import accounts, funding, pledges, rates, tokens
from tmdesk.core.errors import NotFound, PermissionDenied, ValidationError
from tmdesk.core.models import ApiToken, AuditEvent, ExchangeRate, User

# --- password rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    "password, email, reason",
    [
        ("short", "", "at least"),
        ("elevenchars", "", "at least"),
        ("", "", "at least"),
        ("Password1234", "", "too easy"),
        ("aaaaaaaaaaaaaaaa", "", "too easy"),
        ("abababababab", "", "too easy"),
        ("olena.k@mdt.gov.ua", "olena.k@mdt.gov.ua", "e-mail"),
        ("Olena.Kovalenko", "olena.kovalenko@mdt.gov.ua", "e-mail"),
    ],
)
def test_weak_passwords_are_refused(password, email, reason):
    problem = accounts.check_password_rules(password, email)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("password", [PASSWORD, "Kyiv-Tallinn 2026!", "дуже надійний пароль"])
def test_good_passwords_pass(password):
    assert accounts.check_password_rules(password, "someone@example.org") is None


def test_create_user_refuses_bad_input_field_by_field(desk):
    with pytest.raises(ValidationError) as exc:
        accounts.create_user(None, "not-an-email", "NOPE", "short")
    assert {"email", "organisation", "password"} <= set(exc.value.fields)
    with pytest.raises(ValidationError) as exc:
        accounts.create_user(None, "DONOR@example.org", "GB", PASSWORD)
    assert "already exists" in exc.value.fields["email"]


def test_passwords_are_hashed_and_secrets_stay_out_of_the_audit_log(desk):
    user = desk.user("donor")
    assert PASSWORD not in user.password_hash and user.password_hash.startswith("pbkdf2")
    event = AuditEvent.get(
        (AuditEvent.action == "user.create") & (AuditEvent.entity_id == str(user.id))
    )
    after = json.loads(event.after)
    assert "password_hash" not in after and "session_nonce" not in after
    assert after["email"] == "donor@example.org"


def test_set_password_ends_sessions_and_lifts_lockout(desk):
    user = desk.user("donor")
    nonce = user.session_nonce
    User.update(failed_logins=7, locked_until=dt.datetime(2999, 1, 1)).where(
        User.id == user.id
    ).execute()
    user = desk.user("donor")
    with pytest.raises(ValidationError):
        accounts.set_password(user, user, "short")
    accounts.set_password(user, user, "a completely new passphrase")
    user = desk.user("donor")
    assert user.session_nonce != nonce and user.failed_logins == 0 and user.locked_until is None
    assert accounts.authenticate(user.email, "a completely new passphrase") is not None
    assert accounts.authenticate(user.email, PASSWORD) is None


# --- login and lockout ----------------------------------------------------------------


def test_authenticate(desk):
    assert accounts.authenticate("DONOR@example.org ", PASSWORD).email == "donor@example.org"
    assert accounts.authenticate("nobody@example.org", PASSWORD) is None
    assert desk.user("donor").last_login_at is not None


def test_lockout_with_growing_delays(desk):
    email = "donor@example.org"
    t0 = dt.datetime(2026, 3, 1, 12, 0, 0)
    # the first attempts are free
    for i in range(accounts.FREE_ATTEMPTS - 1):
        assert accounts.authenticate(email, "wrong", now=t0) is None
        assert desk.user("donor").locked_until is None, i
    delays = []
    now = t0
    for _ in range(5):
        assert accounts.authenticate(email, "wrong", now=now) is None
        user = desk.user("donor")
        delay = (user.locked_until - now).total_seconds()
        delays.append(delay)
        # while it waits even the right password is refused (and does not count)
        assert accounts.authenticate(email, PASSWORD, now=now + dt.timedelta(seconds=1)) is None
        assert desk.user("donor").failed_logins == user.failed_logins
        now = user.locked_until + dt.timedelta(seconds=1)
    assert delays == [5, 10, 20, 40, 80]
    # after the wait the right password works and resets the counter
    assert accounts.authenticate(email, PASSWORD, now=now) is not None
    user = desk.user("donor")
    assert user.failed_logins == 0 and user.locked_until is None
    assert AuditEvent.select().where(AuditEvent.action == "login.failed").count() == 7


def test_lockout_delay_is_capped(desk):
    User.update(failed_logins=40).where(User.email == "donor@example.org").execute()
    now = dt.datetime(2026, 3, 1, 12, 0, 0)
    accounts.authenticate("donor@example.org", "wrong", now=now)
    user = desk.user("donor")
    assert (user.locked_until - now).total_seconds() == accounts.MAX_LOCK_SECONDS


def test_deactivated_account_cannot_log_in(desk):
    accounts.set_active(desk.user("admin"), desk.user("donor"), False)
    assert accounts.authenticate("donor@example.org", PASSWORD) is None
    accounts.set_active(desk.user("admin"), desk.user("donor"), True)
    assert accounts.authenticate("donor@example.org", PASSWORD) is not None


# --- API tokens -------------------------------------------------------------------------


def test_tokens(desk):
    user = desk.user("donor")
    token, plain = tokens.create_token(user, user, "reporting script")
    assert plain.startswith(tokens.TOKEN_PREFIX) and len(plain) > 40
    assert plain not in token.token_hash and token.prefix == plain[:10]
    assert tokens.user_for_token(plain).id == user.id
    assert ApiToken.get_by_id(token.id).last_used_at is not None
    for bad in ("", "tmd_wrong", plain + "x", "Bearer " + plain, "x" * 500):
        assert tokens.user_for_token(bad) is None
    # another user cannot revoke it; its owner can
    other = desk.user("donor2")
    with pytest.raises(NotFound):
        tokens.revoke_token(other, token)
    tokens.revoke_token(user, token)
    assert tokens.user_for_token(plain) is None


def test_token_of_deactivated_user_stops_working(desk):
    user = desk.user("company")
    _token, plain = tokens.create_token(None, user)
    accounts.set_active(desk.user("admin"), user, False)
    assert tokens.user_for_token(plain) is None


def test_admin_revokes_any_token(desk):
    user = desk.user("observer")
    token, plain = tokens.create_token(None, user)
    tokens.revoke_token(desk.user("admin"), token)
    assert tokens.user_for_token(plain) is None


# --- administration is for administrators -------------------------------------------------


@pytest.mark.parametrize("role", ["back_office", "project_office", "donor", "recipient"])
def test_only_admins_manage_accounts(desk, role):
    actor = desk.user(role)
    target = desk.user("observer")
    with pytest.raises(PermissionDenied):
        accounts.set_active(actor, target, False)
    with pytest.raises(PermissionDenied):
        accounts.set_password(actor, target, "a new long passphrase")
    with pytest.raises(PermissionDenied):
        accounts.create_user(actor, "x@example.org", "GB", PASSWORD)
    with pytest.raises(PermissionDenied):
        accounts.create_organisation(
            actor, {"code": "X", "kind": "donor", "country": "FR", "name_en": "X"}
        )
    with pytest.raises(PermissionDenied):
        accounts.update_organisation(
            actor, desk.orgs["donor"], {"kind": "donor", "country": "GB", "name_en": "Changed"}
        )
    assert desk.user("observer").active


def test_admin_cannot_deactivate_self(desk):
    admin = desk.user("admin")
    with pytest.raises(PermissionDenied):
        accounts.set_active(admin, admin, False)


def test_deactivating_ends_sessions(desk):
    user = desk.user("donor")
    nonce = user.session_nonce
    accounts.set_active(desk.user("admin"), user, False)
    assert desk.user("donor").session_nonce != nonce
    event = AuditEvent.get(AuditEvent.action == "user.deactivate")
    assert json.loads(event.before)["active"] is True
    assert json.loads(event.after)["active"] is False


# --- exchange rates ---------------------------------------------------------------------------


def test_set_exchange_rate_is_audited_and_moves_funding(desk):
    project = desk.published(budget_amount="10000", budget_currency="EUR")
    donor = desk.user("donor")
    pledge = pledges.create_pledge(donor, project, {"amount": "10000", "currency": "GBP"})
    pledges.transition_pledge(donor, pledge, "confirm")
    assert funding.project_funding(project).state == "over"  # 1.17 EUR per GBP
    rates.set_exchange_rate(desk.user("admin"), "gbp", "0,5")
    assert ExchangeRate.get_by_id("GBP").eur_per_unit == Decimal("0.5")
    f = funding.project_funding(project)
    assert f.confirmed_eur == Decimal("5000") and f.state == "partly"
    event = AuditEvent.get(AuditEvent.action == "rate.update")
    assert json.loads(event.before)["eur_per_unit"] == "1.17"
    assert json.loads(event.after)["eur_per_unit"] == "0.5"
    assert event.user_email == "admin@example.org"


def test_set_exchange_rate_adds_a_missing_currency(desk):
    ExchangeRate.delete().where(ExchangeRate.currency == "NOK").execute()
    rates.set_exchange_rate(desk.user("admin"), "NOK", "0.086")
    assert ExchangeRate.get_by_id("NOK").eur_per_unit == Decimal("0.086")
    assert AuditEvent.get(AuditEvent.action == "rate.update").before is None


@pytest.mark.parametrize(
    "currency, rate, field",
    [
        ("USD", "", "rate"),
        ("USD", "abc", "rate"),
        ("USD", "0", "rate"),
        ("USD", "-1", "rate"),
        ("USD", "NaN", "rate"),
        ("USD", "Infinity", "rate"),
        ("USD", "1000000", "rate"),
        ("USD", "0.00000001", "rate"),
        ("USD", None, "rate"),
        ("EUR", "2", "currency"),
        ("XYZ", "1", "currency"),
        ("", "1", "currency"),
    ],
)
def test_set_exchange_rate_validation(desk, currency, rate, field):
    with pytest.raises(ValidationError) as exc:
        rates.set_exchange_rate(desk.user("admin"), currency, rate)
    assert field in exc.value.fields
    assert ExchangeRate.get_by_id("USD").eur_per_unit == Decimal("0.92")
    assert not AuditEvent.select().where(AuditEvent.action == "rate.update").exists()


@pytest.mark.parametrize("role", ["back_office", "project_office", "donor", "observer"])
def test_only_admins_change_rates(desk, role):
    with pytest.raises(PermissionDenied):
        rates.set_exchange_rate(desk.user(role), "USD", "1")
    assert ExchangeRate.get_by_id("USD").eur_per_unit == Decimal("0.92")


def test_all_rates_in_vocabulary_order(desk):
    codes = [r.currency for r in rates.all_rates()]
    assert codes[0] == "EUR" and codes[:3] == ["EUR", "USD", "GBP"]
