"""The e-mail digest of notifications, on an office server (issue #15).

An administrator sets the SMTP server in the environment (``TMDESK_SMTP_HOST``…,
:mod:`tmdesk.settings`) and runs ``tmdesk notify digest`` from a timer. Each
person with notifications not yet sent by e-mail gets one message listing
them (only what they may see now, as on the notifications page) and what
needs their action; the notifications are then marked as e-mailed, so the
next run sends only what is new. A failure for one person is reported and
the others are still sent; their notifications wait for the next run.

Words are written in the reader's language by the ``say`` function the caller
passes (the core does not load message catalogues).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from tmdesk import settings
from tmdesk.core import inbox, notifications
from tmdesk.core.i18n import N_
from tmdesk.core.models import Notification, User, utcnow

#: ``say(locale)`` gives a function writing an English message with its
#: parameters in that locale.
Say = Callable[[str], Callable[[str, dict[str, Any]], str]]


class DigestConfigError(ValueError):
    """The SMTP settings are incomplete or wrong."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str
    public_url: str | None

    @classmethod
    def from_settings(cls, env: Mapping[str, str] | None = None) -> SmtpConfig | None:
        """The administrator's SMTP settings; None when no SMTP server is set."""
        host = settings.SMTP_HOST.get(env)
        if not host:
            return None
        raw_port = settings.SMTP_PORT.get(env) or ""
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise DigestConfigError(f"TMDESK_SMTP_PORT must be a port number, not {raw_port!r}")
        sender = settings.SMTP_SENDER.get(env)
        if not sender or "@" not in sender:
            raise DigestConfigError("set TMDESK_SMTP_SENDER, the digest's From address")
        user = settings.SMTP_USER.get(env)
        password = settings.SMTP_PASSWORD.get(env)
        if user and not password:
            raise DigestConfigError("TMDESK_SMTP_USER is set without TMDESK_SMTP_PASSWORD")
        return cls(
            host=host,
            port=int(raw_port),
            starttls=settings.SMTP_STARTTLS.flag(env),
            user=user,
            password=password,
            sender=sender,
            public_url=(settings.PUBLIC_URL.get(env) or "").rstrip("/") or None,
        )


@dataclass(frozen=True)
class Digest:
    user: User
    items: list[notifications.Shown]
    needs: list[inbox.Group]


def pending(limit_per_user: int = 100) -> list[Digest]:
    """One digest per active user with notifications not yet e-mailed that they may
    still see, with what needs their action."""
    user_ids = {
        uid
        for (uid,) in Notification.select(Notification.user)
        .where(Notification.emailed_at.is_null() & Notification.read_at.is_null())
        .distinct()
        .tuples()
    }
    out = []
    for user in User.select().where(User.id.in_(list(user_ids)) & User.active).order_by(User.id):
        locale = user.locale or "uk"
        items = notifications.for_user(
            user, locale, limit=limit_per_user, unread_only=True, not_emailed=True
        )
        if items:
            out.append(Digest(user, items, inbox.needs_action(user)))
    return out


def compose(digest: Digest, config: SmtpConfig, say: Say) -> EmailMessage:
    """The e-mail of one digest, in its reader's language."""
    locale = digest.user.locale or "uk"
    write = say(locale)
    lines = [write(N_("Hello %(name)s,"), {"name": digest.user.name or digest.user.email}), ""]
    lines.append(write(N_("What happened on tmdesk since the last digest:"), {}))
    for item in digest.items:
        line = "- " + write(item.message, item.params)
        if config.public_url:
            line += f"\n  {config.public_url}/projects/{item.ref}"
        lines.append(line)
    if digest.needs:
        lines += ["", write(N_("Needs your action:"), {})]
        for group in digest.needs:
            lines.append(f"- {write(group.title, {})}: {group.count}")
    lines.append("")
    if config.public_url:
        lines.append(write(N_("Open tmdesk: %(url)s"), {"url": config.public_url + "/"}))
    lines.append(write(N_("You receive this because you have unread notifications on tmdesk."), {}))
    message = EmailMessage()
    message["Subject"] = write(
        N_("tmdesk: %(count)s new notifications"), {"count": len(digest.items)}
    )
    message["From"] = config.sender
    message["To"] = formataddr((digest.user.name or "", digest.user.email))
    message["Message-ID"] = make_msgid(domain=config.sender.rsplit("@", 1)[1])
    message.set_content("\n".join(lines))
    return message


def _connect(config: SmtpConfig, timeout: float) -> smtplib.SMTP:
    smtp = smtplib.SMTP(config.host, config.port, timeout=timeout)
    try:
        if config.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if config.user:
            smtp.login(config.user, config.password or "")
    except Exception:
        smtp.close()
        raise
    return smtp


@dataclass
class SendReport:
    sent: list[str]
    failed: list[tuple[str, str]]


def send_digests(config: SmtpConfig, say: Say, timeout: float = 30.0) -> SendReport:
    """Send every pending digest over one SMTP connection; mark what was sent."""
    report = SendReport([], [])
    digests = pending()
    if not digests:
        return report
    smtp = _connect(config, timeout)
    try:
        for digest in digests:
            try:
                smtp.send_message(compose(digest, config, say))
            except smtplib.SMTPException as exc:
                report.failed.append((digest.user.email, str(exc)[:200]))
                continue
            Notification.update(emailed_at=utcnow()).where(
                Notification.id.in_([n.id for n in digest.items])
            ).execute()
            report.sent.append(digest.user.email)
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            smtp.close()
    return report
