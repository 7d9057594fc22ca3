"""Sync benchmarks (issue #14): an office (``tmdesk serve``) holding 10,000
projects a donor may see, each with a pledge and an update, and a donor desk.

    python benchmarks/bench_sync.py [--projects 10000]

Prints, for real processes on this machine:

* the first sync of the donor desk (``tmdesk office link``, which links and
  pulls everything): seconds and the desk process's peak memory
  (targets ≤ 30 s, ≤ 300 MB);
* an incremental ``tmdesk sync`` carrying 100 changes made on the office
  (target ≤ 2 s, Python's start included).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _bigdata as big  # noqa: E402

DONOR = "officer@gb.example"


def populate(office_dir: Path, count: int) -> None:
    from tmdesk.core.models import Pledge, Update

    big.open_data_dir(office_dir, fresh=True)
    rng = random.Random(14)
    recs = big.recipients(10, "Recipient {i}", "Отримувач {i}")
    big.organisation("BACKOFFICE", "back_office", "PL", "Back Office")
    gb = big.organisation("GB", "donor", "GB", "United Kingdom")
    author = big.user("staff@rec0.example", "REC0")
    big.user(DONOR, "GB")
    rows = big.project_rows(
        rng,
        count + count // 10,
        [r.id for r in recs],
        author.id,
        titles=lambda i: (f"Project {i}", f"Проєкт {i}"),
        summary=("Strengthen the network.", "Посилити мережу."),
        ref_digits=5,
        statuses=["published", "in_implementation"],
        tlps=["CLEAR", "GREEN", "AMBER"] * 3 + ["AMBER+STRICT"],
    )
    ids = big.insert_projects(rows, author.id)
    big.insert(
        Pledge,
        [
            big.pledge_row(
                i,
                gb.id,
                author.id,
                amount=Decimal(rng.randrange(1000, 90000)),
                currency="EUR",
                status="confirmed",
                date=dt.date(2026, 3, 1),
            )
            for i in ids
        ],
    )
    big.insert(
        Update,
        [
            {
                "project": i,
                "author": author.id,
                "date": dt.date(2026, 4, 1),
                "title": "Equipment delivered",
                "body": "The first batch arrived and is being installed.",
                "created_at": big.NOW,
            }
            for i in ids
        ],
    )


CHANGES = """
from pathlib import Path
from tmdesk.core.bootstrap import open_database
from tmdesk.core import pledges
from tmdesk.core.models import Project, User
open_database(Path({office!r}))
user = User.get(User.email == {donor!r})
for p in Project.select().where(Project.tlp == "GREEN").limit(100):
    pledges.create_pledge(user, p, {{"amount": "500", "currency": "EUR"}})
"""


def run(args: list[str], env: dict, stdin: str = "") -> tuple[float, float]:
    """Run a tmdesk command; its seconds and (for the biggest child so far) peak MB."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tmdesk", *args],
        input=stdin,
        text=True,
        env=env,
        capture_output=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"tmdesk {' '.join(args)} failed:\n{done.stderr}")
    return seconds, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def key_of(data_dir: Path, env: dict) -> tuple[str, str]:
    out = subprocess.run(
        [sys.executable, "-m", "tmdesk", "--data-dir", str(data_dir), "keys", "show"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    lines = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
    return lines["Public key"].strip(), lines["Fingerprint"].strip()


def pin_both(office_dir: Path, desk_dir: Path, env: dict) -> None:
    """Pin the office's key on the desk and the desk's on the office, by fingerprint."""
    desk_key, desk_fp = key_of(desk_dir, env)
    office_key, office_fp = key_of(office_dir, env)
    run(
        [
            "--data-dir",
            str(office_dir),
            "keys",
            "trust",
            desk_key,
            "--fingerprint",
            desk_fp,
            "--desk-of",
            DONOR,
        ],
        env,
    )
    run(
        [
            "--data-dir",
            str(desk_dir),
            "keys",
            "trust",
            office_key,
            "--fingerprint",
            office_fp,
            "--office",
        ],
        env,
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=10_000)
    count = parser.parse_args().projects
    from tests.live_server import start_server

    env = {k: v for k, v in os.environ.items() if not k.startswith("TMDESK_")}
    with tempfile.TemporaryDirectory() as tmp:
        office_dir, desk_dir = Path(tmp) / "office", Path(tmp) / "desk"
        started = time.perf_counter()
        populate(office_dir, count)
        print(
            f"office filled: {count} visible projects (+10% AMBER+STRICT), a pledge "
            f"and an update each, in {time.perf_counter() - started:.1f} s"
        )
        server = start_server(office_dir, threads=4, env=env)
        try:
            seconds, peak = run(
                [
                    "--data-dir",
                    str(desk_dir),
                    "office",
                    "link",
                    server.url,
                    "--email",
                    DONOR,
                    "--password-stdin",
                ],
                env,
                stdin=big.PASSWORD + "\n",
            )
            print(
                f"first sync (link + full pull): {seconds:.1f} s, desk peak {peak:.0f} MB "
                f"(targets 30 s, 300 MB) {'OK' if seconds <= 30 and peak <= 300 else 'OVER'}"
            )
            subprocess.run(
                [sys.executable, "-c", CHANGES.format(office=str(office_dir), donor=DONOR)],
                check=True,
                env=env,
            )
            seconds, _ = run(["--data-dir", str(desk_dir), "sync"], env)
            print(
                f"incremental sync of 100 changes: {seconds:.2f} s (target 2 s) "
                f"{'OK' if seconds <= 2 else 'OVER'}"
            )
        finally:
            server.stop()
        files_office, files_desk = Path(tmp) / "office2", Path(tmp) / "desk2"
        populate(files_office, 1000)
        pin_both(files_office, files_desk, env)
        out = Path(tmp) / "to-desk.tmx"
        seconds, _ = run(
            [
                "--data-dir",
                str(files_office),
                "exchange",
                "export",
                "--for",
                DONOR,
                "--out",
                str(out),
            ],
            env,
        )
        print(
            f"export of a 1,000-project file: {seconds:.1f} s, {out.stat().st_size // 1024} KB "
            f"(target 10 s) {'OK' if seconds <= 10 else 'OVER'}"
        )
        seconds, _ = run(
            ["--data-dir", str(files_desk), "exchange", "import", str(out), "--email", DONOR], env
        )
        print(
            f"import of that file: {seconds:.1f} s (target 10 s) {'OK' if seconds <= 10 else 'OVER'}"
        )
    print(f"load: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
