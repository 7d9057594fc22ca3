"""``tmdesk audit``: the audit log's hash chain."""

from __future__ import annotations

import click

from tmdesk.cli.common import data_dir_option, fail, open_db
from tmdesk.core.audit import verify_chain


@click.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@data_dir_option
@click.pass_obj
def audit_verify(obj) -> None:
    """Check the audit log's hash chain; report the first broken link."""
    open_db(obj["data_dir"])
    report = verify_chain()
    if report.ok:
        click.echo(f"Audit log intact: {report.checked} events verified.")
    else:
        fail(
            f"audit log broken at event {report.broken_at}: {report.reason} "
            f"({report.checked} events before it verified)"
        )
