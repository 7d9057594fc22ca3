"""What a user may do (as opposed to see, which is :mod:`tmdesk.core.visibility`).

Every function assumes the caller already checked that the user may see the
project; they answer only "may this role do this here".
"""

from __future__ import annotations

from tmdesk.core.models import Engagement, Offer, Pledge, Project, User
from tmdesk.core.visibility import OFFICE_KINDS, can_see_people, is_officer

EDITABLE_STATUSES = ("draft", "returned")
OPEN_STATUSES = ("draft", "submitted", "returned", "published", "in_implementation")
PLEDGEABLE_STATUSES = ("published", "in_implementation")


def is_recipient_of(user: User, project: Project) -> bool:
    return user.organisation.kind == "recipient" and project.recipient_id == user.organisation_id


def is_engaged_company(user: User, project: Project) -> bool:
    return (
        user.organisation.kind == "company"
        and Engagement.select()
        .where((Engagement.project == project.id) & (Engagement.company == user.organisation_id))
        .exists()
    )


def can_create_project(user: User) -> bool:
    """Recipient staff draft projects for their own organisation."""
    return user.active and user.organisation.kind == "recipient"


def can_edit_project(user: User, project: Project) -> bool:
    return project.status in EDITABLE_STATUSES and is_recipient_of(user, project)


def can_manage_members(user: User, project: Project) -> bool:
    """Naming users on a project (who sees it when RED): those who may see the list."""
    return can_see_people(user, project)


def can_attach_document(user: User, project: Project) -> bool:
    if project.status in ("closed", "withdrawn", "rejected"):
        return False
    return is_recipient_of(user, project) or is_officer(user)


def can_post_update(user: User, project: Project, funding_state: str) -> bool:
    """Progress updates: once funded (or under way), by the recipient, an
    engaged company, or the coordinating offices."""
    if project.status not in ("published", "in_implementation", "delivered"):
        return False
    if project.status == "published" and funding_state == "unfunded":
        return False
    return is_recipient_of(user, project) or is_officer(user) or is_engaged_company(user, project)


def can_pledge(user: User, project: Project) -> bool:
    """Donors pledge for their organisation; officers record pledges for donors."""
    if project.status not in PLEDGEABLE_STATUSES:
        return False
    return user.organisation.kind == "donor" or is_officer(user)


def can_manage_pledge(user: User, pledge: Pledge) -> bool:
    """The pledging donor, or the offices acting for it."""
    return pledge.donor_id == user.organisation_id or is_officer(user)


def can_record_offer(user: User) -> bool:
    return user.organisation.kind in ("donor", "company") or is_officer(user)


def can_manage_offer(user: User, offer: Offer) -> bool:
    return offer.organisation_id == user.organisation_id or is_officer(user)


def can_link_offers(user: User) -> bool:
    return is_officer(user)


def can_manage_engagements(user: User) -> bool:
    return is_officer(user)


def can_review(user: User) -> bool:
    """Back Office and Project Office review submitted projects."""
    return user.organisation.kind in OFFICE_KINDS


def can_administer(user: User) -> bool:
    return user.active and user.is_admin
