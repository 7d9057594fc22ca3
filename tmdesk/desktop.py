"""The double-click launch: ``tmdesk`` with no arguments.

What happens, in order:

1. Logging goes to a rotating file in the user's log folder (and the console
   if there is one; a windowed build has none and must not crash on it).
2. The data folder's instance lock (``tmdesk.lock``) is taken with an OS file
   lock, which the OS releases when the process ends, however it ends. If it
   is held, another tmdesk serves this data folder: its user-only info file
   (``tmdesk-instance.json``: pid, port, version, launch secret) says where;
   when it answers ``GET /healthz`` with our version, the browser is simply
   opened there with a fresh one-time launch token, and this process exits.
   A lock file left behind by a crashed run is not held by anyone: it and its
   info file are cleared ("stale lock") and the launch goes on. Commands that
   replace the data (``tmdesk restore``, ``tmdesk demo --force``) hold the same
   lock while they work (:func:`exclusive_data_dir`) and refuse while it is held.
3. Otherwise the app is served with waitress on 127.0.0.1, on a free port the
   OS picks (port 0), with the Host header restricted to that address (against
   DNS rebinding), and the browser opens ``/desktop/launch?token=…``.
4. While it serves, automatic backups run in a thread (one at start, then
   daily; see :mod:`tmdesk.backup_schedule`), stopped when the server stops.

The launch token is the only way in that does not need a password: it proves
"this is the person who double-clicked" (only a process of the same OS user
can read the info file's secret). It leads to the first-run setup page when
there is no administrator yet, otherwise to the login page; it never logs in
as an account by itself. Tokens are HMACs over a timestamp and a nonce, valid
for :data:`TOKEN_TTL` seconds and only once, so a second launch can mint one
without talking to the running server first.

``TMDESK_NO_BROWSER=1`` suppresses the browser (tests, headless machines);
the launch URL is printed instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import html
import json
import logging
import os
import secrets
import sys
import tempfile
import threading
import time
import urllib.request
import webbrowser
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tmdesk import __version__
from tmdesk.logging_setup import has_console, log_dir, setup_logging
from tmdesk.paths import make_private_dir

log = logging.getLogger(__name__)

LOCK_NAME = "tmdesk.lock"
INFO_NAME = "tmdesk-instance.json"
#: Seconds a launch token stays valid (it is also single-use).
TOKEN_TTL = 120
#: How long a second launch waits for a running instance that is still starting.
STARTUP_WAIT = 20.0
LOOPBACK = "127.0.0.1"


# --- launch tokens -----------------------------------------------------------------


def mint_token(secret: str, now: float | None = None) -> str:
    """A one-time launch token for the instance whose launch secret is ``secret``."""
    stamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_urlsafe(16)
    mac = hmac.new(secret.encode(), f"{stamp}.{nonce}".encode(), hashlib.sha256).hexdigest()
    return f"{stamp}.{nonce}.{mac}"


class LaunchTokens:
    """Checks launch tokens: right MAC, not expired, and each used only once."""

    def __init__(self, secret: str, ttl: int = TOKEN_TTL) -> None:
        self.secret = secret
        self.ttl = ttl
        self._used: dict[str, float] = {}
        self._lock = threading.Lock()

    def mint(self, now: float | None = None) -> str:
        return mint_token(self.secret, now)

    def redeem(self, token: str | None, now: float | None = None) -> bool:
        """True once for a valid token; False for a forged, expired or reused one."""
        if not token or token.count(".") != 2:
            return False
        stamp, nonce, mac = token.split(".")
        expected = hmac.new(
            self.secret.encode(), f"{stamp}.{nonce}".encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(mac, expected):
            return False
        now = now if now is not None else time.time()
        try:
            age = now - int(stamp)
        except ValueError:
            return False
        if age < -5 or age > self.ttl:
            return False
        with self._lock:
            for old, used_at in list(self._used.items()):
                if now - used_at > 2 * self.ttl:
                    del self._used[old]
            if nonce in self._used:
                return False
            self._used[nonce] = now
        return True


@dataclass
class DesktopState:
    """What the desktop routes need from the running instance (``app.config["TMDESK_DESKTOP"]``)."""

    tokens: LaunchTokens
    #: Identifies this run: the desktop cookie set by a launch is only good for it.
    run_id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    #: Stops the server (set by the runner); None when quitting is not possible.
    request_quit: Callable[[], None] | None = None


# --- the instance lock and info file -------------------------------------------------


class InstanceLock:
    """An exclusive OS lock on ``<data dir>/tmdesk.lock``, held while the server runs.

    ``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows; either way the
    OS drops it when the process dies, so a crash never leaves it held.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: Any = None
        #: True when the file system refused to lock at all (then the info file decides).
        self.unsupported = False

    @property
    def held(self) -> bool:
        return self._fh is not None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another process holds it."""
        if self._fh is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")  # noqa: SIM115 - kept open while the lock is held
        try:
            if os.name == "nt":
                import msvcrt

                fh.seek(0)
                try:
                    msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
                except OSError as exc:  # EDEADLOCK/EACCES: another process holds it
                    raise PermissionError(str(exc)) from exc
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except (BlockingIOError, PermissionError):  # held by another process
            fh.close()
            return False
        except OSError as exc:  # no locking on this file system (some network drives)
            log.warning("cannot lock %s (%s); relying on the instance file alone", self.path, exc)
            self.unsupported = True
        self._fh = fh
        return True

    def previous_pid(self) -> int | None:
        """The pid a previous holder wrote into the lock file, if any."""
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdigit() else None

    def write_pid(self) -> None:
        """Record our pid in the lock file (for people and for stale-lock messages)."""
        assert self._fh is not None  # nosec B101: a programming-error check; the lock is always held here
        # Written beside the locked byte range on Windows would fail; the
        # pid is only informative there, so a failure is ignored.
        with contextlib.suppress(OSError):
            self._fh.seek(0)
            self._fh.truncate()
            self._fh.write(str(os.getpid()).encode("ascii"))
            self._fh.flush()

    def release(self) -> None:
        if self._fh is None:
            return
        with contextlib.suppress(OSError):
            self._fh.seek(0)
            self._fh.truncate()
        try:
            if os.name == "nt":
                import msvcrt

                self._fh.seek(0)
                with contextlib.suppress(OSError):
                    msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                with contextlib.suppress(OSError):
                    fcntl.flock(self._fh.fileno(), fcntl.LOCK_UN)
        finally:
            self._fh.close()
            self._fh = None


@dataclass
class InstanceInfo:
    """The running instance, as written to the user-only info file."""

    pid: int
    port: int
    version: str
    secret: str
    host: str = LOOPBACK
    started: float = field(default_factory=time.time)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def launch_url(self) -> str:
        return f"{self.base_url}/desktop/launch?token={mint_token(self.secret)}"


def info_path(data_dir: Path) -> Path:
    return data_dir / INFO_NAME


def write_info(data_dir: Path, info: InstanceInfo) -> Path:
    """Write the info file readable by this OS user only (0600; atomic replace)."""
    target = info_path(data_dir)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(asdict(info), fh)
    with contextlib.suppress(OSError):  # umask could not widen it, but be explicit
        os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return target


def read_info(data_dir: Path) -> InstanceInfo | None:
    try:
        data = json.loads(info_path(data_dir).read_text(encoding="utf-8"))
        return InstanceInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


def remove_info(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        info_path(data_dir).unlink()


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (portable; never signals it)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        try:
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def probe(info: InstanceInfo, timeout: float = 2.0) -> dict | None:
    """The running instance's ``/healthz`` answer, or None if it does not answer."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{info.base_url}/healthz", timeout=timeout) as response:
            if response.status != 200:
                return None
            return json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError):
        return None


