"""API tokens: made once and shown once, stored as a digest, expiring, read-only
or read-write, revoked one by one or all at once when their owner's password
changes (issue 12, item 11)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from tmdesk.core import audit, prepared, validation
from tmdesk.core.db import database
from tmdesk.core.errors import NotFound, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import ApiToken, Organisation, User, utcnow
from tmdesk.core.secrets_digest import digest as _token_digest

TOKEN_PREFIX = "tmd_"  # nosec B105: the public prefix of API tokens, not a secret
#: Days a new token lasts unless its owner chooses otherwise, and the most allowed.
TOKEN_DEFAULT_DAYS = 90
TOKEN_MAX_DAYS = 366
#: What a token may do: ``read`` answers GET (and HEAD) only.
TOKEN_SCOPES = {"read": N_("Read only"), "read_write": N_("Read and write")}


def _token_days(errors: validation.Errors, days: Any) -> int:
    """A whole number of days between 1 and :data:`TOKEN_MAX_DAYS` (default 90)."""
    if days in (None, ""):
        return TOKEN_DEFAULT_DAYS
    text = str(days).strip()
    if not text.isdigit() or len(text) > 4 or not 1 <= int(text) <= TOKEN_MAX_DAYS:
        errors["expires_days"] = N_("A whole number of days from 1 to %(max)d.") % {
            "max": TOKEN_MAX_DAYS
        }
        return TOKEN_DEFAULT_DAYS
    return int(text)


def create_token(
    actor: User | None,
    user: User,
    name: str = "",
    *,
    expires_days: int | str | None = None,
    scope: str = "read_write",
    now: dt.datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new API token for ``user``; the plain token is returned once and never stored.

    It works for ``expires_days`` days (default :data:`TOKEN_DEFAULT_DAYS`) and
    with ``scope`` ``read`` only answers reading requests. The web asks for the
    password first (tmdesk.web.auth.fresh_enough); the CLI is the machine's user.
    """
    errors = validation.Errors()
    name = validation.text(errors, {"name": name}, "name", max_length=100)
    days = _token_days(errors, expires_days)
    if scope not in TOKEN_SCOPES:
        errors["scope"] = N_("Choose read only or read and write.")
    errors.raise_if_any()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = now or utcnow()
    with database.atomic():
        token = ApiToken.create(
            user=user,
            name=name,
            token_hash=_token_digest(plain),
            prefix=plain[:10],
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
            scope=scope,
        )
        audit.record(
            actor,
            "token.create",
            token,
            None,
            {
                "user": user.email,
                "name": name,
                "scope": scope,
                "expires_at": token.expires_at.isoformat(),
            },
        )
    return token, plain


def renew_token(
    actor: User, token: ApiToken, days: int | str | None = None, now: dt.datetime | None = None
) -> None:
    """Let the owner's token work ``days`` more days from now (default 90)."""
    if token.user_id != actor.id:
        raise NotFound(N_("No such token."))
    errors = validation.Errors()
    count = _token_days(errors, days)
    errors.raise_if_any()
    if token.revoked_at is not None:
        raise ValidationError({"token": N_("A revoked token cannot be renewed.")})
    with database.atomic():
        before = token.expires_at
        token.expires_at = (now or utcnow()) + dt.timedelta(days=count)
        token.save(only=[ApiToken.expires_at])
        audit.record(
            actor,
            "token.renew",
            token,
            {"expires_at": before.isoformat() if before else None},
            {"expires_at": token.expires_at.isoformat()},
        )


def revoke_token(actor: User, token: ApiToken) -> None:
    if token.user_id != actor.id and not actor.is_admin:
        raise NotFound(N_("No such token."))
    with database.atomic():
        token.revoked_at = utcnow()
        token.save()
        audit.record(actor, "token.revoke", token, None, {"user": token.user.email})


def revoke_all_tokens(actor: User | None, user: User, reason: str) -> int:
    """Revoke every live token of ``user`` (a password change); how many there were."""
    now = utcnow()
    with database.atomic():
        count = (
            ApiToken.update(revoked_at=now)
            .where((ApiToken.user == user.id) & ApiToken.revoked_at.is_null())
            .execute()
        )
        if count:
            audit.record(actor, "token.revoke_all", user, None, {"tokens": count, "reason": reason})
    return count


def live_tokens(user: User) -> list[ApiToken]:
    """``user``'s tokens that are not revoked, newest first (expired ones included,
    so that their owner sees them and can renew them)."""
    return list(
        ApiToken.select()
        .where((ApiToken.user == user.id) & ApiToken.revoked_at.is_null())
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )


def token_for(plain: str, now: dt.datetime | None = None) -> ApiToken | None:
    """The unrevoked, unexpired token of an active user, or None; notes its use."""
    if not isinstance(plain, str) or not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    # The token, its user and the user's organisation in one query: every API
    # request needs all three (the visibility policy reads the organisation).
    found = prepared.rows(
        ("tokens.token_for",),
        lambda digest: (
            ApiToken.select(ApiToken, User, Organisation)
            .join(User, on=(ApiToken.user == User.id))
            .join(Organisation, on=(User.organisation == Organisation.id))
            .where((ApiToken.token_hash == digest) & ApiToken.revoked_at.is_null(True))
            .limit(1)
        ),
        _token_digest(plain),
    )
    token = found[0] if found else None
    now = now or utcnow()
    if token is None or not token.user.active:
        return None
    if token.expires_at is None or token.expires_at <= now:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.update(last_used_at=now).where(ApiToken.id == token.id).execute()
    return token


def user_for_token(plain: str) -> User | None:
    """The active user owning a working token (:func:`token_for`), or None."""
    token = token_for(plain)
    return None if token is None else token.user
