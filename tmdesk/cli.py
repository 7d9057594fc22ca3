"""The ``tmdesk`` command (also ``python -m tmdesk``).

With no arguments it is the desktop launch; see ``tmdesk --help`` for the
rest. Every command takes ``--data-dir`` (or ``TMDESK_DATA_DIR``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import click

from tmdesk import __version__, paths


def _open_db(data_dir: Path) -> None:
    from tmdesk.core.bootstrap import open_database

    open_database(data_dir)


def _fail(message: str) -> None:
    click.echo(f"tmdesk: {message}", err=True)
    raise SystemExit(1)


@contextmanager
def _exclusive(data_dir: Path, command: str) -> Iterator[None]:
    """Hold the data folder's instance lock, or fail (exit 1) when tmdesk serves it."""
    from tmdesk import instance

    paths.make_private_dir(data_dir)
    try:
        with instance.exclusive_data_dir(data_dir, command):
            yield  # DataFolderBusy comes only from taking the lock, before this
    except instance.DataFolderBusy as exc:
        _fail(str(exc))


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    envvar="TMDESK_DATA_DIR",
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
        from tmdesk import desktop

        raise SystemExit(desktop.launch(ctx.obj["data_dir"]))


def _data_dir_option(f):
    """Let ``--data-dir`` also follow the subcommand (``tmdesk demo --data-dir X``)."""

    def callback(ctx: click.Context, _param, value):
        if value:
            ctx.ensure_object(dict)["data_dir"] = paths.data_dir(value)
        return value

    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=callback,
        is_eager=True,
        help="Folder holding the database (overrides the global option).",
    )(f)


@cli.command()
@_data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8750, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.pass_obj
def serve(obj, host: str, port: int, threads: int, no_browser: bool) -> None:
    """Serve tmdesk in the foreground (Ctrl+C stops it)."""
    from tmdesk import server

    server.serve(
        obj["data_dir"], host=host, port=port, threads=threads, open_browser=not no_browser
    )


@cli.command()
@_data_dir_option
@click.option("--force", is_flag=True, help="Replace existing data with the demo set.")
@click.pass_obj
def demo(obj, force: bool) -> None:
    """Fill the data dir with the demo data set and print the demo logins."""
    from tmdesk.core import demo as demo_data

    # --force empties the database and the documents: never under a running server.
    guard = _exclusive(obj["data_dir"], "tmdesk demo --force") if force else nullcontext()
    with guard:
        _open_db(obj["data_dir"])
        try:
            summary = demo_data.load_demo(force=force)
        except demo_data.DemoError as exc:
            _fail(str(exc))
    click.echo(summary.describe())
    click.echo(f"Data dir: {obj['data_dir']}")


@cli.group()
def user() -> None:
    """Manage user accounts."""


@user.command("create")
@_data_dir_option
@click.argument("email")
@click.option("--org", "org_code", required=True, help="Organisation code, e.g. SSSCIP, GB.")
@click.option("--name", default="", help="The person's name.")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option(
    "--org-kind",
    type=click.Choice(
        ["recipient", "donor", "observer", "back_office", "project_office", "company"]
    ),
    help="Create the organisation first, of this kind, if CODE does not exist yet "
    "(the first administrator on a fresh data dir).",
)
@click.option("--org-name", default="", help="With --org-kind: the organisation's English name.")
@click.option("--org-country", default="", help="With --org-kind: its country, e.g. UA.")
@click.pass_obj
def user_create(
    obj,
    email: str,
    org_code: str,
    name: str,
    admin: bool,
    password_stdin: bool,
    org_kind: str | None,
    org_name: str,
    org_country: str,
) -> None:
    """Create a user in an organisation (with --org-kind, create the organisation too)."""
    from tmdesk.core import accounts
    from tmdesk.core.db import database
    from tmdesk.core.errors import ValidationError
    from tmdesk.core.models import Organisation

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    _open_db(obj["data_dir"])
    try:
        with database.atomic():
            if org_kind and not Organisation.get_or_none(
                Organisation.code == org_code.strip().upper()
            ):
                accounts.create_organisation(
                    None,
                    {
                        "code": org_code,
                        "kind": org_kind,
                        "country": org_country,
                        "name_en": org_name or org_code,
                    },
                )
            created = accounts.create_user(
                None, email, org_code, password, name=name, is_admin=admin
            )
    except ValidationError as exc:
        hint = ""
        if "organisation" in exc.fields and not org_kind:
            hint = " (to create it, add --org-kind KIND --org-name NAME --org-country CC)"
        _fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()) + hint)
    click.echo(
        f"Created {created.email} in {created.organisation.code}"
        + (" (administrator)" if admin else "")
    )


