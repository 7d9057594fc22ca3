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
import resource
import shutil
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
    from tmdesk.core import accounts
    from tmdesk.core.db import database, open_database
    from tmdesk.core.models import (
        Engagement,
        Pledge,
        Project,
        ProjectMember,
        Update,
    )

    accounts.PASSWORD_METHOD = "pbkdf2:sha256:1000"
    open_database(data_dir)
    database.connect(reuse_if_open=True)
    rng = random.Random(11)
    donors = [
        accounts.create_organisation(
            None, {"code": code, "kind": "donor", "country": code, "name_en": en, "name_uk": uk}
        )
        for code, en, uk in DONORS
    ]
    recipients = [
        accounts.create_organisation(
            None,
            {
                "code": f"REC{i}",
                "kind": "recipient",
                "country": "UA",
                "name_en": f"Recipient ministry {i}",
                "name_uk": f"Міністерство-отримувач {i}",
            },
        )
        for i in range(12)
    ]
    company = accounts.create_organisation(
        None, {"code": "CYBERCO", "kind": "company", "country": "UA", "name_en": "CyberCo LLC"}
    )
    accounts.create_organisation(
        None,
        {
            "code": "TMPO",
            "kind": "project_office",
            "country": "UA",
            "name_en": "TM Project Office",
            "name_uk": "Проєктний офіс ТМ",
        },
    )
    accounts.create_user(
        None, "officer@bench.example", "TMPO", "benchmark password 1", name="Olena Officer"
    )
    author = accounts.create_user(
        None, "rec@bench.example", "REC0", "benchmark password 1", name="Андрій Коваленко"
    )
    now = dt.datetime(2026, 6, 1, 12, 0, 0)
    with database.atomic():
        rows = []
        for i in range(count):
            start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
            en, uk = TITLES[i % len(TITLES)]
            rows.append(
                {
                    "ref": f"TM-2026-{i + 1:04d}",
                    "title_en": f"{en} ({i + 1})",
                    "title_uk": f"{uk} ({i + 1})",
                    "summary_en": "Security operations centre equipment and analyst training "
                    "for the recipient's regional offices. " * 4,
                    "summary_uk": "Обладнання центру кібербезпеки та навчання аналітиків "
                    "для регіональних підрозділів отримувача. " * 4,
                    "category": rng.choice(CATEGORIES),
                    "recipient": rng.choice(recipients).id,
                    "oblast": rng.choice(["UA", "UA-30", "UA-46", "UA-63", "UA-51"]),
                    "budget_amount": Decimal(rng.randrange(40_000, 3_000_000)),
                    "budget_currency": "EUR",
                    "priority": rng.choice(["critical", "high", "medium", "low"]),
                    "tlp": rng.choice(["CLEAR", "GREEN", "GREEN", "AMBER"]),
                    "status": rng.choice(
                        ["published", "published", "in_implementation", "delivered"]
                    ),
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
        pledges, updates, engagements = [], [], []
        for pid in ids:
            for donor in rng.sample(donors, rng.randrange(0, 4)):
                pledges.append(
                    {
                        "project": pid,
                        "donor": donor.id,
                        "amount": Decimal(rng.randrange(10_000, 900_000)),
                        "currency": "EUR",
                        "status": rng.choice(["offered", "confirmed", "disbursed"]),
                        "date": dt.date(2026, 3, 1) + dt.timedelta(days=rng.randrange(90)),
                        "created_by": author.id,
                        "created_at": now,
                        "updated_at": now,
                    }
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
            for start in range(0, len(data), 500):
                table.insert_many(data[start : start + 500]).execute()
    database.close()


def render(data_dir: Path, out: Path) -> None:
    from tmdesk.core.db import database, open_database
    from tmdesk.core.models import User
    from tmdesk.core.reporting import build_context
    from tmdesk.plugins.builtin import briefing_pack

    open_database(data_dir)
    database.connect(reuse_if_open=True)
    user = User.get(User.email == "officer@bench.example")
    started, cpu = time.perf_counter(), time.process_time()
    context = build_context(user, locale="uk")
    built = time.perf_counter()
    with out.open("wb") as fh:
        briefing_pack.render(context, fh, {})
    done = time.perf_counter()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
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
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        populate(data_dir, args.projects)
        print(f"populated {args.projects} projects in {time.perf_counter() - started:.1f} s")
        code = subprocess.call(
            [sys.executable, __file__, "--phase", "render", "--data-dir", str(data_dir)]
        )
        if args.keep and code == 0:
            shutil.copy(data_dir / "briefing-pack.pdf", args.keep)
        return code


if __name__ == "__main__":
    raise SystemExit(main())