class LaunchError(Exception):
    """A start-up problem with a message meant for the person who double-clicked."""


def clear_stale(data_dir: Path, lock: InstanceLock) -> None:
    """With the lock held: remove what a crashed run left behind."""
    old_pid = lock.previous_pid()
    stale = read_info(data_dir)
    if stale is not None or old_pid:
        log.warning(
            "cleared a stale lock left by a previous run (pid %s)",
            (stale.pid if stale else old_pid),
        )
    remove_info(data_dir)


def claim_or_find(
    data_dir: Path,
    wait: float = STARTUP_WAIT,
) -> tuple[InstanceLock | None, InstanceInfo | None]:
    """Take the instance lock, or find the running instance that holds it.

    Returns ``(lock, None)`` when this process may serve (stale leftovers are
    cleared), ``(None, info)`` when another instance answers. Raises
    :class:`LaunchError` when the lock is held but its holder does not answer
    within ``wait`` seconds, or answers with another version.
    """
    lock = InstanceLock(data_dir / LOCK_NAME)
    deadline = time.monotonic() + wait
    while True:
        if lock.acquire():
            if lock.unsupported:
                info = read_info(data_dir)
                if info is not None and probe(info) is not None:
                    lock.release()
                    return None, info
            clear_stale(data_dir, lock)
            lock.write_pid()
            return lock, None
        info = read_info(data_dir)
        if info is not None and info.pid != os.getpid():
            health = probe(info)
            if health is not None and health.get("status") == "ok":
                if health.get("version") != __version__:
                    raise LaunchError(
                        f"Another version of tmdesk ({health.get('version')}) is already "
                        f"running on this data folder at {info.base_url}/ (process "
                        f"{info.pid}). Quit it first, then start this one again."
                    )
                return None, info
        if time.monotonic() >= deadline:
            pid = info.pid if info else lock.previous_pid()
            raise LaunchError(
                f"tmdesk is already running on this data folder (process {pid or '?'}) "
                "but does not answer. Wait a moment and try again; if it stays so, end "
                "that process (or restart the computer) and start tmdesk again."
            )
        time.sleep(0.2)


