"""Benchmark: the list pages on the demo data, per role.

Run by hand: ``python benchmarks/bench_pages.py``. Loads the demo data into a
temporary data dir, logs in as each demo user through the Flask test client
and prints the median and p95 time of each list page (issue #2 asks for
"well under 100 ms" on the demo data).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

PAGES = [
    "/",
    "/catalogue",
    "/catalogue?per_page=100",
    "/catalogue?funding=unfunded",
    "/review",
    "/pledges",
    "/offers",
    "/dashboard",
    "/search?q=SOC",
    "/admin/audit",
]
USERS = [
    "admin@tmpo.demo",
    "officer@backoffice.demo",
    "recipient@ssscip.demo",
    "donor@gb.demo",
    "observer@eu.demo",
    "company@bereh.demo",
]
RUNS = 15


def main() -> int:
    from tmdesk import demo
    from tmdesk.core.bootstrap import open_database
    from tmdesk.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        open_database(data_dir)
        summary = demo.load_demo()
        app = create_app(data_dir, {"WTF_CSRF_ENABLED": False})
        print(f"{'user':28} {'page':32} {'median':>8} {'p95':>8}")
        for email in USERS:
            client = app.test_client()
            client.post("/login", data={"email": email, "password": summary.password})
            for page in PAGES:
                if client.get(page).status_code != 200:
                    continue  # not this role's page
                samples = []
                for _ in range(RUNS):
                    started = time.perf_counter()
                    client.get(page)
                    samples.append(time.perf_counter() - started)
                samples.sort()
                print(
                    f"{email:28} {page:32} {statistics.median(samples) * 1000:7.1f}ms "
                    f"{samples[int(RUNS * 0.95) - 1] * 1000:7.1f}ms"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
