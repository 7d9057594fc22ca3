"""Organisations, users, passwords, API tokens and login checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from tmdesk.core import audit, validation
from tmdesk.core.db import database
from tmdesk.core.errors import NotFound, PermissionDenied, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import ApiToken, Organisation, User, utcnow
from tmdesk.core.vocab import ORG_KINDS

MIN_PASSWORD_LENGTH = 12
#: A short list of passwords people really use (lower-cased); longer ones too.
COMMON_PASSWORDS = frozenset(
    {
        "password1234",
        "123456789012",
        "qwertyuiopas",
        "passwordpassword",
        "iloveyou1234",
        "administrator",
        "adminadmin123",
        "welcome12345",
        "letmein12345",
        "qwerty123456",
        "1234567890ab",
        "password123!",
        "changeme1234",
        "tallinn12345",
        "ukraine12345",
        "slavaukraini1",
        "111111111111",
        "000000000000",
        "abcdefghijkl",
        "qwertyqwerty",
    }
)
#: Failed logins allowed before the account waits; the wait doubles after each.
FREE_ATTEMPTS = 3
MAX_LOCK_SECONDS = 15 * 60


#: werkzeug's hashing method; the test suite swaps in a fast one (tests/conftest.py).
PASSWORD_METHOD = "scrypt"  # nosec B105: the name of werkzeug's hashing method, not a password


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_METHOD)


def check_password_rules(password: str, email: str = "") -> str | None:
    """The reason ``password`` is refused, or None when it is acceptable."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        return N_("Use at least %(n)d characters.") % {"n": MIN_PASSWORD_LENGTH}
    lowered = password.lower()
    if email and (lowered == email.lower() or lowered == email.split("@")[0].lower()):
        return N_("The password must not be your e-mail address.")
    if lowered in COMMON_PASSWORDS or len(set(password)) < 4:
        return N_("This password is too easy to guess.")
    return None


#: Never copied into the audit log: secrets, and the nonce that keys sessions.
_USER_SECRETS = ("password_hash", "session_nonce")


def _user_snapshot(user: User) -> dict[str, Any]:
    return audit.snapshot(user, exclude=_USER_SECRETS)


def _require_admin(actor: User | None) -> None:
    """Administration is for administrators; ``actor`` None is the CLI or first-run setup."""
    if actor is not None and not (actor.active and actor.is_admin):
        raise PermissionDenied(N_("Only administrators manage organisations and accounts."))


def clean_organisation_data(data: dict[str, Any]) -> dict[str, Any]:
    errors = validation.Errors()
    out = {
        "code": validation.text(errors, data, "code", required=True, max_length=32).upper(),
        "kind": validation.choice(errors, data, "kind", ORG_KINDS),
        "country": validation.text(errors, data, "country", required=True, max_length=2).upper(),
        "iati_id": validation.text(errors, data, "iati_id", max_length=64) or None,
        "name_en": validation.text(errors, data, "name_en", required=True, max_length=200),
        "name_uk": validation.text(errors, data, "name_uk", max_length=200),
    }
    if out["code"] and not all(c.isalnum() or c in "-_" for c in out["code"]):
        errors["code"] = N_("Letters, digits, - and _ only.")
    if out["country"] and (len(out["country"]) != 2 or not out["country"].isalpha()):
        errors["country"] = N_("A two-letter country code such as UA or EE.")
    errors.raise_if_any()
    return out


def create_organisation(actor: User | None, data: dict[str, Any]) -> Organisation:
    _require_admin(actor)
    fields = clean_organisation_data(data)
    if Organisation.get_or_none(Organisation.code == fields["code"]):
        raise ValidationError({"code": N_("This code is already used.")})
    with database.atomic():
        org = Organisation.create(**fields)
        audit.record(actor, "organisation.create", org, None, audit.snapshot(org))
    return org


def update_organisation(actor: User, org: Organisation, data: dict[str, Any]) -> Organisation:
    _require_admin(actor)
    fields = clean_organisation_data(data | {"code": org.code})
    fields.pop("code")
    audit.update(actor, org, fields, "organisation.update")
    return org


def create_user(
    actor: User | None,
    email: str,
    org_code: str,
    password: str,
    name: str = "",
    is_admin: bool = False,
) -> User:
    """Create an account; the password must pass :func:`check_password_rules`."""
    _require_admin(actor)
    errors = validation.Errors()
    email = validation.email(errors, {"email": email})
    name = validation.text(errors, {"name": name}, "name", max_length=200)
    org = Organisation.get_or_none(Organisation.code == (org_code or "").upper())
    if org is None:
        errors["organisation"] = N_("No organisation has the code %(code)s.") % {"code": org_code}
    problem = check_password_rules(password, email)
    if problem:
        errors["password"] = problem
    if email and User.get_or_none(User.email == email):
        errors["email"] = N_("An account with this e-mail already exists.")
    errors.raise_if_any()
    with database.atomic():
        user = User.create(
            email=email,
            name=name,
            organisation=org,
            is_admin=is_admin,
            password_hash=hash_password(password),
            session_nonce=secrets.token_hex(8),
        )
        audit.record(actor, "user.create", user, None, _user_snapshot(user))
    return user


