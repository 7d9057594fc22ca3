"""Blocks the built-in reports share: the cover's head, the key figures, the line
naming the projects that set the TLP label, project and donor tables, the donor
chart, and how a title that exists only in Ukrainian is marked in English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from reportlab.graphics.shapes import Drawing
from reportlab.platypus import Flowable, Table

from tmdesk.plugins.contract import (
    FIGURE_DEFINITIONS,
    FUNDING_STATES,
    N_,
    PRIORITIES,
    PROJECT_STATUSES,
    TLP_DESCRIPTIONS,
    DonorTotals,
    PledgeView,
    ProjectView,
    Requester,
    Totals,
    UpdateView,
    highest_tlp,
    tlp_setters,
)

from .charts import bar_chart
from .flowables import TLPBox, figures, heading, para
from .tables import table
from .text import esc, money, number, shorten, timestamp

#: What the amounts of a report mean (printed under its figures).
AMOUNTS_NOTE = N_(
    "Amounts are in euros at the desk's exchange rates. Funding counts confirmed, "
    "disbursed and delivered pledges; the gap is what the budget still lacks."
)


def plain(text: str, style: str = "body") -> Flowable:
    """A paragraph of plain (user or label) text: :func:`para` of :func:`esc`."""
    return para(esc(text), style)


def label_of(t: Callable[[str], str], vocabulary: dict[str, str], code: str) -> str:
    """The translated label of ``code`` in a vocabulary (the code itself if unknown)."""
    return t(vocabulary.get(code, code))


def cover_head(
    t: Callable[[str], str], title: str, subtitle: str, tlp: str, tlp_size: float = 16
) -> list[Flowable]:
    """The top of a cover: "Tallinn Mechanism", the title, a subtitle (all plain
    text) and the TLP label with its meaning."""
    return [
        plain(t(N_("Tallinn Mechanism")), "cover_kicker"),
        heading(title, 0, "cover_title", toc=False),
        plain(subtitle, "cover_subtitle"),
        TLPBox(tlp, t(TLP_DESCRIPTIONS.get(tlp, "")), size=tlp_size),
    ]


def report_subtitle(t: Callable[[str], str], generated_at: dt.datetime, locale: str) -> str:
    """The page header's second line: "Tallinn Mechanism · 22 Nov 2026, 19:12 UTC"."""
    return f"{t(N_('Tallinn Mechanism'))} · {timestamp(generated_at, locale)}"


def requester_text(requester: Requester | None, locale: str) -> str:
    """Who asked for the report: "name (organisation) · email", or "tmdesk"."""
    if requester is None:
        return "tmdesk"
    name = requester.name or requester.email
    return f"{name} ({requester.organisation.name(locale)}) · {requester.email}"


def totals_figures(totals: Totals, locale: str, t: Callable[[str], str]) -> Table:
    """The six key figures of a selection, each with its one-line definition (the
    app's one set of figures): open projects, budget, pledged, confirmed, disbursed, gap."""
    d = FIGURE_DEFINITIONS
    return figures(
        [
            (t(N_("Open for support")), number(totals.open_projects, locale), t(d["open"])),
            (t(N_("Budget")), money(totals.budget_eur, locale), t(d["budget"])),
            (t(N_("Pledged")), money(totals.pledged_eur, locale), t(d["pledged"])),
            (t(N_("Confirmed")), money(totals.confirmed_eur, locale), t(d["confirmed"])),
            (t(N_("Disbursed")), money(totals.disbursed_eur, locale), t(d["disbursed"])),
            (t(N_("Gap")), money(totals.gap_eur, locale), t(d["gap"])),
        ]
    )


#: How many references :func:`tlp_line` names before "and N more".
TLP_LINE_REFS = 12


def tlp_line(projects: Sequence[ProjectView], t: Callable[[str], str]) -> str:
    """Which projects set the pack's label: "TLP:AMBER because of TM-2026-0003, …"."""
    refs = tlp_setters(projects)
    if not refs:
        return ""
    label = highest_tlp(p.tlp for p in projects)
    shown = ", ".join(refs[:TLP_LINE_REFS])
    if len(refs) > TLP_LINE_REFS:
        shown += " " + t(N_("and %(count)d more")) % {"count": len(refs) - TLP_LINE_REFS}
    return t(N_("TLP:%(label)s is set by: %(refs)s.")) % {"label": label, "refs": shown}


#: Marks text shown in English packs that exists only in Ukrainian.
UK_ONLY = N_("in Ukrainian only")


def title_of(p: ProjectView, locale: str, t: Callable[[str], str]) -> str:
    """A project's title in ``locale``; in English, a title that exists only in
    Ukrainian is marked so the reader knows why it is not translated."""
    if locale == "en" and not (p.title_en or "").strip() and p.title_uk:
        return f"{p.title_uk} [{t(UK_ONLY)}]"
    return p.title(locale)


