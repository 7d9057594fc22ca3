"""Benchmark: the briefing pack (PDF) for 1,000 projects.

Run by hand: ``python benchmarks/bench_reports.py [--projects 1000]``.
It fills a temporary data dir with published projects, pledges from eleven
donors, updates, contacts and implementers (bulk inserts), then builds the
report context and renders the pack in a fresh process, so the peak memory
printed is the report's own. Target (issue #3): under 15 s on the 2-core
reference machine. The IATI half is benchmarks/bench_iati.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import subprocess
import time
from decimal import Decimal
from pathlib import Path

import _bigdata as big

DONORS = [
    ("CA", "Canada", "Канада"),
    ("DK", "Denmark", "Данія"),
    ("EE", "Estonia", "Естонія"),
    ("FR", "France", "Франція"),
    ("DE", "Germany", "Німеччина"),
    ("IT", "Italy", "Італія"),
    ("NL", "Netherlands", "Нідерланди"),
    ("PL", "Poland", "Польща"),
    ("SE", "Sweden", "Швеція"),
    ("GB", "United Kingdom", "Велика Британія"),
    ("US", "United States", "Сполучені Штати"),
]
TITLES = [
    (
        "SOC analyst training for regional administrations",
        "Навчання аналітиків SOC для обласних адміністрацій",
    ),
    (
        "Endpoint detection licences for critical infrastructure",
        "Ліцензії EDR для об'єктів критичної інфраструктури",
    ),
    ("Starlink terminals for emergency connectivity", "Термінали Starlink для резервного зв'язку"),
    ("Mobile data centre", "Мобільний центр обробки даних"),
    (
        "Penetration testing of government registries",
        "Тестування на проникнення державних реєстрів",
    ),
]


def populate(data_dir: Path, count: int) -> None:
    from tmdesk.core.db import database
    from tmdesk.core.models import Engagement, Pledge, Update

    big.open_data_dir(data_dir, fresh=True)
    rng = random.Random(11)
    donors = [big.organisation(code, "donor", code, en, name_uk=uk) for code, en, uk in DONORS]
    recipients = big.recipients(12, "Recipient ministry {i}", "Міністерство-отримувач {i}")
    company = big.organisation("CYBERCO", "company", "UA", "CyberCo LLC")
    big.organisation(
        "TMPO", "project_office", "UA", "TM Project Office", name_uk="Проєктний офіс ТМ"
    )
    big.user("officer@bench.example", "TMPO", name="Olena Officer")
    author = big.user("rec@bench.example", "REC0", name="Андрій Коваленко")
    now = big.NOW
    with database.atomic():
        rows = big.project_rows(
            rng,
            count,
            [r.id for r in recipients],
            author.id,
            titles=lambda i: tuple(f"{text} ({i + 1})" for text in TITLES[i % len(TITLES)]),
            summary=(
                "Security operations centre equipment and analyst training "
                "for the recipient's regional offices. " * 4,
                "Обладнання центру кібербезпеки та навчання аналітиків "
                "для регіональних підрозділів отримувача. " * 4,
            ),
            ref_digits=4,
            statuses=["published", "published", "in_implementation", "delivered"],
            tlps=["CLEAR", "GREEN", "GREEN", "AMBER"],
            oblast=["UA", "UA-30", "UA-46", "UA-63", "UA-51"],
            priority=["critical", "high", "medium", "low"],
        )
        ids = big.insert_projects(rows, author.id)
        pledges, updates, engagements = [], [], []
        for pid in ids:
            for donor in rng.sample(donors, rng.randrange(0, 4)):
                pledges.append(
                    big.pledge_row(
                        pid,
                        donor.id,
                        author.id,
                        amount=Decimal(rng.randrange(10_000, 900_000)),
                        currency="EUR",
                        status=rng.choice(["offered", "confirmed", "disbursed"]),
                        date=dt.date(2026, 3, 1) + dt.timedelta(days=rng.randrange(90)),
                    )
                )
            if rng.random() < 0.6:
                updates.append(
                    {
                        "project": pid,
                        "author": author.id,
                        "date": dt.date(2026, 5, 1) + dt.timedelta(days=rng.randrange(30)),
                        "title": "Етап завершено: обладнання встановлено",
                        "body": "Обладнання доставлено й встановлено; навчання персоналу "
                        "триває за планом. " * 3,
                        "progress": rng.randrange(0, 101),
                        "created_at": now,
                    }
                )
            if rng.random() < 0.3:
                engagements.append(
                    {
                        "project": pid,
                        "company": company.id,
                        "role": "Implementation and training",
                        "created_by": author.id,
                        "created_at": now,
                    }
                )
        for table, data in ((Pledge, pledges), (Update, updates), (Engagement, engagements)):
            big.insert(table, data)
    database.close()


def render(data_dir: Path, out: Path) -> None:
    from tmdesk.core.models import User
    from tmdesk.core.reporting import build_context
    from tmdesk.plugins.builtin import briefing_pack

    big.open_data_dir(data_dir)
    user = User.get(User.email == "officer@bench.example")
    started, cpu = time.perf_counter(), time.process_time()
    context = build_context(user, locale="uk")
    built = time.perf_counter()
    with out.open("wb") as fh:
        briefing_pack.render(context, fh, {})
    done = time.perf_counter()
    peak_mb = big.peak_rss_mb()
    print(f"projects: {len(context.projects)}, pledges: {sum(1 for _ in context.pledges())}")
    print(
        f"context: {built - started:.2f} s, render: {done - built:.2f} s, "
        f"total: {done - started:.2f} s (CPU {time.process_time() - cpu:.2f} s)"
    )
    print(f"peak RSS of the report process: {peak_mb:.0f} MB")
    pages = ""
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True).stdout
        pages = next(
            (line.split(":")[1].strip() for line in info.splitlines() if line.startswith("Pages:")),
            "",
        )
    print(f"file: {out.stat().st_size / 1e6:.1f} MB, {pages} pages")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--projects", type=int, default=1_000)
    parser.add_argument("--phase", choices=["all", "render"], default="all")
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--keep", type=Path, help="copy the PDF here")
    args = parser.parse_args()
    if args.phase == "render":
        render(args.data_dir, args.data_dir / "briefing-pack.pdf")
        return 0

    def keep(data_dir: Path) -> None:
        if args.keep:
            shutil.copy(data_dir / "briefing-pack.pdf", args.keep)

    return big.populate_and_run(__file__, "render", args.projects, populate, keep=keep)


if __name__ == "__main__":
    raise SystemExit(main())
