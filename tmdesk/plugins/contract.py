"""The types a plugin returns and receives.

A report plugin returns :class:`ReportFormat` objects from the
``tmdesk_report_formats`` hook. tmdesk calls ``render(context, out, options)``
with a read-only :class:`~tmdesk.core.report_views.ReportContext`, a binary
stream to write to, and the options the user chose (validated against
``options``). tmdesk writes to a temporary file and only keeps it when
``render`` returns normally, so a failed render never leaves half a file.

This module is the whole of what a plugin needs from tmdesk besides
:data:`tmdesk.hookimpl`: the built-in formats (:mod:`tmdesk.plugins.builtin`)
import nothing else of tmdesk, exactly as a partner's plugin would (an
import-linter contract in pyproject.toml keeps it so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tmdesk.core.donor_fields import DonorField
from tmdesk.core.errors import DomainError
from tmdesk.core.figures import DEFINITIONS as FIGURE_DEFINITIONS
from tmdesk.core.figures import OPEN_STATUSES, Headline, headline, is_open, whole_euros
from tmdesk.core.i18n import N_, Text
from tmdesk.core.i18n import localized as localized_or_none
from tmdesk.core.report_views import (
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
    TransactionView,
    UpdateView,
    YearView,
)
from tmdesk.core.reporting import compute_totals, tlp_setters
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
    TRANSACTION_KINDS,
    highest_tlp,
    oblast_name,
)

#: Every role (organisation kind) there is; a format's ``roles`` is a subset.
ALL_ROLES = frozenset(ORG_KINDS)

Renderer = Callable[[ReportContext, BinaryIO, dict[str, Any]], None]


#: The option types tmdesk checks before ``render`` sees a value.
OPTION_TYPES = ("text", "integer", "year", "date", "boolean", "choice")

#: A default: a value, or a function of the moment the report is made that
#: computes one (``last_calendar_year``).
Default = Any


@dataclass(frozen=True)
class ReportOption:
    """An option a format accepts, shown on the Reports page and as ``--option name=value``.

    ``type`` is one of :data:`OPTION_TYPES`; tmdesk checks the value and hands
    ``render`` an ``int`` (integer, year), a ``datetime.date``, a ``bool``, or
    a ``str`` (choice, text, at most 200 characters). ``choices`` (pairs of
    value and label) makes it a ``choice``. ``default`` is a value or a
    function ``f(today: datetime.date)`` computing one. ``label``, ``help``
    and choice labels are a string or ``{"en": …, "uk": …}``. A ``setting``
    is saved per organisation on the Reports page and filled in for everyone
    of that organisation (e.g. a donor's agency code). ``required`` refuses
    an empty value.
    """

    name: str
    label: Text
    choices: Sequence[tuple[str, Text]] | None = None
    default: Default = None
    help: Text = ""
    type: str = ""
    setting: bool = False
    required: bool = False

    @property
    def kind(self) -> str:
        """The type tmdesk checks: ``type``, else ``choice`` with choices, else ``text``."""
        return self.type or ("choice" if self.choices is not None else "text")

    def default_value(self, today: dt.date) -> Any:
        """The default, computed for ``today`` when it is a function."""
        return self.default(today) if callable(self.default) else self.default


def last_calendar_year(today: dt.date) -> int:
    """A computed default: the calendar year before ``today``'s (for annual returns)."""
    return today.year - 1


def this_calendar_year(today: dt.date) -> int:
    """A computed default: ``today``'s calendar year."""
    return today.year


def start_of_last_year(today: dt.date) -> dt.date:
    """A computed default: 1 January of last year."""
    return dt.date(today.year - 1, 1, 1)


def localized(text: Text, locale: str) -> str:
    """``text`` in ``locale``: a ``{"en": …, "uk": …}`` mapping gives that language
    (else English); a plain string is returned as it is."""
    per_language = localized_or_none(text, locale)
    return text if per_language is None else per_language  # type: ignore[return-value]


@dataclass(frozen=True)
class ReportFormat:
    """A report or export format contributed by a plugin.

    ``name`` is the stable identifier used on the command line
    (``tmdesk report NAME``) and in URLs: lowercase letters, digits and ``-``.
    ``roles`` are the organisation kinds allowed to use it. ``needs_donor``
    says the format is about one donor (``--donor CODE`` required),
    ``needs_recipient`` about one recipient organisation;
    ``own_donor_only`` limits a donor user to its own organisation. ``label``
    and ``description`` are a string or ``{"en": …, "uk": …}``.
    """

    name: str
    label: Text
    extension: str
    media_type: str
    render: Renderer
    description: Text = ""
    roles: frozenset[str] = ALL_ROLES
    options: tuple[ReportOption, ...] = ()
    needs_donor: bool = False
    #: With ``needs_donor``: a donor user may make it only about its own organisation.
    own_donor_only: bool = False
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


class ReportError(DomainError, ValueError):
    """Raise from a format's ``render`` when the report cannot be made as asked
    (nothing selected, no donor, a setting missing): the person gets the message,
    without a traceback, as a 400 on the page and an error from ``tmdesk report``.

    ``message`` is either one string marked with ``N_`` (translated when
    tmdesk's catalogue has it; ``params`` are filled in after translation) or
    ``{"en": …, "uk": …}``, shown in the report's language. Any other exception
    from ``render`` counts as a fault of the plugin (logged, a 500).
    """

    http_status = 400

    def __init__(self, message: Text, **params: Any) -> None:
        self.texts: dict[str, str] = {}
        if isinstance(message, Mapping):
            self.texts = {str(k): str(v) for k, v in message.items()}
            message = self.texts.get("en") or next(iter(self.texts.values()), "")
        super().__init__(str(message), **params)

    def text_for(self, locale: str, translate: Callable[[str], str] | None = None) -> str:
        """The message in ``locale``: the plugin's own text for it, else ``translate``
        (tmdesk's catalogue) applied to the English one; ``params`` filled in."""
        if self.texts:
            text = self.texts.get(locale) or self.message
        else:
            text = translate(self.message) if translate else self.message
        try:
            return text % self.params if self.params else text
        except (KeyError, TypeError, ValueError):  # a translation with other placeholders
            return str(self)


#: The earlier name of :class:`ReportError`; both names are the same class.
ReportRefused = ReportError


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
    "DonorField",
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
    "OPTION_TYPES",
    "ReportError",
    "ReportOption",
    "ReportRefused",
    "Text",
    "Requester",
    "Totals",
    "TransactionView",
    "UpdateView",
    "YearView",
    "neutralise",
    "xml_safe",
    # Computed defaults and texts in both languages.
    "last_calendar_year",
    "localized",
    "start_of_last_year",
    "this_calendar_year",
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
    "TRANSACTION_KINDS",
    "highest_tlp",
    "oblast_name",
]
