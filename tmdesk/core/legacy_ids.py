"""Links from before records were named by uid (issue 12, "counting by identifiers").

Pages and the API used to name pledges, offers, documents and engagements by
their sequential row id. Those links (in bookmarks, e-mails, other systems)
keep working: :func:`visible_uid` gives the record's uid only when ``user``
may see the record, under the same policy as its own page, so the web can
send a moved-permanently answer; for a hidden record it answers exactly as
for one that never existed.
"""

from __future__ import annotations

from tmdesk.core.models import Document, Engagement, Offer, Pledge, User
from tmdesk.core.validation import parse_id
from tmdesk.core.visibility import can_see, visible_offers

#: The kinds of record an old link may name.
KINDS = ("pledge", "offer", "document", "engagement")


def visible_uid(user: User | None, kind: str, row_id: int | str) -> str | None:
    """The uid of the ``kind`` record with this old id, if ``user`` may see it; else None
    (also for an id no row can have)."""
    row = parse_id(row_id)
    if row is None or user is None:
        return None
    if kind == "offer":
        offer = visible_offers(user, Offer.select(Offer.uid)).where(Offer.id == row).first()
        return offer.uid if offer is not None else None
    model = {"pledge": Pledge, "document": Document, "engagement": Engagement}[kind]
    record = model.get_or_none(model.id == row)
    if record is None or not can_see(user, record.project):
        return None
    return record.uid
