"""The running instance of a data folder: its lock, its info file, its launch tokens.

One data folder is served by one process at a time. That process holds the
folder's instance lock (``tmdesk.lock``, an OS file lock the OS releases
however the process ends) and writes a user-only info file
(``tmdesk-instance.json``: pid, port, version, launch secret) saying where it
serves. A second launch finds it through that file and opens the browser
there with a fresh one-time launch token; maintenance commands that replace
the data hold the same lock (:func:`exclusive_data_dir`).

Both the desktop launch (:mod:`tmdesk.runtime.desktop`) and the server
(:mod:`tmdesk.runtime.server`) use this module; it uses neither.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tmdesk import __version__

log = logging.getLogger(__name__)

LOCK_NAME = "tmdesk.lock"
INFO_NAME = "tmdesk-instance.json"
#: Seconds a launch token stays valid (it is also single-use).
TOKEN_TTL = 120
#: How long a second launch waits for a running instance that is still starting.
STARTUP_WAIT = 20.0
LOOPBACK = "127.0.0.1"
#: What :func:`mint_token` puts in a token as its nonce (URL-safe base64).
NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")


# --- launch tokens -----------------------------------------------------------------


def mint_token(secret: str, now: float | None = None) -> str:
    """A one-time launch token for the instance whose launch secret is ``secret``."""
    stamp = str(int(now if now is not None else time.time()))
    nonce = secrets.token_urlsafe(16)
    mac = hmac.new(secret.encode(), f"{stamp}.{nonce}".encode(), hashlib.sha256).hexdigest()
    return f"{stamp}.{nonce}.{mac}"


class LaunchTokens:
    """Checks launch tokens: right MAC, not expired, and each used only once.

    ``used_dir``: where the used nonces are recorded, one empty file each,
    created with ``O_EXCL``, so that of several processes serving one folder
    (``tmdesk serve --workers``) exactly one redeems a token.
    """

    def __init__(self, secret: str, used_dir: Path, ttl: int = TOKEN_TTL) -> None:
        self.secret = secret
        self.ttl = ttl
        self.used_dir = used_dir

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
        return self._first_use(nonce, now)

    def _first_use(self, nonce: str, now: float) -> bool:
        """Record ``nonce`` as used in ``used_dir``; False if some process already had."""
        if not NONCE.fullmatch(nonce):  # the MAC held, so only a token we minted: be strict
            return False
        with contextlib.suppress(OSError):  # forgetting old nonces is housekeeping only
            for old in self.used_dir.iterdir():
                if now - old.stat().st_mtime > 2 * self.ttl:
                    old.unlink(missing_ok=True)
        try:
            fd = os.open(self.used_dir / nonce, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        except OSError as exc:  # an unwritable folder must not let a token through twice
            log.warning("cannot record a used launch token in %s: %s", self.used_dir, exc)
            return False
        os.close(fd)
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
