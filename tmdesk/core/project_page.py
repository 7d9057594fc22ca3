"""The project page's read model: everything the page shows about one project.

The caller has checked that the user may see the project; each list here is one
query, and what the user may do with it comes from :mod:`tmdesk.core.permissions`.
"""

from __future__ import annotations

from typing import Any

from tmdesk.core import permissions, projects
from tmdesk.core.flows import project_flows
from tmdesk.core.funding import Funding, project_funding
from tmdesk.core.models import (
    Document,
    Engagement,
    Offer,
    OfferLink,
    Organisation,
    Pledge,
    Project,
    ProjectMember,
    StatusChange,
    Update,
    User,
)
from tmdesk.core.visibility import can_see_people, visible_offer_links


def story(user: User, project: Project) -> dict[str, Any]:
    """Everything the project page shows, each list in a single query."""
    funding: Funding = project_funding(project)
    flows = project_flows(project)
    pledges = list(
        Pledge.select(Pledge, Organisation)
        .join(Organisation, on=(Pledge.donor == Organisation.id))
        .where(Pledge.project == project.id)
        .order_by(Pledge.created_at.desc(), Pledge.id.desc())
    )
    offer_links = list(
        visible_offer_links(
            user,
            OfferLink.select(OfferLink, Offer, Organisation)
            .join(Offer)
            .join(Organisation, on=(Offer.organisation == Organisation.id))
            .where(OfferLink.project == project.id),
        ).order_by(OfferLink.created_at.desc())
    )
    engagements = list(
        Engagement.select(Engagement, Organisation)
        .join(Organisation, on=(Engagement.company == Organisation.id))
        .where(Engagement.project == project.id)
        .order_by(Engagement.id)
    )
    history = list(
        StatusChange.select(StatusChange, User)
        .join(User)
        .where(StatusChange.project == project.id)
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
    )
    update_list = list(
        Update.select(Update, User)
        .join(User, on=(Update.author == User.id))
        .where(Update.project == project.id)
        .order_by(Update.date.desc(), Update.id.desc())
    )
    documents = list(
        Document.select()
        .where(Document.project == project.id)
        .order_by(Document.uploaded_at.desc(), Document.id.desc())
    )
    update_docs: dict[int, list[Document]] = {}
    for doc in documents:
        if doc.update_id:
            update_docs.setdefault(doc.update_id, []).append(doc)
    may_members = permissions.can_manage_members(user, project)
    members = []
    if can_see_people(user, project):
        members = list(
            User.select(User)
            .join(ProjectMember)
            .where(ProjectMember.project == project.id)
            .order_by(User.email)
        )
    return {
        "officers_to_name": projects.officers_to_name()
        if may_members and project.tlp == "RED"
        else [],
        "project": project,
        "funding": funding,
        "flows": flows,
        "pledges": pledges,
        "offer_links": offer_links,
        "engagements": engagements,
        "history": history,
        "updates": update_list,
        "update_docs": update_docs,
        "documents": [d for d in documents if not d.update_id and not d.pledge_id],
        "members": members,
        "may_members": may_members,
        "may_edit": permissions.can_edit_project(user, project),
        "may_update": permissions.can_post_update(user, project, funding.state),
        "may_attach": permissions.can_attach_document(user, project),
        "actions": projects.available_actions(user, project),
        "confirmed_steps": projects.CONFIRMED_STEPS,
        "return_comment": next((h for h in history if h.action == "return"), None)
        if project.status == "returned"
        else None,
    }


def latest_return(project: Project) -> StatusChange | None:
    """The reviewer's comment a returned project was sent back with (None otherwise)."""
    if project.status != "returned":
        return None
    return (
        StatusChange.select(StatusChange, User)
        .join(User)
        .where((StatusChange.project == project.id) & (StatusChange.action == "return"))
        .order_by(StatusChange.at.desc(), StatusChange.id.desc())
        .first()
    )
