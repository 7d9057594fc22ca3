"""Candidates: which visible projects to compare a project with, and the ranked answer.

Read-only: nothing here writes.
"""

from __future__ import annotations

from decimal import Decimal

import peewee as pw

from tmdesk.core import search, textnorm
from tmdesk.core.funding import exchange_rates
from tmdesk.core.glossary import GLOSSARY
from tmdesk.core.models import Project, ProjectLink, User
from tmdesk.core.similarity.scoring import (
    ALARM_THRESHOLD,
    MIN_SCORE,
    Candidate,
    compare,
    could_reach,
)
from tmdesk.core.similarity.text import (
    Vectors,
    _text_of,
    features,
    pool_idf,
    project_text,
    text_similarity,
    vectors,
)
from tmdesk.core.visibility import visible_projects

#: Statuses that are no longer effort anyone could duplicate.
INACTIVE = ("withdrawn", "rejected")


# --- candidates and the answer ------------------------------------------------


def _candidate_groups(p: Project) -> list[list[list[str]]]:
    """Word groups a duplicate would share: any two of the project's leading terms.

    Per language, the first title stems (summary stems when there is no
    title); and, for the other
    language, the glossary's word beginnings of the title's concepts. Asking
    for pairs instead of single words keeps the index from ranking thousands
    of projects that share one common word.
    """
    members: list[list[list[str]]] = []
    for title, summary in ((p.title_en, p.summary_en), (p.title_uk, p.summary_uk)):
        terms: list[str] = []
        for text, cap in ((title, 4), (summary, 0 if title else 4)):
            if not cap:
                continue
            found = 0
            for w in textnorm.content_words(text or ""):
                if len(w) < 3 or w.isdigit():
                    continue
                s = textnorm.stem(w)
                if s not in terms:
                    terms.append(s)
                    found += 1
                if found >= cap:
                    break
        groups_lang = [[t] for t in terms]
        members.append(groups_lang)
    concepts: list[list[str]] = []
    for f in features(" ".join(filter(None, (p.title_en, p.title_uk)))):
        if f.startswith("~"):
            alts = sorted(
                {textnorm.fold(x) for x in GLOSSARY[f[1:]] if " " not in x and len(x) >= 3}
            )
            if alts and alts not in concepts:
                concepts.append(alts)
    groups: list[list[list[str]]] = []
    for member_list in (*members, concepts[:3]):
        for i in range(len(member_list)):
            for j in range(i + 1, len(member_list)):
                groups.append([member_list[i], member_list[j]])
    return groups


def decided_ids(project: Project) -> set[int]:
    """Projects already decided about together with ``project`` (never raised again)."""
    rows = (
        ProjectLink.select(ProjectLink.project_a, ProjectLink.project_b)
        .where((ProjectLink.project_a == project.id) | (ProjectLink.project_b == project.id))
        .tuples()
    )
    return {b if a == project.id else a for a, b in rows}


def candidate_pool(user: User | None, project: Project) -> pw.ModelSelect:
    """The projects ``user`` may compare ``project`` with (recipients: their own only)."""
    query = visible_projects(user, Project.select()).where(
        (Project.id != project.id) & Project.status.not_in(INACTIVE)
    )
    if user is not None and user.organisation.kind == "recipient":
        query = query.where(Project.recipient == user.organisation_id)
    return query


def similar_projects(
    user: User | None,
    project: Project,
    limit: int = 10,
    min_score: float = MIN_SCORE,
    include_decided: bool = False,
    pool: pw.ModelSelect | None = None,
    use_index: bool = True,
) -> list[Candidate]:
    """Likely duplicates and overlaps of ``project`` that ``user`` may see, best first.

    The caller has checked that ``user`` may see ``project`` itself. ``pool``
    replaces the projects compared with (it must already be narrowed to
    what may be shown). Without ``use_index`` only the same recipient's
    projects in the same category are compared (a quick check).
    """
    if pool is None:
        if user is None:
            return []
        pool = candidate_pool(user, project)
    ids: dict[int, float] = {}
    if use_index:
        groups = _candidate_groups(project)
        if groups:
            for pid, _score in search.rank_any("project", pool, groups, limit=80):
                ids.setdefault(pid, 0.0)
    same = (
        pool.where(
            (Project.recipient == project.recipient_id) & (Project.category == project.category)
        )
        .order_by(Project.id.desc())
        .limit(40)
    )
    for (pid,) in same.select(Project.id).tuples():
        ids.setdefault(pid, 0.0)
    if not include_decided:
        for pid in decided_ids(project):
            ids.pop(pid, None)
    if not ids:
        return []
    others = list(Project.select().where(Project.id.in_(list(ids))))
    return _scored(project, others, exchange_rates(), limit, min_score)


