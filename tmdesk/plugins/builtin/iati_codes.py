"""How tmdesk's words map onto IATI 2.03 codelists (see docs/iati.md).

Every code used here is on the codelists in ``shared/iati/codelists``;
tests/test_iati.py checks each exported file against them.
"""

from __future__ import annotations

#: TM category → OECD DAC CRS purpose code (sector vocabulary 1).
#: Cyber defence of state bodies and critical infrastructure (detection,
#: incident response) is security-system work (15210); assessments,
#: equipment, connectivity and information sharing are ICT (22040); training
#: of specialists is advanced technical training (11430); policy and
#: governance of the digital field is communications policy (22010).
DAC_SECTOR = {
    "assessment": "22040",
    "training": "11430",
    "detection": "15210",
    "incident-response": "15210",
    "equipment": "22040",
    "connectivity": "22040",
    "information-sharing": "22040",
    "governance": "22010",
}

#: The TM categories themselves, published under the reporting organisation's
#: own vocabulary (99) with this URI.
TM_VOCABULARY = "99"
TM_VOCABULARY_URI = "https://github.com/tmdesk/tmdesk/blob/main/docs/iati.md#tm-categories"

#: Workflow status → IATI ActivityStatus.
ACTIVITY_STATUS = {
    "published": "1",  # Pipeline/identification: in the Catalogue, being funded
    "in_implementation": "2",  # Implementation
    "delivered": "3",  # Finalisation
    "closed": "4",  # Closed
    "withdrawn": "5",  # Cancelled
}

#: Organisation kind → IATI OrganisationType.
ORGANISATION_TYPE = {
    "donor": "10",  # Government (member countries)
    "recipient": "10",  # Government (Ukrainian public bodies)
    "back_office": "10",
    "project_office": "10",
    "observer": "40",  # Multilateral (EU, NATO)
    "company": "70",  # Private sector
}

ROLE_FUNDING = "1"
ROLE_ACCOUNTABLE = "2"
ROLE_IMPLEMENTING = "4"

TRANSACTION_PLEDGE = "12"  # Outgoing Pledge: offered, not yet committed
TRANSACTION_COMMITMENT = "2"  # Outgoing Commitment: confirmed
TRANSACTION_DISBURSEMENT = "3"  # Disbursement: money paid / goods delivered
TRANSACTION_EXPENDITURE = "4"  # Expenditure: an implementer's spending on the activity
TRANSACTION_INCOMING_COMMITMENT = "11"  # Incoming Commitment: the recipient's acknowledgement
#: tmdesk's transaction kinds → IATI TransactionType (an offered pledge is 12 by
#: itself; 13, Incoming Pledge, has no tmdesk counterpart: a donor's file
#: reports its own outgoing pledges).
TRANSACTION_TYPE = {
    "commitment": TRANSACTION_COMMITMENT,
    "disbursement": TRANSACTION_DISBURSEMENT,
    "expenditure": TRANSACTION_EXPENDITURE,
    "incoming_commitment": TRANSACTION_INCOMING_COMMITMENT,
}

DATE_PLANNED_START = "1"
DATE_PLANNED_END = "3"
BUDGET_ORIGINAL = "1"
BUDGET_INDICATIVE = "1"
SECTOR_DAC5 = "1"
AID_TYPE_VOCABULARY_OECD = "1"
AID_TYPE_IN_KIND = "C01"  # Project-type interventions
#: A recipient's finer kind → its OECD DAC CRS channel of delivery, used when the
#: donor gave no channel code of its own (the channel depends on who receives).
CRS_CHANNEL = {
    "ministry": "12001",  # Central Government
    "regional": "12002",  # Local Government (oblast administrations are sub-national)
    "local": "12002",  # Local Government
    "state_enterprise": "12003",  # Public corporations
}
POLICY_MARKER_OECD = "1"  # PolicyMarkerVocabulary: OECD DAC CRS

#: The prefix for organisations without an IATI identifier of their own.
FALLBACK_ORG_PREFIX = "XM-TMDESK-"
