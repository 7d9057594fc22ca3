"""``tmdesk user`` and ``tmdesk token``: accounts and API tokens."""

from __future__ import annotations

import sys

import click

from tmdesk.cli.common import data_dir_option, fail, open_db
from tmdesk.core import accounts, tokens
from tmdesk.core.db import database
from tmdesk.core.errors import ValidationError
from tmdesk.core.models import Organisation, User


@click.group()
def user() -> None:
    """Manage user accounts."""


@user.command("create")
@data_dir_option
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
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    open_db(obj["data_dir"])
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
        fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()) + hint)
    click.echo(
        f"Created {created.email} in {created.organisation.code}"
        + (" (administrator)" if admin else "")
    )


@click.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@data_dir_option
@click.argument("email")
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option(
    "--expires-days",
    type=int,
    default=tokens.TOKEN_DEFAULT_DAYS,
    show_default=True,
    help=f"Days the token works (1 to {tokens.TOKEN_MAX_DAYS}); renew it on the profile page.",
)
@click.option("--read-only", is_flag=True, help="The token may read but not change anything.")
@click.pass_obj
def token_create(obj, email: str, name: str, expires_days: int, read_only: bool) -> None:
    """Print a new API token for EMAIL (its expiry goes to standard error)."""
    open_db(obj["data_dir"])
    target = User.get_or_none(User.email == email.strip().lower())
    if target is None or not target.active:
        fail(f"no active user {email}")
    try:
        token, plain = tokens.create_token(
            None,
            target,
            name,
            expires_days=expires_days,
            scope="read" if read_only else "read_write",
        )
    except ValidationError as exc:
        fail("; ".join(f"{k}: {v}" for k, v in exc.fields.items()))
    click.echo(plain)
    click.echo(
        f"{'Read-only' if read_only else 'Read-and-write'} token; "
        f"expires {token.expires_at.isoformat(sep=' ')} UTC",
        err=True,
    )
