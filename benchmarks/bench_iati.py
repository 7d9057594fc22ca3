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
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

CATEGORIES = [
    "assessment",
    "training",
    "detection",
    "incident-response",
    "equipment",
    "connectivity",
    "information-sharing",
    "governance",
]


def populate(data_dir: Path, count: int) -> None:
    from tmdesk.core import accounts
    from tmdesk.core.db import database, open_database
    from tmdesk.core.models import Pledge, Project, ProjectMember

    accounts.PASSWORD_METHOD = "pbkdf2:sha256:1000"
    open_database(data_dir)
    database.connect(reuse_if_open=True)
    rng = random.Random(7)
    donor_org = accounts.create_organisation(
        None,
        {
            "code": "GB",
            "kind": "donor",
            "country": "GB",
            "name_en": "United Kingdom",
            "iati_id": "GB-GOV-1",
        },
    )
    recipients = [
        accounts.create_organisation(
            None,
            {
                "code": f"REC{i}",
                "kind": "recipient",
                "country": "UA",
                "name_en": f"Recipient {i}",
                "name_uk": f"Отримувач {i}",
            },
        )
        for i in range(20)
    ]
    accounts.create_user(None, "donor@bench.example", "GB", "benchmark password 1")
    author = accounts.create_user(None, "rec@bench.example", "REC0", "benchmark password 1")
    now = dt.datetime(2026, 6, 1, 12, 0, 0)
    with database.atomic():
        rows = []
        for i in range(count):
            start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
            rows.append(
                {
                    "ref": f"TM-2026-{i + 1:05d}",
                    "title_en": f"Cyber resilience project {i}",
                    "title_uk": f"Проєкт кіберстійкості {i}",
                    "summary_en": "Security operations centre equipment and analyst training. " * 3,
                    "summary_uk": "Обладнання центру кібербезпеки та навчання аналітиків. " * 3,
                    "category": rng.choice(CATEGORIES),
                    "recipient": rng.choice(recipients).id,
                    "oblast": "UA",
                    "budget_amount": Decimal(rng.randrange(40_000, 3_000_000)),
                    "budget_currency": "EUR",
                    "priority": "high",
                    "tlp": rng.choice(["CLEAR", "GREEN"]),
                    "status": rng.choice(["published", "in_implementation", "delivered"]),
                    "planned_start": start,
                    "planned_end": start + dt.timedelta(days=rng.randrange(90, 900)),
                    "created_by": author.id,
                    "created_at": now,
                    "updated_at": now,
                    "submitted_at": now,
                    "published_at": now,
                }
            )
        for start in range(0, len(rows), 500):
            Project.insert_many(rows[start : start + 500]).execute()
        ids = [p.id for p in Project.select(Project.id)]
        ProjectMember.insert_many([{"project": i, "user": author.id} for i in ids]).execute()
        pledges = []
        for pid in ids:
            for _ in range(rng.randrange(1, 3)):
                pledges.append(
                    {
                        "project": pid,
                        "donor": donor_org.id,
                        "amount": Decimal(rng.randrange(10_000, 500_000)),
                        "currency": "GBP",
                        "status": rng.choice(["offered", "confirmed", "disbursed"]),
                        "date": dt.date(2026, 3, 1),
                        "created_by": author.id,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
        for start in range(0, len(pledges), 500):
            Pledge.insert_many(pledges[start : start + 500]).execute()
    database.close()


def export(data_dir: Path, out: Path) -> None:
    from tmdesk.core.catalogue import CatalogueFilters
    from tmdesk.core.db import database, open_database
    from tmdesk.core.models import User
    from tmdesk.core.reporting import build_context
    from tmdesk.plugins.builtin import iati

    open_database(data_dir)
    database.connect(reuse_if_open=True)
    user = User.get(User.email == "donor@bench.example")
    started = time.perf_counter()
    context = build_context(user, CatalogueFilters(donor="GB"))
    built = time.perf_counter()
    with out.open("wb") as fh:
        iati.render(context, fh, {"max_tlp": "GREEN"})
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        populate(data_dir, args.projects)
        print(f"populated {args.projects} projects in {time.perf_counter() - started:.1f} s")
        return subprocess.call(
            [sys.executable, __file__, "--phase", "export", "--data-dir", str(data_dir)]
        )


if __name__ == "__main__":
    raise SystemExit(main())
