"""``tmdesk backup`` and ``tmdesk restore``."""

from __future__ import annotations

from pathlib import Path

import click

from tmdesk.cli.common import data_dir_option, exclusive, fail, open_db
from tmdesk.core import backup as backups
from tmdesk.core.db import database, database_url_from_env
from tmdesk.core.pg_engine import is_url
from tmdesk.core.schema import CURRENT_VERSION
from tmdesk.paths import backups_dir


@click.command()
@data_dir_option
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
    if list_ == bool(out):
        fail("give either --out FILE or --list")
    if list_:
        _list_backups(obj["data_dir"])
        return
    open_db(obj["data_dir"])
    try:
        path = backups.backup_database(database.obj, Path(out))
    except backups.BackupError as exc:
        fail(str(exc))
    click.echo(f"Backup written to {path}")


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"  # pragma: no cover


def _list_backups(data_dir: Path) -> None:
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


@click.command()
@data_dir_option
@click.argument("backup_file", type=click.Path(dir_okay=False))
@click.pass_obj
def restore(obj, backup_file: str) -> None:
    """Replace the database with BACKUP_FILE (checked first; the old file is kept)."""
    url = database_url_from_env()
    if url and is_url(url):
        _restore_postgresql(obj["data_dir"], url, Path(backup_file))
        return
    # Held from before the checks until after the upgrade: no server serves the
    # old database meanwhile, and none can start on a half-replaced one.
    with exclusive(obj["data_dir"], "the restore"):
        try:
            kept = backups.restore(obj["data_dir"], Path(backup_file), CURRENT_VERSION)
        except backups.BackupError as exc:
            fail(str(exc))
        open_db(obj["data_dir"])  # upgrades an older backup in place
    click.echo(f"Restored {backup_file}; the replaced database is kept as {kept}")


def _restore_postgresql(data_dir: Path, url: str, backup_file: Path) -> None:
    """``tmdesk restore`` on PostgreSQL: pg_restore after the same checks, the
    replaced database kept as a dump in the data dir's backups/ folder."""
    from tmdesk.core import pg_backup

    open_db(data_dir)
    db = database.obj
    try:
        with database.connection_context():
            kept = pg_backup.restore(db, url, backup_file, CURRENT_VERSION, backups_dir(data_dir))
    except backups.BackupError as exc:
        fail(f"nothing was restored: {exc}")
    finally:
        db.close_all()
    open_db(data_dir)  # upgrades an older backup in place
    click.echo(f"Restored {backup_file}; the replaced database is kept as {kept}")