@cli.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@_data_dir_option
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.pass_obj
def token_create(obj, email: str, name: str) -> None:
    """Print a new API token for EMAIL."""
    from tmdesk.core import accounts
    from tmdesk.core.models import User

    _open_db(obj["data_dir"])
    target = User.get_or_none(User.email == email.strip().lower())
    if target is None or not target.active:
        _fail(f"no active user {email}")
    _token, plain = accounts.create_token(None, target, name)
    click.echo(plain)


@cli.command()
@_data_dir_option
@click.option(
    "--out", "out", type=click.Path(dir_okay=False), help="Write a checked copy to this file."
)
@click.option(
    "--list",
    "list_",
    is_flag=True,
    help="List the backups folder (automatic, manual and before-upgrade copies).",
)
@click.pass_obj
def backup(obj, out: str | None, list_: bool) -> None:
    """Write a consistent, checked copy of the database to OUT, or list the backups.

    While tmdesk serves it also makes automatic backups into the data dir's
    backups/ folder (at start, then daily; TMDESK_BACKUP_KEEP of them are kept).
    """
    from tmdesk.core import backup as backups
    from tmdesk.core.db import database

    if list_ == bool(out):
        _fail("give either --out FILE or --list")
    if list_:
        _list_backups(obj["data_dir"])
        return
    _open_db(obj["data_dir"])
    try:
        path = backups.backup_database(database.obj, Path(out))
    except backups.BackupError as exc:
        _fail(str(exc))
    click.echo(f"Backup written to {path}")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def _list_backups(data_dir: Path) -> None:
    from tmdesk.core import backup as backups
    from tmdesk.paths import backups_dir

    folder = backups_dir(data_dir)
    found = backups.list_backups(data_dir)
    keep = backups.keep_setting()
    click.echo(f"Backups folder: {folder}")
    click.echo(
        f"Automatic backups: keeping the newest {keep} ({backups.KEEP_ENV})"
        if keep
        else f"Automatic backups: off ({backups.KEEP_ENV}=0)"
    )
    if not found:
        click.echo("No backups yet.")
        return
    click.echo(f"{'KIND':<15} {'TIME':<19} {'SIZE':>10}  FILE")
    for b in found:
        click.echo(f"{b.kind:<15} {b.time:%Y-%m-%d %H:%M:%S} {_size(b.size):>10}  {b.name}")
    click.echo(f"To restore one, stop tmdesk, then: tmdesk restore {folder / 'FILE'}")


@cli.command()
@_data_dir_option
@click.argument("backup_file", type=click.Path(dir_okay=False))
@click.pass_obj
def restore(obj, backup_file: str) -> None:
    """Replace the database with BACKUP_FILE (checked first; the old file is kept)."""
    from tmdesk.core import backup as backups
    from tmdesk.core.schema import CURRENT_VERSION

    # Held from before the checks until after the upgrade: no server serves the
    # old database meanwhile, and none can start on a half-replaced one.
    with _exclusive(obj["data_dir"], "the restore"):
        try:
            kept = backups.restore(obj["data_dir"], Path(backup_file), CURRENT_VERSION)
        except backups.BackupError as exc:
            _fail(str(exc))
        _open_db(obj["data_dir"])  # upgrades an older backup in place
    click.echo(f"Restored {backup_file}; the replaced database is kept as {kept}")


@cli.group()
def audit() -> None:
    """The audit log."""


@audit.command("verify")
@_data_dir_option
@click.pass_obj
def audit_verify(obj) -> None:
    """Check the audit log's hash chain; report the first broken link."""
    from tmdesk.core.audit import verify_chain

    _open_db(obj["data_dir"])
    report = verify_chain()
    if report.ok:
        click.echo(f"Audit log intact: {report.checked} events verified.")
    else:
        _fail(
            f"audit log broken at event {report.broken_at}: {report.reason} "
            f"({report.checked} events before it verified)"
        )


def _register_plugin_commands() -> None:
    """``tmdesk plugins`` and ``tmdesk report`` live with the plugin machinery."""
    from tmdesk.plugins.commands import plugins_command, report_command

    cli.add_command(plugins_command, "plugins")
    cli.add_command(report_command, "report")


_register_plugin_commands()


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point."""
    try:
        cli.main(args=argv, prog_name="tmdesk", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0
