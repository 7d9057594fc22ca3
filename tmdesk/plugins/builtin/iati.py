"""The ``iati`` format: IATI Activity Standard 2.03 for one donor.

Written as a partner would write a plugin: one hook, one render function,
nothing but the report context. The file is streamed with
``lxml.etree.xmlfile``: each activity is built, written and dropped, so
memory stays flat however many activities there are. Mapping and
identifiers are explained in docs/iati.md.
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any, BinaryIO

from lxml import etree

from tmdesk import hookimpl
from tmdesk.plugins.builtin import iati_codelists as codelists
from tmdesk.plugins.builtin import iati_codes as codes
from tmdesk.plugins.contract import (
    CATEGORIES,
    N_,
    TLP_LABELS,
    TLP_RANK,
    DonorField,
    OrgView,
    PledgeView,
    ProjectView,
    ReportContext,
    ReportFormat,
    ReportOption,
    ReportRefused,
    xml_safe,
)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
IATI_VERSION = "2.03"
#: IATI files are public data: by default nothing above TLP:GREEN goes in.
DEFAULT_MAX_TLP = "GREEN"
TLP_CHOICES = (
    ("CLEAR", "TLP:CLEAR"),
    ("GREEN", "TLP:GREEN"),
    ("AMBER", "TLP:AMBER"),
)


class IatiExportError(ReportRefused):
    """The export cannot be made as asked (no donor, nothing to export)."""


def org_identifier(org: OrgView) -> str:
    """The organisation's IATI identifier, or a stable tmdesk-made one."""
    return org.iati_id or f"{codes.FALLBACK_ORG_PREFIX}{org.code}"


def activity_identifier(donor: OrgView, project: ProjectView) -> str:
    """Stable across exports: the donor's identifier and the project reference."""
    return xml_safe(f"{org_identifier(donor)}-{project.ref}")


def _narratives(parent: etree._Element, texts: dict[str, str]) -> None:
    """Add a narrative per language; English is the activity's default language."""
    for lang in ("en", "uk"):
        text = (texts.get(lang) or "").strip()
        if not text:
            continue
        narrative = etree.SubElement(parent, "narrative")
        if lang != "en":
            narrative.set(XML_LANG, lang)
        narrative.text = xml_safe(text)


def _org(parent: etree._Element, tag: str, org: OrgView, **attrs: str) -> etree._Element:
    element = etree.SubElement(
        parent,
        tag,
        ref=xml_safe(org_identifier(org)),
        type=codes.ORGANISATION_TYPE.get(org.kind, "90"),
        **attrs,
    )
    _narratives(element, {"en": org.name_en, "uk": org.name_uk})
    return element


def _value(parent: etree._Element, amount: Decimal, currency: str, value_date: dt.date) -> None:
    value = etree.SubElement(
        parent, "value", currency=currency, **{"value-date": value_date.isoformat()}
    )
    value.text = str(amount.quantize(Decimal("0.01")))


def budget_periods(
    start: dt.date, end: dt.date, amount: Decimal
) -> list[tuple[dt.date, dt.date, Decimal]]:
    """Split a budget into periods of at most one year (an IATI rule), pro rata by days."""
    periods = []
    cursor = start
    while cursor <= end:
        try:
            next_start = cursor.replace(year=cursor.year + 1)
        except ValueError:  # 29 February
            next_start = cursor.replace(year=cursor.year + 1, day=28)
        period_end = min(next_start - dt.timedelta(days=1), end)
        periods.append((cursor, period_end))
        cursor = period_end + dt.timedelta(days=1)
    total_days = (end - start).days + 1
    out = []
    allocated = Decimal("0")
    for index, (p_start, p_end) in enumerate(periods):
        if index == len(periods) - 1:
            share = amount - allocated
        else:
            share = (amount * ((p_end - p_start).days + 1) / total_days).quantize(Decimal("0.01"))
            allocated += share
        out.append((p_start, p_end, share))
    return out


