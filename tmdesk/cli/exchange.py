"""``tmdesk exchange export|import``: the exchange with an office by file (issue #14).

On the office, ``export --for EMAIL`` writes a file for that person's desk;
on a desk, ``export`` writes its waiting actions for the office. ``import``
reads either (on a desk not linked yet, say whose desk it is with
``--email``). A file that is changed, signed by an unknown or revoked key,
addressed to someone else, already imported or out of order is refused with
the reason, exit 1, and nothing changes.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from tmdesk.cli.common import data_dir_option, fail, open_db
from tmdesk.core.errors import DomainError


@click.group()
def exchange() -> None:
    """Exchange with the office by file, where no network may be used."""


@exchange.command("export")
@data_dir_option
@click.option("--for", "for_email", default=None, help="On the office: the person's e-mail.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.pass_obj
def export(obj, for_email: str | None, out: str) -> None:
    """Write an exchange file: for a person's desk (office), or for the office (desk)."""
    from tmdesk.sync import files
    from tmdesk.sync.client import SyncProblem

    open_db(obj["data_dir"])
    try:
        if for_email:
            data = files.office_export(obj["data_dir"], for_email)
            what = f"for the desk of {for_email.strip().lower()}"
        else:
            data, count = files.desk_export(obj["data_dir"])
            what = f"for the office: {count} action(s)"
    except (SyncProblem, DomainError) as exc:
        fail(str(exc))
    target = Path(out)
    tmp = target.with_name(target.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    click.echo(f"Wrote {target} ({len(data)} bytes) {what}.")


@exchange.command("import")
@data_dir_option
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--email", default=None, help="On a desk not linked yet: whose desk this is.")
@click.pass_obj
def import_(obj, file: str, email: str | None) -> None:
    """Import an exchange file (from the office on a desk, from a desk on the office)."""
    from tmdesk.exchange import envelope
    from tmdesk.sync import desk, files
    from tmdesk.sync.client import SyncProblem

    open_db(obj["data_dir"])
    desk.install()
    data = envelope.read_file(file)
    try:
        if email or desk.is_linked():
            report = files.desk_import(obj["data_dir"], data, email)
            click.echo(
                f"Imported: {report.pushed} answer(s) applied, {len(report.refused)} refused, "
                f"{report.received} project(s) received, {report.removed} removed."
            )
            for action in report.refused:
                reason = json.loads(action.reason or "{}").get("reason", "")
                click.echo(f"  refused: {action.kind} {action.entity_uid}: {reason}")
        else:
            from tmdesk.core.plugin_approvals import approved_files
            from tmdesk.plugins.manager import make_plugin_manager

            # Donor fields set on the desk are checked against the office's plugins.
            pm = make_plugin_manager(obj["data_dir"], approvals=approved_files())
            results = files.office_import(obj["data_dir"], data, list(pm.donor_fields.values()))
            applied = sum(r.get("status") == "applied" for r in results)
            click.echo(
                f"Imported: {applied} action(s) applied, {len(results) - applied} refused "
                "(the desk learns the answers from its next file or sync)."
            )
    except (SyncProblem, DomainError) as exc:
        fail(str(exc))
