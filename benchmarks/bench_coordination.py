"""Benchmark search, similar projects, offer matches and the dashboard at scale.

    python benchmarks/bench_coordination.py [--projects 50000] [--offers 5000] [--runs 40]

Creates a throw-away data dir, bulk-inserts the projects, pledges and
offers (triggers dropped during the load, then the search index rebuilt and
the triggers put back, as :func:`tmdesk.core.search.rebuild_search` is meant
to be used), and prints the median and 95th percentile of each operation as
a Project Office officer sees it (the widest view) and search as a donor.

Targets (issue 4): search < 50 ms, similar < 200 ms, matches < 200 ms,
dashboard < 300 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# (English, Ukrainian) building blocks of generated projects.
ACTIONS = [
    ("Training of", "Навчання"), ("Deployment of", "Розгортання"),
    ("Security assessment of", "Оцінка безпеки"), ("Monitoring of", "Моніторинг"),
    ("Upgrade of", "Модернізація"), ("Incident response for", "Реагування на інциденти для"),
    ("Equipment for", "Обладнання для"), ("Backup connectivity for", "Резервний зв'язок для"),
    ("Audit of", "Аудит"), ("Protection of", "Захист"),
]
OBJECTS = [
    ("SOC analysts", "аналітиків SOC"), ("SIEM platform", "платформи SIEM"),
    ("firewalls", "міжмережевих екранів"), ("EDR licences", "ліцензій EDR"),
    ("Starlink terminals", "терміналів Starlink"), ("data centre", "центру обробки даних"),
    ("registry servers", "серверів реєстрів"), ("email gateway", "поштового шлюзу"),
    ("network switches", "мережевих комутаторів"), ("backup storage", "системи резервного копіювання"),
    ("IT administrators", "ІТ-адміністраторів"), ("civil servants", "державних службовців"),
    ("OT networks", "технологічних мереж"), ("web portals", "вебпорталів"),
    ("generators", "генераторів"), ("forensic laboratory", "криміналістичної лабораторії"),
]
SECTORS = [
    ("in energy", "в енергетиці"), ("for hospitals", "для лікарень"),
    ("for railways", "для залізниці"), ("for water utilities", "для водоканалів"),
    ("for local government", "для місцевого самоврядування"), ("for the tax service", "для податкової служби"),
    ("for elections", "для виборів"), ("for banks", "для банків"), ("for telecoms", "для операторів зв'язку"),
    ("for defence", "для оборони"), ("for courts", "для судів"), ("for schools", "для шкіл"),
]
CATEGORIES = ["assessment", "training", "detection", "incident-response", "equipment",
              "connectivity", "information-sharing", "governance"]
OBLASTS = ["UA", "UA-63", "UA-46", "UA-51", "UA-30", "UA-32", "UA-12", "UA-23", "UA-65"]
STATUSES = (["published"] * 60 + ["in_implementation"] * 15 + ["submitted"] * 5
            + ["delivered"] * 8 + ["closed"] * 4 + ["draft"] * 5 + ["returned"] * 3)
TLPS = ["CLEAR"] * 2 + ["GREEN"] * 4 + ["AMBER"] * 3 + ["AMBER+STRICT"]
QUERIES = ["навчання", "навчанн аналітиків", "SIEM", "firewall", "Starlink terminals",
           "резервного копіювання", "hospitals", "обладнання для лікарень", "EDR",
           "data centre", "зв'язок", "audit railways", "generators", "податкової",
           "forensic", "монітор", "civil servants", "energy", "вебпорталів", "courts"]


def generate(n_projects: int, n_offers: int, seed: int = 4) -> None:
    from tmdesk.core import search, sqlite_search
    from tmdesk.core.db import database
    from tmdesk.core.models import Offer, Organisation, Pledge, Project, User

    rng = random.Random(seed)
    db = database.obj
    sqlite_search.drop_triggers(db)
    with database.atomic():
        office = Organisation.create(code="TMPO", kind="project_office", country="UA",
                                     name_en="Project Office")
        officer = User.create(email="officer@example.org", organisation=office,
                              password_hash="-", name="Officer")
        recipients = [Organisation.create(code=f"R{i:02d}", kind="recipient", country="UA",
                                          name_en=f"Recipient {i}") for i in range(40)]
        donors = [Organisation.create(code=f"D{i:02d}", kind="donor", country="EE",
                                      name_en=f"Donor {i}") for i in range(13)]
        donor_user = User.create(email="donor@example.org", organisation=donors[0],
                                 password_hash="-", name="Donor")
        now = dt.datetime(2026, 6, 1)
        rows = []
        for n in range(1, n_projects + 1):
            a, o, s = rng.choice(ACTIONS), rng.choice(OBJECTS), rng.choice(SECTORS)
            status = rng.choice(STATUSES)
            start = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 700))
            published = status not in ("draft", "returned", "submitted")
            rows.append({
                "ref": f"TM-2026-{n:05d}",
                "title_en": f"{a[0]} {o[0]} {s[0]}",
                "title_uk": f"{a[1]} {o[1]} {s[1]}",
                "summary_en": f"{a[0]} {o[0]} {s[0]} in {rng.randrange(2, 60)} sites; "
                              f"{rng.randrange(5, 500)} people benefit.",
                "summary_uk": f"{a[1]} {o[1]} {s[1]}: {rng.randrange(2, 60)} об'єктів.",
                "category": rng.choice(CATEGORIES),
                "recipient": rng.choice(recipients).id,
                "oblast": rng.choice(OBLASTS),
                "budget_amount": rng.randrange(10, 2000) * 1000 * 100,  # cents
                "budget_currency": rng.choice(["EUR", "EUR", "USD", "GBP"]),
                "priority": rng.choice(["critical", "high", "medium", "medium", "low"]),
                "tlp": rng.choice(TLPS), "status": status,
                "planned_start": start, "planned_end": start + dt.timedelta(days=180),
                "created_by": officer.id, "created_at": now, "updated_at": now,
                "submitted_at": now - dt.timedelta(days=rng.randrange(0, 60))
                if status != "draft" else None,
                "published_at": now if published else None,
            })
        for start in range(0, len(rows), 2000):
            Project.insert_many(rows[start:start + 2000]).execute()
        pledge_rows = []
        for pid in rng.sample(range(1, n_projects + 1), n_projects // 2):
            pledge_rows.append({
                "project": pid, "donor": rng.choice(donors).id,
                "amount": rng.randrange(5, 800) * 1000 * 100, "currency": "EUR",
                "status": rng.choice(["offered", "confirmed", "confirmed", "disbursed"]),
                "date": now.date(), "created_by": officer.id, "created_at": now,
                "updated_at": now, "in_kind": "", "note": "",
            })
        for start in range(0, len(pledge_rows), 2000):
            Pledge.insert_many(pledge_rows[start:start + 2000]).execute()
        offer_rows = []
        for _ in range(n_offers):
            o, s = rng.choice(OBJECTS), rng.choice(SECTORS)
            offer_rows.append({
                "organisation": rng.choice(donors).id, "category": rng.choice(CATEGORIES),
                "description": f"{rng.randrange(5, 300)} {o[0]} {s[0]}",
                "quantity": rng.randrange(5, 300), "status": "open",
                "created_by": officer.id, "created_at": now, "updated_at": now,
            })
        for start in range(0, len(offer_rows), 2000):
            Offer.insert_many(offer_rows[start:start + 2000]).execute()
    search.rebuild_search(db)  # refills the index and puts the triggers back
    db.execute_sql("ANALYZE")
    return officer, donor_user


def timed(fn, args_list) -> list[float]:
    out = []
    for args in args_list:
        start = time.perf_counter()
        fn(*args)
        out.append((time.perf_counter() - start) * 1000)
    return out


def report(name: str, ms: list[float], target: float) -> bool:
    ms = sorted(ms)
    median = statistics.median(ms)
    p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
    ok = p95 < target
    print(f"{name:<34} median {median:7.1f} ms   p95 {p95:7.1f} ms   target < {target:.0f} ms"
          f"   {'ok' if ok else 'SLOW'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=50_000)
    parser.add_argument("--offers", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)

    from tmdesk.core import dashboard, matching, search, similarity
    from tmdesk.core.db import database, open_database
    from tmdesk.core.models import Offer, Project, User

    with tempfile.TemporaryDirectory() as tmp:
        open_database(Path(tmp))
        database.connect(reuse_if_open=True)
        start = time.perf_counter()
        generate(args.projects, args.offers)
        print(f"generated {args.projects} projects and {args.offers} offers "
              f"in {time.perf_counter() - start:.1f} s")
        officer = User.get(User.email == "officer@example.org")
        donor = User.get(User.email == "donor@example.org")
        rng = random.Random(7)
        queries = [(officer, QUERIES[i % len(QUERIES)]) for i in range(args.runs)]
        donor_queries = [(donor, QUERIES[i % len(QUERIES)]) for i in range(args.runs)]
        ids = [p.id for p in Project.select(Project.id).where(
            Project.status.in_(("published", "submitted", "in_implementation")))]
        projects = [(officer, Project.get_by_id(i)) for i in rng.sample(ids, args.runs)]
        offer_ids = [o.id for o in Offer.select(Offer.id)]
        offers = [(officer, Offer.get_by_id(i)) for i in rng.sample(offer_ids, args.runs)]
        # Warm the caches once, as a running desk would be.
        search.search(officer, "warm")
        similarity.similar_projects(*projects[0])
        ok = True
        ok &= report("search (officer)", timed(lambda u, q: search.search(u, q), queries), 50)
        ok &= report("search (donor)", timed(lambda u, q: search.search(u, q), donor_queries),
                     50)
        ok &= report("similar projects (one project)",
                     timed(lambda u, p: similarity.similar_projects(u, p), projects), 200)
        ok &= report("offer matches (one offer)",
                     timed(lambda u, o: matching.matches_for_offer(u, o), offers), 200)
        ok &= report("open offers for one project",
                     timed(lambda u, p: matching.offers_for_project(u, p), projects), 200)
        runs = max(10, args.runs // 2)
        ok &= report("dashboard (officer, full)",
                     timed(lambda u: dashboard.build(u), [(officer,)] * runs), 300)
        ok &= report("dashboard (donor, reduced)",
                     timed(lambda u: dashboard.build(u), [(donor,)] * runs), 300)
        database.close()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
