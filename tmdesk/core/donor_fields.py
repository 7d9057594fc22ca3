"""Donors' own fields on their pledges: a project number, a CRS id, a flow type…

Plugins declare the fields a donor's format needs (``tmdesk_donor_fields``,
:class:`DonorField`); tmdesk stores the values per pledge in one generic table
(:class:`~tmdesk.core.models.PledgeField`, pledge + field name), so a partner
adds a field without a schema change. A field may be limited to some donors
(``donors``: organisation codes); a pledge shows the fields of its own donor.

Who sees and edits them is visibility's rule
(:func:`~tmdesk.core.visibility.can_see_donor_fields`): the pledging donor and
the offices, on every surface (the pledge page, the API, report contexts and
so every export). Values are checked by type (:mod:`tmdesk.core.typed`) and
every change is audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tmdesk.core import audit
from tmdesk.core.db import database
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.i18n import N_, Text, check_text
from tmdesk.core.models import Pledge, PledgeField, User, utcnow
from tmdesk.core.typed import TYPES, TypedValueError, parse_typed, to_text
from tmdesk.core.visibility import can_see_donor_fields, donor_fields_condition

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


@dataclass(frozen=True)
class DonorField:
    """A field a donor's format needs on each of that donor's pledges.

    ``name`` is the stable key (lowercase letters, digits, ``_``); ``label``
    and ``help`` are a string or ``{"en": …, "uk": …}``; ``type`` one of
    ``text``, ``integer``, ``decimal``, ``year``, ``date``, ``boolean``,
    ``choice``; ``choices`` a sequence of ``(value, label)`` for ``choice``;
    ``donors`` the organisation codes it applies to (empty: every donor).
    """

    name: str
    label: Text
    type: str = "text"
    choices: Sequence[tuple[str, Text]] | None = None
    help: Text = ""
    donors: frozenset[str] = frozenset()
    #: Set by the manager: the plugin that declared the field.
    plugin: str = field(default="", compare=False)

    def applies_to(self, donor_code: str) -> bool:
        return not self.donors or donor_code in self.donors

    def choice_values(self) -> list[str]:
        return [value for value, _label in self.choices or ()]


def check_definition(definition: object) -> str | None:
    """Why ``definition`` is not a usable :class:`DonorField` (None when it is)."""
    if not isinstance(definition, DonorField):
        return f"{definition!r} is not a DonorField"
    if not FIELD_NAME.match(definition.name or ""):
        return (
            f"donor field name {definition.name!r} must be lowercase letters, digits and '_'"
            " (at most 64)"
        )
    if definition.type not in TYPES:
        return f"donor field {definition.name!r} has unknown type {definition.type!r}"
    if definition.type == "choice" and not definition.choices:
        return f"donor field {definition.name!r} is a choice without choices"
    for what, text in (("label", definition.label), ("help", definition.help)):
        problem = check_text(text, f"donor field {definition.name!r} {what}")
        if problem:
            return problem
    return None


def fields_for(definitions: Iterable[DonorField], donor_code: str) -> list[DonorField]:
    """The declared fields that apply to ``donor_code``'s pledges, in declaration order."""
    return [d for d in definitions if d.applies_to(donor_code)]


def stored_values(pledge: Pledge) -> dict[str, str]:
    """Every stored field of ``pledge`` (no visibility check: for callers that did it)."""
    return {
        row.name: row.value
        for row in PledgeField.select()
        .where(PledgeField.pledge == pledge.id)
        .order_by(PledgeField.name)
    }


def values_of(user: User | None, pledge: Pledge) -> dict[str, str] | None:
    """``pledge``'s fields if ``user`` may see them, else None (not even that there are some)."""
    if not can_see_donor_fields(user, pledge):
        return None
    return stored_values(pledge)


def values_for_pledges(user: User | None, pledge_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """The fields of those of ``pledge_ids`` whose fields ``user`` may see, by pledge id."""
    found: dict[int, dict[str, str]] = {}
    if not pledge_ids:
        return found
    query = (
        PledgeField.select(PledgeField.pledge, PledgeField.name, PledgeField.value)
        .join(Pledge)
        .where(PledgeField.pledge.in_(list(pledge_ids)) & donor_fields_condition(user))
        .order_by(PledgeField.pledge, PledgeField.name)
    )
    for pledge_id, name, value in query.tuples():
        found.setdefault(pledge_id, {})[name] = value
    return found


def set_values(
    user: User,
    pledge: Pledge,
    definitions: Iterable[DonorField],
    given: Mapping[str, Any],
) -> dict[str, str]:
    """Check ``given`` (field name → raw value; empty clears) against the fields that
    apply to ``pledge``'s donor and store them; returns the pledge's fields after.

    Raises :class:`PermissionDenied` unless ``user`` is the pledging donor or an
    officer, and :class:`ValidationError` naming every field refused (nothing is
    stored then). Fields not named in ``given`` are left as they are.
    """
    if not can_see_donor_fields(user, pledge):
        raise PermissionDenied(N_("Only the pledging donor and the offices edit its own fields."))
    applicable = {d.name: d for d in fields_for(definitions, pledge.donor.code)}
    errors: dict[str, str] = {}
    parsed: dict[str, str] = {}
    for name, raw in given.items():
        definition = applicable.get(name)
        if definition is None:
            errors[str(name)[:64]] = N_("There is no such field for this donor.")
            continue
        try:
            value = parse_typed(definition.type, raw, definition.choice_values())
        except TypedValueError as exc:
            errors[name] = exc.message % exc.params if exc.params else exc.message
            continue
        parsed[name] = to_text(value)
    if errors:
        raise ValidationError(errors)
    with database.atomic():
        before = stored_values(pledge)
        for name, value in parsed.items():
            if value == "":
                PledgeField.delete().where(
                    (PledgeField.pledge == pledge.id) & (PledgeField.name == name)
                ).execute()
                continue
            (
                PledgeField.insert(pledge=pledge.id, name=name, value=value, updated_at=utcnow())
                .on_conflict(
                    conflict_target=[PledgeField.pledge, PledgeField.name],
                    update={PledgeField.value: value, PledgeField.updated_at: utcnow()},
                )
                .execute()
            )
        after = stored_values(pledge)
        if after != before:
            # The pledge itself: its version moves and its project is logged as
            # changed, so the fields travel to desks (and from a desk, queued).
            audit.record(user, "pledge.donor_fields", pledge, {"fields": before}, {"fields": after})
    return after
