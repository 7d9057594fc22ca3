"""Generated data for the benchmarks that need a large desk (bench_iati, bench_reports).

One place for what those scripts share: opening a fresh data dir, creating
organisations and users, rows of published projects and pledges, bulk inserts
in chunks, and running the measured phase in a fresh process (so the peak
memory a benchmark prints is that phase's own). Each script still decides its
own mix (how many donors, currencies, statuses); the random draws happen in
the order each script makes them, so a seed gives the same data as before.
"""

from __future__ import annotations

import datetime as dt
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

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
PASSWORD = "benchmark password 1"
#: Every generated row is created and updated at this moment.
NOW = dt.datetime(2026, 6, 1, 12, 0, 0)
CHUNK = 500


def open_data_dir(data_dir: Path, *, fresh: bool = False) -> None:
    """Open (and connect to) the database in ``data_dir``; ``fresh`` also makes
    password hashing cheap, for a data dir about to be filled."""
    from tmdesk.core import accounts
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database

    if fresh:
        accounts.PASSWORD_METHOD = "pbkdf2:sha256:1000"
    open_database(data_dir)
    database.connect(reuse_if_open=True)


def organisation(code: str, kind: str, country: str, name_en: str, **more: str) -> Any:
    from tmdesk.core import accounts

    return accounts.create_organisation(
        None, {"code": code, "kind": kind, "country": country, "name_en": name_en, **more}
    )


def recipients(count: int, name_en: str, name_uk: str) -> list[Any]:
    """``count`` recipient organisations REC0, REC1, …; the names take ``{i}``."""
    return [
        organisation(f"REC{i}", "recipient", "UA", name_en.format(i=i), name_uk=name_uk.format(i=i))
        for i in range(count)
    ]


def user(email: str, org_code: str, **more: str) -> Any:
    from tmdesk.core import accounts

    return accounts.create_user(None, email, org_code, PASSWORD, **more)


def _pick(rng: random.Random, choice: str | Sequence[str]) -> str:
    """A fixed value, or a random one of a list (drawing only for a list)."""
    return choice if isinstance(choice, str) else rng.choice(choice)


def project_rows(
    rng: random.Random,
    count: int,
    recipient_ids: Sequence[int],
    author_id: int,
    *,
    titles: Callable[[int], tuple[str, str]],
    summary: tuple[str, str],
    ref_digits: int,
    statuses: Sequence[str],
    tlps: Sequence[str],
    oblast: str | Sequence[str] = "UA",
    priority: str | Sequence[str] = "high",
) -> list[dict[str, Any]]:
    """Rows of ``count`` submitted-and-published projects (``titles(i)``: en, uk)."""
    rows = []
    for i in range(count):
        start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
        en, uk = titles(i)
        rows.append(
            {
                "ref": f"TM-2026-{i + 1:0{ref_digits}d}",
                "title_en": en,
                "title_uk": uk,
                "summary_en": summary[0],
                "summary_uk": summary[1],
                "category": rng.choice(CATEGORIES),
                "recipient": rng.choice(recipient_ids),
                "oblast": _pick(rng, oblast),
                "budget_amount": Decimal(rng.randrange(40_000, 3_000_000)),
                "budget_currency": "EUR",
                "priority": _pick(rng, priority),
                "tlp": rng.choice(tlps),
                "status": rng.choice(statuses),
                "planned_start": start,
                "planned_end": start + dt.timedelta(days=rng.randrange(90, 900)),
                "created_by": author_id,
                "created_at": NOW,
                "updated_at": NOW,
                "submitted_at": NOW,
                "published_at": NOW,
            }
        )
    return rows


def insert_projects(rows: list[dict[str, Any]], member_id: int) -> list[int]:
    """Insert the project rows, make ``member_id`` a member of each; their ids."""
    from tmdesk.core.models import Project, ProjectMember

    insert(Project, rows)
    ids = [p.id for p in Project.select(Project.id)]
    ProjectMember.insert_many([{"project": i, "user": member_id} for i in ids]).execute()
    return ids


def pledge_row(
    project_id: int,
    donor_id: int,
    author_id: int,
    *,
    amount: Decimal,
    currency: str,
    status: str,
    date: dt.date,
) -> dict[str, Any]:
    return {
        "project": project_id,
        "donor": donor_id,
        "amount": amount,
        "currency": currency,
        "status": status,
        "date": date,
        "created_by": author_id,
        "created_at": NOW,
        "updated_at": NOW,
    }


def insert(model: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk insert in chunks (SQLite limits the variables of one statement)."""
    for start in range(0, len(rows), CHUNK):
        model.insert_many(rows[start : start + CHUNK]).execute()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def populate_and_run(
    script: str,
    phase: str,
    count: int,
    populate: Callable[[Path, int], None],
    *,
    keep: Callable[[Path], None] | None = None,
) -> int:
    """Fill a temporary data dir, then run ``script --phase PHASE`` on it in a
    fresh process; ``keep(data_dir)`` runs after a successful phase, before
    the data dir goes. Returns the phase's exit code."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        populate(data_dir, count)
        print(f"populated {count} projects in {time.perf_counter() - started:.1f} s")
        code = subprocess.call(
            [sys.executable, script, "--phase", phase, "--data-dir", str(data_dir)]
        )
        if keep is not None and code == 0:
            keep(data_dir)
        return code
