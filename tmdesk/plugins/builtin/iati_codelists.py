"""IATI codelist entries the built-in IATI plugin offers as donor-field choices.

Generated from the IATI 2.03 codelists (``shared/iati/codelists``: FlowType,
FinanceType, AidType, PolicyMarker, PolicySignificance), active codes only, with
their English names; tests/test_donor_fields.py checks every code against the
codelists, so a code here is always one the IATI validator accepts.
"""

from __future__ import annotations

FLOW_TYPES: tuple[tuple[str, str], ...] = (
    ("10", "ODA"),
    ("21", "Non-export credit OOF"),
    ("22", "Officially supported export credits"),
    ("30", "Private Development Finance"),
    ("36", "Private Foreign Direct Investment"),
    ("37", "Other Private flows at market terms"),
    ("40", "Non flow"),
    ("50", "Other flows"),
)

FINANCE_TYPES: tuple[tuple[str, str], ...] = (
    ("1", "GNI: Gross National Income"),
    ("110", "Standard grant"),
    ("1100", "Guarantees/insurance"),
    ("2", "ODA % GNI"),
    ("210", "Interest subsidy"),
    ("3", "Total Flows % GNI"),
    ("310", "Capital subscription on deposit basis"),
    ("311", "Capital subscription on encashment basis"),
    ("4", "Population"),
    ("421", "Standard loan"),
    ("422", "Reimbursable grant"),
    ("423", "Bonds"),
    ("424", "Asset-backed securities"),
    ("425", "Other debt securities"),
    ("431", "Subordinated loan"),
    ("432", "Preferred equity"),
    ("433", "Other hybrid instruments"),
    ("510", "Common equity"),
    ("520", "Shares in collective investment vehicles"),
    ("530", "Reinvested earnings"),
    ("610", "Debt forgiveness:  ODA claims (P)"),
    ("611", "Debt forgiveness: ODA claims (I)"),
    ("612", "Debt forgiveness: OOF claims (P)"),
    ("613", "Debt forgiveness: OOF claims (I)"),
    ("614", "Debt forgiveness:  Private claims (P)"),
    ("615", "Debt forgiveness:  Private claims (I)"),
    ("616", "Debt forgiveness: OOF claims (DSR)"),
    ("617", "Debt forgiveness:  Private claims (DSR)"),
    ("618", "Debt forgiveness: Other"),
    ("620", "Debt rescheduling: ODA claims (P)"),
    ("621", "Debt rescheduling: ODA claims (I)"),
    ("622", "Debt rescheduling: OOF claims (P)"),
    ("623", "Debt rescheduling: OOF claims (I)"),
    ("624", "Debt rescheduling:  Private claims (P)"),
    ("625", "Debt rescheduling:  Private claims (I)"),
    ("626", "Debt rescheduling: OOF claims (DSR)"),
    ("627", "Debt rescheduling:  Private claims (DSR)"),
    ("630", "Debt rescheduling: OOF claim (DSR – original loan principal)"),
    ("631", "Debt rescheduling: OOF claim (DSR – original loan interest)"),
    ("632", "Debt rescheduling: Private claim (DSR – original loan principal)"),
    ("633", "Debt forgiveness/conversion: export credit claims (P)"),
    ("634", "Debt forgiveness/conversion:  export credit claims (I)"),
    ("635", "Debt forgiveness:  export credit claims (DSR)"),
    ("636", "Debt rescheduling:  export credit claims (P)"),
    ("637", "Debt rescheduling:  export credit claims (I)"),
    ("638", "Debt rescheduling:  export credit claims (DSR)"),
    ("639", "Debt rescheduling:  export credit claim (DSR – original loan principal)"),
)

AID_TYPES: tuple[tuple[str, str], ...] = (
    ("A01", "General budget support"),
    ("A02", "Sector budget support"),
    ("B01", "Core support to NGOs, other private bodies, PPPs and research institutes"),
    ("B02", "Core contributions to multilateral institutions and global funds"),
    ("B021", "Core contributions to multilateral institutions"),
    ("B022", "Core contributions to global funds"),
    (
        "B03",
        "Contributions to specific-purpose programmes and funds managed by implementing partners",
    ),
    ("B031", "Contributions to multi-donor/multi-entity funding mechanisms"),
    ("B032", "Contributions to multi-donor/single-entity funding mechanisms"),
    (
        "B033",
        "Contributions to single-donor funding mechanisms and contributions earmarked for a specific funding window or geographical location",
    ),
    ("B04", "Basket funds/pooled funding"),
    ("C01", "Project-type interventions"),
    ("D01", "Donor country personnel"),
    ("D02", "Other technical assistance"),
    ("E01", "Scholarships/training in donor country"),
    ("E02", "Imputed student costs"),
    ("F01", "Debt relief"),
    ("G01", "Administrative costs not included elsewhere"),
    ("H01", "Development awareness"),
    ("H02", "Refugees/asylum seekers in donor countries"),
    ("H03", "Asylum-seekers ultimately accepted"),
    ("H04", "Asylum-seekers ultimately rejected"),
    ("H05", "Recognised refugees"),
    ("H06", "Refugees and asylum seekers in other provider countries"),
)

POLICY_MARKERS: tuple[tuple[str, str], ...] = (
    ("1", "Gender Equality"),
    ("2", "Aid to Environment"),
    ("3", "Participatory Development/Good Governance"),
    ("4", "Trade Development"),
    ("5", "Aid Targeting the Objectives of the Convention on Biological Diversity"),
    (
        "6",
        "Aid Targeting the Objectives of the Framework Convention on Climate Change - Mitigation",
    ),
    (
        "7",
        "Aid Targeting the Objectives of the Framework Convention on Climate Change - Adaptation",
    ),
    ("8", "Aid Targeting the Objectives of the Convention to Combat Desertification"),
    ("9", "Reproductive, Maternal, Newborn and Child Health (RMNCH)"),
    ("10", "Disaster Risk Reduction(DRR)"),
    ("11", "Disability"),
    ("12", "Nutrition"),
)

POLICY_SIGNIFICANCE: tuple[tuple[str, str], ...] = (
    ("0", "not targeted"),
    ("1", "significant objective"),
    ("2", "principal objective"),
    ("3", "principal objective AND in support of an action programme"),
    ("4", "Explicit primary objective"),
)
