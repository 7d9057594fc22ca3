"""Errors the core raises; the web layer turns them into messages and status codes.

Messages are marked with :func:`~tmdesk.core.i18n.N_` and carry their
parameters separately so they can be translated before formatting.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule of the desk refused an action. ``http_status`` suggests the answer."""

    http_status = 409

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


class ValidationError(DomainError):
    """Input was wrong; ``fields`` maps field names to messages (already formatted)."""

    http_status = 422

    def __init__(self, fields: dict[str, str], message: str = "The data has errors.") -> None:
        super().__init__(message)
        self.fields = fields


class PermissionDenied(DomainError):
    """The user may see the thing but may not do this to it."""

    http_status = 403


class NotFound(DomainError):
    """The thing does not exist, or the user may not see it (indistinguishable)."""

    http_status = 404


class TransitionError(DomainError):
    """A workflow step that is not allowed from the current status."""

    http_status = 409


class BackupError(RuntimeError):
    """A backup or restore could not be completed safely (either engine)."""
