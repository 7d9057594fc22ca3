"""How tmdesk's words map onto IATI 2.03 codelists (see docs/iati.md).

Every code used here is on the codelists in ``shared/iati/codelists``;
tests/plugins/test_iati.py checks each exported file against them.
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

DATE_PLANNED_START = "1"
DATE_PLANNED_END = "3"
BUDGET_ORIGINAL = "1"
BUDGET_INDICATIVE = "1"
SECTOR_DAC5 = "1"
AID_TYPE_VOCABULARY_OECD = "1"
AID_TYPE_IN_KIND = "C01"  # Project-type interventions

#: The prefix for organisations without an IATI identifier of their own.
FALLBACK_ORG_PREFIX = "XM-TMDESK-"
