"""What :func:`tmdesk.exchange.envelope.open_sealed` hands back (its own module, so that
:mod:`tmdesk.exchange.trust` can take it without importing the envelope)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Opened:
    """A file that passed every check (see :mod:`tmdesk.exchange.envelope`)."""

    payload: bytes
    kind: str
    sender_fingerprint: str
    sender_id: int
    sender_role: str
    sender_email: str
    addressed_to: str
    sequence: int
    created: dt.datetime
    file_sha256: str