def update_user(actor: User, user: User, data: dict[str, Any]) -> User:
    """An administrator's edit of an account: its name, organisation and administrator
    right. A new organisation (so a new role) or a changed right ends the account's
    sessions, so it is used only with what it now may do. An administrator cannot
    take away their own right (nobody else might be left to give it back)."""
    _require_admin(actor)
    errors = validation.Errors()
    name = validation.text(errors, data, "name", max_length=200)
    code = str(data.get("organisation") or "").strip().upper()
    org = Organisation.get_or_none(Organisation.code == code) if code else None
    if org is None:
        errors["organisation"] = N_("Choose an organisation.")
    is_admin = bool(data.get("is_admin"))
    if actor.id == user.id and user.is_admin and not is_admin:
        errors["is_admin"] = N_("You cannot remove your own administrator right.")
    errors.raise_if_any()
    if org is None:  # reported above; said again for the type checker
        raise ValidationError({"organisation": N_("Choose an organisation.")})
    fields: dict[str, Any] = {"name": name, "organisation": org.id, "is_admin": is_admin}
    if org.id != user.organisation_id or is_admin != user.is_admin:
        fields["session_nonce"] = secrets.token_hex(8)
    with database.atomic():
        before = _user_snapshot(user)
        for key, value in fields.items():
            setattr(user, key, value)
        user.save()
        audit.record(actor, "user.update", user, before, _user_snapshot(user))
    return User.get_by_id(user.id)


def set_password(actor: User | None, user: User, password: str) -> None:
    """Change a password (own change or an administrator's reset); ends old sessions."""
    if actor is not None and actor.id != user.id:
        _require_admin(actor)
    problem = check_password_rules(password, user.email)
    if problem:
        raise ValidationError({"password": problem})
    with database.atomic():
        user.password_hash = hash_password(password)
        user.session_nonce = secrets.token_hex(8)
        user.failed_logins = 0
        user.locked_until = None
        user.save()
        audit.record(actor, "user.password", user, None, {"email": user.email})


def set_active(actor: User, user: User, active: bool) -> None:
    _require_admin(actor)
    if actor.id == user.id and not active:
        raise PermissionDenied(N_("You cannot deactivate your own account."))
    with database.atomic():
        before = _user_snapshot(user)
        user.active = active
        user.session_nonce = secrets.token_hex(8)
        user.save()
        audit.record(
            actor,
            "user.activate" if active else "user.deactivate",
            user,
            before,
            _user_snapshot(user),
        )


def has_any_admin() -> bool:
    return User.select().where(User.is_admin & User.active).exists()


def authenticate(email: str, password: str, now: dt.datetime | None = None) -> User | None:
    """The active user with these credentials, or None.

    Repeated failures make the account wait, longer each time (the desktop
    app sees every request from 127.0.0.1, so limits are per account). While
    it waits, even the right password is refused; callers show one generic
    message either way.
    """
    now = now or utcnow()
    user = User.get_or_none(User.email == (email or "").strip().lower())
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")  # same time as a real check
        return None
    if user.locked_until and user.locked_until > now:
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        with database.atomic():
            user.failed_logins += 1
            if user.failed_logins >= FREE_ATTEMPTS:
                wait = min(2 ** (user.failed_logins - FREE_ATTEMPTS) * 5, MAX_LOCK_SECONDS)
                user.locked_until = now + dt.timedelta(seconds=wait)
            user.save()
            audit.record(None, "login.failed", user, None, {"failed_logins": user.failed_logins})
        return None
    with database.atomic():
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        user.save()
        audit.record(user, "login", user, None, None)
    return user


_DUMMY_HASH = generate_password_hash("not-a-real-password")


# --- API tokens -----------------------------------------------------------

TOKEN_PREFIX = "tmd_"  # nosec B105: the public prefix of API tokens, not a secret


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(actor: User | None, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token for ``user``; the plain token is returned once and never stored."""
    errors = validation.Errors()
    name = validation.text(errors, {"name": name}, "name", max_length=100)
    errors.raise_if_any()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with database.atomic():
        token = ApiToken.create(
            user=user, name=name, token_hash=_token_digest(plain), prefix=plain[:10]
        )
        audit.record(actor, "token.create", token, None, {"user": user.email, "name": name})
    return token, plain


def revoke_token(actor: User, token: ApiToken) -> None:
    if token.user_id != actor.id and not actor.is_admin:
        raise NotFound(N_("No such token."))
    with database.atomic():
        token.revoked_at = utcnow()
        token.save()
        audit.record(actor, "token.revoke", token, None, {"user": token.user.email})


def find_token(plain: str) -> ApiToken | None:
    """The unrevoked token row for ``plain`` (None for anything else)."""
    if not plain or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    return ApiToken.get_or_none(
        (ApiToken.token_hash == _token_digest(plain)) & ApiToken.revoked_at.is_null(True)
    )


def user_for_token(plain: str) -> User | None:
    """The active user owning the (unrevoked) token, or None."""
    if not plain or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    token = ApiToken.get_or_none(
        (ApiToken.token_hash == _token_digest(plain)) & ApiToken.revoked_at.is_null(True)
    )
    if token is None or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.update(last_used_at=now).where(ApiToken.id == token.id).execute()
    return token.user
