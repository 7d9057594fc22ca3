"""Template globals and filters: vocabularies, money, dates, TLP badges."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal, gettext, ngettext
from markupsafe import Markup, escape

from tmdesk import __version__
from tmdesk.core import permissions, vocab
from tmdesk.core.i18n import N_
from tmdesk.core.ids import short_uid
from tmdesk.core.projects import is_unsent_ref
from tmdesk.web.common import acting_user, locale_code


def money(amount: Decimal | None, currency: str | None = "EUR") -> str:
    """``12 500,00 EUR`` / ``12,500.00 EUR`` by locale; empty for None."""
    if amount is None:
        return ""
    text = format_decimal(amount, format="#,##0.00")
    return f"{text} {currency}" if currency else text


def whole_money(amount: Decimal | None, currency: str | None = "EUR") -> str:
    """Rounded to whole units, for totals and charts."""
    if amount is None:
        return ""
    text = format_decimal(amount.quantize(Decimal("1")), format="#,##0")
    return f"{text} {currency}" if currency else text


def number(value: Decimal | int | float | None) -> str:
    """A plain number by locale (``1 000,5`` / ``1,000.5``); empty for None."""
    if value is None:
        return ""
    return format_decimal(value)


def date(value: dt.date | dt.datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return format_datetime(value, fmt)
    return format_date(value, fmt)


def filesize(size: int | None) -> str:
    """A file size for people, in the reader's language: ``512 bytes``, ``850 KB``,
    ``12.4 MB`` (decimal units; Jinja's own ``filesizeformat`` speaks only English)."""
    if size is None:
        return ""
    if size < 1000:
        return ngettext("%(num)d byte", "%(num)d bytes", int(size))
    if size < 1_000_000:
        return gettext("%(size)s KB", size=format_decimal(size / 1000, "#,##0.#"))
    return gettext("%(size)s MB", size=format_decimal(size / 1_000_000, "#,##0.#"))


_ROW_RE = re.compile(r"(<tr\b)", re.IGNORECASE)
_CELL_RE = re.compile(r"<(td|th)\b(?![^>]*\bdata-label=)", re.IGNORECASE)


def _label_cells(row: str, labels: Sequence[str]) -> str:
    """One row's cells, each with ``data-label`` from ``labels`` in column order."""
    index = iter(range(len(labels)))

    def one(match: re.Match) -> str:
        i = next(index, None)
        text = labels[i] if i is not None else ""
        if not text:
            return match.group(0)
        return f'{match.group(0)} data-label="{escape(text)}"'

    return _CELL_RE.sub(one, row)


def card_labels(rows: str, labels: Sequence[str]) -> Markup:
    """``rows`` (table rows as HTML) with each cell labelled by its column heading
    (``data-label``), so that on a narrow screen a row can be shown as a card whose
    every value says what it is (the CSS writes the label before the value). An
    empty heading (a row's buttons) gives no label; a cell that has one keeps it."""
    parts = _ROW_RE.split(str(rows))
    out = [parts[0]]
    for tag, body in zip(parts[1::2], parts[2::2], strict=True):
        out.append(tag + _label_cells(body, labels))
    return Markup("".join(out))  # nosec B704: the rows are the template's own markup; labels escaped


def label(vocabulary: dict[str, str], code: str | None) -> str:
    """The translated label of ``code`` in a core vocabulary."""
    if code is None:
        return ""
    text = vocabulary.get(code)
    return gettext(text) if text else code


def tlp_badge(tlp: str) -> Markup:
    """The TLP label as text and colour (never colour alone)."""
    slug = tlp.lower().replace("+", "-")
    title = gettext(vocab.TLP_DESCRIPTIONS.get(tlp, tlp))
    return Markup(  # nosec B704: every interpolated value is escaped
        f'<span class="tlp tlp-{escape(slug)}" title="{escape(title)}">TLP:{escape(tlp)}</span>'
    )


def status_tag(status: str, vocabulary: dict[str, str] | None = None) -> Markup:
    text = label(vocabulary or vocab.PROJECT_STATUSES, status)
    return Markup(f'<span class="tag tag-{escape(status)}">{escape(text)}</span>')  # nosec B704: every interpolated value is escaped


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        vocab=vocab,
        label=label,
        tlp_badge=tlp_badge,
        status_tag=status_tag,
        acting_user=acting_user,
        locale_code=locale_code,
        oblast_name=vocab.oblast_name,
        tmdesk_version=__version__,
        nav_items=nav_items,
        perm=permissions,
        is_unsent_ref=is_unsent_ref,
    )
    app.jinja_env.filters.update(
        money=money,
        whole_money=whole_money,
        date=date,
        number=number,
        filesize=filesize,
        card_labels=card_labels,
        short_uid=short_uid,
    )
    app.jinja_env.add_extension("jinja2.ext.do")


#: Main navigation: (endpoint, label, who sees it). Entries whose endpoint is
#: not registered are left out, so the menu follows the installed blueprints.
NAV = (
    ("projects.home", N_("Start"), lambda u: True),
    ("projects.catalogue", N_("Catalogue"), lambda u: True),
    ("review.queue", N_("Review queue"), lambda u: u.role in ("back_office", "project_office")),
    (
        "offers.index",
        N_("Offers"),
        lambda u: u.role in ("back_office", "project_office", "donor", "company"),
    ),
    ("pledges.mine", N_("Pledges"), lambda u: u.role in ("donor", "back_office", "project_office")),
    ("coordination.dashboard", N_("Dashboard"), lambda u: True),
    ("coordination.search", N_("Search"), lambda u: True),
    ("reports.index", N_("Reports"), lambda u: True),
    ("admin.index", N_("Administration"), lambda u: u.is_admin),
)


def nav_items() -> list[dict]:
    from flask import current_app, request, url_for

    user = acting_user()
    if user is None:
        return []
    items = []
    for endpoint, text, allowed in NAV:
        if endpoint not in current_app.view_functions or not allowed(user):
            continue
        blueprint = endpoint.split(".")[0]
        current = request.endpoint == endpoint or (
            endpoint != "projects.home"
            and request.blueprint == blueprint
            # Blueprints holding several menu entries mark only the page itself.
            and blueprint not in ("projects", "coordination")
        )
        items.append({"url": url_for(endpoint), "label": gettext(text), "current": current})
    return items
