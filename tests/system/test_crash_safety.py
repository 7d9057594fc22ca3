"""Crash safety: a server killed with SIGKILL mid-write loses nothing acknowledged.

A real ``tmdesk serve`` process takes a stream of writes through the API; at
a random moment it is killed with SIGKILL. After each kill the database
passes ``PRAGMA integrity_check`` and holds every change the client got a
201 for. Repeated many times (slow: CI runs it).
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import pg
from tests.live_server import draft_request, start_server
from tmdesk.core import accounts, tokens
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import DATABASE_FILENAME, database
from tmdesk.core.models import Project

pytestmark = pytest.mark.slow

KILLS = 12


def writer(port: int, token: str, acknowledged: list[str], stop: threading.Event) -> None:
    """Post drafts one after another; remember each reference the server acknowledged."""
    n = 0
    while not stop.is_set():
        n += 1
        request = draft_request(
            f"http://127.0.0.1:{port}",
            token,
            f"Crash test {n}",
            f"Перевірка збою {n}",
            "equipment",
            "1000.00",
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 201:
                    acknowledged.append(json.loads(response.read())["ref"])
        except (OSError, urllib.error.HTTPError, ValueError):
            return  # the server died under us: this write was never acknowledged


def test_sigkill_never_loses_acknowledged_writes(tmp_path):
    data_dir = tmp_path / "data"
    open_database(data_dir)
    database.connect(reuse_if_open=True)
    accounts.create_organisation(
        None, {"code": "SSSCIP", "kind": "recipient", "country": "UA", "name_en": "SSSCIP"}
    )
    user = accounts.create_user(None, "writer@example.org", "SSSCIP", "a long test password")
    _token, token = tokens.create_token(None, user, "crash test")
    database.close()

    rng = random.Random(2026)
    all_acknowledged: list[str] = []
    for round_no in range(KILLS):
        server = start_server(data_dir)
        proc, port = server.process, server.port
        try:
            acknowledged: list[str] = []
            stop = threading.Event()
            threads = [
                threading.Thread(target=writer, args=(port, token, acknowledged, stop))
                for _ in range(3)
            ]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(0.2, 1.2))
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            stop.set()
            for t in threads:
                t.join(timeout=10)
        finally:
            server.stop()
        all_acknowledged.extend(acknowledged)

        if not pg.on_postgresql():  # the file itself survived the kill
            con = sqlite3.connect(str(Path(data_dir) / DATABASE_FILENAME))
            try:
                assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok", round_no
            finally:
                con.close()
        # What the database holds, SQLite file or PostgreSQL (the same promise on both).
        open_database(data_dir)
        with database.connection_context():
            stored = {p.ref for p in Project.select(Project.ref)}
        missing = set(all_acknowledged) - stored
        assert not missing, f"round {round_no}: acknowledged but lost: {sorted(missing)}"
    assert len(all_acknowledged) > KILLS, "the writers never got going: the test proved nothing"