def summary_only_in_ukrainian(p: ProjectView, locale: str) -> bool:
    """Whether an English pack shows ``p``'s summary in Ukrainian (no English one)."""
    return locale == "en" and not (p.summary_en or "").strip() and bool(p.summary_uk)


def in_kind_text(pledge: PledgeView) -> str:
    """What a pledge gives in kind, with its quantity: "200 × Starlink terminal"."""
    what = pledge.in_kind or ""
    return f"{pledge.in_kind_quantity} × {what}" if what and pledge.in_kind_quantity else what


def update_byline(update: UpdateView, t: Callable[[str], str]) -> str:
    """Markup that follows an update's heading: " · Progress 40% · author"."""
    line = ""
    if update.progress is not None:
        line += f" · {esc(t(N_('Progress')))} {update.progress}%"
    return line + f" · {esc(update.author)}"


#: The columns :func:`project_table` can show: header label, the cell of a
#: project (given the locale and the translator), right-aligned or not.
PROJECT_COLUMNS: dict[str, tuple[str, Callable[..., str], bool]] = {
    "ref": (N_("Reference"), lambda p, locale, t: p.ref, False),
    "tlp": (N_("TLP label"), lambda p, locale, t: p.tlp, False),
    "recipient": (N_("Recipient"), lambda p, locale, t: p.recipient.code, False),
    "status": (
        N_("Status"),
        lambda p, locale, t: label_of(t, PROJECT_STATUSES, p.status),
        False,
    ),
    "funding_state": (
        N_("Funding state"),
        lambda p, locale, t: label_of(t, FUNDING_STATES, p.funding.state),
        False,
    ),
    "priority": (N_("Priority"), lambda p, locale, t: label_of(t, PRIORITIES, p.priority), False),
    "budget": (N_("Budget"), lambda p, locale, t: money(p.funding.budget_eur, locale), True),
    "confirmed": (
        N_("Confirmed"),
        lambda p, locale, t: money(p.funding.confirmed_eur, locale),
        True,
    ),
    "gap": (N_("Gap"), lambda p, locale, t: money(p.funding.gap_eur, locale), True),
}


#: The money series :func:`donor_chart` can show, by name.
DONOR_SERIES: dict[str, str] = {
    "pledged": N_("Pledged"),
    "confirmed": N_("Confirmed"),
    "disbursed": N_("Disbursed"),
}


def donor_chart(
    donors: Sequence[DonorTotals],
    series: Sequence[str],
    locale: str,
    t: Callable[[str], str],
    **chart_options: Any,
) -> Drawing:
    """A bar chart of money per donor, one bar per :data:`DONOR_SERIES` name in
    ``series`` (``chart_options`` go to :func:`bar_chart`)."""
    return bar_chart(
        [d.donor.name(locale) for d in donors],
        [[getattr(d, f"{name}_eur") for d in donors] for name in series],
        [t(DONOR_SERIES[name]) for name in series],
        locale,
        bar_height=8,
        **chart_options,
    )


def project_table(
    projects: Iterable[ProjectView],
    columns: Sequence[str],
    widths: Sequence[float],
    locale: str,
    t: Callable[[str], str],
    *,
    title_length: int | None = None,
) -> Table:
    """A table of projects, one row each, reference in bold and money right-aligned.

    ``columns`` names :data:`PROJECT_COLUMNS` plus ``"title"`` (in ``locale``,
    shortened to ``title_length`` characters when given).
    """

    def title(p: ProjectView, locale: str, t: Callable[[str], str]) -> str:
        text = title_of(p, locale, t)
        return text if title_length is None else shorten(text, title_length)

    chosen = [(N_("Title"), title, False) if c == "title" else PROJECT_COLUMNS[c] for c in columns]
    return table(
        [t(label) for label, _, _ in chosen],
        [tuple(cell(p, locale, t) for _, cell, _ in chosen) for p in projects],
        widths,
        right=tuple(i for i, (_, _, right) in enumerate(chosen) if right),
        bold_first=True,
        t=t,
    )


def donor_table(
    donors: Iterable[DonorTotals],
    widths: Sequence[float],
    locale: str,
    t: Callable[[str], str],
    *,
    with_code: bool = False,
    extra: tuple[str, Callable[[DonorTotals], str]] | None = None,
) -> Table:
    """Money per donor: projects, pledged, confirmed, disbursed, and an ``extra``
    column when given (its header label, translated here, and the cell of a donor)."""
    header = [N_("Donor"), N_("Projects"), N_("Pledged"), N_("Confirmed"), N_("Disbursed")]
    if extra is not None:
        header.append(extra[0])
    rows = []
    for d in donors:
        name = d.donor.name(locale)
        row = [
            f"{name} ({d.donor.code})" if with_code else name,
            number(d.projects, locale),
            money(d.pledged_eur, locale),
            money(d.confirmed_eur, locale),
            money(d.disbursed_eur, locale),
        ]
        if extra is not None:
            row.append(extra[1](d))
        rows.append(tuple(row))
    return table([t(h) for h in header], rows, widths, right=(1, 2, 3, 4), t=t)
