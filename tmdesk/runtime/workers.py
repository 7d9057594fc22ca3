"""Several processes serving one data folder: ``tmdesk serve --workers N``.

Python runs the Python code of one process on one core at a time (the GIL), so
one ``tmdesk serve`` answers at most a core's worth of requests however many
threads it has. An office server with several cores runs several processes:
the one started (the *first process*) holds the data folder's lock, binds the
address, writes the instance file, runs the backups and the sync, serves, and
starts ``N - 1`` *workers*. Each worker is this program again
(``tmdesk serve-worker``), handed the listening socket and what it must agree
on with the others (:class:`WorkerSettings`, as JSON on its standard input);
the kernel gives each new connection to one of the processes accepting on it.

The processes share nothing in memory. What must be common lives in the
database (every record, sessions and failed logins, the change log the kept
figures follow, plugin approvals) or in the data folder (the used launch
tokens, :class:`tmdesk.runtime.instance.LaunchTokens`). A worker that ends
unexpectedly is started again; the workers stop with the first process, and
stop themselves if it disappears.

POSIX only: handing a listening socket to a new process this way is not
available on Windows, where a desk runs one process anyway.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import subprocess  # nosec B404: starts this program again (tmdesk serve-worker), no shell
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

log = logging.getLogger(__name__)

#: The most processes one ``tmdesk serve`` starts (a bound on a typing slip).
MAX_WORKERS = 32
#: A worker that ends within this many seconds of its start has failed to start.
QUICK_EXIT_SECONDS = 10.0
#: After this many failed starts in a row a worker's place stays empty (logged).
MAX_QUICK_EXITS = 3
#: What a worker writes on its standard output once it accepts connections.
READY = "ready"
#: How long the first process waits for its workers to be ready before it serves.
READY_TIMEOUT = 30.0
#: How long stopping waits for the workers to finish their answers.
STOP_TIMEOUT = 10.0


class WorkerError(Exception):
    """``--workers`` cannot be honoured here; the message says why and what to do."""


def check_workers(count: int) -> None:
    """Raise :class:`WorkerError` unless ``count`` processes can serve on this system."""
    if count < 1 or count > MAX_WORKERS:
        raise WorkerError(f"--workers must be between 1 and {MAX_WORKERS} (got {count}).")
    if count > 1 and os.name != "posix":
        raise WorkerError(
            "--workers needs Linux or macOS: on Windows run one tmdesk serve per port "
            "behind the reverse proxy (docs/office.md, “Several servers, one database”)."
        )


@dataclass
class WorkerSettings:
    """What the first process hands each worker, so that all of them agree."""

    #: 1 for the first worker started (the first process itself is 0).
    number: int
    #: The listening socket's file descriptor, as passed to the worker.
    fd: int
    threads: int
    parent_pid: int
    #: The launch-token secret, the run's id and the first-run setup token of the
    #: first process: a launch or setup link works whichever process answers it.
    launch_secret: str
    run_id: str
    setup_token: str
    #: The Host header values accepted (None: no check).
    allowed_hosts: list[str] | None
    #: Where every process records the launch tokens used.
    used_tokens_dir: str


def read_settings(stream: IO[str]) -> WorkerSettings:
    """The settings a worker was started with (JSON on ``stream``).

    Raises :class:`WorkerError` when there are none: a person ran the command.
    """
    try:
        return WorkerSettings(**json.loads(stream.read()))
    except (ValueError, TypeError) as exc:
        raise WorkerError(
            "serve-worker is started by “tmdesk serve --workers N”, not by hand."
        ) from exc


def tmdesk_command() -> list[str]:
    """The command line that runs this tmdesk again: the executable itself when
    frozen (PyInstaller), else this Python with ``-m tmdesk``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "tmdesk"]