def _transaction(
    activity: etree._Element,
    ref: str,
    type_code: str,
    when: dt.date,
    amount: Decimal,
    currency: str,
    description: str,
    provider: OrgView,
    receiver: OrgView,
    in_kind: bool,
    orgs: dict[tuple[str, str], etree._Element] | None = None,
) -> None:
    """One ``transaction``; ``orgs`` keeps the provider/receiver elements already built
    for this activity, copied instead of built again for every tranche."""
    transaction = etree.SubElement(activity, "transaction", ref=xml_safe(ref))
    etree.SubElement(transaction, "transaction-type", code=type_code)
    etree.SubElement(transaction, "transaction-date", **{"iso-date": when.isoformat()})
    _value(transaction, amount, currency, when)
    if description:
        _narratives(etree.SubElement(transaction, "description"), {"en": description})
    for tag, org in (("provider-org", provider), ("receiver-org", receiver)):
        key = (tag, org.code)
        built = orgs.get(key) if orgs is not None else None
        if built is None:
            built = _org(transaction, tag, org)
            if orgs is not None:
                orgs[key] = built
        else:
            transaction.append(copy.deepcopy(built))
    if in_kind:
        etree.SubElement(
            transaction,
            "aid-type",
            code=codes.AID_TYPE_IN_KIND,
            vocabulary=codes.AID_TYPE_VOCABULARY_OECD,
        )


def _transactions(
    activity: etree._Element, ident: str, project: ProjectView, pledge: PledgeView
) -> None:
    """A pledge's IATI transactions: an offered pledge is one Outgoing Pledge (12);
    then one transaction per real transaction recorded on it, with its own value
    date and currency: commitments (2), disbursements and deliveries (3), an
    implementer's expenditures (4), the recipient's incoming commitments (11).
    In-kind support without a value is described in the activity, not here."""
    orgs: dict[tuple[str, str], etree._Element] = {}
    in_kind = ""
    if pledge.in_kind:
        quantity = f"{pledge.in_kind_quantity} × " if pledge.in_kind_quantity else ""
        in_kind = f"In kind: {quantity}{pledge.in_kind}"
    if pledge.status == "offered" and pledge.amount is not None and pledge.currency:
        _transaction(
            activity,
            f"{ident}-{pledge.id}-P",
            codes.TRANSACTION_PLEDGE,
            pledge.date,
            pledge.amount,
            pledge.currency,
            in_kind,
            pledge.donor,
            project.recipient,
            bool(pledge.in_kind),
            orgs,
        )
    for t in pledge.transactions:
        if t.amount is None or not t.currency:
            continue
        words = [w for w in (t.reference, t.note) if w]
        if in_kind:
            quantity = f"{t.quantity} × " if t.quantity else ""
            words.insert(0, f"In kind: {quantity}{pledge.in_kind}")
        receiver = t.engagement if t.kind == "expenditure" and t.engagement else project.recipient
        _transaction(
            activity,
            t.uid,
            codes.TRANSACTION_TYPE[t.kind],
            t.value_date,
            t.amount,
            t.currency,
            " · ".join(words),
            pledge.donor,
            receiver,
            bool(pledge.in_kind),
            orgs,
        )


#: The donor's own fields this plugin declares (``tmdesk_donor_fields``), each written
#: into the activity: identifiers as other-identifier, the CRS classifications as the
#: activity's defaults, the markers as policy-marker (docs/iati.md).
POLICY_MARKER_FIELDS = (("gender_marker", "1"), ("environment_marker", "2"))


def donor_field(pledges: list[PledgeView], name: str) -> str:
    """The donor's value of field ``name`` for this activity: from its first pledge having one."""
    return next((p.fields[name] for p in pledges if p.fields.get(name)), "")


def _other_identifiers(activity: etree._Element, donor: OrgView, pledges: list[PledgeView]):
    for name, type_code in (("project_number", "A1"), ("crs_id", "A2")):
        value = donor_field(pledges, name)
        if value:
            etree.SubElement(activity, "other-identifier", ref=xml_safe(value), type=type_code)


