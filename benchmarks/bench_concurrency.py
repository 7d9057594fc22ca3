"""Benchmark: 20 concurrent writers for a minute against ``tmdesk serve``.

Run by hand: ``python benchmarks/bench_concurrency.py [--writers 20] [--seconds 60]``.
Prints throughput, latency percentiles and every failure by kind; the promise
(issue #5) is no "database is locked" reaching a user and nothing lost.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

from tmdesk.core.db import DATABASE_FILENAME

# The live-server harness is a test helper (tests/live_server.py), not part of the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.live_server import (  # noqa: E402
    concurrent_writers,
    make_writer_accounts,
    start_server,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        tokens = make_writer_accounts(data_dir, args.writers)
        server = start_server(data_dir, threads=args.threads)
        try:
            load = concurrent_writers(server.url, tokens, args.seconds)
        finally:
            server.stop()
        con = sqlite3.connect(str(data_dir / DATABASE_FILENAME))
        stored = {row[0] for row in con.execute("SELECT ref FROM project")}
        con.close()
    lost = set(load.acknowledged) - stored
    lat = sorted(load.latencies)
    print(f"writers: {args.writers}, seconds: {args.seconds:g}, server threads: {args.threads}")
    print(
        f"acknowledged writes: {len(load.acknowledged)} "
        f"({len(load.acknowledged) / args.seconds:.1f}/s)"
    )
    if lat:
        print(
            f"latency median {statistics.median(lat) * 1000:.0f} ms, "
            f"p95 {lat[int(len(lat) * 0.95) - 1] * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms"
        )
    print(f"failures: {load.failures or 'none'}")
    print(f"lost acknowledged writes: {len(lost)}")
    return 1 if (lost or load.failures) else 0


if __name__ == "__main__":
    raise SystemExit(main())
