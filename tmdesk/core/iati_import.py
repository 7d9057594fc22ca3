"""Import a donor's IATI activity file (2.03): its transactions, matched to tmdesk's.

The file is the XML tmdesk wrote (``tmdesk report iati``) or the donor's own
publication. Each ``iati-activity`` is matched to a project by the
``iati-identifier`` tmdesk issued (``<donor identifier>-TM-YYYY-NNNN``) or an
``other-identifier`` whose ``ref`` is a TM reference; anything else is listed
as unmatched, never guessed. Its transactions are then matched to that
donor's transactions on the project: by ``ref`` (the uid tmdesk exported), else
by type, value date, amount and currency. A match that differs is updated in
place, a transaction with no match is added to the donor's pledge, and a
transaction of the donor's that the file does not carry is left alone (and
listed). A dry run (the default) says per activity what would change;
:func:`import_iati` with ``apply=True`` does it, in one database transaction,
through :mod:`tmdesk.core.transactions` (validated, permission-checked,
audited). Re-importing the same file changes nothing.

Hostile input is refused before anything is read: no DTD (so no entities,
external or expanding), no network, no huge-tree mode, a size limit. Errors
name the line and the element.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from tmdesk.core import transactions
from tmdesk.core.db import database
from tmdesk.core.errors import DomainError, PermissionDenied, ValidationError
from tmdesk.core.i18n import N_
from tmdesk.core.models import Engagement, Organisation, Pledge, Project, Transaction, User
from tmdesk.core.visibility import can_see, is_officer

#: The largest file read (an IATI file of 10,000 activities is about 50 MB).
MAX_BYTES = 100 * 1024 * 1024
#: IATI TransactionType → tmdesk's kind (12, an outgoing pledge, is the pledge itself).
KINDS = {"2": "commitment", "3": "disbursement", "4": "expenditure", "11": "incoming_commitment"}
SKIPPED_TYPES = {"12"}
REF = re.compile(r"TM-\d{4}-\d{4,6}")
#: The prefix of identifiers tmdesk makes for organisations without their own.
FALLBACK_ORG_PREFIX = "XM-TMDESK-"
#: One planned write: ``(action, pledge, the transaction it updates or None, fields)``.
Step = tuple[str, Pledge, "Transaction | None", dict[str, Any]]


class ImportRefused(DomainError):
    """The file cannot be read at all (malformed, hostile, too large)."""

    http_status = 400


#: A message marked with ``N_`` and its parameters, translated where it is shown.
Message = tuple[str, dict[str, Any]]


@dataclass
class Change:
    """One transaction the import would add or update (``before`` None: added)."""

    action: str  # "add", "update"
    kind: str
    amount: Decimal | None
    currency: str | None
    value_date: dt.date
    line: int
    before: dict[str, Any] | None = None
    uid: str | None = None


@dataclass
class ActivityResult:
    """What the import does with one activity."""

    identifier: str
    line: int
    ref: str | None = None
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    #: The donor's transactions on the project that the file does not carry (kept).
    not_in_file: int = 0
    errors: list[Message] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        return self.ref is not None


@dataclass
class ImportReport:
    activities: list[ActivityResult] = field(default_factory=list)
    applied: bool = False

    @property
    def unmatched(self) -> list[ActivityResult]:
        return [a for a in self.activities if not a.matched]

    @property
    def changes(self) -> int:
        return sum(len(a.changes) for a in self.activities)

    @property
    def errors(self) -> list[Message]:
        return [e for a in self.activities for e in a.errors]


def donor_identifier(donor: Organisation) -> str:
    """The identifier tmdesk's IATI export gives the donor (docs/iati.md)."""
    return donor.iati_id or f"{FALLBACK_ORG_PREFIX}{donor.code}"


