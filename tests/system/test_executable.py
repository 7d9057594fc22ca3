"""The built executable, end to end (slow: it builds it first, ~2-4 minutes).

Builds the single file from this checkout with build/build.py into a
temporary folder (``TMDESK_TEST_EXE=/path/to/tmdesk`` tests an existing
build instead), then runs it with its data and logs in temporary folders
and no browser, and talks to it over HTTP like a browser would.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.system.test_desktop import Browser, form_token

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough passphrase"

PLUGIN_FILE = '''\
"""A partner's plugin dropped into the plugins folder of the executable."""
import csv
import io

from tmdesk import hookimpl
from tmdesk.plugins.contract import ReportFormat


def render(context, out, options):
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["ref", "tlp"])
    for project in context.projects:
        writer.writerow([project.ref, project.tlp])
    out.write(text.getvalue().encode("utf-8"))


@hookimpl
def tmdesk_report_formats():
    return [ReportFormat(name="exe-drop-in", label="Dropped-in CSV", extension="csv",
                         media_type="text/csv", render=render)]
'''


@pytest.fixture(scope="module")
def exe(tmp_path_factory) -> Path:
    given = os.environ.get("TMDESK_TEST_EXE")
    if given:
        return Path(given)
    out = tmp_path_factory.mktemp("build")
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "build" / "build.py"),
            "--dist",
            str(out / "dist"),
            "--work",
            str(out / "work"),
            "--quiet",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    path = Path(result.stdout.strip().splitlines()[-1])
    assert path.is_file() and path.parent == out / "dist"
    print(
        f"built {path} ({path.stat().st_size / 2**20:.1f} MiB) in "
        f"{time.monotonic() - started:.0f} s"
    )
    return path


def exe_env(tmp_path: Path, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDESK_")}
    env.update(
        TMDESK_NO_BROWSER="1",
        TMDESK_DATA_DIR=str(tmp_path / name),
        TMDESK_LOG_DIR=str(tmp_path / f"{name}-logs"),
    )
    return env


def start(
    exe: Path, env: dict[str, str], *args: str, pattern: str = r"Open: (\S+)"
) -> tuple[subprocess.Popen, str]:
    """Start the executable; return it and the first match of ``pattern`` in its output."""
    proc = subprocess.Popen(
        [str(exe), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    seen = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(line)
        match = re.search(pattern, line)
        if match:
            return proc, match.group(1)
    proc.kill()
    raise AssertionError("the executable did not print its address:\n" + "".join(seen))


def wait_healthy(base: str, browser: Browser) -> dict:
    import json

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            status, _url, body = browser.get(f"{base}/healthz")
        except OSError:
            status, body = 0, ""
        if status == 200:
            return json.loads(body)
        time.sleep(0.1)
    raise AssertionError(f"{base}/healthz never answered 200")


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def base_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def login(browser: Browser, base: str, email: str, password: str) -> None:
    _status, _url, html = browser.get(f"{base}/login")
    status, final, _html = browser.post(
        f"{base}/login", {"email": email, "password": password, "csrf_token": form_token(html)}
    )
    assert status == 200 and not final.endswith("/login"), (status, final)


def test_executable_end_to_end(exe, tmp_path):
    """One test, so that parallel workers never build the executable twice."""
    first_launch_setup_second_launch_and_quit(exe, tmp_path)
    skipped = demo_report_plugins_and_serve(exe, tmp_path)
    if skipped:
        pytest.skip(skipped)


def first_launch_setup_second_launch_and_quit(exe: Path, tmp_path: Path) -> None:
    env = exe_env(tmp_path, "fresh")
    proc, url = start(exe, env)
    try:
        base = base_of(url)
        browser = Browser()
        from tmdesk import __version__

        assert wait_healthy(base, browser)["version"] == __version__
        # the launch token opens first-run setup, in this browser only
        status, final, html = browser.get(url)
        assert status == 200 and final.endswith("/setup"), final
        assert Browser().get(f"{base}/setup")[0] == 403
        status, final, html = browser.post(
            f"{base}/setup",
            {
                "csrf_token": form_token(html),
                "org_code": "TMPO",
                "org_name_en": "Project Office",
                "org_name_uk": "Проєктний офіс",
                "org_kind": "project_office",
                "org_country": "UA",
                "name": "Olena",
                "email": "olena@tmpo.example",
                "password": PASSWORD,
            },
        )
        assert status == 200 and not final.endswith("/setup"), (status, final, html[:500])
        assert "/desktop/quit" in html
        # a second double-click reuses the running instance
        second = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0, second.stdout + second.stderr
        assert "already running" in second.stdout
        again = re.search(r"Open: (\S+)", second.stdout).group(1)
        assert base_of(again) == base
        other = Browser()
        status, final, _html = other.get(again)
        assert status == 200 and final.endswith("/login")  # an admin exists now
        assert other.get(again)[0] == 403  # one use only
        # Quit from the app's menu stops the server cleanly
        _s, _u, home = browser.get(f"{base}/")
        status, _final, _html = browser.post(
            f"{base}/desktop/quit", {"csrf_token": form_token(home)}
        )
        assert status == 200
        assert proc.wait(20) == 0
        assert not (Path(env["TMDESK_DATA_DIR"]) / "tmdesk-instance.json").exists()
        log_text = (tmp_path / "fresh-logs" / "tmdesk.log").read_text()
        assert "tmdesk stopped" in log_text
    finally:
        stop(proc)


def demo_report_plugins_and_serve(exe: Path, tmp_path: Path) -> str | None:
    """Returns why a step was skipped (None when every step ran)."""
    skipped = None
    env = exe_env(tmp_path, "demo")
    data = Path(env["TMDESK_DATA_DIR"])
    result = subprocess.run(
        [str(exe), "demo"], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    result = subprocess.run(
        [
            str(exe),
            "user",
            "create",
            "tester@tmpo.example",
            "--org",
            "TMPO",
            "--admin",
            "--password-stdin",
        ],
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    serve_args = ("serve", "--port", "0", "--no-browser")
    serving = r"serving .* at (http://\S+?)/? "
    proc, base = start(exe, env, *serve_args, pattern=serving)
    try:
        browser = Browser()
        wait_healthy(base, browser)
        login(browser, base, "tester@tmpo.example", PASSWORD)
        # a double-click while `serve` runs opens the running one
        second = subprocess.run([str(exe)], env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 0 and "already running" in second.stdout, second.stdout
        assert base_of(re.search(r"Open: (\S+)", second.stdout).group(1)) == base

        status, _url, html = browser.get(f"{base}/reports/briefing-pack")
        if status == 404:
            skipped = "no briefing pack in this build yet: the PDF step was skipped"
            pdf = b""
        else:
            assert status == 200, html[:500]
            pdf = _post_bytes(
                browser,
                f"{base}/reports/briefing-pack",
                {"csrf_token": form_token(html), "lang": "uk", "opt_annex": "no"},
            )
            assert pdf.startswith(b"%PDF")
        if pdf and shutil.which("pdftotext"):
            pdf_path = tmp_path / "pack.pdf"
            pdf_path.write_bytes(pdf)
            text = subprocess.run(
                ["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, check=True
            ).stdout
            assert "TLP:" in text
            assert re.search(r"[А-ЩЬЮЯҐЄІЇа-щьюяґєії]{5,}", text), text[:500]
            assert "Таллінський механізм" in text  # Ukrainian, embedded font, real text
    finally:
        assert stop(proc) == 0

    # a partner's plugin file dropped into the plugins folder waits for approval, then
    # runs after a restart
    (data / "plugins").mkdir(exist_ok=True)
    (data / "plugins" / "exe_drop_in.py").write_text(PLUGIN_FILE, encoding="utf-8")
    listed = subprocess.run(
        [str(exe), "plugins"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "exe_drop_in.py" in listed.stdout and "pending" in listed.stdout, (
        listed.stdout + listed.stderr
    )
    assert "exe-drop-in" not in listed.stdout
    approved = subprocess.run(
        [str(exe), "plugins", "approve", "exe_drop_in.py"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert approved.returncode == 0, approved.stdout + approved.stderr
    listed = subprocess.run(
        [str(exe), "plugins"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "exe-drop-in" in listed.stdout, listed.stdout + listed.stderr
    proc, base = start(exe, env, *serve_args, pattern=serving)
    try:
        browser = Browser()
        wait_healthy(base, browser)
        login(browser, base, "tester@tmpo.example", PASSWORD)
        status, _url, html = browser.get(f"{base}/reports/plugins")
        assert status == 200 and "exe-drop-in" in html
        status, _url, html = browser.get(f"{base}/reports/exe-drop-in")
        body = _post_bytes(
            browser, f"{base}/reports/exe-drop-in", {"csrf_token": form_token(html), "lang": "en"}
        ).decode()
        assert body.startswith("ref,tlp") and "TM-" in body
    finally:
        assert stop(proc) == 0
    return skipped


def _post_bytes(browser: Browser, url: str, data: dict) -> bytes:
    body = urllib.parse.urlencode(data).encode()
    with browser.opener.open(url, data=body, timeout=120) as response:
        assert response.status == 200
        return response.read()