def _scored(
    project: Project, others: list[Project], rates: dict[str, Decimal], limit: int, min_score: float
) -> list[Candidate]:
    """``others`` compared with ``project`` (IDF over them and the project), best first."""
    texts = {p.id: project_text(p) for p in others}
    mine = project_text(project)
    idf = pool_idf([mine, *texts.values()])
    va = vectors(mine, idf)
    found = [
        compare(project, p, mine, texts[p.id], idf, rates, va, vectors(texts[p.id], idf))
        for p in others
    ]
    found = [c for c in found if c.score >= min_score]
    found.sort(key=lambda c: (-c.score, c.project.id))
    return found[:limit]


#: How many of the same recipient's latest projects in the category the quick check compares.
QUICK_POOL = 40


def quick_duplicates(
    user: User | None, projects: list[Project], limit: int = 3, min_score: float = ALARM_THRESHOLD
) -> list[tuple[Project, Candidate]]:
    """Likely duplicates of each of ``projects`` among the same recipient's latest projects
    in the same category, undecided: the answer of ``similar_projects(user, p,
    use_index=False)`` for every ``p``, in four queries for all of them.

    The caller has checked that ``user`` may see ``projects``.
    """
    if user is None or not projects:
        return []
    pairs = {(p.recipient_id, p.category) for p in projects}
    latest: dict[tuple[int, str], list[int]] = {}
    for recipient, category in sorted(pairs):
        if user.organisation.kind == "recipient" and recipient != user.organisation_id:
            continue
        # Each pair's latest projects only (one more than the pool: a project is
        # not its own candidate), read in index order and stopped there.
        pool = (
            visible_projects(user, Project.select(Project.id))
            .where(
                (Project.recipient == recipient)
                & (Project.category == category)
                & Project.status.not_in(INACTIVE)
            )
            .order_by(Project.id.desc())
            .limit(QUICK_POOL + 1)
        )
        latest[(recipient, category)] = [pid for (pid,) in pool.tuples()]
    ids = {p.id for p in projects}
    decided: dict[int, set[int]] = {i: set() for i in ids}
    for a, b in (
        ProjectLink.select(ProjectLink.project_a, ProjectLink.project_b)
        .where(ProjectLink.project_a.in_(list(ids)) | ProjectLink.project_b.in_(list(ids)))
        .tuples()
    ):
        for mine, other in ((a, b), (b, a)):
            if mine in decided:
                decided[mine].add(other)
    wanted: dict[int, list[int]] = {}
    for p in projects:
        mates = [i for i in latest.get((p.recipient_id, p.category), []) if i != p.id]
        wanted[p.id] = [i for i in mates[:QUICK_POOL] if i not in decided[p.id]]
    every = {i for v in wanted.values() for i in v}
    if not every:
        return []
    # Text first, from the texts alone: only a candidate whose text similarity could
    # still lift it to ``min_score`` is loaded whole and compared on everything else.
    texts = {
        pid: _text_of(te or "", tu or "", se or "", su or "")
        for pid, te, tu, se, su in Project.select(
            Project.id, Project.title_en, Project.title_uk, Project.summary_en, Project.summary_uk
        )
        .where(Project.id.in_(list(every)))
        .tuples()
    }
    kept: dict[int, tuple[dict[str, float], Vectors, list[tuple[int, Vectors]]]] = {}
    for p in projects:
        mine = project_text(p)
        idf = pool_idf([mine, *(texts[i] for i in wanted[p.id])])
        va = vectors(mine, idf)
        close = []
        for i in wanted[p.id]:
            vb = vectors(texts[i], idf)
            if could_reach(text_similarity(mine, texts[i], idf, va, vb), min_score):
                close.append((i, vb))
        kept[p.id] = (idf, va, close)
    survivors = {i for _idf, _va, close in kept.values() for i, _vb in close}
    loaded = (
        {o.id: o for o in Project.select().where(Project.id.in_(list(survivors)))}
        if survivors
        else {}
    )
    rates = exchange_rates()
    out: list[tuple[Project, Candidate]] = []
    for p in projects:
        idf, va, close = kept[p.id]
        mine = project_text(p)
        found = [compare(p, loaded[i], mine, texts[i], idf, rates, va, vb) for i, vb in close]
        found = [c for c in found if c.score >= min_score]
        found.sort(key=lambda c: (-c.score, c.project.id))
        out.extend((p, c) for c in found[:limit])
    return out
