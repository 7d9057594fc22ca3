"""Why an exchange file is refused: one exception, a code for programs, words for people."""

from __future__ import annotations

from typing import Any

from tmdesk.core.errors import DomainError


class ExchangeRefused(DomainError):
    """An exchange file was refused; nothing was changed.

    ``code`` is one of the ``REFUSED_*`` constants (stable, for programs and
    tests); ``message`` % ``params`` is the reason in words a user
    understands, marked for translation (``str(exc)`` is the English text).
    """

    http_status = 422

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message, **params)
        self.code = code


REFUSED_TOO_LARGE = "too_large"
REFUSED_NOT_EXCHANGE_FILE = "not_exchange_file"
REFUSED_NEWER_FORMAT = "newer_format"
REFUSED_OTHER_INSTALLATION = "other_installation"
REFUSED_DAMAGED = "damaged"
REFUSED_UNKNOWN_KEY = "unknown_key"
REFUSED_REVOKED_KEY = "revoked_key"
REFUSED_OTHER_PERSON = "other_person"
REFUSED_WRONG_KIND = "wrong_kind"
REFUSED_ALREADY_IMPORTED = "already_imported"
REFUSED_OUT_OF_ORDER = "out_of_order"
