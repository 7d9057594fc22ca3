"""The desktop launch: lock and info file, launch tokens, Host allow-list, Quit.

The last tests start real servers with ``python -m tmdesk`` in a temporary
data folder (``TMDESK_NO_BROWSER=1``) and talk to them over HTTP.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import csrf_token
from tmdesk import __version__
from tmdesk.runtime import instance

# --- launch tokens ----------------------------------------------------------------


def test_launch_token_is_single_use(tmp_path):
    tokens = instance.LaunchTokens("s3cret", tmp_path)
    token = tokens.mint()
    assert tokens.redeem(token)
    assert not tokens.redeem(token)


def test_launch_token_forged_or_expired_is_refused(tmp_path):
    tokens = instance.LaunchTokens("s3cret", tmp_path, ttl=60)
    other = instance.LaunchTokens("another secret", tmp_path)
    assert not tokens.redeem(other.mint())
    assert not tokens.redeem(None)
    assert not tokens.redeem("")
    assert not tokens.redeem("a.b")
    stamp, nonce, mac = tokens.mint().split(".")
    assert not tokens.redeem(f"{int(stamp) + 1}.{nonce}.{mac}")  # the MAC covers the time
    old = tokens.mint(now=time.time() - 61)
    assert not tokens.redeem(old)
    # a second launch mints with the secret from the info file: the server accepts it
    assert tokens.redeem(instance.mint_token("s3cret"))


# --- lock and info file -------------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_info_file_is_user_only_and_round_trips(tmp_path):
    info = instance.InstanceInfo(pid=os.getpid(), port=12345, version=__version__, secret="xyz")
    path = instance.write_info(tmp_path, info)
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert instance.read_info(tmp_path) == info
    assert info.launch_url().startswith("http://127.0.0.1:12345/desktop/launch?token=")
    instance.remove_info(tmp_path)
    assert instance.read_info(tmp_path) is None
    path.write_text("{not json")
    assert instance.read_info(tmp_path) is None


def test_lock_is_exclusive_and_released(tmp_path):
    first = instance.InstanceLock(tmp_path / instance.LOCK_NAME)
    second = instance.InstanceLock(tmp_path / instance.LOCK_NAME)
    assert first.acquire()
    first.write_pid()
    assert first.previous_pid() == os.getpid()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()
    assert second.previous_pid() is None  # a clean exit leaves an empty lock file


@pytest.mark.skipif(os.name != "posix", reason="fcntl")
def test_file_system_without_locks_still_starts(tmp_path, monkeypatch):
    import errno
    import fcntl

    def no_locks(*_args):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    lock, running = instance.claim_or_find(tmp_path, wait=0.5)
    assert running is None and lock.held and lock.unsupported
    lock.release()


def test_stale_lock_from_a_crashed_run_is_cleared(tmp_path, caplog):
    dead = _dead_pid()
    (tmp_path / instance.LOCK_NAME).write_text(str(dead))
    instance.write_info(
        tmp_path, instance.InstanceInfo(pid=dead, port=1, version=__version__, secret="old")
    )
    assert not instance.pid_alive(dead)
    assert instance.pid_alive(os.getpid())
    with caplog.at_level("WARNING"):
        lock, running = instance.claim_or_find(tmp_path, wait=1)
    try:
        assert running is None and lock is not None and lock.held
        assert instance.read_info(tmp_path) is None
        assert lock.previous_pid() == os.getpid()
        assert "stale lock" in caplog.text
    finally:
        lock.release()


def test_held_lock_without_an_answer_is_reported_not_broken(tmp_path):
    holder = instance.InstanceLock(tmp_path / instance.LOCK_NAME)
    assert holder.acquire()
    try:
        instance.write_info(
            tmp_path,
            instance.InstanceInfo(pid=os.getpid() + 1, port=1, version=__version__, secret="x"),
        )
        with pytest.raises(instance.LaunchError, match="does not answer"):
            instance.claim_or_find(tmp_path, wait=0.5)
        assert instance.read_info(tmp_path) is not None  # nothing was cleared
    finally:
        holder.release()


def test_allowed_hosts_only_on_loopback():
    from tmdesk.runtime.server import allowed_hosts

    assert allowed_hosts("127.0.0.1", 8000) == {"127.0.0.1:8000", "localhost:8000", "[::1]:8000"}
    assert allowed_hosts("0.0.0.0", 8000) is None


# --- the routes, through the Flask test client --------------------------------------


@pytest.fixture
def desktop_app(app, tmp_path):
    quits = []
    state = instance.DesktopState(
        tokens=instance.LaunchTokens("test-secret", tmp_path),
        request_quit=lambda: quits.append(True),
    )
    app.config.update(
        TMDESK_DESKTOP=state,
        TMDESK_SETUP_TOKEN="never-shown",
        TMDESK_ALLOWED_HOSTS={"127.0.0.1:5123", "localhost:5123"},
    )
    app.quits = quits
    return app


@pytest.fixture
def dclient(desktop_app):
    return desktop_app.test_client()


BASE = "http://127.0.0.1:5123"


def test_host_allow_list_refuses_other_hosts(dclient):
    assert dclient.get("/healthz", base_url=BASE).status_code == 200
    assert dclient.get("/healthz", base_url="http://localhost:5123").status_code == 200
    for bad in ("http://evil.example:5123", "http://127.0.0.1:9999", "http://127.0.0.1"):
        response = dclient.get("/healthz", base_url=bad)
        assert response.status_code == 400, bad


def test_no_host_check_without_allow_list(client):
    assert client.get("/healthz", base_url="http://whatever.example").status_code == 200


def test_launch_token_opens_setup_once(desktop_app, dclient):
    # without the launch, first-run setup is closed
    assert desktop_app.test_client().get("/setup", base_url=BASE).status_code == 403
    token = desktop_app.config["TMDESK_DESKTOP"].tokens.mint()
    response = dclient.get(f"/desktop/launch?token={token}", base_url=BASE)
    assert response.status_code == 302 and response.location.endswith("/setup")
    assert "tmdesk_desktop=" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert dclient.get("/setup", base_url=BASE).status_code == 200
    # the same link in another browser gets nothing
    other = desktop_app.test_client()
    response = other.get(f"/desktop/launch?token={token}", base_url=BASE)
    assert response.status_code == 403
    assert other.get("/setup", base_url=BASE).status_code == 403


def test_launch_token_leads_to_login_when_an_admin_exists(desk, dclient, desktop_app):
    token = desktop_app.config["TMDESK_DESKTOP"].tokens.mint()
    response = dclient.get(f"/desktop/launch?token={token}", base_url=BASE)
    assert response.status_code == 302 and response.location.endswith("/login")
    assert dclient.get("/", base_url=BASE).status_code == 302  # not logged in by itself


def test_launch_without_desktop_mode_is_404(client):
    assert client.get("/desktop/launch?token=x").status_code == 404


def test_quit_needs_the_launched_browser_and_csrf(desk, dclient, desktop_app):
    from tests.helpers import PASSWORD

    # a browser that did not come in through the launch token may not quit
    assert 'action="/desktop/quit"' not in dclient.get(BASE + "/login").get_data(as_text=True)
    page_token = csrf_token(dclient, BASE + "/login")
    response = dclient.post("/desktop/quit", base_url=BASE, data={"csrf_token": page_token})
    assert response.status_code == 403
    token = desktop_app.config["TMDESK_DESKTOP"].tokens.mint()
    dclient.get(f"/desktop/launch?token={token}", base_url=BASE)
    login_page = dclient.get("/login", base_url=BASE).get_data(as_text=True)
    assert 'action="/desktop/quit"' in login_page
    response = dclient.post(
        "/login",
        base_url=BASE,
        data={
            "email": "admin@example.org",
            "password": PASSWORD,
            "csrf_token": csrf_token(dclient, BASE + "/login"),
        },
    )
    assert response.status_code == 302
    home = dclient.get("/", base_url=BASE).get_data(as_text=True)
    assert 'action="/desktop/quit"' in home  # the cookie survives the session reset at login
    assert dclient.post("/desktop/quit", base_url=BASE, data={}).status_code == 400  # CSRF
    assert desktop_app.quits == []
    response = dclient.post(
        "/desktop/quit", base_url=BASE, data={"csrf_token": csrf_token(dclient, BASE + "/")}
    )
    assert response.status_code == 200
    assert 'action="/desktop/quit"' not in response.get_data(as_text=True)
    assert desktop_app.quits == [True]
    assert dclient.get("/", base_url=BASE).status_code == 302  # logged out too


# --- real servers in subprocesses -----------------------------------------------------


class Browser:
    """urllib with a cookie jar and no proxy: enough of a browser for these tests."""

    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar)
        )

    def get(self, url: str) -> tuple[int, str, str]:
        try:
            with self.opener.open(url, timeout=10) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, url, exc.read().decode()

    def post(self, url: str, data: dict) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode()
        try:
            with self.opener.open(url, data=body, timeout=10) as response:
                return response.status, response.geturl(), response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, url, exc.read().decode()


def form_token(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def desktop_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDESK_")}
    env.update(
        TMDESK_NO_BROWSER="1",
        TMDESK_DATA_DIR=str(tmp_path / "data"),
        TMDESK_LOG_DIR=str(tmp_path / "logs"),
        PYTHONUNBUFFERED="1",
    )
    return env


def start_desktop(env: dict[str, str], args: tuple[str, ...] = ()) -> tuple[subprocess.Popen, str]:
    """Start ``python -m tmdesk`` and return it with the launch URL it prints."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tmdesk", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 30
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(r"(?:Open:|administrator at) (\S+)", line)
        if match:
            return proc, match.group(1)
    proc.kill()
    raise AssertionError("no launch URL printed:\n" + "".join(seen))


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()  # SIGTERM: stops cleanly, like Quit
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow  # starts real processes
def test_second_launch_reuses_the_first_and_quit_stops_it(tmp_path):
    env = desktop_env(tmp_path)
    proc, url = start_desktop(env)
    try:
        port = urllib.parse.urlsplit(url).port
        second = subprocess.run(
            [sys.executable, "-m", "tmdesk"], env=env, text=True, capture_output=True, timeout=60
        )
        assert second.returncode == 0, second.stdout + second.stderr
        assert "already running" in second.stdout
        match = re.search(r"Open: (\S+)", second.stdout)
        assert match and urllib.parse.urlsplit(match.group(1)).port == port
        assert match.group(1) != url  # a fresh token

        browser = Browser()
        status, final, html = browser.get(match.group(1))
        assert status == 200 and final.endswith("/setup"), (status, final)
        assert browser.get(match.group(1))[0] == 403  # one use only
        assert Browser().get(url.replace("/desktop/launch", "/setup"))[0] == 403
        status, _final, html = browser.get(f"http://127.0.0.1:{port}/setup")
        status, _final, _html = browser.post(
            f"http://127.0.0.1:{port}/desktop/quit", {"csrf_token": form_token(html)}
        )
        assert status == 200
        assert proc.wait(15) == 0
        info = instance.read_info(Path(env["TMDESK_DATA_DIR"]))
        assert info is None
        log_text = (tmp_path / "logs" / "tmdesk.log").read_text()
        assert "tmdesk stopped" in log_text
        assert "token=" not in log_text  # launch tokens never reach the log
    finally:
        stop(proc)


