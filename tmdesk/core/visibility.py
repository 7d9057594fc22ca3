"""Who may see which project: the one visibility policy.

Pages, API, search, exports and reports all call :func:`visible_projects`
(or :func:`can_see`, which is the same rule applied to one project), and
everything derived from a project (pledges, updates, documents, engagements,
offer links) is visible exactly when its project is.

The rule (issue #2, DESIGN.md section 3):

* draft: its own (recipient) organisation only;
* submitted, returned, rejected (and a project withdrawn before it was ever
  published): its own organisation plus the Back Office and Project Office;
* published and later (including a project withdrawn after publication), by
  TLP label: CLEAR and GREEN every account; AMBER donors, Back Office,
  Project Office, the recipient organisation and companies engaged on the
  project; AMBER+STRICT the recipient organisation, Back Office and Project
  Office;
* TLP:RED: only the users named on the project (the submitter is always
  named); before publication also within the status rule above.

Anonymous users and deactivated accounts see nothing.
"""

from __future__ import annotations

from collections.abc import Collection

import peewee as pw

from tmdesk.core import prepared
from tmdesk.core.models import Engagement, Offer, OfferLink, Pledge, Project, ProjectMember, User
from tmdesk.core.vocab import PROJECT_STATUSES

OFFICE_KINDS = ("back_office", "project_office")
PRE_PUBLICATION = ("draft", "submitted", "returned", "rejected")
PUBLISHED_AND_LATER = ("published", "in_implementation", "delivered", "closed")


def is_officer(user: User | None) -> bool:
    """Back Office and Project Office staff."""
    return user is not None and user.organisation.kind in OFFICE_KINDS


def _nothing() -> pw.Expression:
    return Project.id.is_null(True) & Project.id.is_null(False)


def visibility_condition(user: User | None) -> pw.Expression:
    """A WHERE condition on :class:`Project` selecting what ``user`` may see."""
    if user is None or not user.active:
        return _nothing()
    org = user.organisation
    kind = org.kind
    own = Project.recipient == org.id
    officer = kind in OFFICE_KINDS

    ever_published = Project.published_at.is_null(False)
    is_published = Project.status.in_(PUBLISHED_AND_LATER) | (
        (Project.status == "withdrawn") & ever_published
    )
    pre_publication = ~is_published
    is_draft = (Project.status == "draft") | (
        (Project.status == "withdrawn") & Project.submitted_at.is_null(True)
    )

    # Status rule before publication: the offices see everything submitted,
    # the recipient organisation its own projects, drafts included.
    before_pub = ~is_draft if officer else own

    # TLP rule after publication.
    after_pub = _after_publication(user)
    named = _named(user)
    is_red = Project.tlp == "RED"
    # Before publication RED narrows the status rule to the named users; after
    # publication RED means exactly the named users, whatever their kind.
    before_rule = pre_publication & before_pub & (~is_red | named)
    after_rule = is_published & (after_pub | (is_red & named))
    return before_rule | after_rule


def visible_with_statuses(user: User | None, statuses: Collection[str]) -> pw.Expression:
    """A WHERE condition selecting the projects in ``statuses`` that ``user`` may see.

    The same rule as :func:`visibility_condition`, with the status filter applied
    first: when every status asked for is on one side of publication, only that
    side of the rule is written out. The Catalogue's pages, the dashboard's
    figures of open projects and the review queue filter by status, and the
    database then tests a third of the expression on every row it counts.
    """
    wanted = tuple(dict.fromkeys(statuses))
    in_statuses = Project.status.in_(wanted)
    if user is None or not user.active or not wanted:
        return _nothing()
    if set(wanted) <= set(PUBLISHED_AND_LATER):
        # Published and later: the TLP rule alone (RED: the named users).
        after_pub = _after_publication(user)
        return in_statuses & (after_pub | ((Project.tlp == "RED") & _named(user)))
    if set(wanted) <= set(PRE_PUBLICATION):
        org = user.organisation
        if org.kind in OFFICE_KINDS:
            if "draft" in wanted:  # drafts are their organisation's alone
                wanted = tuple(s for s in wanted if s != "draft")
                if not wanted:
                    return _nothing()
                in_statuses = Project.status.in_(wanted)
            before_pub = in_statuses
        else:
            before_pub = in_statuses & (Project.recipient == org.id)
        return before_pub & ((Project.tlp != "RED") | _named(user))
    return in_statuses & visibility_condition(user)


