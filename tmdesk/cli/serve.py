"""``tmdesk serve``: serve the app in the foreground (the desktop launch, with no
command, is the group's own callback in :mod:`tmdesk.cli`)."""

from __future__ import annotations

import sys

import click

from tmdesk.cli.common import data_dir_option, fail
from tmdesk.runtime import server, workers


@click.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8750, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=int,
    help="Processes serving (Linux, macOS): one per core on an office server; "
    "each has --threads threads.",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.pass_obj
def serve(obj, host: str, port: int, threads: int, workers: int, no_browser: bool) -> None:
    """Serve tmdesk in the foreground (Ctrl+C stops it)."""
    server.serve(
        obj["data_dir"],
        host=host,
        port=port,
        threads=threads,
        open_browser=not no_browser,
        workers=workers,
    )


@click.command("serve-worker", hidden=True)
@data_dir_option
@click.pass_obj
def serve_worker(obj) -> None:
    """One worker process of ``tmdesk serve --workers`` (started by it, never by hand):
    its settings arrive as JSON on standard input (:mod:`tmdesk.runtime.workers`)."""
    try:
        settings = workers.read_settings(sys.stdin)
    except workers.WorkerError as exc:
        fail(str(exc))
    raise SystemExit(server.run_worker(obj["data_dir"], settings))