def parse(data: bytes) -> etree._Element:
    """The root of a safely parsed file; :class:`ImportRefused` naming the line otherwise."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(N_("The file is too large (at most 100 MB)."))
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise ImportRefused(
            N_("The file declares a DTD or entities, which IATI files never need: refused.")
        )
    try:
        root = etree.fromstring(data, parser)  # nosec B320: entities off, no network, no DTD
    except etree.XMLSyntaxError as exc:
        raise ImportRefused(
            N_("The file is not well-formed XML (line %(line)s: %(error)s)."),
            line=exc.lineno or 0,
            error=str(exc.msg)[:200],
        ) from None
    if root.tag != "iati-activities":
        raise ImportRefused(
            N_("Line %(line)s, <%(element)s>: the root element must be <iati-activities>."),
            line=root.sourceline or 0,
            element=str(root.tag)[:60],
        )
    return root


def _fill(message: str, **params: Any) -> Message:
    return (message, params)


def message_text(message: Message) -> str:
    """A message in English (the command line); pages translate it first."""
    text, params = message
    return text % params if params else text


def _text(el: etree._Element | None) -> str:
    return (el.text or "").strip() if el is not None else ""


def _match_project(activity: etree._Element, donor: Organisation) -> str | None:
    """The TM reference the activity names: tmdesk's identifier, or an other-identifier."""
    ident = _text(activity.find("iati-identifier"))
    prefix = donor_identifier(donor) + "-"
    if ident.startswith(prefix) and REF.fullmatch(ident[len(prefix) :]):
        return ident[len(prefix) :]
    for other in activity.findall("other-identifier"):
        ref = (other.get("ref") or "").strip()
        if REF.fullmatch(ref):
            return ref
    return None


def _read_transaction(el: etree._Element, result: ActivityResult) -> dict[str, Any] | None:
    """A ``transaction`` element as tmdesk fields, or None (skipped or wrong: noted)."""
    line = el.sourceline or 0
    type_el = el.find("transaction-type")
    code = type_el.get("code") if type_el is not None else None
    if code in SKIPPED_TYPES:
        return None
    if code not in KINDS:
        result.errors.append(
            _fill(
                N_("Line %(line)s, <transaction-type>: type %(code)s is not one tmdesk records."),
                line=line,
                code=str(code)[:10],
            )
        )
        return None
    value = el.find("value")
    if value is None:
        result.errors.append(_fill(N_("Line %(line)s, <transaction>: no <value>."), line=line))
        return None
    try:
        amount = Decimal(_text(value))
    except InvalidOperation:
        result.errors.append(
            _fill(N_("Line %(line)s, <value>: not an amount."), line=value.sourceline or line)
        )
        return None
    dated = el.find("transaction-date")
    day_text = value.get("value-date") or (dated.get("iso-date") if dated is not None else None)
    try:
        day = dt.date.fromisoformat((day_text or "").strip())
    except ValueError:
        result.errors.append(
            _fill(N_("Line %(line)s, <value>: no value-date."), line=value.sourceline or line)
        )
        return None
    description = el.find("description/narrative")
    receiver = el.find("receiver-org")
    return {
        "kind": KINDS[code],
        "amount": amount,
        "currency": value.get("currency"),
        "value_date": day,
        "ref": (el.get("ref") or "").strip(),
        "note": _text(description)[:2000],
        "receiver": receiver.get("ref") if receiver is not None else None,
        "line": line,
    }


def _same(t: Transaction, row: dict[str, Any]) -> bool:
    return (
        t.kind == row["kind"]
        and t.value_date == row["value_date"]
        and t.amount == row["amount"]
        and (t.currency or "") == (row["currency"] or t.currency or "")
    )


def _engagement_for(project: Project, receiver: str | None) -> Engagement | None:
    for engagement in Engagement.select().where(Engagement.project == project.id):
        company = engagement.company
        if receiver in (company.iati_id, f"{FALLBACK_ORG_PREFIX}{company.code}"):
            return engagement
    return None


