"""Controlled vocabularies: the values the API and the pages speak.

Each vocabulary maps a stable code (what is stored and exchanged) to a label
marked for translation. Order is meaningful: it is the order shown to users.
"""

from __future__ import annotations

from tmdesk.core.i18n import N_

CATEGORIES: dict[str, str] = {
    "assessment": N_("Assessment and audit"),
    "training": N_("Training and skills"),
    "detection": N_("Threat detection and monitoring"),
    "incident-response": N_("Incident response"),
    "equipment": N_("Equipment and software"),
    "connectivity": N_("Connectivity and resilience"),
    "information-sharing": N_("Information sharing"),
    "governance": N_("Policy and governance"),
}

PRIORITIES: dict[str, str] = {
    "critical": N_("Critical"),
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
}
#: Sort rank of priorities, most urgent first.
PRIORITY_RANK = {code: rank for rank, code in enumerate(PRIORITIES)}

#: FIRST TLP 2.0 labels, from least to most restricted.
TLP_LABELS: tuple[str, ...] = ("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED")
TLP_RANK = {label: rank for rank, label in enumerate(TLP_LABELS)}
TLP_DESCRIPTIONS: dict[str, str] = {
    "CLEAR": N_("TLP:CLEAR: may be shared without restriction"),
    "GREEN": N_("TLP:GREEN: every account in the community may see it"),
    "AMBER": N_("TLP:AMBER: donors, coordinators, the recipient and engaged companies"),
    "AMBER+STRICT": N_("TLP:AMBER+STRICT: the recipient and the coordinators only"),
    "RED": N_("TLP:RED: only the people named on the project"),
}
#: FIRST TLP 2.0 colours (text on black background), used in pages and PDFs.
TLP_COLOURS: dict[str, str] = {
    "CLEAR": "#FFFFFF",
    "GREEN": "#33FF00",
    "AMBER": "#FFC000",
    "AMBER+STRICT": "#FFC000",
    "RED": "#FF2B2B",
}


def highest_tlp(labels) -> str:
    """The most restrictive label among ``labels`` (CLEAR when empty)."""
    return max(labels, key=TLP_RANK.__getitem__, default="CLEAR")


PROJECT_STATUSES: dict[str, str] = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "returned": N_("Returned"),
    "rejected": N_("Rejected"),
    "published": N_("Published"),
    "in_implementation": N_("In implementation"),
    "delivered": N_("Delivered"),
    "closed": N_("Closed"),
    "withdrawn": N_("Withdrawn"),
}

FUNDING_STATES: dict[str, str] = {
    "unfunded": N_("Unfunded"),
    "partly": N_("Partly funded"),
    "fully": N_("Fully funded"),
    "over": N_("Over-pledged"),
}

#: A pledge's status follows from its transactions (tmdesk.core.transactions):
#: ``confirmed`` is the stored code of "committed" (a commitment is recorded).
PLEDGE_STATUSES: dict[str, str] = {
    "offered": N_("Offered"),
    "confirmed": N_("Committed"),
    "partly_disbursed": N_("Partly disbursed"),
    "disbursed": N_("Disbursed"),
    "partly_delivered": N_("Partly delivered"),
    "delivered": N_("Delivered"),
    "withdrawn": N_("Withdrawn"),
}

#: The kinds of transaction on a pledge (IATI TransactionType in brackets):
#: the donor's commitment (2) and disbursement (3; for in-kind support, a
#: delivery), an implementer's expenditure against its engagement (4), and the
#: recipient's acknowledgement of incoming funds (11).
TRANSACTION_KINDS: dict[str, str] = {
    "commitment": N_("Commitment"),
    "disbursement": N_("Disbursement"),
    "expenditure": N_("Expenditure"),
    "incoming_commitment": N_("Incoming commitment"),
}

OFFER_STATUSES: dict[str, str] = {
    "open": N_("Open"),
    "matched": N_("Matched"),
    "closed": N_("Closed"),
    "withdrawn": N_("Withdrawn"),
}

ORG_KINDS: dict[str, str] = {
    "recipient": N_("Recipient"),
    "donor": N_("Donor"),
    "observer": N_("Observer"),
    "back_office": N_("Back Office"),
    "project_office": N_("Project Office"),
    "company": N_("Company"),
}

#: A recipient organisation's finer kind: donors' channel codes depend on it.
RECIPIENT_TYPES: dict[str, str] = {
    "ministry": N_("Ministry or central body"),
    "regional": N_("Regional administration"),
    "local": N_("Local government"),
    "state_enterprise": N_("State enterprise"),
    "other": N_("Other"),
}

#: Currencies accepted for budgets and pledges (ISO 4217).
CURRENCIES: tuple[str, ...] = (
    "EUR",
    "USD",
    "GBP",
    "UAH",
    "CAD",
    "DKK",
    "PLN",
    "SEK",
    "CHF",
    "NOK",
    "JPY",
)

#: Ukraine's regions by ISO 3166-2:UA code, plus ``UA`` for nationwide projects.
OBLASTS: dict[str, tuple[str, str]] = {
    "UA": ("Nationwide", "Уся Україна"),
    "UA-05": ("Vinnytsia Oblast", "Вінницька область"),
    "UA-07": ("Volyn Oblast", "Волинська область"),
    "UA-09": ("Luhansk Oblast", "Луганська область"),
    "UA-12": ("Dnipropetrovsk Oblast", "Дніпропетровська область"),
    "UA-14": ("Donetsk Oblast", "Донецька область"),
    "UA-18": ("Zhytomyr Oblast", "Житомирська область"),
    "UA-21": ("Zakarpattia Oblast", "Закарпатська область"),
    "UA-23": ("Zaporizhzhia Oblast", "Запорізька область"),
    "UA-26": ("Ivano-Frankivsk Oblast", "Івано-Франківська область"),
    "UA-30": ("Kyiv City", "місто Київ"),
    "UA-32": ("Kyiv Oblast", "Київська область"),
    "UA-35": ("Kirovohrad Oblast", "Кіровоградська область"),
    "UA-40": ("Sevastopol", "місто Севастополь"),
    "UA-43": ("Autonomous Republic of Crimea", "Автономна Республіка Крим"),
    "UA-46": ("Lviv Oblast", "Львівська область"),
    "UA-48": ("Mykolaiv Oblast", "Миколаївська область"),
    "UA-51": ("Odesa Oblast", "Одеська область"),
    "UA-53": ("Poltava Oblast", "Полтавська область"),
    "UA-56": ("Rivne Oblast", "Рівненська область"),
    "UA-59": ("Sumy Oblast", "Сумська область"),
    "UA-61": ("Ternopil Oblast", "Тернопільська область"),
    "UA-63": ("Kharkiv Oblast", "Харківська область"),
    "UA-65": ("Kherson Oblast", "Херсонська область"),
    "UA-68": ("Khmelnytskyi Oblast", "Хмельницька область"),
    "UA-71": ("Cherkasy Oblast", "Черкаська область"),
    "UA-74": ("Chernihiv Oblast", "Чернігівська область"),
    "UA-77": ("Chernivtsi Oblast", "Чернівецька область"),
}


def oblast_name(code: str, locale: str = "en") -> str:
    """The region's name in ``locale`` (``uk`` or ``en``); the code if unknown."""
    names = OBLASTS.get(code)
    if names is None:
        return code
    return names[1] if locale == "uk" else names[0]
