"""Duplicate-effort detection: likely duplicates and overlaps of a project, and decisions.

For one project, :func:`similar_projects` lists the projects the user may
see that look like the same need (the recipient sees only its own
organisation's), each with a score from 0 to 1 and the reasons in words.

How it works, in two steps so it stays fast on tens of thousands of projects:

1. *Candidates*: the search index finds visible projects sharing the
   project's words (and, through a small bilingual glossary, their
   translations), ranked by how many pairs of them each has (no corpus
   statistics: see :mod:`tmdesk.core.search`), plus the latest projects with
   the same recipient and category.
2. *Scoring*: each candidate is compared with the project: text similarity
   (TF-IDF cosine of word stems and glossary concepts, per language and
   across both, the best of them), same recipient, same category, same
   oblast, overlapping dates and similar budget.

An officer's decision about a pair (duplicate, related, not a duplicate) is
kept in :class:`~tmdesk.core.models.ProjectLink`; a decided pair is not
raised again. Marking a duplicate closes the less advanced project of the
two (rejects or withdraws it with a comment naming the other), records
``duplicate_of``, moves its offered pledges to the kept project and flags
the others with a note. A duplicate decision whose comment would name a
project some readers of the closed one may not see is refused, and a pledge
moves only onto a project its donor can see (:mod:`tmdesk.core.audience`).

The package by job: :mod:`.text` (text features, TF-IDF), :mod:`.scoring` (one
pair), :mod:`.candidates` (what to compare, the ranked answer) are read-only;
:mod:`.decisions` holds the writes. Callers import from here.
"""

from tmdesk.core.glossary import GLOSSARY
from tmdesk.core.similarity.candidates import (
    INACTIVE,
    QUICK_POOL,
    candidate_pool,
    decided_ids,
    quick_duplicates,
    similar_projects,
)
from tmdesk.core.similarity.decisions import (
    LINK_KINDS,
    DuplicateConsequence,
    decisions_for,
    duplicate_consequence,
    link_for,
    may_see_duplicates,
    record_decision,
    remove_decision,
    undo_duplicate,
    undoable_duplicate,
    which_to_close,
)
from tmdesk.core.similarity.scoring import (
    ALARM_THRESHOLD,
    MIN_SCORE,
    WEIGHTS,
    Candidate,
    compare,
    could_reach,
    pair_score,
)
from tmdesk.core.similarity.text import (
    ProjectText,
    Reason,
    Vectors,
    _cosine_w,
    _weighted,
    feature,
    features,
    pool_idf,
    project_text,
    text_similarity,
    vectors,
)

__all__ = [
    "ALARM_THRESHOLD",
    "GLOSSARY",
    "INACTIVE",
    "LINK_KINDS",
    "MIN_SCORE",
    "QUICK_POOL",
    "WEIGHTS",
    "Candidate",
    "ProjectText",
    "Reason",
    "Vectors",
    "_cosine_w",
    "_weighted",
    "candidate_pool",
    "compare",
    "could_reach",
    "decided_ids",
    "decisions_for",
    "feature",
    "features",
    "link_for",
    "may_see_duplicates",
    "pair_score",
    "pool_idf",
    "project_text",
    "quick_duplicates",
    "record_decision",
    "DuplicateConsequence",
    "duplicate_consequence",
    "undo_duplicate",
    "undoable_duplicate",
    "remove_decision",
    "similar_projects",
    "text_similarity",
    "vectors",
    "which_to_close",
]