def _plan_activity(
    user: User | None, donor: Organisation, activity: etree._Element, result: ActivityResult
) -> list[Step]:
    """What to do for one matched activity: ``(action, pledge, existing, data)``."""
    project = Project.get_or_none(Project.ref == result.ref)
    if project is None or (user is not None and not can_see(user, project)):
        result.ref = None  # unmatched: a project the user may not see is not named
        return []
    pledges = list(
        Pledge.select()
        .where(
            (Pledge.project == project.id)
            & (Pledge.donor == donor.id)
            & (Pledge.status != "withdrawn")
        )
        .order_by(Pledge.id)
    )
    if not pledges:
        result.errors.append(
            _fill(
                N_("Line %(line)s: %(donor)s has no pledge on %(ref)s to record this on."),
                line=result.line,
                donor=donor.code,
                ref=project.ref,
            )
        )
        return []
    existing = [t for p in pledges for t in transactions.pledge_transactions(p)]
    by_uid = {t.uid: t for t in existing}
    seen: set[int] = set()
    plan: list[Step] = []
    rows = [r for el in activity.findall("transaction") if (r := _read_transaction(el, result))]
    order = {"commitment": 0, "incoming_commitment": 1, "disbursement": 2, "expenditure": 3}
    for row in sorted(rows, key=lambda r: (order[r["kind"]], r["value_date"])):
        match = by_uid.get(row["ref"])
        if match is None:
            match = next((t for t in existing if t.id not in seen and _same(t, row)), None)
        data: dict[str, Any] = {
            "kind": row["kind"],
            "amount": row["amount"],
            "currency": row["currency"],
            "value_date": row["value_date"],
            "note": row["note"],
        }
        if row["kind"] == "expenditure":
            engagement = _engagement_for(project, row["receiver"])
            if engagement is None:
                result.errors.append(
                    _fill(
                        N_(
                            "Line %(line)s, <receiver-org>: no company engaged on %(ref)s "
                            "has this identifier."
                        ),
                        line=row["line"],
                        ref=project.ref,
                    )
                )
                continue
            data["engagement"] = engagement.id
        if match is not None:
            seen.add(match.id)
            if _same(match, row) and match.kind == row["kind"]:
                result.unchanged += 1
                continue
            if match.kind != row["kind"]:
                result.errors.append(
                    _fill(
                        N_(
                            "Line %(line)s, <transaction ref>: it names a %(kind)s in tmdesk; "
                            "a transaction's type is not changed by an import."
                        ),
                        line=row["line"],
                        kind=match.kind,
                    )
                )
                continue
            data.update(reference=match.reference, note=row["note"] or match.note)
            plan.append(("update", match.pledge, match, data))
            result.changes.append(
                Change(
                    "update",
                    row["kind"],
                    row["amount"],
                    row["currency"],
                    row["value_date"],
                    row["line"],
                    before={
                        "amount": match.amount,
                        "currency": match.currency,
                        "value_date": match.value_date,
                    },
                    uid=match.uid,
                )
            )
        else:
            target = next((p for p in pledges if p.currency == row["currency"]), pledges[0])
            data["reference"] = row["ref"][:100]
            plan.append(("add", target, None, data))
            result.changes.append(
                Change(
                    "add",
                    row["kind"],
                    row["amount"],
                    row["currency"],
                    row["value_date"],
                    row["line"],
                )
            )
    result.not_in_file = len([t for t in existing if t.id not in seen])
    return plan


def import_iati(
    user: User | None, data: bytes, donor_code: str, *, apply: bool = False
) -> ImportReport:
    """Read ``data`` for the donor ``donor_code``; with ``apply``, make the changes.

    ``user`` is who imports: that donor's staff or the offices (None: the
    operator at the machine, as for the other commands). Nothing is applied
    when any activity has an error.
    """
    donor = Organisation.get_or_none(
        (Organisation.code == (donor_code or "").strip().upper()) & (Organisation.kind == "donor")
    )
    if donor is None:
        raise ValidationError({"donor": N_("Choose the donor organisation.")})
    if user is not None and not (is_officer(user) or user.organisation_id == donor.id):
        raise PermissionDenied(N_("Only that donor and the offices import its IATI file."))
    root = parse(data)
    report = ImportReport()
    plans: list[Step] = []
    for activity in root.iter("iati-activity"):
        result = ActivityResult(
            _text(activity.find("iati-identifier"))[:200], activity.sourceline or 0
        )
        result.ref = _match_project(activity, donor)
        if result.ref is not None:
            plans.extend(_plan_activity(user, donor, activity, result))
        report.activities.append(result)
    if not apply or report.errors or not plans:
        return report
    with database.atomic():
        for _action, pledge, existing, fields in plans:
            if existing is None:
                transactions.record_transaction(user, Pledge.get_by_id(pledge.id), fields)
            else:
                transactions.update_transaction(user, Transaction.get_by_id(existing.id), fields)
    report.applied = True
    return report