class WorkerPool:
    """The workers of the first process: started, watched, started again, stopped."""

    def __init__(
        self, data_dir: Path, count: int, settings_for: Callable[[int], WorkerSettings]
    ) -> None:
        self.data_dir = data_dir
        self.count = count
        self.settings_for = settings_for
        self.processes: dict[int, subprocess.Popen] = {}
        self._started_at: dict[int, float] = {}
        self._quick_exits: dict[int, int] = {}
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def start(self) -> None:
        """Start the ``count - 1`` workers, wait until they accept connections (the
        ones already waiting for an answer go to every process, not only to the
        first one, which accepts from the start), and watch them."""
        started = [self._spawn(number) for number in range(1, self.count)]
        deadline = time.monotonic() + READY_TIMEOUT
        for number, process in started:
            self._wait_ready(number, process, deadline)
        self._watcher = threading.Thread(target=self._watch, name="tmdesk-workers", daemon=True)
        self._watcher.start()

    def _spawn(self, number: int) -> tuple[int, subprocess.Popen]:
        settings = self.settings_for(number)
        process = subprocess.Popen(  # nosec B603: this program again, a fixed argument list
            [*tmdesk_command(), "serve-worker", "--data-dir", str(self.data_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=(settings.fd,),
            text=True,
            encoding="utf-8",
        )
        assert process.stdin is not None  # nosec B101: stdin=PIPE above
        with contextlib.suppress(BrokenPipeError):  # it died at once: the watcher says so
            process.stdin.write(json.dumps(asdict(settings)))
        with contextlib.suppress(OSError):
            process.stdin.close()
        with self._lock:
            self.processes[number] = process
            self._started_at[number] = time.monotonic()
        log.info("worker %s started (pid %s)", number, process.pid)
        return number, process

    @staticmethod
    def _wait_ready(number: int, process: subprocess.Popen, deadline: float) -> None:
        """Wait for the worker's ``ready`` line (it is serving), or the deadline."""
        assert process.stdout is not None  # nosec B101: stdout=PIPE in _spawn
        readable, _, _ = select.select(
            [process.stdout], [], [], max(0, deadline - time.monotonic())
        )
        line = process.stdout.readline() if readable else ""
        process.stdout.close()
        if line.strip() != READY:
            log.warning("worker %s (pid %s) did not say it was serving", number, process.pid)

    def _watch(self) -> None:
        while not self._stopping.wait(0.5):
            with self._lock:
                ended = [(n, p) for n, p in self.processes.items() if p.poll() is not None]
            for number, process in ended:
                if self._stopping.is_set():
                    return
                quick = time.monotonic() - self._started_at[number] < QUICK_EXIT_SECONDS
                self._quick_exits[number] = self._quick_exits.get(number, 0) + 1 if quick else 0
                if self._quick_exits[number] >= MAX_QUICK_EXITS:
                    log.error(
                        "worker %s (pid %s) ended with code %s %s times right after starting; "
                        "not starting it again: the other processes serve on (see its log)",
                        number,
                        process.pid,
                        process.returncode,
                        MAX_QUICK_EXITS,
                    )
                    with self._lock:
                        del self.processes[number]
                    continue
                log.error(
                    "worker %s (pid %s) ended unexpectedly with code %s; starting it again",
                    number,
                    process.pid,
                    process.returncode,
                )
                self._wait_ready(*self._spawn(number), time.monotonic() + READY_TIMEOUT)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Ask every worker to stop (SIGTERM: they finish their answers), then wait;
        one still running after ``timeout`` seconds is killed."""
        self._stopping.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        with self._lock:
            processes = list(self.processes.values())
        for process in processes:
            with contextlib.suppress(OSError):
                process.terminate()
        deadline = time.monotonic() + timeout
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("worker pid %s did not stop in %s s; killing it", process.pid, timeout)
                process.kill()
                process.wait()


def announce_ready() -> None:
    """In a worker: tell the first process it is serving; nothing else goes to its
    standard output (the first process stops reading it)."""
    with contextlib.suppress(OSError):
        print(READY, flush=True)
    sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process


def watch_parent(parent_pid: int, on_gone: Callable[[], None], stopping: threading.Event) -> None:
    """In a worker: call ``on_gone`` once the first process has disappeared (its
    parent changed), so a killed server leaves no worker serving on."""

    def _watch() -> None:
        while not stopping.wait(1.0):
            if os.getppid() != parent_pid:
                log.warning("the first process (pid %s) is gone; this worker stops", parent_pid)
                on_gone()
                return

    threading.Thread(target=_watch, name="tmdesk-parent-watch", daemon=True).start()
