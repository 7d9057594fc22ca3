"""Ukrainian and English text normalisation for search and overlap detection.

What "the same word" means here:

* case is folded (Cyrillic included: ``ЇЖАК`` = ``їжак``);
* the apostrophe variants ``'`` ``ʼ`` ``’`` ``‘`` and the backtick are
  dropped, so ``об'єкт``, ``обʼєкт`` and ``об’єкт`` are one word (``обєкт``);
  the SQLite index applies the same rule in its triggers (see
  :data:`APOSTROPHES` and :mod:`tmdesk.core.sqlite_search`);
* Ukrainian letters і ї є ґ stay distinct from Russian и ы э г: nothing is
  transliterated or folded across alphabets;
* word forms meet through a light suffix stripper (:func:`stem`) and, in the
  search index, prefix matching: ``навчанн`` finds ``навчання`` and
  ``навчанням``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Union

#: Apostrophe variants used in Ukrainian spelling (and English), all dropped.
APOSTROPHES = ("'", "\u02bc", "\u2019", "\u2018", "`")

_APOS_RE = re.compile("[" + re.escape("".join(APOSTROPHES)) + "]")
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


def _listed(text: str) -> list[str]:
    return text.split()


#: Words too common to say anything about a need (both languages).
STOPWORDS = frozenset(
    _listed("""
a an and are as at be by for from has have in into is it its of on or our the their this
to with will within all per via new other such these those which who we us also more than
up over under including include includes based
і й та а але в у на до з із зі за для по від про як що це цей ця ці також щодо через при
їх його її без між під над або чи які який яка яке де усіх всіх усі всі буде бути має
""")
)

# Ukrainian endings, longest first; English ones after.
_UK_SUFFIXES = tuple(
    sorted(
        set(
            _listed("""
ання ання ення ування ювання ами ями ові еві ого ому ими іми ими ій ий ої ою ею ею ах ях ів їв
ам ям ом ем им ім их іх ує ують ити ати ять ить ють уть ний на не ні ну ного ному ним них
ість ості ості а я і ї у ю е о и є
""")
        ),
        key=len,
        reverse=True,
    )
)
_EN_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "es", "ed", "s")
_CYRILLIC_RE = re.compile("[\u0400-\u04ff]")


def fold(text: str) -> str:
    """NFC, case-folded, apostrophes dropped: the form both index and queries use."""
    text = unicodedata.normalize("NFC", text or "")
    return _APOS_RE.sub("", text).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text`` (letters and digits), in order."""
    return _WORD_RE.findall(fold(text))


def is_cyrillic(word: str) -> bool:
    return bool(_CYRILLIC_RE.search(word))


def stem(word: str) -> str:
    """A light stem: the word with one common ending removed, never shorter than 4 letters.

    Deliberately crude (no dictionary): it only has to make ``навчання``,
    ``навчанням`` and ``навчанні`` meet, and ``analysts`` meet ``analyst``.
    """
    if len(word) <= 4 or word.isdigit():
        return word
    suffixes = _UK_SUFFIXES if is_cyrillic(word) else _EN_SUFFIXES
    for suffix in suffixes:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """Folded words without stopwords and one-letter words."""
    return [w for w in words(text) if len(w) > 1 and w not in STOPWORDS]


def stems(text: str) -> list[str]:
    """Stems of the content words of ``text``."""
    return [stem(w) for w in content_words(text)]


def query_terms(query: str, max_terms: int = 12) -> list[str]:
    """The prefixes a search query looks for: stems of its words, de-duplicated, in order.

    Stopwords are kept when the query has nothing else (a search for "for"
    still searches).
    """
    found = content_words(query) or [w for w in words(query) if w]
    seen: list[str] = []
    for w in found:
        s = stem(w)
        if s not in seen:
            seen.append(s)
    return seen[:max_terms]


# --- the same folding written out for a database (PostgreSQL's index) -----------------

#: Scripts whose letters the PostgreSQL index folds and keeps as word characters:
#: Basic Latin, Latin-1 and Latin Extended-A/B, Greek, Cyrillic and its supplement.
_INDEXED_RANGES = ((0x30, 0x24F), (0x370, 0x3FF), (0x400, 0x52F))
_LETTER_RE = re.compile(r"[^\W_]")


def _strip_latin_diacritics(ch: str) -> str:
    """``é`` → ``e``, as SQLite's ``unicode61 remove_diacritics 2`` tokenizer does for
    Latin letters (Cyrillic й ї ё keep theirs there too, so they keep them here)."""
    if ord(ch) >= 0x250:
        return ch
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() and base.isalpha() else ch


def index_fold_table() -> tuple[str, str, str]:
    """``(from, to, word_chars)`` for SQL: ``translate(text, from, to)`` folds case
    (:func:`fold`'s ``casefold``, where it maps one letter to one letter) and Latin
    diacritics, and drops the :data:`APOSTROPHES` (they are the tail of ``from``,
    longer than ``to``); ``word_chars`` lists the letters and digits (as ranges for a
    regular expression bracket) that make words. Generated from Python's own Unicode
    tables, so the database's locale plays no part.
    """
    src, dst, word = [], [], []
    for lo, hi in _INDEXED_RANGES:
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if not _LETTER_RE.fullmatch(ch):
                continue
            folded = ch.casefold()
            target = _strip_latin_diacritics(folded) if len(folded) == 1 else ch
            if target != ch:
                src.append(ch)
                dst.append(target)
            word.append(cp)
    ranges: list[str] = []
    start = prev = word[0]
    for cp in [*word[1:], -1]:
        if cp != prev + 1:
            ranges.append(chr(start) if start == prev else f"{chr(start)}-{chr(prev)}")
            start = cp
        prev = cp
    return "".join(src) + "".join(APOSTROPHES), "".join(dst), "".join(ranges)


def index_term(term: str) -> str:
    """A query prefix in the form the PostgreSQL index holds (Latin diacritics dropped)."""
    return "".join(_strip_latin_diacritics(c) for c in term)


# --- what a search engine is asked (tmdesk.core.search ranks; the engines render) ----------


@dataclass(frozen=True)
class Term:
    """Some word of the row starts with ``prefix`` (folded by :func:`textnorm.fold`).

    ``where``: ``any`` (title or body), ``title`` (the title, or a project's
    reference), ``rest`` (somewhere, but not in the title).
    """

    prefix: str
    where: str = "any"


@dataclass(frozen=True)
class All:
    items: tuple[Match, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Match, ...]


Match = Union[Term, All, AnyOf]  # noqa: UP007 (a runtime alias of dataclasses)
