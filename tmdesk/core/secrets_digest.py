"""The one way tmdesk stores a bearer secret (an API token, a session key): its
SHA-256 digest. The secrets are long random strings, so a plain digest is
enough to make a stolen table useless, and a lookup stays one indexed equality."""

from __future__ import annotations

import hashlib


def digest(secret: str) -> str:
    """The hex SHA-256 of ``secret`` as stored in the database."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
