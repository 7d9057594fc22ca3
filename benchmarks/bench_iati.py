"""Benchmark: the IATI export of 10,000 activities for one donor.

Run by hand: ``python benchmarks/bench_iati.py [--projects 10000]``.
It fills a temporary data dir with published projects, the donor's pledges
and their dated transactions (commitments and disbursements in tranches, about
four ``<transaction>`` elements per activity with the offered pledges' own),
with bulk inserts, then runs the export in a fresh process so the peak memory
printed is the export's own. Targets (issues #3 and #16): under 10 s and under
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
    from tmdesk.core.ids import new_uid
    from tmdesk.core.models import Pledge, Transaction

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
            for _ in range(rng.randrange(1, 4)):
                pledges.append(
                    big.pledge_row(
                        pid,
                        donor_org.id,
                        author.id,
                        amount=Decimal(rng.randrange(10_000, 500_000)),
                        currency="GBP",
                        status=rng.choice(
                            ["offered", "confirmed", "partly_disbursed", "disbursed"]
                        ),
                        date=dt.date(2025, 3, 1),
                    )
                )
        big.insert(Pledge, pledges)
        # Each committed pledge: one commitment, then disbursements in tranches over
        # two years (a partly disbursed one has one of three paid).
        tranches = {"confirmed": 0, "partly_disbursed": 1, "disbursed": 3}
        rows = []
        for pledge_id, amount, status in (
            Pledge.select(Pledge.id, Pledge.amount, Pledge.status)
            .where(Pledge.status != "offered")
            .tuples()
        ):
            third = (amount / 3).quantize(Decimal("0.01"))
            paid = [third, third, amount - 2 * third][: tranches[status]]
            steps = [("commitment", amount, dt.date(2025, 3, 1))] + [
                ("disbursement", part, dt.date(2025, 6, 1) + dt.timedelta(days=200 * i))
                for i, part in enumerate(paid)
            ]
            for kind, value, day in steps:
                rows.append(
                    {
                        "uid": new_uid(),
                        "pledge": pledge_id,
                        "kind": kind,
                        "amount": value,
                        "currency": "GBP",
                        "value_date": day,
                        "reference": f"PAY-{pledge_id}",
                        "created_by": author.id,
                        "created_at": big.NOW,
                        "updated_at": big.NOW,
                    }
                )
        big.insert(Transaction, rows)
    database.close()


def export(data_dir: Path, out: Path) -> None:
    from lxml import etree

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
    elements = sum(1 for _event, _el in etree.iterparse(str(out), tag="transaction"))
    print(
        f"activities: {len(context.projects)}, <transaction> elements: {elements} "
        f"({elements / max(len(context.projects), 1):.1f} per activity)"
    )
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
