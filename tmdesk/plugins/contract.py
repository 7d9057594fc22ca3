"""The types a plugin returns and receives.

A report plugin returns :class:`ReportFormat` objects from the
``tmdesk_report_formats`` hook. tmdesk calls ``render(context, out, options)``
with a read-only :class:`~tmdesk.core.reporting.ReportContext`, a binary
stream to write to, and the options the user chose (validated against
``options``). tmdesk writes to a temporary file and only keeps it when
``render`` returns normally, so a failed render never leaves half a file.

This module is the whole of what a plugin needs from tmdesk besides
:data:`tmdesk.hookimpl`: the built-in formats (:mod:`tmdesk.plugins.builtin`)
import nothing else of tmdesk, exactly as a partner's plugin would (an
import-linter contract in pyproject.toml keeps it so).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tmdesk.core.errors import DomainError
from tmdesk.core.figures import DEFINITIONS as FIGURE_DEFINITIONS
from tmdesk.core.figures import OPEN_STATUSES, Headline, headline, is_open, whole_euros
from tmdesk.core.i18n import N_
from tmdesk.core.reporting import (
    ContactView,
    DonorTotals,
    EngagementView,
    FundingView,
    OfferView,
    OrgView,
    PledgeView,
    ProjectView,
    ReportContext,
    Requester,
    Totals,
    UpdateView,
    compute_totals,
    tlp_setters,
)
from tmdesk.core.validation import without_forbidden
from tmdesk.core.vocab import (
    CATEGORIES,
    FUNDING_STATES,
    OFFER_STATUSES,
    ORG_KINDS,
    PLEDGE_STATUSES,
    PRIORITIES,
    PRIORITY_RANK,
    PROJECT_STATUSES,
    TLP_COLOURS,
    TLP_DESCRIPTIONS,
    TLP_LABELS,
    TLP_RANK,
    highest_tlp,
    oblast_name,
)

#: Every role (organisation kind) there is; a format's ``roles`` is a subset.
ALL_ROLES = frozenset(ORG_KINDS)

Renderer = Callable[[ReportContext, BinaryIO, dict[str, Any]], None]


@dataclass(frozen=True)
class ReportOption:
    """An option a format accepts, shown on the Reports page and as ``--option name=value``.

    ``choices`` limits the values (``None``: free text up to 200 characters).
    """

    name: str
    label: str
    choices: Sequence[tuple[str, str]] | None = None
    default: str | None = None
    help: str = ""


@dataclass(frozen=True)
class ReportFormat:
    """A report or export format contributed by a plugin.

    ``name`` is the stable identifier used on the command line
    (``tmdesk report NAME``) and in URLs: lowercase letters, digits and ``-``.
    ``roles`` are the organisation kinds allowed to use it. ``needs_donor``
    says the format is about one donor (``--donor CODE`` required),
    ``needs_recipient`` about one recipient organisation.
    """

    name: str
    label: str
    extension: str
    media_type: str
    render: Renderer
    description: str = ""
    roles: frozenset[str] = ALL_ROLES
    options: tuple[ReportOption, ...] = ()
    needs_donor: bool = False
    #: The format is about one recipient organisation: the form asks for exactly
    #: one (a list to choose from), ``--recipient CODE`` on the command line.
    needs_recipient: bool = False
    #: The language the report is written in unless the person chooses another
    #: ("uk" for a report meant for a ministry); None: the person's own.
    default_locale: str | None = None
    #: Set by the manager: the plugin that registered the format.
    plugin: str = field(default="", compare=False)


#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell (csv, xlsx, ods).

    Text that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return gets a leading apostrophe, so the spreadsheet shows it as text and
    never runs it as a formula. Numbers and dates are returned unchanged (a
    negative number is a number). Use it on every text cell a format writes.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class ReportRefused(DomainError, ValueError):
    """Raise from a format's ``render`` when the report cannot be made as asked
    (nothing selected, no donor, a choice missing): the person gets ``message``
    (marked with ``N_``, ``params`` filled in after translation) as a 400 on the
    page and an error from ``tmdesk report``. Any other exception from ``render``
    counts as a fault of the plugin (logged, a 500)."""

    http_status = 400


def xml_safe(value: str) -> str:
    """``value`` without the characters XML 1.0 forbids (C0 controls other than tab and
    newlines, lone surrogates, U+FFFE, U+FFFF) or discourages (C1 controls, other
    non-characters). Forms refuse them, but older data or an import may hold one, and
    one such character in one title would otherwise fail the whole file: use it on
    every text an XML format writes (lxml refuses them with ``ValueError``)."""
    return without_forbidden(value)


@dataclass(frozen=True)
class ExportColumn:
    """An extra column for the tabular exports (csv, xlsx).

    ``value(project, context)`` returns a string, number, date or None.
    """

    name: str
    header: str
    value: Callable[[ProjectView, ReportContext], Any]


__all__ = [
    # The types a format returns and receives.
    "ALL_ROLES",
    "ContactView",
    "DonorTotals",
    "EngagementView",
    "ExportColumn",
    "FORMULA_PREFIXES",
    "FundingView",
    "OfferView",
    "OrgView",
    "PledgeView",
    "ProjectView",
    "ReportContext",
    "ReportFormat",
    "ReportOption",
    "ReportRefused",
    "Requester",
    "Totals",
    "UpdateView",
    "neutralise",
    "xml_safe",
    # Helpers a format may use: the totals the app shows, and the translation marker.
    "N_",
    "compute_totals",
    # The one set of figures (tmdesk.core.figures): what open, pledged, confirmed and
    # gap mean, a one-line definition of each, and which projects set a pack's label.
    "FIGURE_DEFINITIONS",
    "Headline",
    "OPEN_STATUSES",
    "headline",
    "is_open",
    "tlp_setters",
    "whole_euros",
    # The vocabularies (code -> English label, translated with N_) and their orders.
    "CATEGORIES",
    "FUNDING_STATES",
    "OFFER_STATUSES",
    "ORG_KINDS",
    "PLEDGE_STATUSES",
    "PRIORITIES",
    "PRIORITY_RANK",
    "PROJECT_STATUSES",
    "TLP_COLOURS",
    "TLP_DESCRIPTIONS",
    "TLP_LABELS",
    "TLP_RANK",
    "highest_tlp",
    "oblast_name",
]
