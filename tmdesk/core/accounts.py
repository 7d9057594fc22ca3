"""Organisations, users, passwords, API tokens and login checks."""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from tmdesk.core import audit, sessions, tokens, validation
from tmdesk.core.db import database
from tmdesk.core.errors import DomainError, PermissionDenied, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import (
    AccountChange,
    Organisation,
    Project,
    User,
    utcnow,
)
from tmdesk.core.orgkinds import guess_recipient_type
from tmdesk.core.visibility import visible_projects
from tmdesk.core.vocab import ORG_KINDS, RECIPIENT_TYPES

log = logging.getLogger(__name__)

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
        "recipient_type": validation.choice(
            errors, data, "recipient_type", RECIPIENT_TYPES, required=False, default=""
        ),
    }
    if out["kind"] == "recipient" and not out["recipient_type"]:
        # Donors' channel codes depend on it: guessed from the name when not chosen.
        out["recipient_type"] = guess_recipient_type(out["name_en"] or "", out["name_uk"] or "")
    elif out["kind"] != "recipient":
        out["recipient_type"] = ""
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
    """Edit an organisation; a new kind that would let its people read projects the
    administrator may not read waits for a second administrator (:func:`hold_if_reaching`)."""
    _require_admin(actor)
    fields = clean_organisation_data(data | {"code": org.code})
    fields.pop("code")
    if fields["kind"] != org.kind:
        as_it_would_be = Organisation(id=org.id, kind=fields["kind"], code=org.code)
        hold_if_reaching(
            actor,
            User(organisation=as_it_would_be, active=True),
            "organisation",
            {"fields": fields},
            organisation=org,
        )
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
    password_hash = hash_password(password)
    hold_if_reaching(
        actor,
        User(organisation=org, active=True),
        "create_user",
        {"email": email, "name": name, "is_admin": is_admin, "password_hash": password_hash},
        organisation=org,
    )
    return _insert_user(actor, email, name, org, is_admin, password_hash)