def viewer_key(user: User | None) -> tuple:
    """Everything of ``user`` the rule above reads: whether the account is active, its
    organisation and that organisation's kind (own projects, engagements, the TLP
    rule), and the TLP:RED projects it is named on (naming matters for RED alone).
    Two accounts with the same key see exactly the same projects, so whatever is
    summed over what one may see can be kept for both (:mod:`tmdesk.core.figures`).
    """
    if user is None or not user.active:
        return ()
    named_red = (
        ProjectMember.select(ProjectMember.project_id)
        .join(Project, on=(ProjectMember.project == Project.id))
        .where((ProjectMember.user == user.id) & (Project.tlp == "RED"))
        .order_by(ProjectMember.project_id)
        .tuples()
    )
    return (user.organisation_id, user.organisation.kind, tuple(p for (p,) in named_red))


def _named(user: User) -> pw.Expression:
    """The projects ``user`` is named on."""
    return Project.id.in_(
        ProjectMember.select(ProjectMember.project).where(ProjectMember.user == user.id)
    )


def _after_publication(user: User) -> pw.Expression:
    """The TLP rule after publication for ``user``'s organisation (RED aside)."""
    org = user.organisation
    kind = org.kind
    own = Project.recipient == org.id
    tlp_open = Project.tlp.in_(("CLEAR", "GREEN"))
    if kind in OFFICE_KINDS:
        return Project.tlp.in_(("CLEAR", "GREEN", "AMBER", "AMBER+STRICT"))
    if kind == "donor":
        return Project.tlp.in_(("CLEAR", "GREEN", "AMBER"))
    if kind == "recipient":
        return tlp_open | (Project.tlp.in_(("AMBER", "AMBER+STRICT")) & own)
    if kind == "company":
        engaged = Project.id.in_(
            Engagement.select(Engagement.project).where(Engagement.company == org.id)
        )
        return tlp_open | ((Project.tlp == "AMBER") & engaged)
    return tlp_open  # observers and anything else: the open labels only


def statuses_seen_by(user: User | None) -> tuple[str, ...]:
    """The project statuses ``user``'s role can ever see (for filters that offer only
    what could match): a recipient its own drafts and everything after; the offices
    everything once submitted; everyone else published projects and later (and those
    withdrawn after publication)."""
    if user is None or not user.active:
        return ()
    kind = user.organisation.kind
    if kind == "recipient":
        return tuple(PROJECT_STATUSES)
    if kind in OFFICE_KINDS:
        return tuple(s for s in PROJECT_STATUSES if s != "draft")
    return (*PUBLISHED_AND_LATER, "withdrawn")


