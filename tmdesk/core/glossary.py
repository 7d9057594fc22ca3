"""The bilingual glossary: the same idea in English and Ukrainian word beginnings.

Shared by duplicate detection (:mod:`tmdesk.core.similarity`, which compares
projects by concept across languages) and search (:mod:`tmdesk.core.search`,
which lets an English query find a project written only in Ukrainian and the
other way round). Plain data and lookups: no database.
"""

from __future__ import annotations

from tmdesk.core import textnorm

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


def concept_of(word: str) -> str | None:
    """The concept of a folded ``word``: the one whose longest word beginning starts it."""
    for k in range(min(len(word), _MAX_PREFIX), 2, -1):
        concept = _PREFIX_TO_CONCEPT.get(word[:k])
        if concept is not None:
            return concept
    return None


def concepts_of_term(term: str) -> list[str]:
    """The concepts a search term (a folded prefix a user typed) may stand for.

    A term that starts with a glossary word beginning (``training`` → ``train``)
    has that one concept; a shorter term that is itself the beginning of glossary
    words (``навч``, the stem of ``навчання``) has each of theirs. Terms of fewer
    than four letters are too short to guess from.
    """
    concept = concept_of(term)
    if concept is not None:
        return [concept]
    if len(term) < 4:
        return []
    found: list[str] = []
    for prefix, name in _PREFIX_TO_CONCEPT.items():
        if " " not in prefix and prefix.startswith(term) and name not in found:
            found.append(name)
    return found


def translations_of_term(term: str) -> list[str]:
    """Word beginnings (folded) a search for ``term`` should also accept: the
    other words of its concepts, in both languages; empty if it has none."""
    out: list[str] = []
    for concept in concepts_of_term(term):
        for prefix in GLOSSARY[concept]:
            folded = textnorm.fold(prefix)
            if not folded.startswith(term) and folded not in out and len(folded) >= 3:
                out.append(folded)
    return out