def build_activity(
    project: ProjectView, donor: OrgView, pledges: list[PledgeView]
) -> etree._Element:
    """One ``iati-activity`` element for ``project`` as funded by ``donor``."""
    ident = activity_identifier(donor, project)
    activity = etree.Element(
        "iati-activity",
        **{
            "last-updated-datetime": project.updated_at.replace(microsecond=0).isoformat() + "Z",
            XML_LANG: "en",
            "default-currency": project.budget_currency,
        },
    )
    etree.SubElement(activity, "iati-identifier").text = ident
    _org(activity, "reporting-org", donor)
    _narratives(
        etree.SubElement(activity, "title"),
        {"en": project.title_en, "uk": project.title_uk}
        if (project.title_en or project.title_uk)
        else {"en": project.ref},
    )
    description = etree.SubElement(activity, "description", type="1")
    summary = {"en": project.summary_en, "uk": project.summary_uk}
    _narratives(description, summary if any(summary.values()) else {"en": project.title()})

    _org(activity, "participating-org", donor, role=codes.ROLE_FUNDING)
    channel = donor_field(pledges, "channel_code") or codes.CRS_CHANNEL.get(
        project.recipient.recipient_type, ""
    )
    _org(
        activity,
        "participating-org",
        project.recipient,
        role=codes.ROLE_ACCOUNTABLE,
        **({"crs-channel-code": channel} if channel else {}),
    )
    implementers = {e.company.code: e.company for e in project.engagements}
    for company in implementers.values():
        _org(activity, "participating-org", company, role=codes.ROLE_IMPLEMENTING)
    if not implementers:
        _org(activity, "participating-org", project.recipient, role=codes.ROLE_IMPLEMENTING)
    _other_identifiers(activity, donor, pledges)

    etree.SubElement(
        activity, "activity-status", code=codes.ACTIVITY_STATUS.get(project.status, "1")
    )
    start = project.planned_start or (project.published_at or project.created_at).date()
    etree.SubElement(
        activity, "activity-date", type=codes.DATE_PLANNED_START, **{"iso-date": start.isoformat()}
    )
    if project.planned_end:
        etree.SubElement(
            activity,
            "activity-date",
            type=codes.DATE_PLANNED_END,
            **{"iso-date": project.planned_end.isoformat()},
        )
    etree.SubElement(activity, "recipient-country", code="UA", percentage="100")
    etree.SubElement(
        activity,
        "sector",
        vocabulary=codes.SECTOR_DAC5,
        code=codes.DAC_SECTOR[project.category],
        percentage="100",
    )
    tm = etree.SubElement(
        activity,
        "sector",
        vocabulary=codes.TM_VOCABULARY,
        **{"vocabulary-uri": codes.TM_VOCABULARY_URI},
        code=project.category,
        percentage="100",
    )
    _narratives(tm, {"en": CATEGORIES[project.category]})
    for name, marker in POLICY_MARKER_FIELDS:
        significance = donor_field(pledges, name)
        if significance:
            etree.SubElement(
                activity,
                "policy-marker",
                vocabulary=codes.POLICY_MARKER_OECD,
                code=marker,
                significance=significance,
            )
    flow_type = donor_field(pledges, "flow_type")
    if flow_type:
        etree.SubElement(activity, "default-flow-type", code=flow_type)
    finance_type = donor_field(pledges, "finance_type")
    if finance_type:
        etree.SubElement(activity, "default-finance-type", code=finance_type)
    etree.SubElement(
        activity,
        "default-aid-type",
        code=donor_field(pledges, "aid_type") or codes.AID_TYPE_IN_KIND,
        vocabulary=codes.AID_TYPE_VOCABULARY_OECD,
    )
    if project.planned_start and project.planned_end and project.budget_amount:
        for p_start, p_end, share in budget_periods(
            project.planned_start, project.planned_end, project.budget_amount
        ):
            budget = etree.SubElement(
                activity, "budget", type=codes.BUDGET_ORIGINAL, status=codes.BUDGET_INDICATIVE
            )
            etree.SubElement(budget, "period-start", **{"iso-date": p_start.isoformat()})
            etree.SubElement(budget, "period-end", **{"iso-date": p_end.isoformat()})
            _value(budget, share, project.budget_currency, p_start)
    for pledge in pledges:
        _transactions(activity, ident, project, pledge)
    return activity


def select_activities(context: ReportContext, donor_code: str, max_tlp: str):
    """``(project, donor's pledges)`` for each project the donor supports, within ``max_tlp``."""
    limit = TLP_RANK[max_tlp]
    for project in context.projects:
        if TLP_RANK[project.tlp] > limit or project.status not in codes.ACTIVITY_STATUS:
            continue
        pledges = [
            p for p in project.pledges if p.donor.code == donor_code and p.status != "withdrawn"
        ]
        if pledges:
            yield project, pledges


