"""The ``tmdesk`` command (also ``python -m tmdesk``).

With no arguments it is the desktop launch; see ``tmdesk --help`` for the
rest. Every command takes ``--data-dir`` (or ``TMDESK_DATA_DIR``). One module
per command group; what they share is in :mod:`tmdesk.cli.common`.
"""

from __future__ import annotations

import click

from tmdesk import __version__, paths, settings
from tmdesk.cli import (
    accounts,
    audit,
    backup,
    demo,
    exchange,
    imports,
    keys,
    notify,
    pledges,
    plugins,
    serve,
    sync,
)
from tmdesk.runtime import desktop


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar=settings.DATA_DIR.name,
    help="Folder holding the database, documents, plugins and backups.",
)
@click.version_option(__version__, "--version", prog_name="tmdesk")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """tmdesk: desk software for the Tallinn Mechanism.

    Run with no command to start the desktop app (the browser opens).
    """
    ctx.obj = {"data_dir": paths.data_dir(data_dir)}
    if ctx.invoked_subcommand is None:
        raise SystemExit(desktop.launch(ctx.obj["data_dir"]))


for command in (
    serve.serve,
    serve.serve_worker,
    demo.demo,
    accounts.user,
    accounts.token,
    backup.backup,
    backup.restore,
    audit.audit,
    notify.notify,
):
    cli.add_command(command)
# ``tmdesk plugins`` and ``tmdesk report``: the plugin machinery on the command line.
cli.add_command(plugins.plugins_command, "plugins")
cli.add_command(plugins.report_command, "report")
# ``tmdesk pledge fields``: a donor's own fields on its pledges (#16).
cli.add_command(pledges.pledge, "pledge")
# ``tmdesk keys``: this installation's exchange key and the keys it trusts (#14).
cli.add_command(keys.keys_command, "keys")
# ``tmdesk office …`` and ``tmdesk sync``: the exchange with an office (issue #14).
cli.add_command(sync.office, "office")
cli.add_command(sync.sync_command, "sync")
cli.add_command(exchange.exchange, "exchange")
# ``tmdesk import iati FILE --donor CODE [--apply]``: a donor's IATI file in (#16).
cli.add_command(imports.import_group, "import")


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="tmdesk", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
