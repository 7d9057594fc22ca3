"""``tmdesk office link|status|unlink`` and ``tmdesk sync`` (DESIGN.md section 6).

``tmdesk sync`` exits 0 when the exchange completed (refused actions are
listed, they are the office's answer, not a failure), 3 when the office could
not be reached (nothing is lost: the queue waits), 1 for anything else (not
linked, revoked).
"""

from __future__ import annotations

import json
import socket
import sys
from typing import NoReturn

import click

from tmdesk.cli.common import data_dir_option, fail, open_db

#: ``tmdesk sync``'s exit status when the office could not be reached.
EXIT_UNREACHABLE = 3


def _open(obj) -> None:
    from tmdesk.sync import desk

    open_db(obj["data_dir"])
    desk.install()


def _fail(message: str, code: int = 1) -> NoReturn:
    if code == 1:
        fail(message)
    click.echo(f"tmdesk: {message}", err=True)
    raise SystemExit(code)


@click.group()
def office() -> None:
    """Link this desk to an office server, and see how it stands."""


@office.command("link")
@data_dir_option
@click.argument("url")
@click.option("--email", required=True, help="Your e-mail address on the office.")
@click.option("--password-stdin", is_flag=True, help="Read your office password from stdin.")
@click.option("--name", "desk_name", default="", help="This desk's name on the office.")
@click.pass_obj
def office_link(obj, url: str, email: str, password_stdin: bool, desk_name: str) -> None:
    """Link this desk to the office at URL for you, then fetch what you may see."""
    from tmdesk.sync import desk
    from tmdesk.sync.client import OfficeUnreachable, SyncProblem

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Office password", hide_input=True)
    _open(obj)
    try:
        link = desk.link(
            url, email, password, desk_name or socket.gethostname(), data_dir=obj["data_dir"]
        )
    except SyncProblem as exc:
        _fail(str(exc), EXIT_UNREACHABLE if isinstance(exc, OfficeUnreachable) else 1)
    click.echo(f"Linked to {link.office_url} as {email}.")
    _run_sync(obj)


@office.command("status")
@data_dir_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.pass_obj
def office_status(obj, as_json: bool) -> None:
    """Print the office this desk is linked to, when it last synced, what waits."""
    from tmdesk.sync import desk

    _open(obj)
    state = desk.status()
    if as_json:
        data = dict(state.__dict__)
        for key in ("last_sync_at", "last_attempt_at"):
            data[key] = data[key].isoformat() if data[key] else None
        click.echo(json.dumps(data))
        return
    if not state.linked:
        click.echo("Not linked to an office: this desk works alone.")
        return
    click.echo(f"Office:          {state.office_url}")
    click.echo(f"Person:          {state.email}")
    click.echo(f"Last synced:     {state.last_sync_at or 'never'} (UTC)")
    click.echo(f"Actions waiting: {state.waiting}")
    click.echo(f"Refused:         {state.refused}")
    if state.revoked:
        click.echo("The office revoked this desk's link: it no longer syncs.")
    elif state.last_error:
        click.echo(f"Last problem:    {state.last_error}")


@office.command("unlink")
@data_dir_option
@click.option("--force", is_flag=True, help="Unlink even though actions still wait.")
@click.pass_obj
def office_unlink(obj, force: bool) -> None:
    """Forget the office; the data on this desk stays."""
    from tmdesk.sync import desk
    from tmdesk.sync.client import SyncProblem

    _open(obj)
    try:
        desk.unlink(force=force)
    except SyncProblem as exc:
        _fail(str(exc))
    click.echo("Unlinked. Revoke this desk's token on the office too (your profile page).")


def _run_sync(obj) -> None:
    from tmdesk.sync import desk
    from tmdesk.sync.client import OfficeUnreachable, SyncProblem

    try:
        report = desk.sync(obj["data_dir"])
    except OfficeUnreachable as exc:
        _fail(f"{exc} Nothing is lost: the actions wait for the next sync.", EXIT_UNREACHABLE)
    except SyncProblem as exc:
        _fail(str(exc))
    click.echo(
        f"Synced: {report.pushed} action(s) sent, {len(report.refused)} refused, "
        f"{report.received} project(s) received, {report.removed} removed."
    )
    for action in report.refused:
        reason = json.loads(action.reason or "{}").get("reason", "")
        click.echo(f"  refused: {action.kind} {action.entity_uid}: {reason}")


@click.command("sync")
@data_dir_option
@click.pass_obj
def sync_command(obj) -> None:
    """Exchange with the office now: send the queue, receive what changed."""
    _open(obj)
    _run_sync(obj)