def _insert_user(
    actor: User | None, email: str, name: str, org: Organisation, is_admin: bool, password_hash: str
) -> User:
    with database.atomic():
        user = User.create(
            email=email,
            name=name,
            organisation=org,
            is_admin=is_admin,
            password_hash=password_hash,
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
    if org.id != user.organisation_id:
        # Moved into an organisation whose projects the administrator may not read
        # (or made an office): a second administrator approves, as for a new account.
        hold_if_reaching(
            actor,
            User(id=user.id, email=user.email, organisation=org, active=True),
            "user_edit",
            {"fields": fields},
            user=user,
        )
    return _write_user(actor, user, fields)


def _write_user(actor: User | None, user: User, fields: dict[str, Any]) -> User:
    """Save an account edit; a new organisation or right ends its sessions."""
    fields = dict(fields)
    if fields["organisation"] != user.organisation_id or fields["is_admin"] != user.is_admin:
        fields["session_nonce"] = secrets.token_hex(8)
    with database.atomic():
        before = _user_snapshot(user)
        for key, value in fields.items():
            setattr(user, key, value)
        user.save()
        audit.record(actor, "user.update", user, before, _user_snapshot(user))
    return User.get_by_id(user.id)


def set_password(
    actor: User | None, user: User, password: str, *, revoke_tokens: bool = True
) -> None:
    """Change a password (own change or an administrator's reset); ends every
    browser session of the account and, unless ``revoke_tokens`` is False (the
    person chose to keep them), revokes its API tokens."""
    if actor is not None and actor.id != user.id:
        _require_admin(actor)
    problem = check_password_rules(password, user.email)
    if problem:
        raise ValidationError({"password": problem})
    password_hash = hash_password(password)
    if actor is not None and actor.id != user.id:
        hold_if_reaching(
            actor,
            user,
            "password",
            {"password_hash": password_hash, "revoke_tokens": revoke_tokens},
            user=user,
        )
    _write_password(actor, user, password_hash, revoke_tokens)


def _write_password(
    actor: User | None, user: User, password_hash: str, revoke_tokens: bool
) -> None:
    with database.atomic():
        user.password_hash = password_hash
        user.session_nonce = secrets.token_hex(8)
        user.failed_logins = 0
        user.locked_until = None
        user.save()
        sessions.end_all_sessions(user)
        audit.record(actor, "user.password", user, None, {"email": user.email})
        if revoke_tokens:
            tokens.revoke_all_tokens(actor, user, "password")


def set_active(actor: User, user: User, active: bool) -> None:
    _require_admin(actor)
    if actor.id == user.id and not active:
        raise PermissionDenied(N_("You cannot deactivate your own account."))
    with database.atomic():
        before = _user_snapshot(user)
        user.active = active
        user.session_nonce = secrets.token_hex(8)
        user.save()
        sessions.end_all_sessions(user)
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

    Every call verifies exactly one password hash, whatever the outcome
    (unknown e-mail, wrong password, account waiting or deactivated), so the
    time an answer takes does not tell which it was: the hash is the work.
    """
    now = now or utcnow()
    user = User.get_or_none(User.email == (email or "").strip().lower())
    stored = user.password_hash if user is not None else _dummy_hash()
    password_ok = check_password_hash(stored, password or "")
    if user is None:
        return None
    if user.locked_until and user.locked_until > now:
        return None
    if not password_ok or not user.active:
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


_DUMMY_HASHES: dict[str, str] = {}


def _dummy_hash() -> str:
    """A hash made the way real ones are now (:data:`PASSWORD_METHOD`), to verify
    against when there is no account: the same work as a real check."""
    if PASSWORD_METHOD not in _DUMMY_HASHES:
        _DUMMY_HASHES[PASSWORD_METHOD] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[PASSWORD_METHOD]


# --- a second administrator for changes that reach further -----------------


class SecondApprovalNeeded(DomainError):
    """The change is stored, not made: a second administrator must approve it."""

    http_status = 202


#: Kinds of :class:`AccountChange`, in words for the Approvals page.
CHANGE_KINDS = {
    "password": N_("Password reset"),
    "create_user": N_("New account"),
    "organisation": N_("Organisation kind changed"),
    "user_edit": N_("Account moved to another organisation"),
}


def reaches_beyond(actor: User, subject: User) -> bool:
    """Whether ``subject`` (an account, real or as it would be after a change) may
    read a project that ``actor`` may not: the one test of an administrator's reach."""
    readable = visible_projects(actor).select(Project.id)
    return visible_projects(subject).where(Project.id.not_in(readable)).exists()


def hold_if_reaching(
    actor: User | None,
    subject: User,
    kind: str,
    payload: dict[str, Any],
    *,
    user: User | None = None,
    organisation: Organisation | None = None,
) -> None:
    """Store an administrator's account change for a second administrator, and raise
    :class:`SecondApprovalNeeded`, when it would let ``subject`` read what ``actor``
    may not (a password the administrator would know, an account in an organisation
    whose projects they may not read, an organisation made an office). The command
    line (``actor`` None) is the machine's own user, who can read the database anyway.
    """
    if actor is None or not reaches_beyond(actor, subject):
        return
    with database.atomic():
        change = AccountChange.create(
            kind=kind,
            user=user,
            organisation=organisation,
            payload=json.dumps(payload, sort_keys=True),
            requested_by=actor,
        )
        audit.record(actor, "account_change.request", change, None, _change_summary(change))
    log.warning(
        "account change %s (%s) by %s waits for a second administrator: it would reach "
        "projects the requesting administrator may not read",
        change.id,
        kind,
        actor.email,
    )
    raise SecondApprovalNeeded(
        N_(
            "This change would let the account read projects you may not read, so a second "
            "administrator must approve it. It is waiting on the Approvals page."
        )
    )


def _change_summary(change: AccountChange) -> dict[str, Any]:
    """What the audit log keeps of a held change (never the password hash)."""
    data = json.loads(change.payload)
    return {
        "kind": change.kind,
        "user": change.user.email if change.user_id else data.get("email"),
        "organisation": change.organisation.code if change.organisation_id else None,
        "kind_after": data.get("fields", {}).get("kind"),
        "requested_by": change.requested_by.email,
        "status": change.status,
    }


def pending_changes() -> list[AccountChange]:
    return list(
        AccountChange.select()
        .where(AccountChange.status == "pending")
        .order_by(AccountChange.requested_at, AccountChange.id)
    )


def describe_change(change: AccountChange) -> dict[str, Any]:
    """A held change for the Approvals page: its summary without secrets."""
    return _change_summary(change)


def decide_change(approver: User, change: AccountChange, approve: bool) -> None:
    """Approve (apply) or refuse a held change. Another administrator approves; the
    one who asked may withdraw their own request."""
    _require_admin(approver)
    if change.status != "pending":
        raise ValidationError({"change": N_("This change was already decided.")})
    if approve and change.requested_by_id == approver.id:
        raise PermissionDenied(N_("Another administrator must approve a change you asked for."))
    data = json.loads(change.payload)
    with database.atomic():
        if approve:
            requester = change.requested_by
            if change.kind == "password":
                _write_password(
                    requester, change.user, data["password_hash"], data["revoke_tokens"]
                )
            elif change.kind == "create_user":
                if User.get_or_none(User.email == data["email"]):
                    raise ValidationError(
                        {"email": N_("An account with this e-mail already exists.")}
                    )
                _insert_user(
                    requester,
                    data["email"],
                    data["name"],
                    change.organisation,
                    data["is_admin"],
                    data["password_hash"],
                )
            elif change.kind == "organisation":
                audit.update(requester, change.organisation, data["fields"], "organisation.update")
            elif change.kind == "user_edit":
                _write_user(requester, change.user, data["fields"])
        change.status = "approved" if approve else "refused"
        change.decided_by = approver
        change.decided_at = utcnow()
        change.save()
        audit.record(
            approver,
            "account_change.approve" if approve else "account_change.refuse",
            change,
            None,
            _change_summary(change),
        )
    log.warning(
        "account change %s (%s) asked by %s was %s by %s",
        change.id,
        change.kind,
        change.requested_by.email,
        change.status,
        approver.email,
    )
