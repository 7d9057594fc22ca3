"""What every command of :mod:`tmdesk.cli` shares: the data folder option, opening
the database, failing with a message, and holding the data folder exclusively."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from tmdesk import paths
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import database
from tmdesk.runtime import instance

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """Print ``tmdesk: message`` to stderr and exit with status 1."""
    click.echo(f"tmdesk: {message}", err=True)
    raise SystemExit(1)


def open_db(data_dir: Path) -> None:
    """Open (creating or upgrading) the database of ``data_dir``."""
    open_database(data_dir)


def open_existing_db(data_dir: Path) -> None:
    """Open and connect the database of ``data_dir``; fail if the folder does not exist."""
    if not data_dir.exists():
        fail(f"the data dir {data_dir} does not exist")
    open_database(data_dir)
    database.connect(reuse_if_open=True)


def close_db() -> None:
    if not database.is_closed():
        database.close()


def operator() -> str:
    """Who decided, for the audit log: "command line (operating-system user kadri)"."""
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name is not a reason to refuse
        who = "unknown"
    return f"command line (operating-system user {who})"


def data_dir_of(ctx: click.Context) -> Path:
    """The data folder chosen for this invocation (the root's ``--data-dir``, the
    subcommand's, ``TMDESK_DATA_DIR``, or the per-user default)."""
    obj = ctx.find_root().obj or {}
    return obj.get("data_dir") or paths.data_dir(None)


@contextmanager
def exclusive(data_dir: Path, command: str) -> Iterator[None]:
    """Hold the data folder's instance lock, or fail (exit 1) when tmdesk serves it."""
    paths.make_private_dir(data_dir)
    try:
        with instance.exclusive_data_dir(data_dir, command):
            yield  # DataFolderBusy comes only from taking the lock, before this
    except instance.DataFolderBusy as exc:
        fail(str(exc))


def data_dir_option(f: F) -> F:
    """Let ``--data-dir`` also follow the subcommand (``tmdesk demo --data-dir X``)."""

    def callback(ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
        if value:
            ctx.find_root().ensure_object(dict)["data_dir"] = paths.data_dir(value)
        return value

    return click.option(
        "--data-dir",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=callback,
        is_eager=True,
        help="Folder holding the database (overrides the global option).",
    )(f)
