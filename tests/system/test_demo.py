"""The demo data set: what it holds, who can log in, and that it behaves like real use."""

from __future__ import annotations

from collections import Counter

import pytest

from tests import pg
from tmdesk import demo, paths
from tmdesk.core import accounts
from tmdesk.core.audit import verify_chain
from tmdesk.core.bootstrap import open_database
from tmdesk.core.db import database
from tmdesk.core.funding import funding_for
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
from tmdesk.core.projects import age_in_days, review_queue
from tmdesk.core.visibility import can_see, visible_projects
from tmdesk.core.vocab import CATEGORIES, FUNDING_STATES, PROJECT_STATUSES, TLP_LABELS


@pytest.fixture(scope="module")
def demo_world(tmp_path_factory):
    """One demo load shared by the read-only tests of this module."""
    data_dir = tmp_path_factory.mktemp("demo")
    # PostgreSQL: a database of its own, which the per-test reset leaves alone.
    db = open_database(data_dir, pg.own_database("demo"))
    summary = demo.load_demo(data_dir=data_dir)
    return data_dir, db, summary


@pytest.fixture
def demo_db(demo_world):
    """Point the models at the shared demo database (other tests re-point them)."""
    data_dir, db, summary = demo_world
    database.initialize(db)
    database.connect(reuse_if_open=True)
    yield summary
    database.close()


def test_counts(demo_db):
    summary = demo_db
    assert Project.select().count() >= 60
    assert summary.counts["projects"] == Project.select().count()
    assert Offer.select().count() >= 10
    assert Engagement.select().count() >= 10
    assert Update.select().count() >= 20
    assert Document.select().count() > 0
    assert OfferLink.select().count() >= 5
    assert Offer.select().where(Offer.status == "open").exists()  # some are not matched yet


def test_organisations(demo_db):
    codes = {o.code: o for o in Organisation.select()}
    members = {"CA", "DK", "EE", "FR", "DE", "IT", "NL", "PL", "SE", "GB", "US"}
    assert {c for c, o in codes.items() if o.kind == "donor"} == members
    assert {c for c, o in codes.items() if o.kind == "observer"} == {"EU", "NATO"}
    assert codes["BACKOFFICE"].kind == "back_office" and codes["BACKOFFICE"].country == "PL"
    assert codes["TMPO"].kind == "project_office"
    recipients = {c for c, o in codes.items() if o.kind == "recipient"}
    assert {"MDT", "SSSCIP", "MFA-UA", "SSU", "NCCC"} <= recipients
    assert len([c for c in recipients if c.endswith("-OVA")]) >= 3
    assert {"UKRENERGO", "UKRZALIZNYTSIA", "NAFTOGAZ", "UKRPOSHTA"} <= recipients
    assert 4 <= len([o for o in codes.values() if o.kind == "company"]) <= 6
    assert all(o.name_en and o.name_uk for o in codes.values())
    assert codes["GB"].iati_id == "GB-GOV-1"


def test_projects_cover_every_category_status_and_label(demo_db):
    projects = list(Project.select())
    assert {p.category for p in projects} == set(CATEGORIES)
    assert {p.status for p in projects} == set(PROJECT_STATUSES)
    assert {p.tlp for p in projects} == set(TLP_LABELS)
    assert len({p.recipient_id for p in projects}) >= 10


def test_projects_are_bilingual_and_realistic(demo_db):
    projects = list(Project.select())
    ukrainian = [p for p in projects if p.title_uk]
    assert len(ukrainian) >= len(projects) // 2
    assert any(p.title_uk and not p.title_en for p in projects)  # some in Ukrainian only
    assert any("Навчання фахівців SOC" in p.title_uk for p in projects)
    assert {p.budget_currency for p in projects} >= {"EUR", "USD", "UAH"}
    rates = {"EUR": 1, "USD": 0.92, "GBP": 1.17, "UAH": 0.022}
    for p in projects:
        eur = float(p.budget_amount) * rates[p.budget_currency]
        assert 35_000 <= eur <= 3_100_000, (p.ref, p.budget_amount, p.budget_currency)
        assert p.planned_start and p.planned_end and p.planned_start <= p.planned_end
        assert 2025 <= p.planned_start.year <= 2027
        assert p.summary_en or p.summary_uk


