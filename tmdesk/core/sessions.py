"""Browser sessions kept on the server: logging out, a password change or a
deactivation ends them wherever their cookies were copied (issue 12, item 10)."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from tmdesk.core.models import User, UserSession, utcnow
from tmdesk.core.secrets_digest import digest as _session_digest

#: How often a session's "last seen" time is written (seconds), not on every request.
SESSION_TOUCH_SECONDS = 60


def start_session(user: User, now: dt.datetime | None = None) -> str:
    """Record a new browser session of ``user``; returns the key the cookie carries."""
    key = secrets.token_urlsafe(32)
    now = now or utcnow()
    UserSession.create(user=user, key_hash=_session_digest(key), created_at=now, last_seen_at=now)
    return key


def session_alive(
    user: User, key: Any, idle_seconds: float, now: dt.datetime | None = None
) -> bool:
    """Whether ``key`` is a live session of ``user``: its row exists (not logged
    out, no password change or deactivation since) and it was used within
    ``idle_seconds`` (the server's own inactivity limit, whatever the cookie says)."""
    if not isinstance(key, str) or not key or len(key) > 100:
        return False
    row = UserSession.get_or_none(
        (UserSession.key_hash == _session_digest(key)) & (UserSession.user == user.id)
    )
    if row is None:
        return False
    now = now or utcnow()
    idle = (now - row.last_seen_at).total_seconds()
    if idle >= idle_seconds + SESSION_TOUCH_SECONDS:
        row.delete_instance()
        return False
    if idle > SESSION_TOUCH_SECONDS:
        UserSession.update(last_seen_at=now).where(UserSession.id == row.id).execute()
    return True


def end_session(key: Any) -> None:
    """Forget one browser session (logging out)."""
    if isinstance(key, str) and key:
        UserSession.delete().where(UserSession.key_hash == _session_digest(key)).execute()


def end_all_sessions(user: User) -> None:
    """Forget every browser session of ``user`` (password changed, deactivated)."""
    UserSession.delete().where(UserSession.user == user.id).execute()


def prune_sessions(idle_seconds: float, now: dt.datetime | None = None) -> None:
    """Delete sessions idle for longer than ``idle_seconds`` (their cookies are dead)."""
    cutoff = (now or utcnow()) - dt.timedelta(seconds=idle_seconds + SESSION_TOUCH_SECONDS)
    UserSession.delete().where(UserSession.last_seen_at < cutoff).execute()