@pytest.mark.slow  # starts real processes
def test_crashed_run_is_cleared_and_serve_refuses_a_second_server(tmp_path):
    env = desktop_env(tmp_path)
    proc, _url = start_desktop(env)
    if os.name == "posix":
        proc.send_signal(signal.SIGKILL)
    else:  # pragma: no cover
        proc.kill()
    proc.wait(10)
    data = Path(env["TMDESK_DATA_DIR"])
    assert instance.read_info(data) is not None  # left behind by the crash
    proc, url = start_desktop(env, ("serve", "--port", "0", "--no-browser"))
    try:
        assert "/setup?token=" in url  # first run: setup only through the printed link
        info = instance.read_info(data)
        assert info is not None and info.pid == proc.pid
        assert "stale lock" in (tmp_path / "logs" / "tmdesk.log").read_text()
        again = subprocess.run(
            [sys.executable, "-m", "tmdesk", "serve", "--port", "0", "--no-browser"],
            env=env,
            text=True,
            capture_output=True,
            timeout=60,
        )
        assert again.returncode == 1
        assert "already serving" in again.stdout + again.stderr
        browser = Browser()
        assert browser.get(url)[0] == 200
        health = json.loads(browser.get(f"{info.base_url}/healthz")[2])
        assert health == {"status": "ok", "version": __version__}
    finally:
        stop(proc)
    assert proc.returncode == 0


@pytest.mark.slow  # starts real processes
def test_missing_std_streams_and_fatal_error_page(tmp_path):
    """A windowed build has no stdout/stderr; a start-up failure is logged and shown."""
    env = desktop_env(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    code = (
        "import sys; sys.stdout = None; sys.stderr = None\n"
        "from pathlib import Path\n"
        "from tmdesk.runtime import desktop\n"
        f"raise SystemExit(desktop.launch(Path({str(blocker)!r}), browser=False))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stderr
    logs = tmp_path / "logs"
    assert "tmdesk could not start" in (logs / "tmdesk.log").read_text()
    page = (logs / "tmdesk-startup-error.html").read_text()
    assert "could not start" in page and "tmdesk.log" in page
