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
  target ≤ 150 ms;
- search for an officer — target ≤ 30 ms.

The machine is shared: read the CPU columns beside the wall-clock ones.
Without ``--pg-url`` only SQLite is measured; without ``--sqlite-dir`` a
throw-away directory is used.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_coordination import QUERIES, generate, load, report, timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CATALOGUE_MS = 10
DASHBOARD_MS = 150
SEARCH_MS = 30
#: The catalogue pages asked for: each category with one or two statuses.
STATUS_SETS = ["published", "published,in_implementation", "delivered"]


def _median_report(name: str, times: tuple[list[float], list[float]], target: float) -> bool:
    """Like ``report`` but judged on the median (the issue's target for the API page)."""
    report(name, times, target)
    return statistics.median(times[0]) <= target


def measure(engine: str, data_dir: Path, url: str | None, args: argparse.Namespace) -> bool:
    from tmdesk.core import accounts, dashboard, search
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database
    from tmdesk.core.models import Project, User
    from tmdesk.core.vocab import CATEGORIES
    from tmdesk.web import create_app

    open_database(data_dir, url=url)
    database.connect(reuse_if_open=True)
    if not Project.select().exists():
        start = time.perf_counter()
        generate(args.projects, args.offers)
        print(
            f"{engine}: generated {args.projects} projects in {time.perf_counter() - start:.0f} s"
        )
    print(f"{engine}: {Project.select().count()} projects, {load()}", flush=True)
    app = create_app(data_dir, {"TESTING": True, "TMDESK_DATABASE_URL": url})
    client = app.test_client()
    pages = list(itertools.product(CATEGORIES, STATUS_SETS))
    ok = True
    for email in ("officer@example.org", "donor@example.org"):
        user = User.get(User.email == email)
        who = email.split("@")[0]
        _, token = accounts.create_token(None, user, "bench")
        headers = {"Authorization": f"Bearer {token}"}

        def page(category: str, status: str, headers=headers) -> None:
            response = client.get(
                f"/api/v1/projects?category={category}&status={status}&per_page=50",
                headers=headers,
            )
            assert response.status_code == 200, response.get_data(as_text=True)[:300]

        page(*pages[0])  # warm: caches, as on a running desk
        calls = [pages[i % len(pages)] for i in range(args.runs)]
        ok &= _median_report(f"{engine} API page ({who})", timed(page, calls), CATALOGUE_MS)
        dashboard.build(user)
        ok &= report(
            f"{engine} dashboard ({who})",
            timed(dashboard.build, [(user,)] * max(5, args.runs // 4)),
            DASHBOARD_MS,
        )
        if who == "officer":
            calls = [(user, QUERIES[i % len(QUERIES)]) for i in range(args.runs)]
            ok &= report(f"{engine} search ({who})", timed(search.search, calls), SEARCH_MS)
    database.close()
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--sqlite-dir", type=Path, default=None, help="keep the SQLite data here")
    parser.add_argument("--pg-url", default=None, help="an empty (or earlier) PostgreSQL database")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_dir = args.sqlite_dir or Path(tmp) / "sqlite"
        sqlite_dir.mkdir(parents=True, exist_ok=True)
        ok = measure("sqlite", sqlite_dir, None, args)
        if args.pg_url:
            pg_dir = Path(tmp) / "pg"
            pg_dir.mkdir()
            ok &= measure("postgresql", pg_dir, args.pg_url, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
