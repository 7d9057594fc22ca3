"""Benchmark: the IATI export of 10,000 activities for one donor.

Run by hand: ``python benchmarks/bench_iati.py [--projects 10000]``.
It fills a temporary data dir with published projects and the donor's
pledges (bulk inserts), then runs the export in a fresh process so the peak
memory printed is the export's own. Targets (issue #3): under 10 s and under
300 MB peak on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from decimal import Decimal
from pathlib import Path

import _bigdata as big


def populate(data_dir: Path, count: int) -> None:
    from tmdesk.core.db import database
    from tmdesk.core.models import Pledge

    big.open_data_dir(data_dir, fresh=True)
    rng = random.Random(7)
    donor_org = big.organisation("GB", "donor", "GB", "United Kingdom", iati_id="GB-GOV-1")
    recipients = big.recipients(20, "Recipient {i}", "Отримувач {i}")
    big.user("donor@bench.example", "GB")
    author = big.user("rec@bench.example", "REC0")
    with database.atomic():
        rows = big.project_rows(
            rng,
            count,
            [r.id for r in recipients],
            author.id,
            titles=lambda i: (f"Cyber resilience project {i}", f"Проєкт кіберстійкості {i}"),
            summary=(
                "Security operations centre equipment and analyst training. " * 3,
                "Обладнання центру кібербезпеки та навчання аналітиків. " * 3,
            ),
            ref_digits=5,
            statuses=["published", "in_implementation", "delivered"],
            tlps=["CLEAR", "GREEN"],
        )
        ids = big.insert_projects(rows, author.id)
        pledges = []
        for pid in ids:
            for _ in range(rng.randrange(1, 3)):
                pledges.append(
                    big.pledge_row(
                        pid,
                        donor_org.id,
                        author.id,
                        amount=Decimal(rng.randrange(10_000, 500_000)),
                        currency="GBP",
                        status=rng.choice(["offered", "confirmed", "disbursed"]),
                        date=dt.date(2026, 3, 1),
                    )
                )
        big.insert(Pledge, pledges)
    database.close()


def export(data_dir: Path, out: Path) -> None:
    from tmdesk.core.catalogue import CatalogueFilters
    from tmdesk.core.models import User
    from tmdesk.core.reporting import build_context
    from tmdesk.plugins.builtin import iati

    big.open_data_dir(data_dir)
    user = User.get(User.email == "donor@bench.example")
    started = time.perf_counter()
    context = build_context(user, CatalogueFilters(donor="GB"))
    built = time.perf_counter()
    with out.open("wb") as fh:
        iati.render(context, fh, {"max_tlp": "GREEN"})
    done = time.perf_counter()
    peak_mb = big.peak_rss_mb()
    print(f"activities: {len(context.projects)}")
    print(
        f"context: {built - started:.2f} s, render: {done - built:.2f} s, "
        f"total: {done - started:.2f} s"
    )
    print(f"peak RSS of the export process: {peak_mb:.0f} MB")
    print(f"file: {out.stat().st_size / 1e6:.1f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--phase", choices=["all", "export"], default="all")
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()
    if args.phase == "export":
        export(args.data_dir, args.data_dir / "iati.xml")
        return 0
    return big.populate_and_run(__file__, "export", args.projects, populate)


if __name__ == "__main__":
    raise SystemExit(main())
