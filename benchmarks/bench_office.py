"""Benchmark the desk at office scale on SQLite and on PostgreSQL, side by side.

    python benchmarks/bench_office.py [--projects 100000] [--runs 40]
                                      [--sqlite-dir DIR] [--pg-url postgresql://…]

Issue 13, "Speed at office scale". Fills each database once with the generated
projects, pledges and offers of ``bench_coordination.py`` (a database that
already holds projects is reused), then prints the median and 95th percentile,
wall-clock and CPU time, with the load average, of:

- the Catalogue API page ``GET /api/v1/projects`` (50 rows, filtered by
  category and status, newest first, visibility applied), through the real
  app with a real API token, for an officer and for a donor — target median
  ≤ 10 ms;
- the full dashboard (``dashboard.build``) for an officer and a donor —
  target ≤ 150 ms — as a running server answers it again, after each of a
  donor's pledges (the parts of the figures it touched summed again), and the
  cold sum (every part summed: what a starting server does ahead, in the
  background, for the accounts last active, and a first dashboard for anyone else);
- search for an officer — target ≤ 30 ms;
- then ``--users`` (50) concurrent API users for ``--seconds`` (60) against one
  real ``tmdesk serve`` on 127.0.0.1 of one process and of two (``--workers``), each
  user with its own API token,
  looping over Catalogue API pages, project pages and pledges until the time
  is up, once with no pause between a user's requests (a closed loop, the
  hardest case) and once pausing a second on average, as a person reading the
  answer does (``--think``): errors, p50/p95/max, audit forks (``tmdesk audit verify`` and events
  sharing a previous hash) and pledges acknowledged (201) but not stored —
  targets 0 errors, 0 forks, nothing lost, p95 < 400 ms.

The machine is shared: read the CPU columns beside the wall-clock ones.
The timings in this process keep their database connections as ``tmdesk serve``
does. Without ``--pg-url`` only SQLite is measured; without ``--sqlite-dir`` a
throw-away directory is used.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from bench_coordination import (
    QUERIES,
    engine_arguments,
    generate,
    load,
    on_each_engine,
    report,
    timed,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.live_server import child_pids, cpu_seconds  # noqa: E402 - after the path

CATALOGUE_MS = 10
DASHBOARD_MS = 150
SEARCH_MS = 30
LOAD_P95_MS = 400
#: The catalogue pages asked for: each category with one or two statuses.
STATUS_SETS = ["published", "published,in_implementation", "delivered"]


def _timings(engine: str, data_dir: Path, url: str | None, args: argparse.Namespace) -> bool:
    """The API page, dashboard and search, in this process; True if on target."""
    from tmdesk.core import dashboard, kept_figures, pledges, search
    from tmdesk.core import tokens as core_tokens
    from tmdesk.core.models import Project, User
    from tmdesk.core.vocab import CATEGORIES
    from tmdesk.web import create_app

    app = create_app(data_dir, {"TESTING": True, "TMDESK_DATABASE_URL": url})
    client = app.test_client()
    # The writes between dashboards: a donor's pledges on published CLEAR projects.
    writer = User.get(User.email == "donor@example.org")
    open_refs = list(
        Project.select()
        .where((Project.status == "published") & (Project.tlp == "CLEAR"))
        .limit(500)
    )
    pages = list(itertools.product(CATEGORIES, STATUS_SETS))
    ok = True
    for email in ("officer@example.org", "donor@example.org"):
        user = User.get(User.email == email)
        who = email.split("@")[0]
        _, token = core_tokens.create_token(None, user, "bench")
        headers = {"Authorization": f"Bearer {token}"}

        def page(category: str, status: str, headers=headers) -> None:
            response = client.get(
                f"/api/v1/projects?category={category}&status={status}&per_page=50",
                headers=headers,
            )
            assert response.status_code == 200, response.get_data(as_text=True)[:300]

        page(*pages[0])  # warm: caches, as on a running desk
        calls = [pages[i % len(pages)] for i in range(args.runs)]
        ok &= report(f"{engine} API page ({who})", timed(page, calls), CATALOGUE_MS, on="median")
        dashboard.build(user)
        ok &= report(
            f"{engine} dashboard ({who})",
            timed(dashboard.build, [(user,)] * max(5, args.runs // 4)),
            DASHBOARD_MS,
        )

        def first(user: User = user) -> None:
            kept_figures.forget()  # nothing kept: every part summed
            dashboard.build(user)

        # What a starting server sums ahead in the background for the accounts last
        # active (dashboard.warm_up), and what anyone else's first dashboard costs.
        report(f"{engine} dashboard, cold sum ({who})", timed(first, [()] * 3), DASHBOARD_MS)
        dashboard.build(user)

        def after_write(user: User = user) -> None:
            pledges.create_pledge(
                writer, random.choice(open_refs), {"amount": "100", "currency": "EUR"}
            )
            dashboard.build(user)

        ok &= report(
            f"{engine} dashboard after a pledge ({who})",
            timed(after_write, [()] * max(5, args.runs // 4)),
            DASHBOARD_MS,
        )
        if who == "officer":
            calls = [(user, QUERIES[i % len(QUERIES)]) for i in range(args.runs)]
            ok &= report(f"{engine} search ({who})", timed(search.search, calls), SEARCH_MS)
    return ok


def measure(engine: str, data_dir: Path, url: str | None, args: argparse.Namespace) -> bool:
    from tmdesk.core import pg_engine, sqlite_engine
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database
    from tmdesk.core.models import Project

    # Connections as `tmdesk serve` keeps them (its default 8 threads), so the
    # figures are what a served request costs, not a connection's opening.
    pg_engine.configure_pool(8 + 2)
    sqlite_engine.configure_pool(True)
    open_database(data_dir, url=url)
    database.connect(reuse_if_open=True)
    if not Project.select().exists():
        start = time.perf_counter()
        generate(args.projects, args.offers)
        print(
            f"{engine}: generated {args.projects} projects in {time.perf_counter() - start:.0f} s"
        )
    if url:
        # What autovacuum does a little after a bulk load; timed at once, the
        # planner would still guess from empty tables (a catalogue page took 30 ms, not 8).
        database.execute_sql("ANALYZE")
    print(f"{engine}: {Project.select().count()} projects, {load()}", flush=True)
    ok = _timings(engine, data_dir, url, args) if args.runs > 0 else True
    database.close()
    if args.users > 0 and args.seconds > 0:
        for workers in args.workers:
            for think in args.think:
                ok &= load_test(engine, data_dir, url, args, think, workers)
    return ok


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tokens_and_refs(users: int) -> tuple[list[str], list[str]]:
    """API tokens of ``users`` donor accounts (made once, reused), and the
    references of published CLEAR/GREEN projects every donor may see and pledge to."""
    from tmdesk.core import tokens as core_tokens
    from tmdesk.core.models import Organisation, Project, User

    donors = list(
        Organisation.select().where(Organisation.kind == "donor").order_by(Organisation.id)
    )
    tokens = []
    for i in range(users):
        email = f"load{i}@example.org"
        user = User.get_or_none(User.email == email) or User.create(
            email=email, organisation=donors[i % len(donors)], password_hash="-", name=email
        )
        tokens.append(core_tokens.create_token(None, user, "bench")[1])
    refs = [
        ref
        for (ref,) in Project.select(Project.ref)
        .where((Project.status == "published") & Project.tlp.in_(("CLEAR", "GREEN")))
        .limit(5000)
        .tuples()
    ]
    return tokens, refs


def _user_loop(
    port: int, token: str, refs: list[str], until: float, seed: int, out: dict, think: float
) -> None:
    """One user: requests until ``until``, one at a time, on one keep-alive connection,
    pausing a random time of mean ``think`` seconds after each answer (0: none)."""
    from tmdesk.core.vocab import CATEGORIES

    categories = list(CATEGORIES)
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.perf_counter() < until:
        pick = rng.random()
        body = None
        if pick < 0.4:
            method = "GET"
            status = rng.choice(STATUS_SETS)
            path = f"/api/v1/projects?category={rng.choice(categories)}&status={status}&per_page=50"
        elif pick < 0.8:
            method, path = "GET", f"/api/v1/projects/{rng.choice(refs)}"
        else:
            method, path = "POST", f"/api/v1/projects/{rng.choice(refs)}/pledges"
            body = json.dumps({"amount": str(rng.randrange(1, 900) * 100), "currency": "EUR"})
        start = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            code = response.status
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            code, data = 0, str(exc).encode()
        out["ms"].append((time.perf_counter() - start) * 1000)
        if method == "POST" and code == 201:
            out["acked"].append(json.loads(data)["id"])
        elif code != 200:
            out["errors"].append(f"{code} {method} {path}: {data[:120]!r}")
        if think > 0:
            time.sleep(min(rng.expovariate(1 / think), max(0.0, until - time.perf_counter())))
    conn.close()


def load_test(
    engine: str,
    data_dir: Path,
    url: str | None,
    args: argparse.Namespace,
    think: float,
    workers: int = 1,
) -> bool:
    """``args.users`` concurrent users against one ``tmdesk serve`` of ``workers``
    processes, each user pausing ``think`` seconds on average between requests;
    True if on target."""
    from peewee import fn

    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database
    from tmdesk.core.models import AuditEvent, Pledge

    open_database(data_dir, url=url)
    database.connect(reuse_if_open=True)
    tokens, refs = _tokens_and_refs(args.users)
    pledges_before = Pledge.select().count()
    database.close()
    env = dict(os.environ)
    env.pop("TMDESK_DATABASE_URL", None)
    if url:
        env["TMDESK_DATABASE_URL"] = url
    tmdesk = [sys.executable, "-m", "tmdesk"]
    # Several servers share one database only on PostgreSQL (each then has a data
    # folder of its own, as on separate machines); users are dealt out among them
    # as a reverse proxy would.
    count = max(1, args.servers) if url else 1
    ports = [_free_port() for _ in range(count)]
    servers = []
    for i, port in enumerate(ports):
        folder = data_dir if i == 0 else data_dir.with_name(f"{data_dir.name}-server{i + 1}")
        folder.mkdir(exist_ok=True)
        servers.append(
            subprocess.Popen(
                [
                    *tmdesk,
                    *("serve", "--data-dir", str(folder), "--port", str(port), "--no-browser"),
                    *("--workers", str(workers)),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        for port in ports:
            for _ in range(300):  # up to 30 s to start
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=1):
                        break
                except OSError:
                    time.sleep(0.1)
        out: dict[str, list] = {"ms": [], "acked": [], "errors": []}
        until = time.perf_counter() + args.seconds
        cpu_start = os.times()
        threads = [
            threading.Thread(
                target=_user_loop,
                args=(ports[i % count], token, refs, until, i, out, think),
            )
            for i, token in enumerate(tokens)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        cpu = os.times()
        pids = [server.pid for server in servers]
        server_cpu = sum(
            cpu_seconds(pid) for pid in pids + [c for p in pids for c in child_pids(p)]
        )
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
    verify = subprocess.run(
        [*tmdesk, "audit", "verify", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
    )
    open_database(data_dir, url=url)
    database.connect(reuse_if_open=True)
    forks = (
        AuditEvent.select(AuditEvent.prev_hash)
        .group_by(AuditEvent.prev_hash)
        .having(fn.COUNT(AuditEvent.id) > 1)
        .count()
    )
    # The API names a pledge by its uid (issue 12), so that is what was acknowledged.
    acked = out["acked"]
    stored = {p for (p,) in Pledge.select(Pledge.uid).where(Pledge.uid.in_(acked)).tuples()}
    lost = len(set(out["acked"]) - stored)
    added = Pledge.select().count() - pledges_before
    database.close()
    ms = sorted(out["ms"])
    pause = f"pausing {think:g} s on average" if think else "no pause (closed loop)"
    p50, p95 = statistics.median(ms), ms[round(0.95 * (len(ms) - 1))]
    print(
        f"{engine} {args.users} users {args.seconds} s, {count} server(s) of {workers} "
        f"process(es), {pause}: "
        f"{len(ms)} requests, "
        f"{len(out['errors'])} errors, p50 {p50:.0f} p95 {p95:.0f} max {ms[-1]:.0f} ms "
        f"(< {LOAD_P95_MS} {'ok' if p95 < LOAD_P95_MS else 'SLOW'}) | "
        f"{len(out['acked'])} pledges acknowledged, {added} stored, {lost} lost | "
        f"audit verify: {'ok' if verify.returncode == 0 else 'BROKEN'}, {forks} forks | "
        f"server cpu {server_cpu:.0f} s, load generator cpu {(cpu.user + cpu.system) - (cpu_start.user + cpu_start.system):.1f} s "
        f"| {load()}",
        flush=True,
    )
    for error in out["errors"][:5]:
        print(f"  {error}")
    if verify.returncode != 0:
        print(f"  {verify.stdout.strip()} {verify.stderr.strip()}")
    return (
        not out["errors"]
        and not forks
        and not lost
        and verify.returncode == 0
        and p95 < LOAD_P95_MS
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    engine_arguments(parser)
    parser.add_argument("--users", type=int, default=50, help="concurrent users (0: no load test)")
    parser.add_argument("--seconds", type=int, default=60, help="length of the load test")
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="tmdesk serve processes sharing the database in the load test (PostgreSQL only)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1, 2],
        help="processes of the one tmdesk serve (serve --workers), one load test per value "
        "(default: 1 and 2, this project's machines having two cores)",
    )
    parser.add_argument(
        "--think",
        type=float,
        nargs="+",
        default=[0.0, 1.0],
        help="mean pause in seconds after each answer, one load test per value: 0 is a "
        "closed loop (every user clicks again the instant a page arrives), 1 a person "
        "who glances at each answer (default: both)",
    )
    return on_each_engine(measure, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
