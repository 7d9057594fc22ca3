"""Measure duplicate-effort detection against the labelled pairs in tests/data/.

    python scripts/eval_duplicates.py [--data tests/data/duplicate_pairs.json] [--verbose]

Loads every labelled project (published, visible to an officer) into a
throw-away data dir, then reports:

* recall@3: share of duplicate pairs whose duplicate is among the top 3
  candidates of the other project (target: at least 90%);
* the false-alarm rate: share of hard non-duplicates scored at or above the
  alarm threshold (target: at most 10%);
* precision at the alarm threshold over all labelled pairs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "tests" / "data" / "duplicate_pairs.json"


def load(data: dict) -> tuple[object, dict[str, object]]:
    """Create organisations, an officer and the labelled projects; return (officer, projects)."""
    from tmdesk.core.db import database
    from tmdesk.core.models import Organisation, Project, User

    with database.atomic():
        office = Organisation.create(
            code="TMPO", kind="project_office", country="UA", name_en="Project Office"
        )
        officer = User.create(
            email="officer@example.org", organisation=office, password_hash="-", name="Officer"
        )
        orgs: dict[str, Organisation] = {}
        for spec in data["projects"].values():
            code = spec["recipient"]
            if code not in orgs:
                orgs[code] = Organisation.create(
                    code=code, kind="recipient", country="UA", name_en=code
                )
        now = dt.datetime(2026, 1, 1)
        created: dict[str, Project] = {}
        for n, (key, spec) in enumerate(sorted(data["projects"].items()), 1):
            created[key] = Project.create(
                ref=f"TM-2026-{n:04d}",
                title_en=spec["title_en"],
                title_uk=spec["title_uk"],
                summary_en=spec["summary_en"],
                summary_uk=spec["summary_uk"],
                category=spec["category"],
                recipient=orgs[spec["recipient"]],
                oblast=spec["oblast"],
                budget_amount=Decimal(spec["budget_amount"]),
                budget_currency=spec["budget_currency"],
                priority="medium",
                tlp="GREEN",
                status="published",
                published_at=now,
                submitted_at=now,
                created_by=officer,
                planned_start=dt.date.fromisoformat(spec["planned_start"]),
                planned_end=dt.date.fromisoformat(spec["planned_end"]),
            )
    return officer, created


def evaluate(data: dict, verbose: bool = False) -> dict[str, float]:
    """Run the measurement in the open database (which must be empty)."""
    from tmdesk.core import similarity

    officer, projects = load(data)
    dup_total = dup_hits = 0
    hard_total = hard_alarms = 0
    alarms_true = alarms_all = 0
    misses: list[str] = []
    for pair in data["pairs"]:
        a, b = projects[pair["a"]], projects[pair["b"]]
        found = similarity.similar_projects(officer, a, limit=50, min_score=0.0)
        ranked = [c.project.id for c in found]
        score = next((c.score for c in found if c.project.id == b.id), 0.0)
        alarm = score >= similarity.ALARM_THRESHOLD
        if pair["label"] == "duplicate":
            dup_total += 1
            hit = b.id in ranked[:3]
            dup_hits += hit
            alarms_true += alarm
            if not hit:
                misses.append(
                    f"miss {pair['a']}→{pair['b']} ({pair['kind']}): "
                    f"rank {ranked.index(b.id) + 1 if b.id in ranked else '-'}, "
                    f"score {score}"
                )
        else:
            hard_total += 1
            hard_alarms += alarm
            if alarm:
                misses.append(f"false alarm {pair['a']}→{pair['b']}: score {score}")
        alarms_all += alarm
    result = {
        "duplicate_pairs": dup_total,
        "hard_non_duplicate_pairs": hard_total,
        "recall_at_3": dup_hits / dup_total if dup_total else 0.0,
        "false_alarm_rate": hard_alarms / hard_total if hard_total else 0.0,
        "precision_at_threshold": alarms_true / alarms_all if alarms_all else 1.0,
        "recall_at_threshold": alarms_true / dup_total if dup_total else 0.0,
        "threshold": similarity.ALARM_THRESHOLD,
    }
    if verbose:
        for line in misses:
            print(line)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tmdesk.core.bootstrap import open_database
    from tmdesk.core.db import database

    data = json.loads(Path(args.data).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        open_database(Path(tmp))
        database.connect(reuse_if_open=True)
        result = evaluate(data, verbose=args.verbose)
        database.close()
    print(
        f"labelled pairs: {result['duplicate_pairs']} duplicates, "
        f"{result['hard_non_duplicate_pairs']} hard non-duplicates"
    )
    print(f"true duplicate in the top 3: {result['recall_at_3']:.1%} (target ≥ 90%)")
    print(
        f"hard non-duplicates above the alarm threshold {result['threshold']}: "
        f"{result['false_alarm_rate']:.1%} (target ≤ 10%)"
    )
    print(
        f"at the alarm threshold: precision {result['precision_at_threshold']:.1%}, "
        f"recall {result['recall_at_threshold']:.1%}"
    )
    ok = result["recall_at_3"] >= 0.9 and result["false_alarm_rate"] <= 0.1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
