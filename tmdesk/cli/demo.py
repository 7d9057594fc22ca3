"""``tmdesk demo``: fill the data folder with the demo data set."""

from __future__ import annotations

from contextlib import nullcontext

import click

from tmdesk import demo as demo_data
from tmdesk.cli.common import data_dir_option, exclusive, fail, open_db


@click.command()
@data_dir_option
@click.option("--force", is_flag=True, help="Replace existing data with the demo set.")
@click.pass_obj
def demo(obj, force: bool) -> None:
    """Fill the data dir with the demo data set and print the demo logins."""
    # --force empties the database and the documents: never under a running server.
    guard = exclusive(obj["data_dir"], "tmdesk demo --force") if force else nullcontext()
    with guard:
        open_db(obj["data_dir"])
        try:
            summary = demo_data.load_demo(force=force, data_dir=obj["data_dir"])
        except demo_data.DemoError as exc:
            fail(str(exc))
    click.echo(summary.describe())
    click.echo(f"Data dir: {obj['data_dir']}")
