"""``tmdesk notify``: the e-mail digest of notifications (office servers, issue #15).

Run ``tmdesk notify digest`` from a timer (systemd, cron) on the office server;
the SMTP server is set with TMDESK_SMTP_HOST, TMDESK_SMTP_SENDER and the other
SMTP settings of :mod:`tmdesk.settings`.
"""

from __future__ import annotations

import smtplib
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import click
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from tmdesk.cli.common import data_dir_option, fail, open_existing_db
from tmdesk.core import digest

TRANSLATIONS_DIR = Path(__file__).resolve().parent.parent / "translations"


@lru_cache(maxsize=4)
def _catalogue(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def say(locale: str):
    """Write a core message with its parameters in ``locale`` (amounts the reader's way)."""
    catalogue = _catalogue(locale)

    def write(message: str, params: dict[str, Any]) -> str:
        text = catalogue.gettext(message)
        if not params:
            return text
        return text % {
            k: format_decimal(v, locale=locale) if isinstance(v, Decimal) else v
            for k, v in params.items()
        }

    return write


@click.group("notify")
def notify() -> None:
    """Notifications sent outside the app."""


@notify.command("digest")
@data_dir_option
@click.option("--timeout", default=30.0, show_default=True, help="SMTP timeout in seconds.")
@click.pass_obj
def notify_digest(obj, timeout: float) -> None:
    """E-mail each person their notifications not yet sent (needs TMDESK_SMTP_HOST)."""
    try:
        config = digest.SmtpConfig.from_settings()
    except digest.DigestConfigError as exc:
        fail(str(exc))
    if config is None:
        fail("no SMTP server is set: set TMDESK_SMTP_HOST and TMDESK_SMTP_SENDER")
    open_existing_db(obj["data_dir"])
    try:
        report = digest.send_digests(config, say, timeout=timeout)
    except (OSError, smtplib.SMTPException) as exc:
        fail(f"could not send through {config.host}:{config.port}: {exc}")
    for email, reason in report.failed:
        click.echo(f"tmdesk: not sent to {email}: {reason}", err=True)
    click.echo(f"Digest sent to {len(report.sent)} people.")
    if report.failed:
        raise SystemExit(1)
