"""Administration → Linked desks, Exchange rates, Backups and Exchange keys."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext, lazy_gettext
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TextAreaField

from tmdesk.core import backup as backups
from tmdesk.core import rates, tokens
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.errors import DomainError, PermissionDenied
from tmdesk.core.models import ExchangeRate, User, utcnow
from tmdesk.core.vocab import CURRENCIES
from tmdesk.exchange import trust
from tmdesk.exchange.keys import installation_keys, show_fingerprint
from tmdesk.paths import backups_dir
from tmdesk.web.admin.base import bp
from tmdesk.web.auth import server_now
from tmdesk.web.common import acting_user, flash_error, form_page

log = logging.getLogger(__name__)


@bp.get("/desks")
def desks():
    """Desks linked to this office, each through its person's own token (issue #14)."""
    from tmdesk.core.models import ApiToken, DeskLink

    links = list(
        DeskLink.select(DeskLink, User, ApiToken)
        .join(User, on=(DeskLink.user == User.id))
        .switch(DeskLink)
        .join(ApiToken, on=(DeskLink.token == ApiToken.id))
        .order_by(DeskLink.created_at.desc())
    )
    return render_template("admin/desks.html", links=links, now=server_now())


@bp.post("/desks/<int:desk_id>/revoke")
def desk_revoke(desk_id: int):
    """Unlink a desk: its token is revoked, and its next sync is refused."""
    from tmdesk.core.models import DeskLink

    link = DeskLink.get_or_none(DeskLink.id == desk_id)
    if link is None:
        abort(404)
    tokens.revoke_token(acting_user(), link.token)
    flash(
        gettext(
            "The desk “%(name)s” of %(email)s is unlinked: its next sync is refused.",
            name=link.desk_name,
            email=link.user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.desks"))


class RateForm(FlaskForm):
    rate = StringField(lazy_gettext("Euros per unit"), render_kw={"inputmode": "decimal"})
    effective_from = StringField(lazy_gettext("In force from"), render_kw={"type": "date"})


# --- exchange rates -----------------------------------------------------------


@bp.get("/rates")
def rates_list():
    return render_template(
        "admin/rates.html",
        rates=rates.all_rates(),
        missing=[c for c in CURRENCIES if not ExchangeRate.get_or_none(ExchangeRate.currency == c)],
        base=rates.BASE_CURRENCY,
        history=rates.rate_history(),
    )


@bp.route("/rates/<currency>", methods=["GET", "POST"])
def rate_edit(currency: str):
    currency = currency.upper()
    if currency not in CURRENCIES or currency == rates.BASE_CURRENCY:
        abort(404)
    existing = ExchangeRate.get_or_none(ExchangeRate.currency == currency)
    if request.method == "GET":
        form = RateForm(
            data={
                "rate": str(existing.eur_per_unit) if existing else "",
                "effective_from": utcnow().date().isoformat(),
            }
        )
    else:
        form = RateForm()
    return form_page(
        form,
        lambda: rates.set_exchange_rate(
            acting_user(), currency, form.rate.data or "", form.effective_from.data or None
        ),
        lambda saved: gettext(
            "The rate of %(currency)s from %(date)s is saved; today 1 %(currency)s is "
            "%(rate)s EUR. Each transaction converts at the rate in force on its date.",
            currency=currency,
            date=form.effective_from.data or utcnow().date().isoformat(),
            rate=saved.eur_per_unit,
        ),
        url_for("admin.rates_list"),
        "admin/rate_form.html",
        mapping={"currency": "rate"},
        currency=currency,
        existing=existing,
        history=rates.rate_history(currency),
    )


# --- backups ------------------------------------------------------------------


#: How the kinds of :func:`tmdesk.core.backup.list_backups` read on the page.
BACKUP_KINDS = {
    backups.KIND_AUTOMATIC: lazy_gettext("Automatic"),
    backups.KIND_MANUAL: lazy_gettext("Made with “Back up now”"),
    backups.KIND_UPGRADE: lazy_gettext("Before a schema upgrade"),
    backups.KIND_OTHER: lazy_gettext("Other file"),
}


def size_text(size: int) -> str:
    """A file size for people: ``850 KB``, ``12.4 MB`` (decimal units, by locale)."""
    if size < 1_000_000:
        return gettext("%(size)s KB", size=format_decimal(max(size / 1000, 0.1), "#,##0.#"))
    return gettext("%(size)s MB", size=format_decimal(size / 1_000_000, "#,##0.#"))


@bp.get("/backups")
def backups_list():
    data_dir = current_app.config["DATA_DIR"]
    found = backups.list_backups(data_dir)
    latest = backups.latest_automatic_backup(data_dir)
    keep = backups.keep_setting()
    sqlite = is_sqlite()
    # The scheduler looks every hour: a copy more than a day and two hours old
    # means it is not running or keeps failing (the log says which).
    overdue = (
        sqlite
        and keep > 0
        and latest is not None
        and dt.datetime.now() - latest.time > backups.DAILY + dt.timedelta(hours=2)
    )
    return render_template(
        "admin/backups.html",
        backups=found,
        automatic=sum(1 for b in found if b.kind == backups.KIND_AUTOMATIC),
        latest=latest,
        overdue=overdue,
        keep=keep,
        keep_env=backups.KEEP_ENV,
        kinds=BACKUP_KINDS,
        folder=backups_dir(data_dir),
        sqlite=sqlite,
        size_text=size_text,
        restore_command=_restore_command(
            next(
                (b.path for b in found if b.kind != backups.KIND_OTHER),
                backups_dir(data_dir) / "FILE",
            )
        ),
    )


def _restore_command(path: Path) -> str:
    """``tmdesk restore <path>``, quoted when the path has spaces (Windows profiles)."""
    text = str(path)
    return f'tmdesk restore "{text}"' if " " in text else f"tmdesk restore {text}"


@bp.post("/backups/now")
def backup_now():
    try:
        made = backups.backup_now(acting_user(), database.obj, current_app.config["DATA_DIR"])
    except PermissionDenied as exc:
        flash_error(exc)
    except backups.BackupError as exc:
        log.error("Back up now failed: %s", exc)
        flash(
            gettext("The backup failed, nothing was deleted: %(reason)s", reason=str(exc)), "error"
        )
    else:
        flash(gettext("Backup written and checked: %(file)s", file=made.name), "success")
    return redirect(url_for("admin.backups_list"))


# --- exchange keys ------------------------------------------------------------


class TrustKeyForm(FlaskForm):
    public_key = TextAreaField(lazy_gettext("Public key"), render_kw={"rows": 3})
    fingerprint = StringField(
        lazy_gettext("Fingerprint, as read out to you"), render_kw={"autocomplete": "off"}
    )
    role = SelectField(
        lazy_gettext("Whose key is it?"),
        choices=[
            (trust.ROLE_OFFICE, lazy_gettext("The office's")),
            (trust.ROLE_DESK, lazy_gettext("A person's desk")),
        ],
        default=trust.ROLE_DESK,
        validate_choice=False,
    )
    person_email = EmailField(lazy_gettext("The person's e-mail (for a desk)"))
    label = StringField(lazy_gettext("Note (optional)"))


@bp.get("/keys")
def keys_list():
    mine = installation_keys(current_app.config["DATA_DIR"]).public
    return render_template(
        "admin/keys.html",
        mine=mine,
        peers=trust.trusted_keys(),
        show_fingerprint=show_fingerprint,
        office=trust.ROLE_OFFICE,
    )


@bp.route("/keys/trust", methods=["GET", "POST"])
def key_trust():
    form = TrustKeyForm()
    return form_page(
        form,
        lambda: trust.trust_key(
            acting_user(),
            form.public_key.data or "",
            fingerprint=form.fingerprint.data or "",
            role=form.role.data or "",
            person_email=form.person_email.data or "",
            label=form.label.data or "",
            via="web",
        ),
        lambda peer: gettext(
            "Key %(fingerprint)s is trusted. Files it signs can be imported here.",
            fingerprint=show_fingerprint(peer.fingerprint),
        ),
        url_for("admin.keys_list"),
        "admin/key_form.html",
        mapping={"email": "person_email", "role": "role"},
    )


@bp.post("/keys/<fingerprint>/revoke")
def key_revoke(fingerprint: str):
    try:
        peer = trust.revoke_key(acting_user(), fingerprint, via="web")
    except DomainError as exc:
        flash_error(exc)
    else:
        flash(
            gettext(
                "Key %(fingerprint)s is revoked: files it signs are refused from now on.",
                fingerprint=show_fingerprint(peer.fingerprint),
            ),
            "success",
        )
    return redirect(url_for("admin.keys_list"))