def test_every_funding_state_and_several_currencies(demo_db):
    published = list(Project.select().where(Project.published_at.is_null(False)))
    funding = funding_for(published)
    assert {funding[p.id].state for p in published} == set(FUNDING_STATES)
    money = Pledge.select().where(Pledge.amount.is_null(False))
    assert len({p.currency for p in money}) >= 3
    assert {p.status for p in Pledge.select()} >= {"offered", "confirmed", "disbursed", "withdrawn"}
    assert Pledge.select().where(Pledge.in_kind != "").exists()
    assert Pledge.select().where(Pledge.offer.is_null(False)).exists()


def test_workflow_history_is_real(demo_db):
    returned = Project.select().where(Project.status == "returned")
    for project in returned:
        last = project.history.order_by(StatusChange.id.desc()).first()
        assert last.action == "return" and last.comment
    for project in Project.select():
        steps = list(project.history.order_by(StatusChange.id))
        assert steps[0].action == "create" and steps[-1].to_status == project.status
        times = [s.at for s in steps]
        assert times == sorted(times), project.ref
        assert project.created_at == steps[0].at
        if project.submitted_at:
            assert project.created_at <= project.submitted_at
        if project.published_at:
            assert project.submitted_at <= project.published_at
    withdrawn = Project.select().where(Project.status == "withdrawn")
    assert all(p.history.order_by(StatusChange.id.desc()).first().comment for p in withdrawn)


def test_review_queue_shows_ages(demo_db):
    queue = list(review_queue())
    assert len(queue) >= 5
    ages = [age_in_days(p.submitted_at) for p in queue]
    assert ages == sorted(ages, reverse=True)  # oldest first
    assert max(ages) >= 7 and len(set(ages)) >= 3


def test_red_projects_name_their_people(demo_db):
    red = list(Project.select().where(Project.tlp == "RED"))
    assert red
    gb = User.get(User.email == "donor@gb.demo")
    for project in red:
        named = {m.user.email for m in project.members}
        assert project.created_by.email in named and len(named) >= 2
    published_red = [p for p in red if p.published_at]
    assert published_red and all(can_see(gb, p) for p in published_red)
    assert ProjectMember.select().count() >= Project.select().count()


def test_demo_logins_see_something_each(demo_db):
    roles = {}
    for login in demo.DEMO_LOGINS:
        user = User.get(User.email == login.email)
        roles[user.organisation.kind] = user
        assert visible_projects(user).count() > 0, login.email
    assert set(roles) == {
        "recipient",
        "back_office",
        "project_office",
        "donor",
        "observer",
        "company",
    }
    assert roles["project_office"].is_admin
    # The recipient has work of its own in several states; the company its engagements.
    own = visible_projects(roles["recipient"]).where(
        Project.recipient == roles["recipient"].organisation_id
    )
    assert {"draft", "returned", "submitted", "published"} <= {p.status for p in own}
    engaged = Engagement.select().where(Engagement.company == roles["company"].organisation_id)
    assert engaged.count() >= 2
    assert any(e.project.tlp == "AMBER" and can_see(roles["company"], e.project) for e in engaged)
    assert Update.select().where(Update.author == roles["company"]).exists()


def test_every_demo_login_works(demo_db):
    logins = demo.DEMO_LOGINS
    assert len(logins) >= 7
    for login in logins:
        user = accounts.authenticate(login.email, demo.DEMO_PASSWORD)
        assert user is not None, login.email
        assert user.organisation.code == login.organisation
    # One strong hash shared by the demo accounts, made with the configured method.
    user = User.get(User.email == logins[0].email)
    assert user.password_hash.startswith(accounts.PASSWORD_METHOD.split(":")[0])


def test_describe_prints_logins_and_password(demo_db):
    text = demo_db.describe()
    assert demo.DEMO_PASSWORD in text
    for login in demo.DEMO_LOGINS:
        assert login.email in text
    assert "projects" in text


def test_second_run_without_force_is_refused(demo_db):
    before = Project.select().count()
    with pytest.raises(demo.DemoError, match="--force"):
        demo.load_demo()
    assert Project.select().count() == before


def test_audit_chain_verifies_after_demo(demo_db):
    report = verify_chain()
    assert report.ok and report.checked > 500


