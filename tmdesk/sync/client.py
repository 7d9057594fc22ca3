"""Talking to the office: its sync endpoints over HTTP(S), and the problems an
exchange can meet (each with a message for the person, marked for translation)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from tmdesk.core.errors import DomainError
from tmdesk.core.i18n import N_

#: Seconds to wait for the office's answer.
TIMEOUT = 60


class SyncProblem(DomainError):
    """The exchange could not be done; the message (marked for translation, with
    its parameters apart) says why, for the person."""


class OfficeUnreachable(SyncProblem):
    """No answer from the office (offline, down, or an error on its side): nothing lost."""


class DeskRevoked(SyncProblem):
    """The office refused this desk's token: it was revoked there. The desk stops."""


class NotLinked(SyncProblem):
    """This desk is not linked to an office."""


class Office:
    """The office's sync endpoints over HTTP(S), JSON in and out."""

    def __init__(self, url: str, token: str = "") -> None:  # nosec B107: no token yet when linking
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise SyncProblem(
                N_("Not an office address: “%(url)s” (use http:// or https://)."), url=url[:200]
            )
        self.url = url.rstrip("/")
        self.token = token

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        raw: bytes | None = None,
        query: dict[str, str] | None = None,
    ) -> Any:
        url = f"{self.url}/api/v1/sync/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - http(s) checked above
        request.add_header(
            "Content-Type", "application/octet-stream" if raw is not None else "application/json"
        )
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # nosec B310: scheme checked in __init__
                payload = response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            text = exc.read().decode("utf-8", "replace")
            try:
                message = json.loads(text).get("error") or text
            except ValueError:
                message = text[:200]
            if exc.code == 401:
                raise DeskRevoked(
                    N_("The office refused this desk's link (revoked or expired): link it again.")
                ) from exc
            if exc.code >= 500:
                raise OfficeUnreachable(
                    N_("The office answered %(code)s: %(message)s"), code=exc.code, message=message
                ) from exc
            raise SyncProblem(
                N_("The office refused (%(code)s): %(message)s"), code=exc.code, message=message
            ) from exc
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            raise OfficeUnreachable(
                N_("The office at %(url)s could not be reached: %(why)s"), url=self.url, why=exc
            ) from exc
        return json.loads(payload) if kind.startswith("application/json") else payload
