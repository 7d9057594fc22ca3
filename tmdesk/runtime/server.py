"""Serving the app with waitress: ``tmdesk serve`` and the desktop launch.

Both take the data folder's instance lock (see :mod:`tmdesk.runtime.instance`), so
two servers never run on one database (and ``tmdesk restore`` / ``tmdesk demo
--force``, which take the same lock, refuse while one serves), and both write
the user-only info file a later double-click, or a refused restore, uses to
name them. On a loopback address the Host
header is restricted to that address and port (against DNS rebinding); on an
office server (``--host 0.0.0.0``) it is not, as the machine's names vary.

While serving, automatic backups run in a thread (:mod:`tmdesk.runtime.backup_schedule`):
one at start, then daily; stopped with the server. ``tmdesk serve --workers N``
serves from N processes (:mod:`tmdesk.runtime.workers`): this one and the
workers it starts, which run :func:`run_worker`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
import socket
import sys
import threading
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tmdesk import __version__, settings
from tmdesk.core import accounts, dashboard, pg_engine, sqlite_engine
from tmdesk.core.db import database
from tmdesk.paths import make_private_dir
from tmdesk.runtime import instance
from tmdesk.runtime.backup_schedule import start_automatic_backups
from tmdesk.runtime.logging_setup import has_console, setup_logging
from tmdesk.runtime.workers import (
    WorkerError,
    WorkerPool,
    WorkerSettings,
    announce_ready,
    check_workers,
    watch_parent,
)
from tmdesk.web import create_app, trusted_proxies

log = logging.getLogger(__name__)

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def allowed_hosts(host: str, port: int) -> set[str] | None:
    """The Host header values to accept: ``TMDESK_ALLOWED_HOSTS`` when set (an office
    behind its own name), else the loopback names on loopback, else None (no check)."""
    configured = settings.ALLOWED_HOSTS.get()
    if configured:
        return {h.strip().lower() for h in configured.split(",") if h.strip()}
    if host not in LOOPBACK_HOSTS:
        return None
    return {f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"}


class WaitressRunner:
    """A bound waitress server that can be stopped from any thread."""

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        threads: int,
        sockets: list[socket.socket] | None = None,
    ) -> None:
        """Bind ``host``:``port``, or accept on ``sockets`` already listening (a worker's)."""
        from waitress import create_server

        where: dict[str, Any] = {"sockets": sockets} if sockets else {"host": host, "port": port}
        self.server = create_server(
            app,
            **where,
            threads=threads,
            ident="tmdesk",
            # Behind trusted reverse proxies their X-Forwarded-* headers must reach
            # the app's ProxyFix (tmdesk.web.proxy_settings); otherwise drop them.
            clear_untrusted_proxy_headers=trusted_proxies() == 0,
        )
        listen = getattr(self.server, "effective_listen", None)
        self.port: int = listen[0][1] if listen else self.server.effective_port
        self._map: dict = getattr(self.server, "_map", None) or self.server.map
        self.stopping = threading.Event()

    def run(self) -> None:
        """Serve until :meth:`stop` (or Ctrl+C); then finish the worker threads."""
        try:
            if not self.stopping.is_set():  # stopped while starting: nothing to serve
                self.server.run()
        finally:
            dispatcher = self.server.task_dispatcher
            dispatcher.shutdown(cancel_pending=True, timeout=5)

    def stop(self, delay: float = 1.0) -> None:
        """Stop serving after ``delay`` seconds (time to send the current response)."""
        if self.stopping.is_set():
            return
        self.stopping.set()

        def _close_all() -> None:
            from waitress import wasyncore

            wasyncore.close_all(self._map)

        def _wake() -> None:
            from waitress.trigger import trigger

            triggers = [obj for obj in list(self._map.values()) if isinstance(obj, trigger)]
            if triggers:
                triggers[0].pull_trigger(_close_all)
            else:  # pragma: no cover - waitress always has one
                _close_all()

        timer = threading.Timer(delay, _wake)
        timer.daemon = True
        timer.start()

    @property
    def listening_socket(self) -> socket.socket:
        """The socket this server accepts on (handed to the workers)."""
        return self.server.socket


def _stop_on_sigterm(runner: WaitressRunner, *signals: int) -> None:
    """Let a service manager's SIGTERM (and ``signals``) stop the server cleanly (like Quit)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signo in (signal.SIGTERM, *signals):
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signo, lambda _signo, _frame: runner.stop(delay=0))


# --- browser and console messages ------------------------------------------------------


def browser_wanted(explicit: bool | None = None) -> bool:
    if explicit is not None:
        return explicit
    return not settings.NO_BROWSER.flag()


def say(message: str) -> None:
    """Print to the console when there is one (a windowed build has none)."""
    if has_console():
        with contextlib.suppress(OSError, ValueError):
            print(message, flush=True)


def open_browser(url: str) -> None:
    """Open ``url`` in the user's browser without blocking the caller."""

    def _open() -> None:
        env_backup = None
        # A frozen Linux build points LD_LIBRARY_PATH at the bundle; the
        # system's xdg-open and browser must not load our copies of libraries.
        if getattr(sys, "frozen", False) and sys.platform.startswith("linux"):
            env_backup = os.environ.get("LD_LIBRARY_PATH")
            original = os.environ.get("LD_LIBRARY_PATH_ORIG")
            if original is None:
                os.environ.pop("LD_LIBRARY_PATH", None)
            else:
                os.environ["LD_LIBRARY_PATH"] = original
        try:
            if not webbrowser.open(url):
                log.warning("no browser could be opened; open the address by hand")
        except Exception:  # noqa: BLE001 - a missing browser must not stop the server
            log.exception("opening the browser failed")
        finally:
            if env_backup is not None:
                os.environ["LD_LIBRARY_PATH"] = env_backup

    threading.Thread(target=_open, name="tmdesk-browser", daemon=True).start()


def _start_backups(data_dir: Path) -> Any:
    """Start the automatic backups (see :mod:`tmdesk.runtime.backup_schedule`) for the open
    database; a problem here is logged and the app serves anyway."""
    try:
        return start_automatic_backups(database.obj, data_dir)
    except Exception:  # noqa: BLE001 - backups must never keep the app from serving
        log.exception("automatic backups could not be started")
        return None


def _sum_dashboards_ahead() -> None:
    """In the background, sum the dashboard figures of the accounts most recently
    active (:func:`tmdesk.core.dashboard.warm_up`): each process keeps its own, and
    a server's first dashboard would otherwise take a second at office scale."""

    def _run() -> None:
        try:
            with database.connection_context():
                count = dashboard.warm_up()
            log.info("dashboard figures summed ahead for %s viewers", count)
        except Exception:  # noqa: BLE001 - an optimisation: never a reason to stop serving
            log.exception("summing the dashboard figures ahead failed")

    threading.Thread(target=_run, name="tmdesk-warm-up", daemon=True).start()


def _start_auto_sync(data_dir: Path) -> Any:
    """On a desk linked to an office, sync at start and every few minutes
    (:mod:`tmdesk.sync.schedule`); a problem here is logged and the app serves anyway."""
    from tmdesk.sync.schedule import start_auto_sync

    try:
        return start_auto_sync(data_dir)
    except Exception:  # noqa: BLE001 - syncing must never keep the app from serving
        log.exception("background sync could not be started")
        return None


def _serving_app(
    data_dir: Path, threads: int, state: instance.DesktopState, setup_token: str
) -> Any:
    """The app as a server process serves it, with its connections kept per thread."""
    # PostgreSQL: one pooled connection per waitress thread, plus the backup
    # scheduler and a spare (TMDESK_DB_POOL_SIZE overrides it).
    pg_engine.configure_pool(threads + 2)
    # SQLite: the serving threads keep their connections too (no reopening per request).
    sqlite_engine.configure_pool(True)
    return create_app(
        data_dir,
        {
            "TMDESK_DESKTOP": state,
            "TMDESK_SETUP_TOKEN": setup_token,
        },
    )


def _used_tokens_dir(data_dir: Path) -> Path:
    """Where this run's processes record the launch tokens used (emptied at each start)."""
    folder = data_dir / "launch-tokens"
    shutil.rmtree(folder, ignore_errors=True)
    make_private_dir(folder)
    return folder


def run_instance(
    data_dir: Path,
    lock: Any,
    host: str,
    port: int,
    threads: int,
    browser: bool,
    desktop_mode: bool,
    on_ready: Callable[[str], None] | None = None,
    workers: int = 1,
) -> int:
    """Serve ``data_dir`` while holding ``lock``; returns the exit code.

    ``desktop_mode``: open (or print) the one-time launch URL; otherwise open the
    plain address, or the first-run setup address when there is no
    administrator yet. ``workers``: serve from that many processes
    (:mod:`tmdesk.runtime.workers`), this one included.
    """
    secret = secrets.token_urlsafe(32)
    setup_token = secrets.token_urlsafe(24)
    used_tokens = _used_tokens_dir(data_dir)
    state = instance.DesktopState(tokens=instance.LaunchTokens(secret, used_tokens))
    app = _serving_app(data_dir, threads, state, setup_token)
    runner = WaitressRunner(app, host, port, threads)
    # At once: a SIGTERM during the start (backups, auto-sync) must stop cleanly too.
    _stop_on_sigterm(runner)
    state.request_quit = runner.stop
    app.config["TMDESK_ALLOWED_HOSTS"] = allowed_hosts(host, runner.port)
    url_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # nosec B104: compares the host asked for; binds nothing
    if ":" in url_host:
        url_host = f"[{url_host}]"
    info = instance.InstanceInfo(
        pid=os.getpid(),
        port=runner.port,
        version=__version__,
        secret=secret,
        host="127.0.0.1" if host in ("0.0.0.0", "::") else url_host,  # nosec B104: compares the host asked for; binds nothing
    )
    instance.write_info(data_dir, info)
    base = f"http://{url_host}:{runner.port}"
    log.info("tmdesk %s serving %s at %s/ (pid %s)", __version__, data_dir, base, os.getpid())

    with database.connection_context():
        needs_setup = not accounts.has_any_admin()
    if desktop_mode:
        target = info.launch_url()
        say(
            f"tmdesk is running at {base}/ (data: {data_dir}). "
            "Quit it from the app's menu or with Ctrl+C."
        )
    else:
        target = f"{base}/setup?token={setup_token}" if needs_setup else f"{base}/"
        say(f"tmdesk is serving {data_dir} at {base}/ (Ctrl+C stops it)")
        if needs_setup:
            say(f"First run: create the administrator at {target}")
    if browser:
        open_browser(target)
    elif desktop_mode:
        say(f"Open: {target}")
    if on_ready is not None:
        on_ready(target)
    pool = None
    if workers > 1:
        hosts = app.config["TMDESK_ALLOWED_HOSTS"]

        def settings_for(number: int) -> WorkerSettings:
            return WorkerSettings(
                number=number,
                fd=runner.listening_socket.fileno(),
                threads=threads,
                parent_pid=os.getpid(),
                launch_secret=secret,
                run_id=state.run_id,
                setup_token=setup_token,
                allowed_hosts=sorted(hosts) if hosts else None,
                used_tokens_dir=str(used_tokens),
            )

        pool = WorkerPool(data_dir, workers, settings_for)
        pool.start()
        log.info("serving from %s processes (this one and %s workers)", workers, workers - 1)
    backups = _start_backups(data_dir)
    auto_sync = _start_auto_sync(data_dir)
    _sum_dashboards_ahead()
    try:
        runner.run()
    except KeyboardInterrupt:  # pragma: no cover - waitress catches it itself
        pass
    finally:
        if pool is not None:
            pool.stop()
        if backups is not None:
            backups.stop()
        if auto_sync is not None:
            auto_sync.stop()
        instance.remove_info(data_dir)
        shutil.rmtree(used_tokens, ignore_errors=True)
        _close_connections()
        log.info("tmdesk stopped")
    say("tmdesk has stopped.")
    return 0


def _close_connections() -> None:
    """Close the pooled connections for real (SQLite folds its WAL into the file)."""
    if hasattr(database.obj, "close_idle"):
        database.obj.close_idle()


def run_worker(data_dir: Path, settings: WorkerSettings) -> int:
    """Serve as worker ``settings.number`` of a ``tmdesk serve --workers`` until the
    first process stops it (SIGTERM) or disappears; returns the exit code."""
    setup_logging(filename=f"tmdesk-worker{settings.number}.log")
    parent = settings.parent_pid

    def quit_all() -> None:  # Quit in the browser stops the whole server, not one process
        with contextlib.suppress(OSError):
            os.kill(parent, signal.SIGTERM)

    state = instance.DesktopState(
        tokens=instance.LaunchTokens(settings.launch_secret, Path(settings.used_tokens_dir)),
        run_id=settings.run_id,
        request_quit=quit_all,
    )
    app = _serving_app(data_dir, settings.threads, state, settings.setup_token)
    app.config["TMDESK_ALLOWED_HOSTS"] = (
        set(settings.allowed_hosts) if settings.allowed_hosts is not None else None
    )
    listening = socket.socket(fileno=settings.fd)
    runner = WaitressRunner(app, "", 0, settings.threads, sockets=[listening])
    # Ctrl+C in a terminal reaches every process of the group: stop as cleanly as on SIGTERM.
    _stop_on_sigterm(runner, signal.SIGINT)
    watch_parent(parent, lambda: runner.stop(delay=0), runner.stopping)
    announce_ready()
    _sum_dashboards_ahead()
    log.info("worker %s of pid %s serving %s", settings.number, parent, data_dir)
    try:
        runner.run()
    finally:
        _close_connections()
        log.info("worker %s stopped", settings.number)
    return 0


def serve(
    data_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8750,
    threads: int = 8,
    open_browser: bool = True,
    workers: int = 1,
) -> None:
    """Serve in the foreground until interrupted (``tmdesk serve``), from ``workers``
    processes."""
    try:
        check_workers(workers)
    except WorkerError as exc:
        say(f"tmdesk: {exc}")
        raise SystemExit(2) from exc
    log_file = setup_logging()
    browser = browser_wanted(None) and open_browser
    data_dir = Path(data_dir)
    make_private_dir(data_dir)
    try:
        lock, running = instance.claim_or_find(data_dir, wait=5.0)
    except instance.LaunchError as exc:
        log.error("%s", exc)
        say(f"tmdesk: {exc}")
        raise SystemExit(1) from exc
    if running is not None:
        message = (
            f"tmdesk is already serving {data_dir} at {running.base_url}/ "
            f"(process {running.pid}); not starting a second server on it."
        )
        log.error(message)
        say(f"tmdesk: {message}")
        raise SystemExit(1)
    try:
        code = run_instance(
            data_dir,
            lock,
            host=host,
            port=port,
            threads=threads,
            browser=browser,
            desktop_mode=False,
            workers=workers,
        )
    except OSError as exc:  # the port is taken, the address does not exist...
        log.exception("tmdesk serve could not start")
        say(
            f"tmdesk: cannot serve on {host}:{port}: {exc}"
            + (f" (log: {log_file})" if log_file else "")
        )
        raise SystemExit(1) from exc
    finally:
        lock.release()
    raise SystemExit(code)