def visible_projects(user: User | None, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
    """``query`` (default: all projects) narrowed to what ``user`` may see."""
    if query is None:
        query = Project.select()
    return query.where(visibility_condition(user))


def can_see(user: User | None, project: Project) -> bool:
    """Whether ``user`` may see ``project``: the same rule as :func:`visible_projects`."""
    return (
        Project.select(Project.id)
        .where((Project.id == project.id) & visibility_condition(user))
        .exists()
    )


def get_visible_project(user: User | None, ref: str) -> Project | None:
    """The project with reference ``ref`` if ``user`` may see it, else None.

    Callers answer 404 for None, so a hidden project is indistinguishable
    from a missing one.
    """
    project = _visible_one(user, "ref", ref)
    if project is None:
        # A desk's provisional ref keeps resolving after the office's replaced it.
        from tmdesk.core.models import RefAlias

        alias = RefAlias.get_or_none(RefAlias.ref == ref)
        if alias is not None:
            project = _visible_one(user, "id", alias.project_id)
    return project


def viewer_shape(user: User | None) -> tuple:
    """Everything of ``user`` that :func:`visibility_condition` writes into its SQL:
    two users with the same shape get the same SQL text (the data it reads, such as
    the projects a user is named on, is in subqueries), so it can be built once
    (:mod:`tmdesk.core.prepared`). A new input of the rule must be added here."""
    if user is None or not user.active:
        return ()
    return (user.id, user.organisation_id, user.organisation.kind)


def _visible_one(user: User | None, column: str, value: str | int) -> Project | None:
    """The project whose ``column`` is ``value`` if ``user`` may see it (the SQL of
    the visibility rule built once per viewer, the hottest query of the API)."""
    field = getattr(Project, column)
    found = prepared.rows(
        ("visibility.one", column, viewer_shape(user)),
        lambda wanted: visible_projects(user).where(field == wanted).limit(1),
        value,
    )
    return found[0] if found else None


def offer_condition(user: User | None) -> pw.Expression:
    """A WHERE condition on :class:`Offer` selecting the offers ``user`` may see.

    The offices see all; others their organisation's own. An offer says what
    a donor or company is prepared to give before anything is agreed, so it
    stays between the offering organisation and the offices that match it.
    """
    if user is None or not user.active:
        return Offer.id.is_null(True) & Offer.id.is_null(False)
    if is_officer(user):
        return Offer.id.is_null(False)
    return Offer.organisation == user.organisation_id


def visible_offers(user: User | None, query: pw.ModelSelect | None = None) -> pw.ModelSelect:
    """Offers ``user`` may see (:func:`offer_condition`)."""
    if query is None:
        query = Offer.select()
    return query.where(offer_condition(user))


# --- field-level visibility ---------------------------------------------------
#
# A record's fields reach exactly those who may see the record on its own
# page, whichever surface shows them (project page, API, report context,
# search). A record seen *through* another one (an offer linked to a project,
# the people named on a project) is shown there only to those who may see it
# on its own page. Pledges, engagements, updates and documents are seen with
# their project; the offer a pledge came from only by those who see the offer.


def can_see_offer(user: User | None, offer) -> bool:
    """Whether ``user`` may see ``offer`` (and so its description, quantity, status)."""
    if user is None or not user.active:
        return False
    return is_officer(user) or offer.organisation_id == user.organisation_id


def visible_offer_links(user: User | None, query: pw.ModelSelect) -> pw.ModelSelect:
    """``query`` over :class:`OfferLink` narrowed to links whose offer ``user`` may see."""
    return query.where(OfferLink.offer.in_(Offer.select(Offer.id).where(offer_condition(user))))


def can_see_people(user: User | None, project: Project) -> bool:
    """Whether ``user`` may see who is named on ``project`` (names and e-mails).

    The recipient organisation that owns the project and the offices: those
    who name people on it. Everyone else sees the project without its list.
    """
    if user is None or not user.active:
        return False
    return is_officer(user) or (
        user.organisation.kind == "recipient" and project.recipient_id == user.organisation_id
    )


def can_see_donor_fields(user: User | None, pledge) -> bool:
    """Whether ``user`` may see (and edit) ``pledge``'s donor's own fields: the pledging
    donor and the offices. A donor's project number or CRS id is its own business;
    every other viewer of the pledge sees the pledge without them. The caller has
    checked that ``user`` may see the pledge's project."""
    if user is None or not user.active:
        return False
    return is_officer(user) or pledge.donor_id == user.organisation_id


def donor_fields_condition(user: User | None) -> pw.Expression:
    """A WHERE condition on :class:`~tmdesk.core.models.Pledge` selecting the pledges
    whose donor fields ``user`` may see (:func:`can_see_donor_fields`), for lists."""
    if user is None or not user.active:
        return Pledge.id.is_null(True) & Pledge.id.is_null(False)
    if is_officer(user):
        return Pledge.id.is_null(False)
    return Pledge.donor == user.organisation_id
