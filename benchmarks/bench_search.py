"""Benchmark the search box at office scale on SQLite and on PostgreSQL, side by side.

    python benchmarks/bench_search.py [--projects 100000] [--runs 40]
                                      [--sqlite-dir DIR] [--pg-url postgresql://…]

Fills each database with the generated projects and offers of
``bench_coordination.py`` (once: a database that already holds projects is
reused), then prints the median and 95th percentile of ``search.search`` for a
Project Office officer and a donor over the same queries (Ukrainian and
English, prefixes, apostrophes), wall-clock and CPU time, with the load
average. Target (issue 13): search ≤ 30 ms at 100,000 projects. Without
``--pg-url`` only SQLite is measured; without ``--sqlite-dir`` a throw-away
directory is used.
"""

from __future__ import annotations

import argparse
import sys
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

TARGET_MS = 30


def measure(engine: str, data_dir: Path, url: str | None, args: argparse.Namespace) -> bool:
    from tmdesk.core import search
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database
    from tmdesk.core.models import Project, User

    open_database(data_dir, url=url)
    database.connect(reuse_if_open=True)
    if not Project.select().exists():
        start = time.perf_counter()
        generate(args.projects, args.offers)
        print(
            f"{engine}: generated {args.projects} projects in {time.perf_counter() - start:.0f} s"
        )
    print(f"{engine}: {Project.select().count()} projects, {load()}", flush=True)
    ok = True
    for email in ("officer@example.org", "donor@example.org"):
        user = User.get(User.email == email)
        search.search(user, "warm")  # caches, as on a running desk
        calls = [(user, QUERIES[i % len(QUERIES)]) for i in range(args.runs)]
        name = f"{engine} search ({email.split('@')[0]})"
        ok &= report(name, timed(lambda u, q: search.search(u, q), calls), TARGET_MS)
    database.close()
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    engine_arguments(parser)
    return on_each_engine(measure, parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
