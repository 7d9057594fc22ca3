"""An organisation's saved settings for a report format (e.g. a donor's agency code).

A format marks some of its options as settings (``ReportOption(setting=True)``);
someone of the organisation saves their values on the Reports page, and they
are filled in whenever anyone of that organisation makes the report (a value
given for one report still wins). The values arrive here already checked by
type (the plugin manager reads them); this module stores, reads and audits.
"""

from __future__ import annotations

from collections.abc import Mapping

from tmdesk.core import audit
from tmdesk.core.db import database
from tmdesk.core.models import Organisation, ReportSetting, User, utcnow


def saved_for(organisation: Organisation | int | None, format_name: str) -> dict[str, str]:
    """The settings ``organisation`` saved for ``format_name`` (name → value as text)."""
    if organisation is None:
        return {}
    org_id = organisation if isinstance(organisation, int) else organisation.id
    query = ReportSetting.select(ReportSetting.name, ReportSetting.value).where(
        (ReportSetting.organisation == org_id) & (ReportSetting.format_name == format_name)
    )
    return dict(query.tuples())


def save(user: User, format_name: str, values: Mapping[str, str]) -> dict[str, str]:
    """Store ``values`` (checked, as text; "" removes one) as ``user``'s organisation's
    settings for ``format_name``; returns them all after. Audited."""
    org_id = user.organisation_id
    with database.atomic():
        before = saved_for(org_id, format_name)
        for name, value in values.items():
            where = (
                (ReportSetting.organisation == org_id)
                & (ReportSetting.format_name == format_name)
                & (ReportSetting.name == name)
            )
            if value == "":
                ReportSetting.delete().where(where).execute()
                continue
            (
                ReportSetting.insert(
                    organisation=org_id,
                    format_name=format_name,
                    name=name,
                    value=value,
                    updated_at=utcnow(),
                )
                .on_conflict(
                    conflict_target=[
                        ReportSetting.organisation,
                        ReportSetting.format_name,
                        ReportSetting.name,
                    ],
                    update={ReportSetting.value: value, ReportSetting.updated_at: utcnow()},
                )
                .execute()
            )
        after = saved_for(org_id, format_name)
        if after != before:
            audit.record(
                user,
                "report.settings",
                ("organisation", org_id),
                {"format": format_name, "settings": before},
                {"format": format_name, "settings": after},
            )
    return after
