"""``tmdesk plugins`` and ``tmdesk report``: the plugin machinery on the command line.

Both commands build their own plugin manager for the data dir, exactly as
the app does (plugins-folder files run only when approved), so what the
command line lists is what the Reports page offers. ``tmdesk plugins approve``
and ``revoke`` are for the person at the machine, who can read and change
the data folder anyway; each decision is audited as taken at the command line.
"""

from __future__ import annotations

import datetime as dt
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
from tmdesk.core import report_settings
from tmdesk.core.catalogue import parse_filters
from tmdesk.core.errors import ValidationError
from tmdesk.core.models import User
from tmdesk.core.plugin_approvals import approve, approved_files, revoke, sha256_of
from tmdesk.core.reporting import build_context, with_report_defaults
from tmdesk.plugins.contract import ReportError
from tmdesk.plugins.manager import (
    TmdeskPluginManager,
    make_plugin_manager,
    plugin_files,
    plugin_infos,
    render_report,
)


def _plugin_manager(data_dir: Path) -> TmdeskPluginManager:
    """The manager the app would build: folder files run only as approved in the database."""
    open_existing_db(data_dir)
    try:
        approvals = approved_files()
    finally:
        close_db()
    return make_plugin_manager(data_dir, approvals=approvals)


@click.group("plugins", invoke_without_command=True)
@data_dir_option
@click.pass_context
def plugins_command(ctx: click.Context) -> None:
    """List every plugin: name, version, where from, formats, status and error.

    A .py or .whl file in the plugins folder runs only once approved
    (`tmdesk plugins approve FILE`), and stops running if it changes.
    """
    if ctx.invoked_subcommand is not None:
        return
    infos = plugin_infos(_plugin_manager(data_dir_of(ctx)))
    rows = [("NAME", "VERSION", "SOURCE", "FORMATS", "STATUS")]
    rows += [
        (i.name, i.version or "-", i.source, ", ".join(i.formats) or "-", i.status) for i in infos
    ]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    for info in infos:
        if info.awaiting_approval:
            click.echo(f"{info.name}: NOT RUNNING: {info.error}")
            click.echo(f"{info.name}: sha256 {info.sha256}")
            if info.approved_sha256:
                click.echo(f"{info.name}: approved sha256 {info.approved_sha256}")
            click.echo(
                f"{info.name}: to run it, check the sha256 with its author, then: "
                f"tmdesk plugins approve {info.file_name} --sha256 {info.sha256}"
            )
        elif info.status == "duplicate":
            click.echo(f"{info.name}: NOT LOADED (duplicate): {info.error}")
        elif info.error:
            click.echo(f"{info.name}: FAILED: {info.error}")
        if info.donor_fields:
            click.echo(f"{info.name}: donor fields: {', '.join(info.donor_fields)}")
        for warning in info.warnings:
            click.echo(f"{info.name}: warning: {warning}")


def _folder_file(data_dir: Path, name: str) -> Path:
    """``name`` (a file name or a path to it) as a file in the plugins folder."""
    wanted = Path(name).name
    for path in plugin_files(data_dir):
        if path.name == wanted:
            return path
    fail(
        f"there is no plugin file {wanted!r} in {Path(data_dir) / 'plugins'} "
        "(copy the .py or .whl file there first)"
    )
    raise AssertionError  # fail() exits


@plugins_command.command("approve")
@data_dir_option
@click.argument("file_name", metavar="FILE")
@click.option(
    "--sha256",
    "expected",
    metavar="HEX",
    help="The SHA-256 the plugin's author gave you: approval is refused if the file differs.",
)
@click.pass_context
def approve_command(ctx: click.Context, file_name: str, expected: str | None) -> None:
    """Let FILE in the plugins folder run, pinned to its current SHA-256."""
    data_dir = data_dir_of(ctx)
    path = _folder_file(data_dir, file_name)
    digest = sha256_of(path)
    if expected is not None and expected.strip().lower() != digest:
        fail(
            f"{path.name} has sha256 {digest}, not {expected.strip().lower()}: "
            "it is not the file you were sent; nothing approved"
        )
    open_existing_db(data_dir)
    try:
        approve(None, path.name, digest, via=operator())
    except ValidationError as exc:
        fail("; ".join(exc.fields.values()))
    finally:
        close_db()
    click.echo(f"approved {path.name} (sha256 {digest})")
    click.echo(
        "It runs from the next start of tmdesk, or at once after "
        "“Load the plugins again” on the Plugins page."
    )


