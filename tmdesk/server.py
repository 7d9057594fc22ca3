"""Serving the app with waitress (``tmdesk serve``)."""

from __future__ import annotations

import logging
import threading
import webbrowser
from pathlib import Path

from waitress import serve as waitress_serve

log = logging.getLogger(__name__)


def serve(data_dir: Path, host: str = "127.0.0.1", port: int = 8750, threads: int = 8,
          open_browser: bool = True) -> None:
    """Serve in the foreground until interrupted."""
    from tmdesk.web import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(data_dir)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    log.info("tmdesk serving %s on %s", data_dir, url)
    print(f"tmdesk is serving {data_dir} at {url} (Ctrl+C stops it)", flush=True)
    if open_browser:
        threading.Timer(0.8, webbrowser.open, args=(url,)).start()
    waitress_serve(app, host=host, port=port, threads=threads, ident="tmdesk")
