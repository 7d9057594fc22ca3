"""``tmdesk serve``: serve the app in the foreground (the desktop launch, with no
command, is the group's own callback in :mod:`tmdesk.cli`)."""

from __future__ import annotations

import click

from tmdesk.cli.common import data_dir_option
from tmdesk.runtime import server


@click.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8750, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.pass_obj
def serve(obj, host: str, port: int, threads: int, no_browser: bool) -> None:
    """Serve tmdesk in the foreground (Ctrl+C stops it)."""
    server.serve(
        obj["data_dir"], host=host, port=port, threads=threads, open_browser=not no_browser
    )
