"""The content of the demo data set: organisations, people, kinds of project, offers.

Real names for the Tallinn Mechanism members and the Ukrainian partners;
the projects, people and cyber companies are fictional. The builder that
turns this into data through the core services is :mod:`tmdesk.demo`.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- organisations ----------------------------------------------------------


@dataclass(frozen=True)
class OrgSpec:
    code: str
    kind: str
    country: str
    name_en: str
    name_uk: str
    iati_id: str = ""
    #: Short names used when one kind of project is asked for by several recipients.
    short_en: str = ""
    short_uk: str = ""
    oblast: str = "UA"
    #: The currency a donor usually pledges in.
    currency: str = "EUR"


ORGANISATIONS: tuple[OrgSpec, ...] = (
    # The coordinating offices.
    OrgSpec(
        "TMPO",
        "project_office",
        "UA",
        "Tallinn Mechanism Project Office",
        "Проєктний офіс Таллінського механізму",
    ),
    OrgSpec(
        "BACKOFFICE",
        "back_office",
        "PL",
        "Tallinn Mechanism Back Office (Poland)",
        "Бек-офіс Таллінського механізму (Польща)",
    ),
    # The eleven members. IATI identifiers only where they are well established.
    OrgSpec("CA", "donor", "CA", "Canada", "Канада", currency="CAD"),
    OrgSpec("DK", "donor", "DK", "Denmark", "Данія", currency="DKK"),
    OrgSpec("EE", "donor", "EE", "Estonia", "Естонія"),
    OrgSpec("FR", "donor", "FR", "France", "Франція"),
    OrgSpec("DE", "donor", "DE", "Germany", "Німеччина"),
    OrgSpec("IT", "donor", "IT", "Italy", "Італія"),
    OrgSpec("NL", "donor", "NL", "Netherlands", "Нідерланди", iati_id="XM-DAC-7"),
    OrgSpec("PL", "donor", "PL", "Poland", "Польща", currency="PLN"),
    OrgSpec("SE", "donor", "SE", "Sweden", "Швеція", currency="SEK"),
    OrgSpec(
        "GB",
        "donor",
        "GB",
        "United Kingdom",
        "Сполучене Королівство",
        iati_id="GB-GOV-1",
        currency="GBP",
    ),
    OrgSpec(
        "US",
        "donor",
        "US",
        "United States",
        "Сполучені Штати Америки",
        iati_id="US-GOV-1",
        currency="USD",
    ),
    # Observers.
    OrgSpec(
        "EU", "observer", "BE", "European Union", "Європейський Союз", iati_id="XI-IATI-EC_NEAR"
    ),
    OrgSpec(
        "NATO",
        "observer",
        "BE",
        "North Atlantic Treaty Organization",
        "Організація Північноатлантичного договору",
    ),
    # Ukrainian recipients: central bodies.
    OrgSpec(
        "MDT",
        "recipient",
        "UA",
        "Ministry of Digital Transformation of Ukraine",
        "Міністерство цифрової трансформації України",
        short_en="MDT",
        short_uk="Мінцифри",
    ),
    OrgSpec(
        "SSSCIP",
        "recipient",
        "UA",
        "State Service of Special Communications and Information Protection of Ukraine",
        "Державна служба спеціального зв’язку та захисту інформації України",
        short_en="SSSCIP",
        short_uk="Держспецзв’язку",
    ),
    OrgSpec(
        "MFA-UA",
        "recipient",
        "UA",
        "Ministry of Foreign Affairs of Ukraine",
        "Міністерство закордонних справ України",
        short_en="MFA",
        short_uk="МЗС",
    ),
    OrgSpec(
        "SSU",
        "recipient",
        "UA",
        "Security Service of Ukraine",
        "Служба безпеки України",
        short_en="SSU",
        short_uk="СБУ",
    ),
    OrgSpec(
        "NCCC",
        "recipient",
        "UA",
        "National Coordination Center for Cybersecurity",
        "Національний координаційний центр кібербезпеки",
        short_en="NCCC",
        short_uk="НКЦК",
    ),
    # Oblast military administrations.
    OrgSpec(
        "KHARKIV-OVA",
        "recipient",
        "UA",
        "Kharkiv Regional Military Administration",
        "Харківська обласна військова адміністрація",
        short_en="Kharkiv RMA",
        short_uk="Харківська ОВА",
        oblast="UA-63",
    ),
    OrgSpec(
        "ODESA-OVA",
        "recipient",
        "UA",
        "Odesa Regional Military Administration",
        "Одеська обласна військова адміністрація",
        short_en="Odesa RMA",
        short_uk="Одеська ОВА",
        oblast="UA-51",
    ),
    OrgSpec(
        "LVIV-OVA",
        "recipient",
        "UA",
        "Lviv Regional Military Administration",
        "Львівська обласна військова адміністрація",
        short_en="Lviv RMA",
        short_uk="Львівська ОВА",
        oblast="UA-46",
    ),
    OrgSpec(
        "DNIPRO-OVA",
        "recipient",
        "UA",
        "Dnipropetrovsk Regional Military Administration",
        "Дніпропетровська обласна військова адміністрація",
        short_en="Dnipropetrovsk RMA",
        short_uk="Дніпропетровська ОВА",
        oblast="UA-12",
    ),
    OrgSpec(
        "MYKOLAIV-OVA",
        "recipient",
        "UA",
        "Mykolaiv Regional Military Administration",
        "Миколаївська обласна військова адміністрація",
        short_en="Mykolaiv RMA",
        short_uk="Миколаївська ОВА",
        oblast="UA-48",
    ),
    # Critical-infrastructure state enterprises (real names, fictional projects).
    OrgSpec(
        "UKRENERGO",
        "recipient",
        "UA",
        "NPC Ukrenergo",
        "НЕК «Укренерго»",
        short_en="Ukrenergo",
        short_uk="Укренерго",
    ),
    OrgSpec(
        "UKRZALIZNYTSIA",
        "recipient",
        "UA",
        "JSC Ukrzaliznytsia (Ukrainian Railways)",
        "АТ «Укрзалізниця»",
        short_en="Ukrzaliznytsia",
        short_uk="Укрзалізниця",
    ),
    OrgSpec(
        "NAFTOGAZ",
        "recipient",
        "UA",
        "Naftogaz of Ukraine",
        "НАК «Нафтогаз України»",
        short_en="Naftogaz",
        short_uk="Нафтогаз",
    ),
    OrgSpec(
        "UKRPOSHTA",
        "recipient",
        "UA",
        "JSC Ukrposhta",
        "АТ «Укрпошта»",
        short_en="Ukrposhta",
        short_uk="Укрпошта",
    ),
    # Cyber companies (fictional).
    OrgSpec("BEREH", "company", "UA", "Bereh Security LLC", "ТОВ «Берег Секюріті»"),
    OrgSpec("KCL", "company", "UA", "Kyiv Cyber Lab LLC", "ТОВ «Київська кіберлабораторія»"),
    OrgSpec("STOZHARY", "company", "UA", "Stozhary Systems LLC", "ТОВ «Стожари Системс»"),
    OrgSpec("NORDHAVEN", "company", "EE", "Nordhaven Cyber OÜ", "Nordhaven Cyber OÜ"),
    OrgSpec("LUMENSHIELD", "company", "PL", "LumenShield sp. z o.o.", "LumenShield sp. z o.o."),
)
ORG_BY_CODE = {o.code: o for o in ORGANISATIONS}


# --- people -----------------------------------------------------------------


@dataclass(frozen=True)
class UserSpec:
    email: str
    org: str
    name: str
    #: The role shown in the demo logins table (None: a colleague, not listed).
    role: str | None = None
    admin: bool = False


USERS: tuple[UserSpec, ...] = (
    UserSpec(
        "admin@tmpo.demo",
        "TMPO",
        "Ірина Бондаренко",
        "Project Office officer and administrator",
        admin=True,
    ),
    UserSpec("officer@backoffice.demo", "BACKOFFICE", "Marek Nowak", "Back Office officer"),
    UserSpec("recipient@ssscip.demo", "SSSCIP", "Оксана Мельник", "Recipient (SSSCIP)"),
    UserSpec("donor@gb.demo", "GB", "James Whitfield", "Donor (United Kingdom)"),
    UserSpec("donor@ee.demo", "EE", "Kadri Tamm", "Donor (Estonia)"),
    UserSpec("observer@eu.demo", "EU", "Sophie Laurent", "Observer (EU)"),
    UserSpec("company@bereh.demo", "BEREH", "Максим Савченко", "Company (Bereh Security)"),
    # Colleagues: every recipient drafts through its own staff.
    UserSpec("oleh.shevchuk@tmpo.demo", "TMPO", "Олег Шевчук"),
    UserSpec("anna.wisniewska@backoffice.demo", "BACKOFFICE", "Anna Wiśniewska"),
    UserSpec("henrik.larsen@nato.demo", "NATO", "Henrik Larsen"),
    UserSpec("olena.kovalenko@mdt.demo", "MDT", "Олена Коваленко"),
    UserSpec("dmytro.tkachenko@mfa-ua.demo", "MFA-UA", "Дмитро Ткаченко"),
    UserSpec("serhii.honcharenko@ssu.demo", "SSU", "Сергій Гончаренко"),
    UserSpec("nataliia.kravchenko@nccc.demo", "NCCC", "Наталія Кравченко"),
    UserSpec("viktor.lytvynenko@kharkiv-ova.demo", "KHARKIV-OVA", "Віктор Литвиненко"),
    UserSpec("mariia.polishchuk@odesa-ova.demo", "ODESA-OVA", "Марія Поліщук"),
    UserSpec("taras.hnatiuk@lviv-ova.demo", "LVIV-OVA", "Тарас Гнатюк"),
    UserSpec("yuliia.moroz@dnipro-ova.demo", "DNIPRO-OVA", "Юлія Мороз"),
    UserSpec("andrii.boiko@mykolaiv-ova.demo", "MYKOLAIV-OVA", "Андрій Бойко"),
    UserSpec("oleksandr.rudenko@ukrenergo.demo", "UKRENERGO", "Олександр Руденко"),
    UserSpec("svitlana.lysenko@uz.demo", "UKRZALIZNYTSIA", "Світлана Лисенко"),
    UserSpec("ihor.marchenko@naftogaz.demo", "NAFTOGAZ", "Ігор Марченко"),
    UserSpec("kateryna.ostapenko@ukrposhta.demo", "UKRPOSHTA", "Катерина Остапенко"),
)


# --- projects ---------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    """One kind of project; several recipients may ask for it."""

    key: str
    category: str
    title_en: str
    title_uk: str
    summary_en: str
    summary_uk: str
    #: Budget range in thousands of euros.
    budget_k: tuple[int, int]
    recipients: tuple[str, ...]
    beneficiaries_en: str = ""
    beneficiaries_uk: str = ""


THEMES: tuple[Theme, ...] = (
    # Assessment and audit
    Theme(
        "eservices-audit",
        "assessment",
        "Cybersecurity assessment of regional e-services",
        "Оцінювання кіберзахищеності регіональних електронних сервісів",
        "An independent assessment of the administration's public e-services and internal "
        "networks against a NIS2-aligned baseline, ending in a prioritised remediation plan.",
        "Незалежне оцінювання захищеності публічних електронних сервісів і внутрішніх мереж "
        "адміністрації за базовими вимогами, узгодженими з NIS2, з пріоритезованим планом "
        "усунення вразливостей.",
        (60, 180),
        ("KHARKIV-OVA", "ODESA-OVA", "LVIV-OVA", "MYKOLAIV-OVA"),
        "About {n} staff of the administration and the communities it serves",
        "Близько {n} працівників адміністрації та громад області",
    ),
    Theme(
        "ot-pentest",
        "assessment",
        "Penetration testing of the dispatch control network",
        "Тестування на проникнення мережі диспетчерського керування",
        "Penetration testing and a red-team exercise on the SCADA/OT segment of the dispatch "
        "centres, carried out under strict rules agreed with the operator, followed by "
        "hardening of the findings.",
        "Тестування на проникнення та навчання «червоної команди» для сегмента SCADA/OT "
        "диспетчерських центрів за суворо погодженими з оператором правилами, з подальшим "
        "усуненням виявлених недоліків.",
        (250, 600),
        ("UKRENERGO",),
    ),
    Theme(
        "ticketing-audit",
        "assessment",
        "Security audit of the passenger ticketing platform",
        "Аудит безпеки платформи продажу квитків",
        "Code review and penetration testing of the online and mobile ticketing platform "
        "that sells most of the passenger tickets, including its payment integrations.",
        "Аналіз коду й тестування на проникнення онлайн- та мобільної платформи продажу "
        "квитків, через яку продається більшість пасажирських квитків, разом з "
        "інтеграціями платіжних сервісів.",
        (90, 220),
        ("UKRZALIZNYTSIA",),
    ),
    Theme(
        "supply-chain",
        "assessment",
        "Supply-chain risk review of critical software vendors",
        "Аналіз ризиків ланцюга постачання програмного забезпечення для критичної інфраструктури",
        "A review of the software suppliers most used by critical infrastructure operators, "
        "with a risk register and procurement guidance.",
        "Аналіз постачальників програмного забезпечення, яких найчастіше використовують "
        "оператори критичної інфраструктури, зі створенням реєстру ризиків і рекомендацій "
        "для закупівель.",
        (120, 300),
        ("NCCC",),
    ),
    Theme(
        "registers-audit",
        "assessment",
        "Security audit of the state registers' hosting",
        "Аудит захищеності інфраструктури державних реєстрів",
        "An audit of the data centres and cloud tenancies hosting the key state registers, "
        "covering access control, backups and monitoring.",
        "Аудит центрів обробки даних і хмарних середовищ, де розміщено ключові державні "
        "реєстри: керування доступом, резервне копіювання та моніторинг.",
        (150, 400),
        ("MDT",),
    ),
    # Training and skills
    Theme(
        "soc-training",
        "training",
        "SOC analyst training for regional administrations",
        "Навчання фахівців SOC для обласних адміністрацій",
        "A five-week course for security operations centre analysts: log analysis, alert "
        "triage, threat hunting and reporting, with practice on a cyber range.",
        "П’ятитижневий курс для аналітиків центрів кібербезпеки (SOC): аналіз журналів "
        "подій, сортування сповіщень, пошук загроз і звітування з практикою на кіберполігоні.",
        (80, 250),
        ("SSSCIP", "DNIPRO-OVA"),
        "{n} analysts",
        "{n} аналітиків",
    ),
    Theme(
        "cyber-hygiene",
        "training",
        "Cyber hygiene programme for civil servants",
        "Програма з кібергігієни для державних службовців",
        "An e-learning programme in Ukrainian on phishing, passwords, mobile devices and "
        "reporting incidents, with phishing simulations every quarter.",
        "Дистанційна програма українською мовою про фішинг, паролі, мобільні пристрої та "
        "повідомлення про інциденти, з щоквартальними симуляціями фішингових атак.",
        (40, 120),
        ("MDT", "MFA-UA"),
        "{n} civil servants",
        "{n} державних службовців",
    ),
    Theme(
        "cert-course",
        "training",
        "Incident handling course for CERT-UA staff",
        "Курс із реагування на інциденти для працівників CERT-UA",
        "Advanced incident handling and malware analysis training for the national CERT, "
        "taught by partner CERTs.",
        "Поглиблене навчання з реагування на інциденти та аналізу шкідливого програмного "
        "забезпечення для національної команди CERT-UA за участю партнерських CERT.",
        (60, 150),
        ("SSSCIP",),
        "{n} incident handlers",
        "{n} фахівців з реагування",
    ),
    Theme(
        "ot-training",
        "training",
        "OT security training for engineers",
        "Навчання інженерів з безпеки операційних технологій",
        "Hands-on training in industrial control system security for the engineers who run "
        "dispatch and production systems.",
        "Практичне навчання з безпеки промислових систем керування для інженерів, які "
        "обслуговують диспетчерські та виробничі системи.",
        (70, 200),
        ("UKRENERGO", "NAFTOGAZ"),
        "{n} engineers",
        "{n} інженерів",
    ),
    Theme(
        "diplomats-training",
        "training",
        "Cyber diplomacy and attribution training for diplomats",
        "Навчання дипломатів з кібердипломатії та атрибуції кібератак",
        "A course for diplomats on international law in cyberspace, attribution of "
        "cyberattacks and the coordination of responses with partners.",
        "Курс для дипломатів з міжнародного права в кіберпросторі, атрибуції кібератак і "
        "координації відповіді разом із партнерами.",
        (40, 90),
        ("MFA-UA",),
        "{n} diplomats",
        "{n} дипломатів",
    ),
    Theme(
        "cyber-range",
        "training",
        "National cyber range exercise 2026",
        "Національні кібернавчання на кіберполігоні 2026",
        "A national exercise in which teams from ministries, regions and critical "
        "infrastructure defend a simulated network against a realistic attack scenario.",
        "Національні навчання, під час яких команди міністерств, областей і об’єктів "
        "критичної інфраструктури захищають змодельовану мережу від реалістичного сценарію "
        "атаки.",
        (150, 350),
        ("NCCC",),
        "{n} participants in 12 teams",
        "{n} учасників у 12 командах",
    ),
    Theme(
        "forensics-training",
        "training",
        "Digital forensics training for investigators",
        "Навчання слідчих цифровій криміналістиці",
        "Training investigators in collecting and analysing digital evidence from "
        "computers, phones and cloud services to court standards.",
        "Навчання слідчих збирати й аналізувати цифрові докази з комп’ютерів, телефонів і "
        "хмарних сервісів відповідно до вимог суду.",
        (80, 200),
        ("SSU",),
        "{n} investigators",
        "{n} слідчих",
    ),
    Theme(
        "awareness",
        "training",
        "Cybersecurity awareness campaign for citizens",
        "Інформаційна кампанія з кібербезпеки для громадян",
        "A national campaign on fraud, phishing and account takeover, run through Diia, "
        "television and social media.",
        "Національна кампанія про шахрайство, фішинг і викрадення облікових записів через "
        "«Дію», телебачення та соціальні мережі.",
        (100, 300),
        ("MDT",),
    ),
    # Threat detection and monitoring
    Theme(
        "regional-soc",
        "detection",
        "Regional security operations centre",
        "Регіональний центр кібербезпеки (SOC)",
        "A security operations centre that monitors the administration's networks and the "
        "communities of the region around the clock.",
        "Центр кібербезпеки, що цілодобово відстежує події в мережах адміністрації та "
        "територіальних громад області.",
        (400, 1200),
        ("LVIV-OVA", "KHARKIV-OVA"),
    ),
    Theme(
        "edr",
        "detection",
        "EDR roll-out across ministry endpoints",
        "Впровадження EDR на робочих станціях міністерства",
        "Endpoint detection and response on every workstation and server of the ministry "
        "and its missions, with central monitoring.",
        "Впровадження засобів виявлення та реагування (EDR) на всіх робочих станціях і "
        "серверах міністерства та його установ із централізованим моніторингом.",
        (200, 700),
        ("MFA-UA", "MDT"),
        "{n} workstations and servers",
        "{n} робочих станцій і серверів",
    ),
    Theme(
        "rail-monitoring",
        "detection",
        "Network monitoring for railway signalling",
        "Моніторинг мережі залізничної сигналізації",
        "Passive monitoring of the signalling and traction power networks to detect "
        "intrusions without disturbing operations.",
        "Пасивний моніторинг мереж сигналізації та тягового електропостачання для "
        "виявлення вторгнень без впливу на рух поїздів.",
        (300, 900),
        ("UKRZALIZNYTSIA",),
    ),
    Theme(
        "threat-hunting",
        "detection",
        "Threat-hunting platform for the cyber department",
        "Платформа проактивного пошуку загроз для кібердепартаменту",
        "A platform and data lake for hunting advanced persistent threats in state networks.",
        "Платформа та сховище даних для проактивного пошуку складних цільових загроз у "
        "державних мережах.",
        (500, 1500),
        ("SSU",),
    ),
    Theme(
        "sensors",
        "detection",
        "Sensor network for critical information infrastructure",
        "Мережа сенсорів для об’єктів критичної інформаційної інфраструктури",
        "Network sensors at critical information infrastructure sites feeding the national "
        "monitoring system.",
        "Мережеві сенсори на об’єктах критичної інформаційної інфраструктури з передаванням "
        "даних до національної системи моніторингу.",
        (800, 2500),
        ("SSSCIP",),
    ),
    Theme(
        "siem-gas",
        "detection",
        "SIEM for gas production facilities",
        "SIEM для об’єктів видобування газу",
        "A security information and event management system covering the IT and OT "
        "networks of the gas production sites.",
        "Система управління подіями інформаційної безпеки (SIEM) для ІТ- та ОТ-мереж "
        "об’єктів видобування газу.",
        (350, 900),
        ("NAFTOGAZ",),
    ),
    # Incident response
    Theme(
        "rapid-response",
        "incident-response",
        "Rapid incident response teams in the oblasts",
        "Мобільні групи реагування на кіберінциденти в областях",
        "Equipped mobile teams that reach an attacked regional body within a day, contain "
        "the incident and restore service.",
        "Оснащені мобільні групи, що протягом доби прибувають до регіонального органу, який "
        "зазнав атаки, локалізують інцидент і відновлюють роботу.",
        (300, 800),
        ("SSSCIP",),
    ),
    Theme(
        "postal-ir",
        "incident-response",
        "Incident response retainer for the postal network",
        "Договір на реагування на інциденти для поштової мережі",
        "A twelve-month retainer with an incident response firm, with agreed response "
        "times for the sorting centres and the payment services.",
        "Дванадцятимісячний договір із компанією з реагування на інциденти з погодженим "
        "часом реагування для сортувальних центрів і платіжних сервісів.",
        (90, 250),
        ("UKRPOSHTA",),
    ),
    Theme(
        "ransomware-recovery",
        "incident-response",
        "Ransomware recovery capability",
        "Спроможність відновлення після атак програм-вимагачів",
        "Immutable backups, tested recovery plans and a tabletop exercise so that the "
        "administration can restore its services within 48 hours.",
        "Незмінні резервні копії, перевірені плани відновлення та штабні навчання, щоб "
        "адміністрація могла відновити свої сервіси протягом 48 годин.",
        (70, 200),
        ("ODESA-OVA", "MYKOLAIV-OVA"),
    ),
    Theme(
        "ir-playbooks",
        "incident-response",
        "Incident response playbooks for energy companies",
        "Плейбуки реагування на інциденти для енергетичних компаній",
        "Shared playbooks and a coordination procedure for incidents that affect several "
        "energy companies at once.",
        "Спільні плейбуки та порядок координації на випадок інцидентів, що зачіпають "
        "кілька енергетичних компаній одночасно.",
        (50, 120),
        ("NCCC",),
    ),
    # Equipment and software
    Theme(
        "ngfw",
        "equipment",
        "Next-generation firewalls for frontline administrations",
        "Міжмережеві екрани нового покоління для прифронтових адміністрацій",
        "Next-generation firewalls with three years of threat-prevention subscriptions for "
        "the administration and its district offices.",
        "Міжмережеві екрани нового покоління з трирічною підпискою на захист від загроз "
        "для адміністрації та районних підрозділів.",
        (120, 450),
        ("KHARKIV-OVA", "DNIPRO-OVA", "MYKOLAIV-OVA"),
        "{n} sites",
        "{n} об’єктів",
    ),
    Theme(
        "hsm",
        "equipment",
        "Hardware security modules for Diia trust services",
        "Апаратні модулі безпеки для довірчих послуг «Дії»",
        "Certified hardware security modules for the qualified electronic signature and "
        "trust services used by millions of citizens.",
        "Сертифіковані апаратні модулі безпеки для кваліфікованого електронного підпису та "
        "довірчих послуг, якими користуються мільйони громадян.",
        (600, 1800),
        ("MDT",),
    ),
    Theme(
        "secure-laptops",
        "equipment",
        "Secure laptops for diplomatic missions",
        "Захищені ноутбуки для закордонних дипломатичних установ",
        "Hardened laptops with full-disk encryption and managed configuration for staff "
        "of diplomatic missions abroad.",
        "Захищені ноутбуки з повним шифруванням дисків і централізованим керуванням "
        "конфігурацією для працівників закордонних дипломатичних установ.",
        (150, 400),
        ("MFA-UA",),
        "{n} diplomats",
        "{n} дипломатів",
    ),
    Theme(
        "forensics-lab",
        "equipment",
        "Digital forensics laboratory equipment",
        "Обладнання лабораторії цифрової криміналістики",
        "Forensic workstations, write blockers, mobile extraction kits and licences for a "
        "regional forensics laboratory.",
        "Криміналістичні робочі станції, блокатори запису, комплекти для вилучення даних з "
        "мобільних пристроїв і ліцензії для регіональної лабораторії.",
        (200, 600),
        ("SSU",),
    ),
    Theme(
        "backup-servers",
        "equipment",
        "Backup servers and offline storage",
        "Сервери резервного копіювання та офлайн-сховища",
        "Backup servers and tape libraries in a second location, so that critical data "
        "survives both attacks and physical damage.",
        "Сервери резервного копіювання та стрічкові бібліотеки в другій локації, щоб "
        "критичні дані збереглися і після атаки, і після фізичного пошкодження.",
        (100, 350),
        ("UKRPOSHTA", "LVIV-OVA"),
    ),
    Theme(
        "vuln-mgmt",
        "equipment",
        "Licences for vulnerability management",
        "Ліцензії на систему керування вразливостями",
        "Three-year licences for a vulnerability management platform shared with the "
        "regional administrations.",
        "Трирічні ліцензії на платформу керування вразливостями, спільну з обласними "
        "адміністраціями.",
        (80, 250),
        ("NCCC",),
    ),
    Theme(
        "mail-gateway",
        "equipment",
        "Secure e-mail gateway",
        "Шлюз захисту електронної пошти",
        "A secure e-mail gateway with sandboxing, to stop the phishing campaigns aimed at "
        "the administration.",
        "Шлюз захисту електронної пошти з пісочницею для зупинення фішингових кампаній, "
        "спрямованих на адміністрацію.",
        (40, 110),
        ("ODESA-OVA",),
    ),
    # Connectivity and resilience
    Theme(
        "starlink",
        "connectivity",
        "Starlink terminals for regional administrations",
        "Термінали Starlink для обласних адміністрацій",
        "Satellite terminals with service subscriptions so that the administration and its "
        "communities stay connected during outages and shelling.",
        "Супутникові термінали з абонентським обслуговуванням, щоб адміністрація та громади "
        "залишалися на зв’язку під час відключень і обстрілів.",
        (60, 300),
        ("KHARKIV-OVA", "ODESA-OVA", "DNIPRO-OVA"),
        "{n} terminals",
        "{n} терміналів",
    ),
    Theme(
        "mobile-dc",
        "connectivity",
        "Mobile data centre",
        "Мобільний центр обробки даних",
        "A containerised data centre that can be moved to a safe location and run the key "
        "state services if the main sites are damaged.",
        "Контейнерний центр обробки даних, який можна перемістити в безпечне місце та "
        "запустити на ньому ключові державні сервіси в разі пошкодження основних майданчиків.",
        (1500, 3000),
        ("MDT",),
    ),
    Theme(
        "substation-comms",
        "connectivity",
        "Backup communication channels for substations",
        "Резервні канали зв’язку для підстанцій",
        "Independent radio and satellite channels so that dispatchers keep control of "
        "substations when the fibre network is cut.",
        "Незалежні радіо- та супутникові канали, щоб диспетчери зберігали керування "
        "підстанціями в разі пошкодження оптоволоконної мережі.",
        (400, 1200),
        ("UKRENERGO",),
    ),
    Theme(
        "station-connectivity",
        "connectivity",
        "Resilient connectivity for railway stations",
        "Стійкий зв’язок для залізничних вокзалів",
        "Redundant links and power for the ticketing and passenger information systems of "
        "the main stations.",
        "Резервні канали зв’язку та живлення для квиткових і пасажирських інформаційних "
        "систем основних вокзалів.",
        (150, 450),
        ("UKRZALIZNYTSIA",),
    ),
    Theme(
        "power-ups",
        "connectivity",
        "Generators and UPS for data rooms",
        "Генератори та ДБЖ для серверних",
        "Generators and uninterruptible power supplies so that data rooms keep running "
        "through blackouts.",
        "Генератори та джерела безперебійного живлення, щоб серверні працювали під час "
        "відключень електроенергії.",
        (50, 180),
        ("UKRPOSHTA", "MYKOLAIV-OVA"),
    ),
    Theme(
        "geo-cloud",
        "connectivity",
        "Geo-redundant cloud hosting for state registers",
        "Георезервований хмарний хостинг для державних реєстрів",
        "Hosting of copies of the key state registers in partner-country clouds, with "
        "regular recovery tests.",
        "Розміщення копій ключових державних реєстрів у хмарах країн-партнерів із "
        "регулярною перевіркою відновлення.",
        (500, 1500),
        ("MDT",),
    ),
    Theme(
        "ddos",
        "connectivity",
        "DDoS protection for public websites",
        "Захист державних вебсайтів від DDoS-атак",
        "A DDoS mitigation service for government websites and the portals citizens use every day.",
        "Послуга захисту від DDoS-атак для державних вебсайтів і порталів, якими громадяни "
        "користуються щодня.",
        (120, 400),
        ("SSSCIP",),
    ),
    # Information sharing
    Theme(
        "misp",
        "information-sharing",
        "Threat intelligence sharing platform (MISP) for the public sector",
        "Платформа обміну інформацією про кіберзагрози (MISP) для державного сектору",
        "A hosted MISP platform connecting ministries, regions and critical infrastructure "
        "operators with the national and partner CERTs.",
        "Платформа MISP, що поєднує міністерства, області та операторів критичної "
        "інфраструктури з національною та партнерськими командами CERT.",
        (60, 180),
        ("NCCC",),
    ),
    Theme(
        "energy-isac",
        "information-sharing",
        "Sectoral ISAC for energy",
        "Галузевий центр обміну інформацією (ISAC) для енергетики",
        "An information sharing and analysis centre where energy companies exchange "
        "indicators and lessons from incidents.",
        "Центр обміну та аналізу інформації, де енергетичні компанії обмінюються "
        "індикаторами компрометації та досвідом реагування на інциденти.",
        (80, 220),
        ("UKRENERGO", "NAFTOGAZ"),
    ),
    Theme(
        "cti-feed",
        "information-sharing",
        "Connecting regional administrations to the national CTI feed",
        "Підключення обласних адміністрацій до національного потоку даних про кіберзагрози",
        "Connectors, training and a shared dashboard so that the administration receives "
        "and acts on the national threat intelligence feed.",
        "Конектори, навчання та спільна панель, щоб адміністрація отримувала дані "
        "національного потоку розвідданих про кіберзагрози й діяла на їх основі.",
        (40, 100),
        ("LVIV-OVA", "ODESA-OVA"),
    ),
    Theme(
        "cert-exchange",
        "information-sharing",
        "Secure exchange channel with partner CERTs",
        "Захищений канал обміну з партнерськими CERT",
        "An encrypted, accredited channel for exchanging incident data with partner CERTs "
        "in the member states.",
        "Зашифрований акредитований канал обміну даними про інциденти з командами CERT "
        "держав-учасниць.",
        (70, 160),
        ("SSSCIP",),
    ),
    # Policy and governance
    Theme(
        "nis2-law",
        "governance",
        "NIS2 alignment of national cybersecurity law",
        "Приведення законодавства про кібербезпеку у відповідність до NIS2",
        "Legal experts support the drafting of amendments and by-laws that bring national "
        "law in line with the NIS2 directive.",
        "Юридичні експерти допомагають підготувати зміни до законів і підзаконні акти для "
        "приведення національного законодавства у відповідність до директиви NIS2.",
        (50, 150),
        ("MDT",),
    ),
    Theme(
        "ci-strategy",
        "governance",
        "Cyber resilience strategy for critical infrastructure operators",
        "Стратегія кіберстійкості для операторів критичної інфраструктури",
        "A sector-by-sector cyber resilience strategy with minimum requirements and a "
        "maturity model for operators.",
        "Галузева стратегія кіберстійкості з мінімальними вимогами та моделлю зрілості для "
        "операторів критичної інфраструктури.",
        (60, 160),
        ("NCCC",),
    ),
    Theme(
        "iso27001",
        "governance",
        "ISO/IEC 27001 implementation",
        "Впровадження системи управління інформаційною безпекою за ISO/IEC 27001",
        "Consultancy to implement an information security management system and prepare "
        "for certification.",
        "Консультаційний супровід упровадження системи управління інформаційною безпекою та "
        "підготовки до сертифікації.",
        (60, 180),
        ("UKRZALIZNYTSIA", "UKRPOSHTA"),
    ),
    Theme(
        "risk-method",
        "governance",
        "Cyber risk management methodology for regional administrations",
        "Методологія управління кіберризиками для обласних адміністрацій",
        "A common method and tool for regional administrations to assess and report their "
        "cyber risks.",
        "Єдина методологія та інструмент, за допомогою яких обласні адміністрації оцінюють "
        "кіберризики та звітують про них.",
        (40, 90),
        ("LVIV-OVA",),
    ),
    Theme(
        "cyber-norms",
        "governance",
        "Cyber norms and confidence-building measures",
        "Норми відповідальної поведінки держав у кіберпросторі та заходи зміцнення довіри",
        "Expert support for Ukraine's positions in UN and OSCE discussions on responsible "
        "state behaviour in cyberspace.",
        "Експертна підтримка позицій України в обговореннях ООН та ОБСЄ щодо відповідальної "
        "поведінки держав у кіберпросторі.",
        (40, 80),
        ("MFA-UA",),
    ),
)

#: How many projects of each status the demo holds (published takes the rest).
STATUS_COUNTS = {
    "draft": 6,
    "submitted": 8,
    "returned": 4,
    "rejected": 3,
    "in_implementation": 12,
    "delivered": 5,
    "closed": 4,
    "withdrawn": 5,
}
TLP_COUNTS = {"CLEAR": 8, "AMBER": 20, "AMBER+STRICT": 8, "RED": 6}  # GREEN takes the rest

#: Fixed choices so that the demo logins have something to show.
FORCED: dict[tuple[str, str], dict[str, str]] = {
    ("soc-training", "SSSCIP"): {
        "status": "in_implementation",
        "tlp": "AMBER",
        "company": "BEREH",
        "funding": "fully",
    },
    ("cert-course", "SSSCIP"): {"status": "returned", "tlp": "GREEN"},
    ("sensors", "SSSCIP"): {"status": "submitted", "tlp": "AMBER"},
    ("rapid-response", "SSSCIP"): {"status": "published", "tlp": "RED", "funding": "partly"},
    ("cert-exchange", "SSSCIP"): {"status": "draft", "tlp": "AMBER+STRICT"},
    ("ddos", "SSSCIP"): {"status": "delivered", "tlp": "GREEN", "company": "BEREH"},
    ("eservices-audit", "KHARKIV-OVA"): {
        "status": "in_implementation",
        "tlp": "GREEN",
        "company": "BEREH",
    },
    ("threat-hunting", "SSU"): {"status": "published", "tlp": "RED", "funding": "over"},
    ("forensics-lab", "SSU"): {"status": "in_implementation", "tlp": "AMBER+STRICT"},
    ("mobile-dc", "MDT"): {"status": "in_implementation", "tlp": "GREEN", "funding": "partly"},
    ("starlink", "KHARKIV-OVA"): {"status": "delivered", "tlp": "CLEAR", "funding": "fully"},
    ("misp", "NCCC"): {"status": "published", "tlp": "GREEN", "funding": "unfunded"},
}

PRIORITY_WEIGHTS = {"critical": 15, "high": 35, "medium": 35, "low": 15}
#: Budget currencies (the rest are euros).
CURRENCY_WEIGHTS = {"EUR": 70, "USD": 12, "GBP": 8, "UAH": 10}
LANGUAGE_WEIGHTS = {"both": 62, "uk": 26, "en": 12}
#: Funding aimed at, by the status the project ends in.
FUNDING_WEIGHTS = {
    "published": {"unfunded": 35, "partly": 35, "fully": 15, "over": 15},
    "in_implementation": {"partly": 40, "fully": 45, "over": 15},
    "delivered": {"partly": 15, "fully": 70, "over": 15},
    "closed": {"partly": 15, "fully": 70, "over": 15},
    "withdrawn": {"unfunded": 70, "partly": 30},
}
#: Days before the load that a project with this final status was created.
#: How each currency's rate moved over the story: (days ago it took effect, factor of
#: today's rate); today's rate itself takes effect 90 days ago.
RATE_STEPS = {
    "USD": ((720, "1.04"), (540, "0.98"), (300, "1.02")),
    "GBP": ((720, "0.97"), (480, "1.03"), (240, "0.99")),
    "CAD": ((720, "1.05"), (400, "0.96")),
    "SEK": ((720, "0.94"), (360, "1.02")),
    "PLN": ((720, "0.98"), (420, "1.01")),
    "DKK": ((720, "1.0"), (365, "1.01")),
}

AGE_DAYS = {
    "draft": (2, 70),
    "submitted": (4, 60),
    "returned": (20, 160),
    "rejected": (30, 200),
    "published": (40, 300),
    # Projects under way or finished started up to two years ago: their pledges are
    # committed, then disbursed in tranches across two calendar years (issue #16).
    "in_implementation": (120, 480),
    "delivered": (380, 620),
    "closed": (420, 660),
    "withdrawn": (40, 300),
}
#: Donors pledging most often: the two with demo logins, then the larger funds.
DONOR_WEIGHTS = {
    "GB": 5,
    "EE": 5,
    "US": 4,
    "DE": 3,
    "NL": 3,
    "DK": 2,
    "SE": 2,
    "FR": 2,
    "PL": 2,
    "CA": 2,
    "IT": 1,
}

#: Reviewers' reasons for returning a project, by kind of project (see UPDATE_FAMILY).
RETURN_COMMENTS: dict[str, tuple[str, ...]] = {
    "training": (
        "Please add a budget breakdown by item and say how many people will be trained "
        "and how they are selected.",
        "Будь ласка, додайте програму навчання та вкажіть, хто саме братиме участь.",
    ),
    "equipment": (
        "Додайте, будь ласка, обґрунтування кількості обладнання та план його розміщення.",
        "Please add the technical specification and say who will operate and maintain the "
        "equipment after delivery.",
    ),
    "services": (
        "Будь ласка, уточніть, які системи охоплює проєкт, і додайте технічне завдання.",
        "The planned dates overlap with a similar project funded last year; please explain "
        "how this one differs.",
    ),
}
REJECT_COMMENTS = (
    "Outside the Tallinn Mechanism's civilian scope: the request covers military communications.",
    "Дублює вже профінансований проєкт; рекомендуємо долучитися до нього.",
    "The budget is not justified and the recipient did not answer two requests for details.",
)
WITHDRAW_COMMENTS = {
    "draft": "Потребу закрито за рахунок державного бюджету.",
    "submitted": "Об’єднано з іншим проєктом нашої установи.",
    "published": "The need was covered by a bilateral agreement outside the Mechanism.",
    "in_implementation": "Проєкт призупинено: об’єкт пошкоджено внаслідок обстрілу; подамо "
    "оновлений запит.",
}
#: Progress reports by kind of project: (title, body, percent), Ukrainian then English.
UPDATE_STEPS: dict[
    str, tuple[tuple[tuple[str, str, int], ...], tuple[tuple[str, str, int], ...]]
] = {
    "training": (
        (
            (
                "Оголошено набір учасників",
                "Сформовано список учасників від структурних підрозділів; погоджено графік навчання.",
                10,
            ),
            (
                "Перший модуль навчання завершено",
                "Перший модуль пройшли 18 учасників; середній результат підсумкового тесту — 82 %.",
                40,
            ),
            (
                "Практичні заняття на кіберполігоні",
                "Проведено дві практичні сесії з розслідування інцидентів на кіберполігоні партнера.",
                70,
            ),
            (
                "Навчання завершено",
                "Усі учасники отримали сертифікати; звіт про результати надіслано донорам.",
                100,
            ),
        ),
        (
            (
                "Course materials localised",
                "All modules are translated into Ukrainian and reviewed by the recipient's trainers.",
                15,
            ),
            (
                "First cohort completed",
                "The first cohort finished the course; two participants will join the trainer pool.",
                50,
            ),
            (
                "Cyber range exercise held",
                "Teams practised the response to a wiper attack on a simulated regional network.",
                75,
            ),
            (
                "Course completed",
                "All cohorts completed; certificates issued and the final report sent to donors.",
                100,
            ),
        ),
    ),
    "equipment": (
        (
            (
                "Закупівлю завершено",
                "Тендер завершено, договір із постачальником підписано. Постачання очікується "
                "протягом шести тижнів.",
                25,
            ),
            (
                "Обладнання отримано",
                "Обладнання надійшло на склад; триває вхідний контроль і облік.",
                50,
            ),
            (
                "Встановлено на перших об’єктах",
                "Обладнання встановлено й налаштовано на перших об’єктах; решта — за графіком.",
                75,
            ),
            (
                "Введено в експлуатацію",
                "Усе обладнання введено в експлуатацію; персонал пройшов інструктаж.",
                100,
            ),
        ),
        (
            (
                "Site survey completed",
                "All sites surveyed; power and rack space confirmed at each.",
                20,
            ),
            (
                "Delivery cleared customs",
                "The shipment cleared customs in Lviv and is on its way to the sites.",
                45,
            ),
            (
                "Installation at the first sites",
                "Installation and configuration finished at the first sites; acceptance tests "
                "passed.",
                70,
            ),
            (
                "Handover completed",
                "Everything is installed and handed over; the warranty and support contacts are "
                "with the recipient.",
                100,
            ),
        ),
    ),
    "services": (
        (
            (
                "Розпочато роботи",
                "Проведено стартову зустріч, погоджено обсяг робіт і контактних осіб.",
                10,
            ),
            (
                "Проміжний звіт",
                "Виконано близько половини запланованих робіт; виявлені критичні ризики передано "
                "на усунення.",
                50,
            ),
            (
                "Основний етап завершено",
                "Основний етап завершено; триває перевірка усунення недоліків.",
                80,
            ),
            (
                "Результати передано",
                "Підсумковий звіт і рекомендації передано керівництву; проведено заключну зустріч.",
                100,
            ),
        ),
        (
            (
                "Kick-off held",
                "Scope, contacts and rules of engagement agreed with the recipient.",
                10,
            ),
            (
                "Interim report delivered",
                "About half of the planned work is done; critical findings were handed over for "
                "remediation at once.",
                50,
            ),
            (
                "Remediation checked",
                "Re-testing confirmed that most critical findings are fixed.",
                80,
            ),
            (
                "Final report delivered",
                "The final report and recommendations were presented to the recipient's "
                "management.",
                100,
            ),
        ),
    ),
}
UPDATE_FAMILY = {"training": "training", "equipment": "equipment", "connectivity": "equipment"}


# --- offers -----------------------------------------------------------------


@dataclass(frozen=True)
class OfferSpec:
    org: str
    category: str
    description: str
    quantity: int | None = None
    value: tuple[int, str] | None = None
    #: Themes of projects the offer is matched to (after publication).
    themes: tuple[str, ...] = ()
    #: What an in-kind pledge made from this offer gives, per project.
    in_kind: str = ""
    in_kind_quantity: int | None = None
    status: str = "open"


OFFERS: tuple[OfferSpec, ...] = (
    OfferSpec(
        "PL",
        "connectivity",
        "200 Starlink terminals with 12 months of service",
        200,
        (600_000, "PLN"),
        ("starlink",),
        "Starlink terminals with 12 months of service",
        50,
    ),
    OfferSpec(
        "EE",
        "training",
        "SOC analyst training for 40 people (five weeks, in Tallinn and online)",
        40,
        (180_000, "EUR"),
        ("soc-training",),
        "Places on the SOC analyst course",
        20,
    ),
    OfferSpec(
        "US",
        "detection",
        "EDR licences for 10,000 endpoints, two years",
        10_000,
        (1_200_000, "USD"),
        ("edr",),
        "EDR licences (two years)",
        2_500,
    ),
    OfferSpec(
        "DE",
        "equipment",
        "30 next-generation firewall appliances with three years of subscriptions",
        30,
        None,
        ("ngfw",),
        "Firewall appliances",
        10,
    ),
    OfferSpec(
        "NL",
        "information-sharing",
        "MISP hosting and analyst support for 12 months",
        None,
        (90_000, "EUR"),
        ("misp", "cti-feed"),
    ),
    OfferSpec(
        "DK",
        "connectivity",
        "40 generator and UPS sets for data rooms",
        40,
        (1_500_000, "DKK"),
        ("power-ups",),
        "Generator and UPS sets",
        12,
    ),
    OfferSpec(
        "FR",
        "governance",
        "Legal experts for the NIS2 transposition, six months",
        None,
        None,
        ("nis2-law",),
    ),
    OfferSpec(
        "SE",
        "training",
        "Cyber hygiene e-learning in Ukrainian for 5,000 civil servants",
        5_000,
        (900_000, "SEK"),
        ("cyber-hygiene",),
    ),
    OfferSpec(
        "CA",
        "incident-response",
        "Incident response surge team: three deployments of two weeks",
        3,
        (250_000, "CAD"),
        ("rapid-response", "ransomware-recovery"),
    ),
    OfferSpec(
        "IT",
        "equipment",
        "150 hardened laptops for diplomats",
        150,
        None,
        ("secure-laptops",),
        "Hardened laptops",
        150,
    ),
    OfferSpec(
        "BEREH",
        "assessment",
        "Penetration testing of up to five state information systems",
        5,
        (4_500_000, "UAH"),
        ("eservices-audit",),
    ),
    OfferSpec(
        "NORDHAVEN",
        "detection",
        "24/7 managed detection and response for three regional administrations, 12 months",
        3,
        (420_000, "EUR"),
        ("regional-soc",),
    ),
    OfferSpec(
        "LUMENSHIELD",
        "training",
        "OT security course for 25 engineers",
        25,
        (300_000, "PLN"),
        ("ot-training",),
    ),
    OfferSpec(
        "GB",
        "incident-response",
        "Ransomware recovery toolkit and tabletop exercises for five organisations",
        5,
        (150_000, "GBP"),
    ),
    OfferSpec(
        "KCL",
        "information-sharing",
        "Threat intelligence reporting on APT groups targeting Ukraine, 12 months",
        None,
        (1_800_000, "UAH"),
    ),
    OfferSpec(
        "US",
        "connectivity",
        "Satellite backup links for 20 substations",
        20,
        None,
        status="withdrawn",
    ),
)

ENGAGEMENT_ROLES = {
    "assessment": "Assessment and penetration testing",
    "training": "Training delivery",
    "detection": "Integration and monitoring",
    "incident-response": "Incident response services",
    "equipment": "Supply and installation",
    "connectivity": "Supply, installation and support",
    "information-sharing": "Platform set-up and support",
    "governance": "Expert advice",
}
COMPANIES = ("BEREH", "KCL", "STOZHARY", "NORDHAVEN", "LUMENSHIELD")
