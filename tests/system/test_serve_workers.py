"""``tmdesk serve --workers N``: one server, N processes (tmdesk.runtime.workers).

The processes share the listening socket and nothing in memory: writes from all of
them keep the audit chain whole and the references unique, a launch link works once
whichever process answers it, a worker that dies is started again, and the workers
end with the first process, however it ends.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.live_server import (
    assert_writes_whole,
    child_pids,
    concurrent_writers,
    cpu_seconds,
    make_writer_accounts,
    start_server,
    wait_for,
)
from tests.plugins.test_plugin_approval import drop, sha
from tmdesk.core import plugin_approvals
from tmdesk.core.db import database
from tmdesk.runtime import workers
from tmdesk.runtime.instance import LaunchTokens, mint_token, read_info


def alive(pid: int) -> bool:
    """Running (not gone, not a zombie waiting for its parent)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def status_of(url: str) -> int:
    """The status of GET ``url`` itself (a redirect is not followed)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())
    try:
        with opener.open(url, timeout=10) as response:  # nosec B310: http://127.0.0.1
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- what is refused, before anything starts --------------------------------------------


@pytest.mark.parametrize("count", [0, -1, workers.MAX_WORKERS + 1])
def test_a_count_out_of_range_is_refused(count):
    with pytest.raises(workers.WorkerError, match="between 1 and"):
        workers.check_workers(count)


def test_windows_is_told_what_to_do_instead(monkeypatch):
    monkeypatch.setattr(workers.os, "name", "nt")
    workers.check_workers(1)  # one process serves anywhere
    with pytest.raises(workers.WorkerError, match="Linux or macOS.*one tmdesk serve per port"):
        workers.check_workers(2)


def test_serve_refuses_a_bad_count_with_a_message(tmp_path):
    result = subprocess.run(  # nosec B603: this Python running tmdesk
        [sys.executable, "-m", "tmdesk", "serve", "--data-dir", str(tmp_path / "d")]
        + ["--workers", "0", "--no-browser"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--workers must be between 1 and" in result.stdout + result.stderr
    assert not (tmp_path / "d" / "tmdesk.sqlite3").exists()


def test_the_worker_command_is_not_for_people():
    with pytest.raises(workers.WorkerError, match="started by “tmdesk serve --workers N”"):
        workers.read_settings(io.StringIO(""))
    with pytest.raises(workers.WorkerError):
        workers.read_settings(io.StringIO('{"number": 1}'))


def test_launch_tokens_recorded_on_disk_are_single_use_across_processes(tmp_path):
    """Two processes' checkers on one folder: a token redeems once, at either."""
    used = tmp_path / "used"
    used.mkdir()
    first, second = LaunchTokens("s3cret", used), LaunchTokens("s3cret", used)
    token = first.mint()
    assert second.redeem(token)
    assert not first.redeem(token) and not second.redeem(token)
    assert not first.redeem(mint_token("another secret"))
    # Old records are cleared as tokens are redeemed; an expired token stays refused.
    old = time.time() - 10 * first.ttl
    assert not first.redeem(first.mint(now=old))
    os.utime(next(used.iterdir()), (old, old))
    assert first.redeem(first.mint())
    assert len(list(used.iterdir())) == 1


# --- a real server of three processes ----------------------------------------------------


#: A plugin that notes each process that imports it (a file named by its pid).
PLUGIN = """
import os
from pathlib import Path

Path({folder!r}, str(os.getpid())).write_text("ran")
"""


@pytest.mark.slow
def test_three_processes_serve_one_folder(tmp_path):
    tokens = make_writer_accounts(tmp_path, 12)
    ran = tmp_path / "ran"
    ran.mkdir()
    plugin = drop(tmp_path, "noted.py", PLUGIN.format(folder=str(ran)))
    server = start_server(tmp_path, threads=4, workers=3)
    try:
        first = server.process.pid
        assert wait_for(lambda: len(child_pids(first)) == 2), server.log()
        pids = [first, *child_pids(first)]
        # Each process sums the recent viewers' dashboard figures ahead, in the background.
        assert wait_for(lambda: server.log().count("dashboard figures summed ahead") == 3)
        before = {pid: cpu_seconds(pid) for pid in pids}

        # Writers on new connections, dealt out by the kernel: every process works,
        # and what they write together is whole.
        load = concurrent_writers(server.url, tokens, seconds=6)
        assert load.failures == {}
        assert len(load.acknowledged) > 12
        for pid in pids:
            assert cpu_seconds(pid) - before[pid] > 0.3, (pid, server.log())

        # A launch link works once, whichever process answers it (one secret, one
        # record of used tokens); a second use is refused by every process.
        secret = read_info(tmp_path).secret
        for _ in range(6):
            link = f"{server.url}/desktop/launch?token={mint_token(secret)}"
            assert status_of(link) == 302  # redeemed: on to the first-run setup
            assert [status_of(link) for _ in range(3)] == [403, 403, 403]

        # A plugin approved elsewhere (here: as the command line does) runs in every
        # process within seconds, whichever the requests reach.
        assert not list(ran.iterdir())
        with database.connection_context():
            plugin_approvals.approve(None, plugin.name, sha(plugin), via="test")
        assert wait_for(
            lambda: (
                status_of(f"{server.url}/healthz") == 200
                and {int(f.name) for f in ran.iterdir()} >= set(pids)
            ),
            timeout=30,
        ), (sorted(f.name for f in ran.iterdir()), pids)

        # A worker killed outright is started again, and the server answers on.
        victim = child_pids(first)[0]
        os.kill(victim, signal.SIGKILL)
        assert wait_for(lambda: len(child_pids(first)) == 2 and victim not in child_pids(first)), (
            server.log()
        )
        assert "ended unexpectedly with code -9; starting it again" in server.log()
        assert all(status_of(f"{server.url}/healthz") == 200 for _ in range(10))
        workers_now = child_pids(first)
    finally:
        server.stop()  # SIGTERM: the first process stops its workers, then itself
    assert server.process.returncode == 0, server.log()
    assert not any(alive(pid) for pid in workers_now)
    assert not (tmp_path / "launch-tokens").exists()

    assert_writes_whole(tmp_path, load.acknowledged)


@pytest.mark.slow
def test_workers_end_when_the_first_process_is_killed(tmp_path):
    server = start_server(tmp_path, threads=2, workers=2)
    try:
        assert wait_for(lambda: len(child_pids(server.process.pid)) == 1), server.log()
        (worker,) = child_pids(server.process.pid)
        server.process.kill()
        server.process.wait()
        assert wait_for(lambda: not alive(worker), timeout=10)
        # The port is free again: a new server takes it.
        replacement = start_server(tmp_path, threads=2, port=server.port)
        replacement.stop()
    finally:
        server.stop()