class DataFolderBusy(Exception):
    """A maintenance command found the data folder in use; the message says by whom."""


def describe_holder(data_dir: Path, lock: InstanceLock) -> str:
    """Who holds the data folder, as far as the info file (or the lock file) says."""
    info = read_info(data_dir)
    if info is not None:
        return f"process {info.pid}, serving at {info.base_url}/"
    pid = lock.previous_pid()
    return f"process {pid}" if pid else "another process"


def _busy_message(holder: str, command: str) -> str:
    return (
        f"tmdesk is running on this data folder ({holder}); nothing was changed. "
        "Quit tmdesk (the desktop app: Quit in the menu; serve: Ctrl+C) "
        f"and run {command} again."
    )


@contextlib.contextmanager
def exclusive_data_dir(data_dir: Path, command: str) -> Iterator[InstanceLock]:
    """Hold the instance lock for a command that replaces data (restore, demo --force).

    The same lock the desktop app and ``tmdesk serve`` hold while they serve:
    while a server holds it, :class:`DataFolderBusy` is raised before anything
    is touched; once taken, no server can start until the command ends (a
    launch then waits and reports the folder busy). A lock file left by a
    killed process is not held by anyone, so it does not get in the way; its
    info file is cleared as on a launch. ``command`` is what the person should
    run again, for the message.
    """
    lock = InstanceLock(Path(data_dir) / LOCK_NAME)
    if not lock.acquire():
        raise DataFolderBusy(_busy_message(describe_holder(data_dir, lock), command))
    try:
        if lock.unsupported:  # no OS locks here: a live info file is the only sign
            info = read_info(data_dir)
            if info is not None and probe(info) is not None:
                raise DataFolderBusy(
                    _busy_message(f"process {info.pid}, serving at {info.base_url}/", command)
                )
        clear_stale(data_dir, lock)
        lock.write_pid()
        yield lock
    finally:
        lock.release()


# --- browser, messages, fatal errors -------------------------------------------------


def browser_wanted(explicit: bool | None = None) -> bool:
    if explicit is not None:
        return explicit
    return os.environ.get("TMDESK_NO_BROWSER", "").strip().lower() not in {"1", "true", "yes"}


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


ERROR_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tmdesk could not start</title></head>
<body>
<h1>tmdesk could not start</h1>
<p>{message}</p>
<p>The details are in the log file: <code>{log_file}</code>.
Send that file to your administrator if the problem stays.</p>
<hr>
<h1 lang="uk">tmdesk не вдалося запустити</h1>
<p lang="uk">Подробиці записано до журналу: <code>{log_file}</code>.
Надішліть цей файл адміністраторові, якщо проблема не зникне.</p>
</body></html>
"""


def show_fatal_error(message: str, log_file: Path | None, browser: bool) -> Path | None:
    """Tell the person what went wrong: on the console and/or as a page in the browser."""
    say(f"tmdesk could not start: {message}")
    if log_file:
        say(f"Details are in {log_file}")
    page = ERROR_PAGE.format(
        message=html.escape(message), log_file=html.escape(str(log_file or "(no log file)"))
    )
    target: Path | None = None
    for folder in (log_dir(), Path(tempfile.gettempdir())):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / "tmdesk-startup-error.html"
            target.write_text(page, encoding="utf-8")
            break
        except OSError:
            target = None
    if browser and target is not None:
        open_browser(target.resolve().as_uri())
    return target


# --- the launch --------------------------------------------------------------------


def launch(data_dir: Path, browser: bool | None = None) -> int:
    """The desktop launch; returns the process exit code."""
    log_file = setup_logging()
    want_browser = browser_wanted(browser)
    say("tmdesk is starting…")
    try:
        return _launch(Path(data_dir), want_browser)
    except LaunchError as exc:
        log.error("start-up refused: %s", exc)
        show_fatal_error(str(exc), log_file, want_browser)
        return 1
    except Exception as exc:  # noqa: BLE001 - every start-up failure must reach the user
        log.exception("tmdesk could not start")
        show_fatal_error(f"{type(exc).__name__}: {exc}", log_file, want_browser)
        return 1


def _launch(data_dir: Path, want_browser: bool) -> int:
    make_private_dir(data_dir)
    lock, running = claim_or_find(data_dir)
    if running is not None:
        url = running.launch_url()
        log.info("tmdesk already runs at %s/ (pid %s); reusing it", running.base_url, running.pid)
        if want_browser:
            say(f"tmdesk is already running at {running.base_url}/: opening the browser.")
            open_browser(url)
            time.sleep(0.5)  # let the browser thread hand the URL over before we exit
        else:
            say(f"tmdesk is already running. Open: {url}")
        return 0
    assert lock is not None  # nosec B101: a programming-error check; the lock is always held here
    from tmdesk.server import run_instance

    try:
        return run_instance(
            data_dir,
            lock,
            host=LOOPBACK,
            port=0,
            threads=8,
            browser=want_browser,
            desktop_mode=True,
        )
    finally:
        lock.release()
