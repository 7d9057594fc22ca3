"""Stable unique identifiers for records that travel between installations.

Every record a desk and the office exchange (organisations, people, projects,
pledges, offers, engagements, updates, documents) carries a ``uid``: a UUID
version 7 (RFC 9562), made where the record is first created. Its leading 48
bits are the creation time in milliseconds, so uids sort roughly by age and
index well; the other 74 bits are random, so a uid reveals nothing about how
many other records exist (unlike sequential ids and references) and two
installations never make the same one.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid

#: The text form of a uid: 36 characters, lower-case hex with dashes.
UID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def new_uid(now_ms: int | None = None) -> str:
    """A new UUIDv7 as text (``019a…-7…-…``)."""
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    rand = secrets.randbits(74)
    value = (ms & ((1 << 48) - 1)) << 80  # unix_ts_ms
    value |= 0x7 << 76  # version 7
    value |= (rand >> 62) << 64  # rand_a: 12 bits
    value |= 0b10 << 62  # RFC 9562 variant
    value |= rand & ((1 << 62) - 1)  # rand_b: 62 bits
    return str(uuid.UUID(int=value))


def given_uid(uid: str | None) -> dict[str, str]:
    """``{"uid": uid}`` when a record arrives with its own uid (a desk's action
    replayed on the office), else ``{}`` so the model makes a new one."""
    return {"uid": uid} if uid else {}


def is_uid(text: str) -> bool:
    """Whether ``text`` is a uid as :func:`new_uid` writes them."""
    return bool(UID_PATTERN.match(text or ""))


def short_uid(uid: str) -> str:
    """The last eight characters of ``uid``: how pages name a record that has no
    reference (an offer). They are random bits, so they count nothing, unlike a
    row id, and unlike a uid's first characters (its creation time) they differ
    between records made at the same moment."""
    return (uid or "")[-8:]
