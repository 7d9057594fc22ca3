"""Text features of a project: words to stems and glossary concepts, TF-IDF, cosine.

Read-only and database-free: :mod:`.scoring` and :mod:`.candidates` build on it,
and :mod:`tmdesk.core.matching` compares offers with needs by the same measure.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from tmdesk.core import textnorm
from tmdesk.core.glossary import concept_of
from tmdesk.core.models import Project


class Reason(str):
    """A reason in words: the English text, with ``message`` and ``params`` for translation."""

    message: str
    params: dict[str, Any]

    def __new__(cls, message: str, **params: Any) -> Reason:
        english = {k: f"{v:,}" if isinstance(v, Decimal) else v for k, v in params.items()}
        obj = super().__new__(cls, message % english if params else message)
        obj.message = message
        obj.params = params
        return obj


# --- text features -----------------------------------------------------------


@lru_cache(maxsize=200_000)
def feature(word: str) -> str:
    """A word's feature: its glossary concept (``~train``), else its stem.

    Cached: the same words come back in every project's text.
    """
    concept = concept_of(word)
    return "~" + concept if concept is not None else textnorm.stem(word)


def features(text: str) -> list[str]:
    return [feature(w) for w in textnorm.content_words(text)]


@dataclass(frozen=True)
class ProjectText:
    """A project's features per language (title words count twice)."""

    en: Counter
    uk: Counter
    both: Counter
    #: The log-scaled term frequencies (1 + ln count) of en, uk and both, computed once.
    tf: tuple[dict[str, float], ...] = ()


def _log_tf(bag: Counter) -> dict[str, float]:
    return {f: 1 + math.log(c) for f, c in bag.items()}


@lru_cache(maxsize=100_000)
def _text_of(title_en: str, title_uk: str, summary_en: str, summary_uk: str) -> ProjectText:
    bags = []
    for title, summary in ((title_en, summary_en), (title_uk, summary_uk)):
        bag = Counter(features(title or ""))
        bags.append(bag + bag + Counter(features(summary or "")))
    both = bags[0] + bags[1]
    return ProjectText(bags[0], bags[1], both, (_log_tf(bags[0]), _log_tf(bags[1]), _log_tf(both)))


def project_text(p: Project) -> ProjectText:
    """The project's features (cached by content, so repeated comparisons are cheap)."""
    return _text_of(p.title_en or "", p.title_uk or "", p.summary_en or "", p.summary_uk or "")


def _cosine(a: Counter, b: Counter, idf: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    return _cosine_w(_weighted(a, idf), _weighted(b, idf))


def _weighted(bag: Counter, idf: dict[str, float]) -> tuple[dict[str, float], float]:
    """``bag``'s TF-IDF weights (log-scaled counts) and their Euclidean norm."""
    return _weighted_tf(_log_tf(bag), idf)


def _weighted_tf(tf: dict[str, float], idf: dict[str, float]) -> tuple[dict[str, float], float]:
    get = idf.get
    w = {f: t * get(f, 1.0) for f, t in tf.items()}
    return w, math.sqrt(sum(v * v for v in w.values()))


def _cosine_w(a: tuple[dict[str, float], float], b: tuple[dict[str, float], float]) -> float:
    (wa, na), (wb, nb) = a, b
    if not na or not nb:
        return 0.0
    if len(wa) > len(wb):
        wa, wb = wb, wa
    dot = sum(v * wb[f] for f, v in wa.items() if f in wb)
    return dot / (na * nb) if dot else 0.0


#: A project's weighted features per language (en, uk, both) under one IDF.
Vectors = tuple[tuple[dict[str, float], float], ...]


def vectors(t: ProjectText, idf: dict[str, float]) -> Vectors:
    """``t`` weighted by ``idf``: comparing one project with many computes each
    side's weights and norms once instead of once per pair."""
    return tuple(_weighted_tf(tf, idf) for tf in t.tf)


def text_similarity(
    a: ProjectText,
    b: ProjectText,
    idf: dict[str, float],
    va: Vectors | None = None,
    vb: Vectors | None = None,
) -> float:
    """The best of: English with English, Ukrainian with Ukrainian, everything with everything.

    ``va`` / ``vb``: the two texts' :func:`vectors` under ``idf``, when the caller has them.
    """
    va = va or vectors(a, idf)
    vb = vb or vectors(b, idf)
    return max(_cosine_w(va[0], vb[0]), _cosine_w(va[1], vb[1]), _cosine_w(va[2], vb[2]))


def pool_idf(texts: list[ProjectText]) -> dict[str, float]:
    """Inverse document frequencies over a pool of projects (the candidates and the project)."""
    df: Counter = Counter()
    for t in texts:
        df.update(set(t.both))
    n = len(texts)
    return {f: math.log((n + 1) / (d + 0.5)) + 1.0 for f, d in df.items()}
