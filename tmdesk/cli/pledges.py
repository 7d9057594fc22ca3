"""``tmdesk pledge fields``: a donor's own fields on one of its pledges, at the command line.

The same rules as the pledge's page and the API: the fields the plugins declare
for the pledge's donor, seen and set only by that donor's staff and the
offices (``--as`` names who acts), every value checked by type, every change
audited.
"""

from __future__ import annotations

import click

from tmdesk.cli.common import close_db, data_dir_of, data_dir_option, fail, open_existing_db
from tmdesk.cli.plugins import _plugin_manager
from tmdesk.core import donor_fields
from tmdesk.core.errors import PermissionDenied, ValidationError
from tmdesk.core.i18n import localized
from tmdesk.core.ids import is_uid
from tmdesk.core.models import Pledge, User
from tmdesk.core.validation import parse_id
from tmdesk.core.visibility import can_see, can_see_donor_fields


@click.group("pledge")
def pledge() -> None:
    """A pledge's donor fields (project number, CRS id, flow type…)."""


@pledge.command("fields")
@data_dir_option
@click.argument("pledge_id")
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
    ctx: click.Context, pledge_id: str, as_email: str, pairs: tuple[str, ...], lang: str
) -> None:
    """List or set the donor's own fields on pledge PLEDGE_ID (its uid, as pages and the
    API name it, or its row number)."""
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
        user = User.get_or_none(User.email == as_email.strip().lower())
        if user is None or not user.active:
            fail(f"no active user {as_email}")
        row = parse_id(pledge_id)
        found = (
            Pledge.get_or_none(Pledge.uid == pledge_id)
            if is_uid(pledge_id)
            else (Pledge.get_or_none(Pledge.id == row) if row is not None else None)
        )
        if found is None or not can_see(user, found.project):
            fail(f"no pledge {pledge_id} that {user.email} may see")
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
