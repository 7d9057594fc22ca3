"""Nothing a user receives depends on records that user may not see (issue 12, item 1).

For a donor, a Back Office officer, a recipient and an observer: every figure
they get from search (results, order, scores), similar projects, offer matches
and the dashboard is taken; then records hidden from them are added, generated from a seed with the
same words as the visible ones (other organisations' drafts, published
TLP:RED and AMBER+STRICT projects, another donor's offers, updates on hidden
projects); then every figure is taken again and must be identical.

Before the fix, search scores were FTS5 bm25 over the whole index, so a hidden
project containing a word moved the score of every visible one that had it.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tmdesk.core import dashboard, matching, offers, pledges, search, similarity
from tmdesk.core.models import Offer, Project, Update
from tmdesk.core.visibility import visible_offers, visible_projects

WORDS_EN = ["SIEM", "training", "analysts", "Starlink", "monitoring", "firewall", "backup"]
WORDS_UK = ["навчання", "аналітиків", "зв'язок", "моніторинг", "резервного", "обладнання"]
QUERIES = [
    "siem",
    "training analysts",
    "навчанн",
    "зв’язок",
    "starlink monitoring firewall",
    "аналітиків навчання моніторинг резервного",
    "backup",
]


def _title(rng: random.Random, words: list[str], n: int = 3) -> str:
    return " ".join(rng.sample(words, n))


def _update(author, project, title: str, body: str) -> Update:
    """A progress update (written directly: posting one needs a funded project)."""
    return Update.create(
        project=project, author=author, date=dt.date(2026, 5, 1), title=title, body=body
    )


def _visible_world(desk) -> dict:
    rng = random.Random(1)
    donor, office = desk.user("donor"), desk.user("back_office")
    shown = []
    for i in range(6):
        shown.append(
            desk.published(
                title_en=_title(rng, WORDS_EN),
                title_uk=_title(rng, WORDS_UK),
                summary_en=f"{_title(rng, WORDS_EN, 4)} for {10 + i} sites.",
                summary_uk=_title(rng, WORDS_UK, 4),
                category="training" if i % 2 else "equipment",
                tlp="AMBER" if i == 5 else "GREEN",
                budget_amount=str(50000 + 10000 * i),
            )
        )
    waiting = desk.submitted(title_en="SIEM analysts training", summary_en="SIEM monitoring.")
    pledge = pledges.create_pledge(donor, shown[0], {"amount": "20000", "currency": "EUR"})
    pledges.transition_pledge(donor, pledge, "confirm")
    own_offers = [
        offers.create_offer(
            donor, {"category": "training", "description": "SIEM analysts training, 40 people"}
        ),
        offers.create_offer(
            donor,
            {"category": "equipment", "description": "Starlink terminals, резервного зв'язку"},
        ),
    ]
    for p in shown[:3]:
        _update(desk.user("recipient"), p, "SIEM training started", "навчання")
    return {"projects": [*shown, waiting], "offers": own_offers, "office": office}


def _add_hidden(desk, seed: int, for_officer: bool) -> None:
    """Records the observer may not see: all of them hidden from a donor; for an
    officer, the ones no officer sees unnamed (drafts, RED) and their updates."""
    rng = random.Random(seed)
    other = desk.user("recipient2")
    for _ in range(rng.randint(2, 5)):
        fields = {
            "title_en": _title(rng, WORDS_EN),
            "title_uk": _title(rng, WORDS_UK),
            "summary_en": _title(rng, WORDS_EN, 5),
            "summary_uk": _title(rng, WORDS_UK, 5),
            "category": rng.choice(["training", "equipment"]),
        }
        choice = rng.choice(["draft", "red"] if for_officer else ["draft", "red", "strict"])
        if choice == "draft":
            desk.draft("recipient2", **fields)
            continue
        project = desk.published(
            "recipient2", tlp="RED" if choice == "red" else "AMBER+STRICT", **fields
        )
        _update(other, project, _title(rng, WORDS_EN), fields["summary_uk"])
    if not for_officer:
        for _ in range(rng.randint(1, 3)):
            offers.create_offer(
                desk.user("donor2"),
                {"category": "training", "description": _title(rng, WORDS_EN + WORDS_UK, 5)},
            )


def _figures(user, world) -> dict:
    out: dict = {}
    for q in QUERIES:
        for kind in (None, *search.TYPES):
            out[("search", q, kind)] = [
                (r.type, r.key, r.score, r.snippet)
                for r in search.search(user, q, type=kind, limit=50)
            ]
    seen = {p.id for p in visible_projects(user, Project.select())}
    for p in world["projects"]:
        if p.id not in seen:
            continue
        p = Project.get_by_id(p.id)
        out[("similar", p.ref)] = [
            (c.ref, c.score, list(c.reasons))
            for c in similarity.similar_projects(user, p, min_score=0.0)
        ]
        out[("offers for", p.ref)] = [
            (m.offer.id, m.score, list(m.reasons))
            for m in matching.offers_for_project(user, p, min_score=0.0)
        ]
    for o in visible_offers(user, Offer.select()):
        out[("matches", o.id)] = [
            (m.ref, m.score, list(m.reasons)) for m in matching.matches_for_offer(user, o)
        ]
    board = dashboard.build(user)
    out["dashboard"] = (
        board.totals,
        board.gap_by_category,
        board.gap_by_priority,
        board.gap_by_oblast,
        board.gap_by_recipient,
        [(r.code, r.pledged, r.confirmed, r.disbursed) for r in board.by_donor],
        board.pipeline,
        board.review_count,
        [p.ref for p, _days in board.review_waiting],
        board.offers_unmatched_count,
        [(p.ref, c.ref, c.score) for p, c in board.duplicates],
    )
    return out


def _visible_ids(user) -> tuple[set, set, set]:
    projects = visible_projects(user, Project.select(Project.id))
    return (
        {p.id for p in projects},
        {o.id for o in visible_offers(user, Offer.select(Offer.id))},
        {u.id for u in Update.select(Update.id).where(Update.project.in_(projects))},
    )


@pytest.mark.parametrize("seed", [3, 11])
@pytest.mark.parametrize("observer", ["donor", "back_office", "recipient", "observer"])
def test_hidden_records_change_nothing_a_user_receives(desk, seed, observer):
    world = _visible_world(desk)
    user = desk.user(observer)
    before = _figures(user, world)
    assert before[("search", "siem", None)], "the visible world must give search results"
    assert any(before[k] for k in before if k[0] == "similar")
    seen = _visible_ids(user)
    count = Project.select().count()
    _add_hidden(desk, seed, for_officer=observer == "back_office")
    assert Project.select().count() > count
    assert _visible_ids(user) == seen, "the records added must be hidden from the observer"
    # ...and nothing the observer receives moved.
    after = _figures(user, world)
    for key in before:
        assert after[key] == before[key], key
