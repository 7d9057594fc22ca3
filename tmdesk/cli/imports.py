"""``tmdesk import iati FILE --donor CODE [--apply]``: a donor's IATI file in (issue #16).

A dry run by default: per activity, what would be added or updated; unmatched
activities and errors (with their line) are listed. ``--apply`` makes the
changes, and only when the file has no errors. Exit status: 0 done (or
nothing to do), 1 refused (unreadable file, errors in it, unknown donor).
"""

from __future__ import annotations

from pathlib import Path

import click

from tmdesk.cli.common import close_db, data_dir_of, data_dir_option, fail, open_existing_db
from tmdesk.core import iati_import
from tmdesk.core.errors import DomainError, ValidationError
from tmdesk.core.models import User


@click.group("import")
def import_group() -> None:
    """Bring data written elsewhere into tmdesk."""


@import_group.command("iati")
@data_dir_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--donor", "donor_code", required=True, metavar="CODE", help="Whose file it is.")
@click.option("--apply", "apply", is_flag=True, help="Make the changes (default: a dry run).")
@click.option(
    "--as",
    "as_email",
    metavar="EMAIL",
    help="Import as this user (that donor's staff or an officer); default: the operator.",
)
@click.pass_context
def iati_command(
    ctx: click.Context, file: str, donor_code: str, apply: bool, as_email: str | None
) -> None:
    """Import the transactions of a donor's IATI activity file (2.03)."""
    data = Path(file).read_bytes()
    open_existing_db(data_dir_of(ctx))
    try:
        user = None
        if as_email:
            user = User.get_or_none(User.email == as_email.strip().lower())
            if user is None:
                fail(f"no user {as_email}")
        try:
            report = iati_import.import_iati(user, data, donor_code, apply=apply)
        except ValidationError as exc:
            fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()))
        except DomainError as exc:
            fail(str(exc))
        for activity in report.activities:
            if not activity.matched:
                continue
            click.echo(
                f"{activity.ref} ({activity.identifier}): {len(activity.changes)} to change, "
                f"{activity.unchanged} unchanged, {activity.not_in_file} in tmdesk only"
            )
            for change in activity.changes:
                was = ""
                if change.before:
                    was = (
                        f" (was {change.before['amount']} {change.before['currency']} "
                        f"{change.before['value_date']})"
                    )
                click.echo(
                    f"  line {change.line}: {change.action} {change.kind} {change.amount} "
                    f"{change.currency or ''} {change.value_date}{was}"
                )
            for message in activity.errors:
                click.echo(f"  error: {iati_import.message_text(message)}")
        for activity in report.unmatched:
            click.echo(f"unmatched (line {activity.line}): {activity.identifier or '—'}")
            for message in activity.errors:
                click.echo(f"  error: {iati_import.message_text(message)}")
        if report.errors:
            fail(f"{len(report.errors)} error(s) in the file: nothing was changed")
        if apply:
            click.echo(f"applied: {report.changes} change(s)")
        else:
            click.echo(f"dry run: {report.changes} change(s); add --apply to make them")
    finally:
        close_db()