def render(context: ReportContext, out: BinaryIO, options: dict[str, Any]) -> None:
    donor_code = (context.filters.donor or "").upper()
    if not donor_code:
        raise IatiExportError(
            N_("The IATI export is for one donor: choose the donor (--donor CODE).")
        )
    max_tlp = options.get("max_tlp") or DEFAULT_MAX_TLP
    if max_tlp not in TLP_LABELS[: TLP_RANK["AMBER"] + 1]:
        raise IatiExportError(
            N_("max_tlp must be CLEAR, GREEN or AMBER, not “%(value)s”."), value=str(max_tlp)[:40]
        )
    donor = context.organisation(donor_code)
    activities = select_activities(context, donor_code, max_tlp) if donor else iter(())
    first = next(activities, None)
    if first is None or donor is None:  # no donor: no activities either
        raise IatiExportError(
            N_(
                "Nothing to export: %(donor)s supports no project you may see "
                "at TLP:%(tlp)s or below."
            ),
            donor=donor_code[:40],
            tlp=max_tlp,
        )
    generated = context.generated_at.replace(microsecond=0).isoformat() + "Z"
    with etree.xmlfile(out, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(
            "iati-activities", version=IATI_VERSION, **{"generated-datetime": generated}
        ):
            xf.write(
                etree.Comment(
                    f" Exported by tmdesk for {donor_code}; TLP:{max_tlp} and below only. "
                )
            )
            project, pledges = first
            xf.write(build_activity(project, donor, pledges), pretty_print=True)
            for project, pledges in activities:
                xf.write(build_activity(project, donor, pledges), pretty_print=True)


@hookimpl
def tmdesk_donor_fields() -> list[DonorField]:
    """The fields an IATI activity (and a DAC CRS return) needs from the donor."""
    significance = codelists.POLICY_SIGNIFICANCE
    return [
        DonorField(
            "project_number",
            {"en": "Donor's project number", "uk": "Номер проєкту донора"},
            help={
                "en": "Your own reference for this support (IATI other-identifier A1).",
                "uk": "Ваш власний номер цієї підтримки (IATI other-identifier A1).",
            },
        ),
        DonorField(
            "crs_id",
            {"en": "CRS identifier", "uk": "Ідентифікатор CRS"},
            help={
                "en": "The OECD DAC CRS activity identifier (IATI other-identifier A2).",
                "uk": "Ідентифікатор заходу в CRS ОЕСР DAC (IATI other-identifier A2).",
            },
        ),
        DonorField(
            "flow_type",
            {"en": "Flow type", "uk": "Тип потоку"},
            type="choice",
            choices=codelists.FLOW_TYPES,
        ),
        DonorField(
            "finance_type",
            {"en": "Finance type", "uk": "Тип фінансування"},
            type="choice",
            # The one- and two-digit entries are the list's headings (GNI, population…).
            choices=tuple(c for c in codelists.FINANCE_TYPES if len(c[0]) >= 3),
        ),
        DonorField(
            "aid_type",
            {"en": "Aid type", "uk": "Тип допомоги"},
            type="choice",
            choices=codelists.AID_TYPES,
        ),
        DonorField(
            "channel_code",
            {"en": "CRS channel code", "uk": "Код каналу CRS"},
            type="integer",
            help={
                "en": "Five digits, e.g. 12001 (central government) or 12002 (local government).",
                "uk": "П’ять цифр, напр. 12001 (центральний уряд) або 12002 (місцеве врядування).",
            },
        ),
        DonorField(
            "gender_marker",
            {"en": "Gender equality marker", "uk": "Маркер гендерної рівності"},
            type="choice",
            choices=significance,
        ),
        DonorField(
            "environment_marker",
            {"en": "Environment marker", "uk": "Маркер довкілля"},
            type="choice",
            choices=significance,
        ),
    ]


@hookimpl
def tmdesk_report_formats():
    return [
        ReportFormat(
            name="iati",
            label=N_("IATI activities 2.03 (XML)"),
            extension="xml",
            media_type="application/xml",
            render=render,
            description=N_(
                "The projects one donor supports, with its pledges as commitments "
                "and disbursements, in the IATI Activity Standard 2.03 for "
                "publication. Only TLP:GREEN and below unless you choose AMBER."
            ),
            roles=frozenset({"donor", "back_office", "project_office"}),
            options=(
                ReportOption(
                    "max_tlp",
                    N_("Highest TLP label to publish in the IATI file"),
                    TLP_CHOICES,
                    DEFAULT_MAX_TLP,
                    N_(
                        "Projects with a more restricted label stay out of the file, "
                        "whatever the filter above allows. IATI files are meant to be "
                        "published: keep GREEN unless the file stays inside your ministry."
                    ),
                    # An organisation's publication policy: saved once, on the Reports page.
                    setting=True,
                ),
            ),
            needs_donor=True,
        )
    ]
