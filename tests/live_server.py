"""A real ``tmdesk serve`` process on a free local port, for tests and benchmarks.

Crash-safety tests kill it with SIGKILL; benchmarks time it and load it.
Only the loopback address is ever used.
"""

from __future__ import annotations

import os
import socket
import subprocess  # nosec B404: starts tmdesk itself (sys.executable -m tmdesk) for tests
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    process: subprocess.Popen
    port: int
    #: The server's output. A file, not a pipe: nobody reads a pipe while the load
    #: runs, and once its buffer (64 KB, ~800 logged requests) is full the server
    #: blocks on its next log line and every request hangs.
    output: IO[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        if self.output is not None:
            self.output.close()

    def log(self) -> str:
        """Everything the server has written so far."""
        if self.output is None:
            return ""
        self.output.flush()
        self.output.seek(0)
        return self.output.read()


def child_pids(pid: int) -> list[int]:
    """The child processes of ``pid`` (Linux: each thread lists the ones it started)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:  # the thread has just ended
            continue
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a running process has used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(predicate, timeout: float = 30.0) -> bool:
    """Whether ``predicate()`` came true within ``timeout`` seconds (asked every 20 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def wait_ready(
    url: str,
    process: subprocess.Popen | None = None,
    timeout: float = 30,
    output: IO[str] | None = None,
) -> float:
    """Poll ``url``/healthz until it answers 200; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            if output is not None:
                output.seek(0)
                text = output.read()
            else:
                text = process.stdout.read() if process.stdout else ""
            raise RuntimeError(f"the server exited early:\n{text}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:  # nosec B310: the URL is http://127.0.0.1:<port> built here
                if response.status == 200:
                    return time.monotonic() - started
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"{url} did not answer /healthz within {timeout} s")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """On Linux, have the kernel stop the server when the test process dies, so a
    killed test run leaves no server behind (PR_SET_PDEATHSIG)."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def start_server(
    data_dir: Path,
    threads: int = 8,
    command: list[str] | None = None,
    env: dict[str, str] | None = None,
    port: int | None = None,
    url: str | None = None,
    workers: int = 1,
) -> LiveServer:
    """Start ``tmdesk serve`` on ``data_dir`` and wait until it is ready.

    ``env`` replaces the inherited environment (an office on PostgreSQL, a
    desk on its own SQLite); ``port`` reuses a port (a server restarted);
    ``workers``: ``serve --workers``."""
    port = port or free_port()
    cmd = (command or [sys.executable, "-m", "tmdesk"]) + [
        "serve",
        "--data-dir",
        str(data_dir),
        "--port",
        str(port),
        "--threads",
        str(threads),
        "--no-browser",
        *(("--workers", str(workers)) if workers != 1 else ()),
    ]
    output = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed by LiveServer.stop
    process = subprocess.Popen(
        cmd,
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,  # nosec B603: a fixed argument list: this Python running tmdesk serve
        env=dict(
            env if env is not None else os.environ,
            TMDESK_NO_BROWSER="1",
            **({"TMDESK_DATABASE_URL": url} if url else {}),
        ),
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    server = LiveServer(process, port, output)
    try:
        wait_ready(server.url, process, output=output)
    except BaseException:
        server.stop()
        raise
    return server


@dataclass
class WriteLoad:
    """What concurrent API writers saw: references acknowledged, failures by status."""

    acknowledged: list[str]
    failures: dict[str, int]
    latencies: list[float]


def draft_request(
    url: str, token: str, title_en: str, title_uk: str, category: str, amount: str = "5000.00"
) -> urllib.request.Request:
    """A POST of a GREEN draft project to ``url``'s API with ``token``."""
    import json

    body = json.dumps(
        {
            "title": {"en": title_en, "uk": title_uk},
            "summary": {"en": "Written by a test that loads the server."},
            "category": category,
            "budget": {"amount": amount, "currency": "EUR"},
            "tlp": "GREEN",
        }
    ).encode()
    return urllib.request.Request(
        f"{url}/api/v1/projects",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )


def concurrent_writers(url: str, tokens: list[str], seconds: float) -> WriteLoad:
    """Each token drafts projects through the API as fast as it can for ``seconds``."""
    import json
    import threading
    import urllib.error

    load = WriteLoad([], {}, [])
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def work(index: int, token: str) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            request = draft_request(
                url, token, f"Load {index}-{n}", f"Навантаження {index}-{n}", "training"
            )
            started = time.monotonic()
            try:
                with urllib.request.urlopen(request, timeout=30) as response:  # nosec B310: the URL is http://127.0.0.1:<port> built here
                    ref = json.loads(response.read())["ref"]
                with lock:
                    load.acknowledged.append(ref)
                    load.latencies.append(time.monotonic() - started)
            except urllib.error.HTTPError as exc:
                detail = exc.read().decode("utf-8", "replace")
                key = f"{exc.code} {'database is locked' if 'locked' in detail else ''}".strip()
                with lock:
                    load.failures[key] = load.failures.get(key, 0) + 1
            except OSError as exc:
                with lock:
                    load.failures[type(exc).__name__] = load.failures.get(type(exc).__name__, 0) + 1

    threads = [threading.Thread(target=work, args=(i, t)) for i, t in enumerate(tokens)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return load


def assert_writes_whole(data_dir: Path, acknowledged: list[str]) -> None:
    """What concurrent writers were told is stored, each reference once, and the audit
    chain is whole: never forked, one event per previous hash."""
    from tmdesk.core.audit import verify_chain
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database
    from tmdesk.core.models import AuditEvent, Project

    open_database(data_dir)  # the SQLite file, or the PostgreSQL database of the run
    with database.connection_context():
        stored = {p.ref for p in Project.select(Project.ref)}
        chain = verify_chain()
        links = AuditEvent.select(AuditEvent.prev_hash).count()
        distinct = AuditEvent.select(AuditEvent.prev_hash).distinct().count()
    assert set(acknowledged) <= stored
    assert len(set(acknowledged)) == len(acknowledged)  # references never reused
    assert chain.ok and chain.checked == links == distinct  # the audit chain never forks


def make_writer_accounts(data_dir: Path, count: int) -> list[str]:
    """A recipient organisation with ``count`` users and one API token each."""
    from tmdesk.core import accounts
    from tmdesk.core import tokens as core_tokens
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database

    open_database(data_dir)
    database.connect(reuse_if_open=True)
    try:
        accounts.create_organisation(
            None, {"code": "LOADTEST", "kind": "recipient", "country": "UA", "name_en": "Load test"}
        )
        tokens = []
        for i in range(count):
            user = accounts.create_user(
                None, f"writer{i}@load.example", "LOADTEST", "load test password 2026"
            )
            tokens.append(core_tokens.create_token(None, user, "load")[1])
        return tokens
    finally:
        database.close()
