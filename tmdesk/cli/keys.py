"""``tmdesk keys``: this installation's exchange key, and the keys it trusts.

Like ``tmdesk plugins approve``, trusting and revoking are for the person at
the machine, who can read and change the data folder anyway; each decision
is audited as taken at the command line.
"""

from __future__ import annotations

from pathlib import Path

import click

from tmdesk.cli.common import (
    close_db,
    data_dir_of,
    data_dir_option,
    fail,
    open_existing_db,
    operator,
)
from tmdesk.core.errors import DomainError, ValidationError
from tmdesk.exchange import trust
from tmdesk.exchange.keys import InstallationKeys, KeyFileError, installation_keys, show_fingerprint


def _my_keys(ctx: click.Context) -> InstallationKeys:
    """This installation's keys, or exit 1 saying why the key file cannot be read."""

    try:
        return installation_keys(data_dir_of(ctx))
    except KeyFileError as exc:
        fail(str(exc))


def _problem(exc: DomainError) -> str:

    if isinstance(exc, ValidationError):
        return "; ".join(exc.fields.values())
    return str(exc)


@click.group("keys")
def keys_command() -> None:
    """This installation's exchange key and the keys it trusts (see docs/exchange.md)."""


@keys_command.command("show")
@data_dir_option
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Also write the public key to this file."
)
@click.pass_context
def keys_show(ctx: click.Context, out: str | None) -> None:
    """Print this installation's fingerprint and public key (made on first use)."""

    public = _my_keys(ctx).public
    click.echo(f"Fingerprint: {show_fingerprint(public.fingerprint)}")
    click.echo(f"Public key:  {public.text}")
    if out:
        Path(out).write_text(public.file_text(), encoding="utf-8")
        click.echo(f"Public key written to {out}")
    click.echo(
        "Give the public key to the other installation's administrator, and read the "
        "fingerprint out to them over another channel (e.g. the phone)."
    )


@keys_command.command("trust")
@data_dir_option
@click.argument("public_key")
@click.option(
    "--fingerprint",
    required=True,
    help="The fingerprint the other installation's administrator read out to you.",
)
@click.option("--office", "office", is_flag=True, help="The key is the office's.")
@click.option("--desk-of", "desk_of", metavar="EMAIL", help="The key is this person's desk.")
@click.option("--label", default="", help="A note, e.g. 'Back Office server, Warsaw'.")
@click.pass_context
def keys_trust(
    ctx: click.Context,
    public_key: str,
    fingerprint: str,
    office: bool,
    desk_of: str | None,
    label: str,
) -> None:
    """Trust PUBLIC_KEY (the tmdesk-key1:… line, or a public-key file) if its fingerprint matches."""

    if office == bool(desk_of):
        fail("say whose key it is: --office, or --desk-of EMAIL")
    text = public_key
    candidate = Path(public_key)
    if not public_key.startswith("tmdesk-key1:") and candidate.is_file():
        if candidate.stat().st_size > 64 * 1024:
            fail(f"{public_key} is not a public-key file (too large)")
        text = candidate.read_text(encoding="utf-8", errors="replace")
    open_existing_db(data_dir_of(ctx))
    try:
        peer = trust.trust_key(
            None,
            text,
            fingerprint=fingerprint,
            role=trust.ROLE_OFFICE if office else trust.ROLE_DESK,
            person_email=desk_of or "",
            label=label,
            via=operator(),
        )
    except DomainError as exc:
        fail(_problem(exc))
    finally:
        close_db()
    whose = "the office" if office else f"the desk of {peer.person_email}"
    click.echo(f"Trusted {show_fingerprint(peer.fingerprint)} as {whose}.")


@keys_command.command("list")
@data_dir_option
@click.pass_context
def keys_list(ctx: click.Context) -> None:
    """List the trusted keys, revoked ones too."""

    mine = _my_keys(ctx).fingerprint
    open_existing_db(data_dir_of(ctx))
    try:
        peers = trust.trusted_keys()
    finally:
        close_db()
    click.echo(f"This installation: {show_fingerprint(mine)}")
    if not peers:
        click.echo("No trusted keys yet (tmdesk keys trust …).")
        return
    for p in peers:
        whose = "office" if p.role == trust.ROLE_OFFICE else f"desk of {p.person_email}"
        state = (
            f"REVOKED {p.revoked_at:%Y-%m-%d %H:%M} by {p.revoked_by_email or 'command line'}"
            if p.revoked_at
            else "trusted"
        )
        click.echo(
            f"{show_fingerprint(p.fingerprint)}  {whose}  {state}  "
            f"pinned {p.pinned_at:%Y-%m-%d %H:%M} by {p.pinned_by_email or p.pinned_via}  "
            f"files in {p.last_in}, out {p.last_out}" + (f"  ({p.label})" if p.label else "")
        )


@keys_command.command("revoke")
@data_dir_option
@click.argument("fingerprint")
@click.pass_context
def keys_revoke(ctx: click.Context, fingerprint: str) -> None:
    """Stop trusting the key with FINGERPRINT: its files are refused from now on."""

    open_existing_db(data_dir_of(ctx))
    try:
        peer = trust.revoke_key(None, fingerprint, via=operator())
    except DomainError as exc:
        fail(_problem(exc))
    finally:
        close_db()
    click.echo(f"Revoked {show_fingerprint(peer.fingerprint)}: its files are refused from now on.")