@plugins_command.command("revoke")
@data_dir_option
@click.argument("file_name", metavar="FILE")
@click.pass_context
def revoke_command(ctx: click.Context, file_name: str) -> None:
    """Withdraw FILE's approval: it no longer runs (the file itself is left alone)."""
    data_dir = data_dir_of(ctx)
    open_existing_db(data_dir)
    try:
        revoked = revoke(None, Path(file_name).name, via=operator())
    except ValidationError as exc:
        fail("; ".join(exc.fields.values()))
    finally:
        close_db()
    if not revoked:
        fail(f"{Path(file_name).name} was not approved")
    click.echo(
        f"revoked {Path(file_name).name}: it stops at the next start of tmdesk, or at once "
        "after “Load the plugins again” on the Plugins page"
    )


def _parse_options(pairs: tuple[str, ...]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            fail(f"--option takes name=value, not {pair!r}")
        options[name.strip()] = value
    return options


@click.command("report")
@data_dir_option
@click.argument("format_name", metavar="FORMAT")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False),
    help="The file to write (replaced only when the report is complete).",
)
@click.option(
    "--as",
    "as_email",
    required=True,
    metavar="EMAIL",
    help="Whose visibility applies: the report holds what this user may see.",
)
@click.option("--donor", metavar="CODE", help="Only projects this donor supports.")
@click.option(
    "--recipient",
    metavar="CODE",
    multiple=True,
    help="Only this recipient's projects (repeat or comma-separate).",
)
@click.option("--category", multiple=True, help="Category code (repeat or comma-separate).")
@click.option(
    "--status",
    multiple=True,
    help="Project status (repeat or comma-separate; default: published, in_implementation).",
)
@click.option("--since", metavar="YYYY-MM-DD", help="Updated on or after this date.")
@click.option("--until", metavar="YYYY-MM-DD", help="Created on or before this date.")
@click.option(
    "--tlp-max",
    metavar="LABEL",
    help="Leave out projects above this TLP label (default: AMBER; RED for every label).",
)
@click.option(
    "--lang",
    type=click.Choice(["uk", "en"]),
    default=None,
    help="Language of the report (default: the user's, else Ukrainian).",
)
@click.option(
    "--rates-as-of",
    metavar="YYYY-MM-DD",
    help="Convert all money at the exchange rates in force on this day "
    "(default: each transaction at the rate of its own date).",
)
@click.option(
    "--option",
    "option_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="A format option (see the format's options on the Reports page).",
)
@click.pass_context
def report_command(
    ctx: click.Context,
    format_name: str,
    out: str,
    as_email: str,
    donor: str | None,
    recipient: tuple[str, ...],
    category: tuple[str, ...],
    status: tuple[str, ...],
    since: str | None,
    until: str | None,
    tlp_max: str | None,
    lang: str | None,
    rates_as_of: str | None,
    option_pairs: tuple[str, ...],
) -> None:
    """Write the FORMAT report to --out, as the user --as may see it."""
    data_dir = data_dir_of(ctx)
    options = _parse_options(option_pairs)
    as_of = None
    if rates_as_of is not None:
        try:
            as_of = dt.date.fromisoformat(rates_as_of.strip())
        except ValueError:
            fail(f"--rates-as-of takes a date as YYYY-MM-DD, not {rates_as_of!r}")
    pm = _plugin_manager(data_dir)
    if format_name not in pm.formats:
        known = ", ".join(sorted(pm.formats)) or "none"
        fail(
            f"there is no report format {format_name!r} (available: {known}; "
            "`tmdesk plugins` shows what failed to load)"
        )
    open_existing_db(data_dir)
    try:
        user = User.get_or_none(User.email == as_email.strip().lower())
        if user is None or not user.active:
            fail(f"no active user {as_email} (--as names whose visibility applies)")
        raw = {
            "donor": donor,
            "since": since,
            "until": until,
            "tlp_max": tlp_max.upper() if tlp_max else None,
        }
        lists = {"recipient": list(recipient), "category": list(category), "status": list(status)}
        try:
            filters = with_report_defaults(parse_filters(lambda name: lists.get(name, []), raw.get))
        except ValidationError as exc:
            fail("; ".join(f"--{k.replace('_', '-')}: {v}" for k, v in exc.fields.items()))
        fmt = pm.formats[format_name]
        locale = (
            lang or fmt.default_locale or (user.locale if user.locale in ("uk", "en") else "uk")
        )
        context = build_context(user, filters, locale, as_of)
        saved = report_settings.saved_for(user.organisation_id, format_name)
        try:
            path = render_report(pm, format_name, context, options, Path(out), saved=saved)
        except ReportError as exc:
            # The plugin's own words in the report's language when it gave both; no traceback.
            fail(exc.text_for(locale))
    finally:
        close_db()
    # The count is what the user may see that matched the filters; a format may
    # include fewer (the ministry report selects by status), so it is not "the report's".
    matched = context.totals.projects
    click.echo(
        f"{format_name}: {matched} project{'' if matched == 1 else 's'} matched the filters "
        f"for {user.email} (the format chooses which it includes); TLP:{context.tlp}; "
        f"written to {path}"
    )
