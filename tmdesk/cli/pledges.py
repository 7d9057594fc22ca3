"""``tmdesk pledge …``: a pledge's donor fields and its dated transactions at the
command line.

The same rules as the pledge's page and the API: ``--as`` names who acts; the
fields the plugins declare for the pledge's donor are seen and set only by that
donor's staff and the offices, every value checked by type; transactions are
recorded through the same core service as the page's form (who may record which
kind, no more disbursed than committed, no date in the future), every change
audited.
"""

from __future__ import annotations

import click

from tmdesk.cli.common import close_db, data_dir_of, data_dir_option, fail, open_existing_db
from tmdesk.cli.plugins import _plugin_manager
from tmdesk.core import donor_fields
from tmdesk.core import transactions as transaction_service
from tmdesk.core.errors import DomainError, PermissionDenied, ValidationError
from tmdesk.core.i18n import localized
from tmdesk.core.models import Pledge, User
from tmdesk.core.visibility import can_see, can_see_donor_fields
from tmdesk.core.vocab import TRANSACTION_KINDS


@click.group("pledge")
def pledge() -> None:
    """A pledge's donor fields (project number, CRS id, flow type…) and transactions."""


def _acting_on(as_email: str, pledge_id: int) -> tuple[User, Pledge]:
    """The active user ``as_email`` and pledge ``pledge_id`` if they may see it (else fail)."""
    user = User.get_or_none(User.email == as_email.strip().lower())
    if user is None or not user.active:
        fail(f"no active user {as_email}")
    found = Pledge.get_or_none(Pledge.id == pledge_id)
    if found is None or not can_see(user, found.project):
        fail(f"no pledge {pledge_id} that {user.email} may see")
    return user, found


@pledge.command("fields")
@data_dir_option
@click.argument("pledge_id", type=click.IntRange(1, 2**62))
@click.option("--as", "as_email", required=True, metavar="EMAIL", help="Who acts.")
@click.option(
    "--set",
    "pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Set a field (repeat; an empty VALUE clears it). Without --set: list them.",
)
@click.option("--lang", type=click.Choice(["uk", "en"]), default="en", help="Labels' language.")
@click.pass_context
def fields_command(
    ctx: click.Context, pledge_id: int, as_email: str, pairs: tuple[str, ...], lang: str
) -> None:
    """List or set the donor's own fields on pledge PLEDGE_ID."""
    given: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--set takes name=value, not {pair!r}")
        given[name.strip()] = value
    data_dir = data_dir_of(ctx)
    definitions = list(_plugin_manager(data_dir).donor_fields.values())
    open_existing_db(data_dir)
    try:
        user, found = _acting_on(as_email, pledge_id)
        if not can_see_donor_fields(user, found):
            fail(f"only {found.donor.code} and the offices see this pledge's donor fields")
        if given:
            try:
                donor_fields.set_values(user, found, definitions, given)
            except ValidationError as exc:
                fail("; ".join(f"{name}: {message}" for name, message in exc.fields.items()))
            except PermissionDenied as exc:
                fail(str(exc))
        values = donor_fields.stored_values(found)
        for d in donor_fields.fields_for(definitions, found.donor.code):
            label = localized(d.label, lang) or str(d.label)
            click.echo(f"{d.name}\t{values.get(d.name, '')}\t{label} ({d.type})")
    finally:
        close_db()


def _print_transactions(found: Pledge) -> None:
    rows = transaction_service.pledge_transactions(found)
    for t in rows:
        money = f"{t.amount} {t.currency}" if t.amount is not None else ""
        pieces = f"{t.quantity} pcs" if t.quantity is not None else ""
        what = " ".join(x for x in (money, pieces) if x) or "-"
        click.echo(f"{t.id}\t{t.value_date}\t{t.kind}\t{what}\t{t.reference}\t{t.note}")
    if transaction_service.money_pledge(found):
        committed = transaction_service.committed(found, rows)
        disbursed = transaction_service.disbursed(found, rows)
        click.echo(
            f"pledged {found.amount} {found.currency}; committed {committed}; "
            f"disbursed {disbursed}; status: {found.status}"
        )
    else:
        click.echo(f"status: {found.status}")


@pledge.command("transactions")
@data_dir_option
@click.argument("pledge_id", type=click.IntRange(1, 2**62))
@click.option("--as", "as_email", required=True, metavar="EMAIL", help="Who asks.")
@click.pass_context
def transactions_command(ctx: click.Context, pledge_id: int, as_email: str) -> None:
    """List pledge PLEDGE_ID's dated transactions, oldest first, and what they add up to."""
    open_existing_db(data_dir_of(ctx))
    try:
        _user, found = _acting_on(as_email, pledge_id)
        _print_transactions(found)
    finally:
        close_db()


@pledge.command("record")
@data_dir_option
@click.argument("pledge_id", type=click.IntRange(1, 2**62))
@click.option("--as", "as_email", required=True, metavar="EMAIL", help="Who records it.")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(list(TRANSACTION_KINDS)),
    help="commitment, disbursement (a delivery in kind), expenditure (against "
    "--engagement) or incoming_commitment.",
)
@click.option("--amount", help="The amount (required for a pledge of money).")
@click.option("--currency", help="Its currency (default: the pledge's).")
@click.option("--quantity", help="Pieces delivered (in-kind support).")
@click.option("--date", "value_date", metavar="YYYY-MM-DD", help="Value date (default: today).")
@click.option("--reference", default="", help="The donor's or bank's reference.")
@click.option("--note", default="", help="A note.")
@click.option("--engagement", help="The engagement id an expenditure is made against.")
@click.pass_context
def record_command(
    ctx: click.Context,
    pledge_id: int,
    as_email: str,
    kind: str,
    amount: str | None,
    currency: str | None,
    quantity: str | None,
    value_date: str | None,
    reference: str,
    note: str,
    engagement: str | None,
) -> None:
    """Record a dated transaction on pledge PLEDGE_ID (a tranche of a commitment or
    disbursement, a delivery, an expenditure); the pledge's status follows."""
    data = {
        "kind": kind,
        "amount": amount,
        "currency": currency,
        "quantity": quantity,
        "value_date": value_date,
        "reference": reference,
        "note": note,
        "engagement": engagement,
    }
    open_existing_db(data_dir_of(ctx))
    try:
        user, found = _acting_on(as_email, pledge_id)
        given = {k: v for k, v in data.items() if v not in (None, "")}
        try:
            made = transaction_service.record_transaction(user, found, given)
        except ValidationError as exc:
            fail("; ".join(f"--{_option_of(k)}: {v}" for k, v in exc.fields.items()))
        except DomainError as exc:
            fail(str(exc))
        click.echo(f"recorded {made.kind} {made.id} on {made.value_date}")
        _print_transactions(Pledge.get_by_id(found.id))
    finally:
        close_db()


def _option_of(field_name: str) -> str:
    """The option a form field is given with (``value_date`` is ``--date``)."""
    return {"value_date": "date"}.get(field_name, field_name)
