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

#: Bilingual glossary: concept → word beginnings (folded) in English and Ukrainian.
#: It lets "Навчання аналітиків SOC" meet "SOC analyst training".
GLOSSARY: dict[str, tuple[str, ...]] = {
    "train": ("train", "навчан", "навчал", "тренінг", "підготовк", "курс"),
    "analyst": ("analyst", "аналітик"),
    "specialist": ("specialist", "expert", "фахів", "спеціаліст", "експерт"),
    "staff": ("staff", "personnel", "employee", "персонал", "працівник", "співробітник"),
    "assess": ("assess", "evaluat", "оцінк", "оцінюв"),
    "audit": ("audit", "аудит"),
    "pentest": ("penetrat", "pentest", "тестування на проникнення", "пентест", "проникн"),
    "vulnerab": ("vulnerab", "вразлив"),
    "detect": ("detect", "виявлен"),
    "monitor": ("monitor", "моніторинг", "спостереж"),
    "threat": ("threat", "загроз"),
    "incident": ("incident", "інцидент"),
    "response": ("respons", "реагуван"),
    "forensic": ("forensic", "криміналіст"),
    "malware": ("malware", "шкідлив"),
    "equipment": ("equipment", "hardware", "обладнан", "устатк"),
    "server": ("server", "сервер"),
    "licence": ("licen", "ліценз"),
    "software": ("software", "програмн"),
    "firewall": ("firewall", "міжмережев", "фаєрвол"),
    "backup": ("backup", "резервн"),
    "datacentre": ("datacent", "data cent", "центр обробки даних", "цод"),
    "mobile": ("mobile", "мобільн", "пересувн"),
    "connect": ("connectiv", "connect", "зв'яз", "звяз", "підключ"),
    "satellite": ("satellit", "супутник", "starlink", "старлінк"),
    "terminal": ("terminal", "термінал"),
    "power": ("power", "generator", "живлен", "генератор", "енергопостач"),
    "resilien": ("resilien", "стійк", "живуч"),
    "network": ("network", "мереж"),
    "share": ("shar", "обмін"),
    "information": ("informat", "інформац"),
    "intelligence": ("intelligen", "розвід"),
    "platform": ("platform", "платформ"),
    "policy": ("polic", "політик"),
    "strategy": ("strateg", "стратегі"),
    "regulation": ("regulat", "legislat", "law", "регулюв", "законодав", "нормативн"),
    "governance": ("governan", "управлін", "врядуван"),
    "exercise": ("exercis", "drill", "навчання-тренуван", "кібернавчан", "вправ"),
    "awareness": ("awareness", "обізнан", "гігієн"),
    "security": ("securit", "безпек", "захист", "protect"),
    "cyber": ("cyber", "кібер"),
    "critical": ("critical", "критичн"),
    "infrastructure": ("infrastruct", "інфраструктур"),
    "energy": ("energy", "електроенерг", "енергетич", "енерго", "grid"),
    "water": ("water", "водопост", "водоканал", "водн"),
    "health": ("health", "hospital", "medical", "охорон", "лікар", "медичн"),
    "railway": ("rail", "залізн", "укрзалізниц"),
    "telecom": ("telecom", "телеком", "оператор"),
    "municipal": ("municipal", "local government", "місцев", "муніцип", "громад"),
    "oblast": ("oblast", "region", "област", "регіон", "облдержадмін"),
    "administration": ("administrat", "адміністрац"),
    "ministry": ("ministr", "міністерств"),
    "centre": ("centre", "center", "центр"),
    "operation": ("operation", "операці"),
    "siem": ("siem",),
    "soc": ("soc",),
    "edr": ("edr", "endpoint", "кінцев"),
    "cloud": ("cloud", "хмар"),
    "email": ("email", "e-mail", "mail", "пошт"),
    "phishing": ("phish", "фішинг"),
    "ddos": ("ddos", "denial", "відмов"),
    "encrypt": ("encrypt", "крипто", "шифрув"),
    "identity": ("identit", "authent", "автентиф", "ідентиф"),
    "registry": ("regist", "реєстр"),
    "database": ("database", "баз"),
    "laptop": ("laptop", "computer", "workstation", "ноутбук", "комп'ютер", "компютер", "робоч"),
    "radio": ("radio", "радіо"),
    "school": ("school", "universit", "academ", "школ", "університет", "академі"),
    "student": ("student", "cadet", "студент", "курсант"),
    "teacher": ("teacher", "instructor", "trainer", "викладач", "інструктор", "тренер"),
    "certif": ("certif", "сертиф"),
    "people": ("people", "persons", "осіб", "людей", "особи"),
    "month": ("month", "місяц"),
    "year": ("year", "рік", "років", "роки"),
    "election": ("election", "вибор"),
    "court": ("court", "judicia", "суд"),
    "police": ("police", "поліці"),
    "border": ("border", "кордон", "прикордон"),
    "customs": ("customs", "митн"),
    "tax": ("tax", "податк"),
    "bank": ("bank", "банк"),
    "nuclear": ("nuclear", "атомн", "ядерн"),
    "port": ("port", "порт"),
    "airport": ("airport", "аеропорт"),
    "postal": ("postal", "укрпошт"),
    "vehicle": ("vehicle", "автомоб", "транспорт"),
    "deploy": ("deploy", "install", "розгорт", "встановл", "впровадж"),
    "upgrade": ("upgrad", "moderni", "оновлен", "модерніз"),
    "replace": ("replac", "заміна", "замін"),
    "recover": ("recover", "restor", "відновл"),
    "continuity": ("continuit", "безперерв"),
    "document": ("document", "документ"),
    "translation": ("translat", "переклад"),
}
_PREFIX_TO_CONCEPT: dict[str, str] = {}
for _concept, _prefixes in GLOSSARY.items():
    for _p in _prefixes:
        _PREFIX_TO_CONCEPT.setdefault(textnorm.fold(_p), _concept)
# A word never holds a space, so the glossary's phrases never match one: the longest
# one-word beginning bounds the search.
_MAX_PREFIX = max(len(p) for p in _PREFIX_TO_CONCEPT if " " not in p)


@lru_cache(maxsize=200_000)
def feature(word: str) -> str:
    """A word's feature: its glossary concept (``~train``), else its stem.

    Cached: the same words come back in every project's text.
    """
    for k in range(min(len(word), _MAX_PREFIX), 2, -1):
        concept = _PREFIX_TO_CONCEPT.get(word[:k])
        if concept is not None:
            return "~" + concept
    return textnorm.stem(word)


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