def _fingerprint() -> list[tuple]:
    """The demo's content; a draft's reference is random by design (it counts
    nothing, issue 12), so drafts are named by their creation order instead."""

    def ref(project: Project) -> str:
        return project.ref if not project.ref.startswith("DRAFT-") else f"draft #{project.id}"

    rows = sorted(
        (
            ref(p),
            p.title_en,
            p.title_uk,
            p.status,
            p.tlp,
            p.budget_amount,
            p.budget_currency,
            p.recipient.code,
        )
        for p in Project.select()
    )
    rows += [
        (ref(p.project), p.donor.code, p.amount, p.currency, p.status)
        for p in Pledge.select().order_by(Pledge.id)
    ]
    return rows


@pytest.mark.slow
def test_force_replaces_data_and_documents_and_is_deterministic(data_dir, db):
    open_database(data_dir)
    database.connect(reuse_if_open=True)
    first = demo.load_demo(data_dir=data_dir)
    fingerprint = _fingerprint()
    documents = paths.documents_dir(data_dir)
    stray = documents / "left-over"
    stray.write_bytes(b"old")
    accounts.create_organisation(
        None, {"code": "EXTRA", "kind": "donor", "country": "NO", "name_en": "Extra"}
    )
    second = demo.load_demo(force=True, data_dir=data_dir)
    database.connect(reuse_if_open=True)
    assert not stray.exists()
    assert Organisation.get_or_none(Organisation.code == "EXTRA") is None
    assert second.counts == first.counts
    assert _fingerprint() == fingerprint
    assert len(list(documents.iterdir())) == Document.select().count()
    assert verify_chain().ok


def test_demo_pages_render_for_every_login(demo_world):
    """Each demo login can open its home page and a project it sees."""
    from tests.helpers import login
    from tmdesk.web import create_app

    data_dir, db, _summary = demo_world
    app = create_app(data_dir, {"TESTING": True})
    database.initialize(db)
    database.connect(reuse_if_open=True)
    try:
        for demo_login in demo.DEMO_LOGINS:
            client = app.test_client()
            login(client, demo_login.email, demo.DEMO_PASSWORD)
            assert client.get("/").status_code == 200, demo_login.email
            user = User.get(User.email == demo_login.email)
            project = visible_projects(user).order_by(Project.id.desc()).first()
            response = client.get(f"/projects/{project.ref}")
            assert response.status_code == 200, (demo_login.email, project.ref)
    finally:
        database.close()


def test_counter_of_statuses_is_balanced(demo_db):
    """Enough of each status to show the workflow, with most projects published or later."""
    counts = Counter(p.status for p in Project.select())
    assert counts["submitted"] >= 5
    assert counts["published"] + counts["in_implementation"] >= 20


def test_tranches_over_two_years_and_rates_that_change(demo_db):
    """Issue #16: pledges disbursed in several tranches across two calendar years, every
    status reached through transactions, and exchange rates that moved over the story."""
    from collections import Counter

    from tmdesk.core import transactions
    from tmdesk.core.models import DatedRate, Pledge, Transaction

    disbursements = Counter(
        t.pledge_id for t in Transaction.select().where(Transaction.kind == "disbursement")
    )
    several = [pid for pid, n in disbursements.items() if n >= 2]
    assert len(several) >= 10
    years = {t.value_date.year for t in Transaction.select().where(Transaction.pledge.in_(several))}
    assert len(years) >= 2
    statuses = {p.status for p in Pledge.select()}
    assert {"offered", "confirmed", "partly_disbursed", "disbursed"} <= statuses
    for pledge in Pledge.select():
        assert transactions.derived_status(pledge) == pledge.status, pledge.id
    gbp = [r.eur_per_unit for r in DatedRate.select().where(DatedRate.currency == "GBP")]
    assert len(set(gbp)) >= 3


def test_implementers_spend_recipients_acknowledge_and_two_donors_have_their_fields(demo_db):
    """Issue #16: expenditures by implementers against their engagements, incoming
    commitments acknowledged by recipients, and two donors' own fields."""
    from tmdesk.core.models import PledgeField, Transaction

    spent = list(Transaction.select().where(Transaction.kind == "expenditure"))
    assert len(spent) >= 5
    for t in spent:
        assert t.engagement is not None and t.engagement.project_id == t.pledge.project_id
    incoming = Transaction.select().where(Transaction.kind == "incoming_commitment")
    assert incoming.count() >= 10
    donors = {
        f.pledge.donor.code
        for f in PledgeField.select().where(PledgeField.name == "project_number")
    }
    assert {"GB", "EE"} <= donors
