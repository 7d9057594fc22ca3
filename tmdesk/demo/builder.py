"""The demo builder: the steps that write the demo story through the core services.

Organisations, users, exchange rates and offers first; then each project's story in
order of creation, its money steps from :mod:`tmdesk.demo.pledges` and its documents
from :mod:`tmdesk.demo.files`. Every write goes through a service function, and
what it wrote is backdated to its moment in the story.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from tmdesk.core import accounts, audience, offers, projects, rates, updates
from tmdesk.core.funding import exchange_rates
from tmdesk.core.models import (
    Document,
    Engagement,
    Offer,
    Organisation,
    Pledge,
    PledgeField,
    Project,
    StatusChange,
    Transaction,
    Update,
    User,
    utcnow,
)
from tmdesk.demo.content import (
    AGE_DAYS,
    COMPANIES,
    CURRENCY_WEIGHTS,
    ENGAGEMENT_ROLES,
    FORCED,
    FUNDING_WEIGHTS,
    LANGUAGE_WEIGHTS,
    OFFERS,
    ORG_BY_CODE,
    ORGANISATIONS,
    PRIORITY_WEIGHTS,
    RATE_STEPS,
    REJECT_COMMENTS,
    RETURN_COMMENTS,
    STATUS_COUNTS,
    THEMES,
    TLP_COUNTS,
    UPDATE_FAMILY,
    UPDATE_STEPS,
    USERS,
    WITHDRAW_COMMENTS,
    OfferSpec,
)
from tmdesk.demo.files import FileSteps
from tmdesk.demo.plan import Plan, backdate, round_to, weighted
from tmdesk.demo.pledges import PledgeSteps
from tmdesk.demo.summary import DEMO_LOGINS, DEMO_PASSWORD, DemoSummary


class Builder(PledgeSteps, FileSteps):
    """Builds the demo set step by step; every write goes through a service function."""

    def __init__(self, rng: random.Random, data_dir: Path | None) -> None:
        self.rng = rng
        self.data_dir = data_dir
        self.now = utcnow()
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, User] = {}
        self.staff: dict[str, User] = {}  # recipient code -> the user who drafts
        self.offers: list[tuple[OfferSpec, Offer]] = []
        self.stored_files: list[Path] = []
        self.rates: dict[str, Decimal] = {}

    # users and organisations

    def build(self) -> None:
        self.rates = exchange_rates()
        self._organisations()
        self._users()
        self._rates_over_time()
        self._offers()
        plans = self._plan_projects()
        for plan in sorted(plans, key=lambda p: p.created):
            self._project(plan)
        self._donor_fields()

    #: The donors whose own fields the demo fills in (the IATI plugin declares them).
    DONOR_FIELD_DONORS = ("GB", "EE")

    def _donor_fields(self) -> None:
        """Two donors' own fields on their pledges: project numbers, CRS ids, the CRS
        classifications and markers, as a statistics unit would enter them."""
        aid_by_category = {"training": "D02", "assessment": "D02", "governance": "D02"}
        for code in self.DONOR_FIELD_DONORS:
            rows = (
                Pledge.select(Pledge, Project)
                .join(Project)
                .where((Pledge.donor == self.orgs[code].id) & (Pledge.status != "withdrawn"))
                .order_by(Pledge.id)
            )
            for number, pledge in enumerate(rows, start=1):
                year = pledge.date.year
                fields = {
                    "project_number": f"{code}-{year}-{number:03d}",
                    "crs_id": f"{year}{number:06d}",
                    "flow_type": "10",
                    "finance_type": "110",
                    "aid_type": aid_by_category.get(pledge.project.category, "C01"),
                    "gender_marker": "1" if number % 3 == 0 else "0",
                    "environment_marker": "0",
                }
                if code == "EE":
                    del fields["crs_id"]  # Estonia's statistics unit adds it later
                PledgeField.insert_many(
                    [{"pledge": pledge.id, "name": k, "value": v} for k, v in fields.items()]
                ).execute()

    def _organisations(self) -> None:
        created = self.now - dt.timedelta(days=700)
        for spec in ORGANISATIONS:
            org = accounts.create_organisation(
                None,
                {
                    "code": spec.code,
                    "kind": spec.kind,
                    "country": spec.country,
                    "iati_id": spec.iati_id,
                    "name_en": spec.name_en,
                    "name_uk": spec.name_uk,
                },
            )
            backdate(org, created_at=created)
            self.orgs[spec.code] = org

    def _users(self) -> None:
        created = self.now - dt.timedelta(days=695)
        real_method = accounts.PASSWORD_METHOD
        # The real method (scrypt) costs a noticeable fraction of a second per
        # account: create the accounts with a cheap hash, then give them all one
        # real hash of the demo password, so logins go through the real check.
        accounts.PASSWORD_METHOD = "pbkdf2:sha256:1"  # nosec B105: a hashing method name, not a password
        try:
            admin_spec = USERS[0]
            admin = accounts.create_user(
                None,
                admin_spec.email,
                admin_spec.org,
                DEMO_PASSWORD,
                name=admin_spec.name,
                is_admin=admin_spec.admin,
            )
            self.users[admin.email] = admin
            for spec in USERS[1:]:
                user = accounts.create_user(
                    admin, spec.email, spec.org, DEMO_PASSWORD, name=spec.name, is_admin=spec.admin
                )
                self.users[user.email] = user
                if ORG_BY_CODE[spec.org].kind == "recipient":
                    self.staff.setdefault(spec.org, user)
        finally:
            accounts.PASSWORD_METHOD = real_method
        real_hash = accounts.hash_password(DEMO_PASSWORD)
        User.update(password_hash=real_hash).where(
            User.id.in_([u.id for u in self.users.values()])
        ).execute()
        for user in self.users.values():
            user.password_hash = real_hash
            backdate(user, created_at=created)
        self.admin = admin
        self.tmpo_officer = self.users["oleh.shevchuk@tmpo.demo"]
        self.back_office = self.users["officer@backoffice.demo"]
        self.back_office2 = self.users["anna.wisniewska@backoffice.demo"]

    def _rates_over_time(self) -> None:
        """Rates that change over the two years of the story, ending at today's table
        (so the funding figures stay those planned): each transaction then converts
        at the rate of its own date."""
        today = self.now.date()
        for currency, steps in RATE_STEPS.items():
            current = self.rates[currency]
            for days_ago, factor in steps:
                rates.set_exchange_rate(
                    self.admin,
                    currency,
                    (current * Decimal(factor)).quantize(Decimal("0.0001")),
                    today - dt.timedelta(days=days_ago),
                )
            rates.set_exchange_rate(self.admin, currency, current, today - dt.timedelta(days=90))

    def _acting_for(self, org_code: str, tlp: str = "GREEN") -> User:
        """Who records something for a donor or company: its own user, or the Back Office."""
        if tlp != "AMBER+STRICT":
            for user in self.users.values():
                if user.organisation_id == self.orgs[org_code].id:
                    return user
        return self.back_office

    def _offers(self) -> None:
        for spec in OFFERS:
            actor = self._acting_for(spec.org)
            data: dict = {
                "category": spec.category,
                "description": spec.description,
                "quantity": spec.quantity,
                "status": spec.status,
                "valid_until": (self.now + dt.timedelta(days=self.rng.randint(60, 400))).date(),
            }
            if spec.value:
                data["value_amount"] = Decimal(spec.value[0])
                data["value_currency"] = spec.value[1]
            offer = offers.create_offer(actor, data, org_code=spec.org)
            created = self.now - dt.timedelta(
                days=self.rng.randint(680, 688), hours=self.rng.randint(0, 9)
            )
            backdate(offer, created_at=created, updated_at=created)
            self.offers.append((spec, offer))

    # planning

    def _plan_projects(self) -> list[Plan]:
        rng = self.rng
        plans = [Plan(theme, code) for theme in THEMES for code in theme.recipients]
        statuses = [s for s, n in STATUS_COUNTS.items() for _ in range(n)]
        statuses += ["published"] * max(len(plans) - len(statuses), 0)
        tlps = [t for t, n in TLP_COUNTS.items() for _ in range(n)]
        tlps += ["GREEN"] * max(len(plans) - len(tlps), 0)
        for plan in plans:
            forced = FORCED.get((plan.theme.key, plan.recipient), {})
            if "status" in forced:
                statuses.remove(forced["status"])
            if "tlp" in forced:
                tlps.remove(forced["tlp"])
        rng.shuffle(statuses)
        rng.shuffle(tlps)
        withdrawn_sources = ["draft", "submitted", "published", "in_implementation"]
        for plan in plans:
            forced = FORCED.get((plan.theme.key, plan.recipient), {})
            plan.status = forced.get("status") or statuses.pop()
            plan.tlp = forced.get("tlp") or tlps.pop()
            plan.company = forced.get("company")
            plan.language = (
                "both" if plan.recipient == "SSSCIP" else weighted(rng, LANGUAGE_WEIGHTS)
            )
            plan.priority = weighted(rng, PRIORITY_WEIGHTS)
            plan.currency = weighted(rng, CURRENCY_WEIGHTS)
            low, high = plan.theme.budget_k
            eur = Decimal(rng.randint(low, high) * 1000)
            step = 50_000 if plan.currency == "UAH" else 5_000
            plan.budget = round_to(eur / self.rates[plan.currency], step)
            if plan.status == "withdrawn":
                plan.withdrawn_from = withdrawn_sources[
                    len([p for p in plans if p.withdrawn_from]) % len(withdrawn_sources)
                ]
            final = plan.withdrawn_from or plan.status
            weights = FUNDING_WEIGHTS.get(plan.status)
            if plan.status == "withdrawn" and final not in ("published", "in_implementation"):
                weights = None
            if weights:
                plan.funding = forced.get("funding") or weighted(rng, weights)
                if plan.funding == "fully" and plan.currency == "UAH":
                    plan.funding = "partly"  # donors pledge hard currency
            low_age, high_age = AGE_DAYS[plan.status]
            plan.created = self.now - dt.timedelta(
                days=rng.randint(low_age, high_age),
                hours=rng.randint(0, 23),
                minutes=rng.randint(0, 59),
            )
        return plans

    # one project's story

    def _project(self, plan: Plan) -> None:
        rng = self.rng
        owner = self.staff[plan.recipient]
        org = ORG_BY_CODE[plan.recipient]
        theme = plan.theme
        several = len(theme.recipients) > 1
        title_en = f"{theme.title_en} — {org.short_en}" if several else theme.title_en
        title_uk = f"{theme.title_uk} — {org.short_uk}" if several else theme.title_uk
        n = rng.choice((20, 25, 30, 40, 60, 120, 250))
        data = {
            "title_en": title_en if plan.language in ("both", "en") else "",
            "title_uk": title_uk if plan.language in ("both", "uk") else "",
            "summary_en": theme.summary_en if plan.language in ("both", "en") else "",
            "summary_uk": theme.summary_uk if plan.language in ("both", "uk") else "",
            "category": theme.category,
            "oblast": org.oblast if org.oblast != "UA" else rng.choice(("UA", "UA", "UA-30")),
            "budget_amount": plan.budget,
            "budget_currency": plan.currency,
            "priority": plan.priority,
            "tlp": plan.tlp,
            "beneficiaries": (
                theme.beneficiaries_en if plan.language == "en" else theme.beneficiaries_uk
            ).format(n=n),
        }
        start = (plan.created + dt.timedelta(days=rng.randint(20, 120))).date()
        end = min(start + dt.timedelta(days=rng.randint(120, 540)), dt.date(2027, 12, 31))
        if plan.status in ("delivered", "closed"):
            end = min(end, (self.now - dt.timedelta(days=rng.randint(10, 40))).date())
            end = max(end, start + dt.timedelta(days=60))
        data["planned_start"], data["planned_end"] = start, end

        events: list[Callable[[dt.datetime], None]] = []
        state: dict = {}

        def create(when: dt.datetime) -> None:
            project = projects.create_draft(owner, data)
            state["project"] = project
            backdate(project, created_at=when, updated_at=when)
            StatusChange.update(at=when).where(StatusChange.project == project.id).execute()
            if plan.tlp == "RED":
                named = [owner.email, self.back_office.email, self.admin.email]
                if plan.status not in ("draft", "submitted", "returned", "rejected"):
                    named.append("donor@gb.demo")
                projects.set_members(owner, project, named)
            if rng.random() < 0.35 and self.data_dir is not None:
                self._attach(owner, project, plan, when)

        events.append(create)
        path = self._path(plan)
        reviewer = rng.choice(
            (self.back_office, self.back_office, self.back_office2, self.tmpo_officer)
        )
        for step in path:
            events.extend(self._step_events(plan, step, owner, reviewer, state))
        times = self._times(plan, len(events))
        for event, when in zip(events, times, strict=True):
            event(when)

    def _path(self, plan: Plan) -> list[str]:
        """The workflow steps (and other story beats) that lead to the plan's status."""
        target = plan.withdrawn_from or plan.status
        steps: list[str] = []
        if target == "submitted" and self.rng.random() < 0.4:
            steps += ["submit", "return", "submit"]
        elif target != "draft":
            steps.append("submit")
        if target == "returned":
            steps.append("return")
        elif target == "rejected":
            steps.append("reject")
        elif target in ("published", "in_implementation", "delivered", "closed"):
            steps += ["publish", "offers", "pledges", "confirm"]
            if target == "published":
                if plan.funding not in (None, "unfunded") and self.rng.random() < 0.5:
                    steps.append("update:1")
            else:
                steps += ["engage", "start", "tranche:1", "update:1", "update:2"]
                if target in ("delivered", "closed"):
                    steps += ["tranche:2", "update:3", "update:4", "disburse", "deliver"]
                    if target == "closed":
                        steps.append("close")
        if plan.status == "withdrawn":
            steps.append("withdraw")
        return steps

    def _times(self, plan: Plan, count: int) -> list[dt.datetime]:
        """``count`` moments from the plan's creation to (nearly) now, in order."""
        span = (self.now - dt.timedelta(hours=2)) - plan.created
        # Drafts and waiting projects stop early; finished ones use most of the span.
        fill = {"draft": 0.3, "submitted": 0.5}.get(plan.status, 0.9)
        gaps = [self.rng.uniform(0.5, 1.5) for _ in range(count - 1)]
        total = sum(gaps) or 1.0
        out, acc = [plan.created], 0.0
        for gap in gaps:
            acc += gap
            out.append(plan.created + span * (fill * acc / total))
        return [t.replace(microsecond=0) for t in out]

    def _step_events(
        self, plan: Plan, step: str, owner: User, reviewer: User, state: dict
    ) -> list[Callable[[dt.datetime], None]]:
        rng = self.rng
        recipient_actions = {"submit", "start", "deliver", "withdraw"}
        if step in projects.TRANSITIONS:
            actor = owner if step in recipient_actions else reviewer
            if step == "close":
                actor = self.tmpo_officer
            comment = ""
            if step == "return":
                family = UPDATE_FAMILY.get(plan.theme.category, "services")
                comment = rng.choice(RETURN_COMMENTS[family])
            elif step == "reject":
                comment = rng.choice(REJECT_COMMENTS)
            elif step == "withdraw":
                comment = WITHDRAW_COMMENTS[plan.withdrawn_from or "draft"]
            return [
                lambda when, a=actor, s=step, c=comment: self._transition(
                    a, state["project"], s, c, when
                )
            ]
        if step == "offers":
            return [
                lambda when, spec=spec, offer=offer: self._link(spec, offer, state, when)
                for spec, offer in self.offers
                if plan.theme.key in spec.themes
            ]
        if step == "pledges":
            return self._pledge_events(plan, state)
        if step == "confirm":
            return [lambda when: self._confirm(state, when)]
        if step == "disburse":
            return [lambda when: self._disburse(state, when)]
        if step.startswith("tranche:"):
            share = Decimal("0.4") if step == "tranche:1" else Decimal("0.5")
            return [lambda when: self._tranche(state, when, share)]
        if step == "engage":
            return [lambda when: self._engage(plan, state, when)]
        if step.startswith("update:"):
            index = int(step.split(":")[1]) - 1
            return [lambda when: self._update(plan, owner, state, index, when)]
        raise ValueError(step)

    # workflow helpers (each backdates what the service just wrote)

    def _transition(
        self, actor: User, project: Project, action: str, comment: str, when: dt.datetime
    ) -> None:
        projects.transition(actor, project, action, comment)
        change = (
            StatusChange.select()
            .where(StatusChange.project == project.id)
            .order_by(StatusChange.id.desc())
            .first()
        )
        backdate(change, at=when)
        fields: dict = {"updated_at": when}
        if action == "submit":
            fields["submitted_at"] = when
        if action == "publish":  # the demo publishes each project once
            fields["published_at"] = when
        backdate(project, **fields)

    def _link(self, spec: OfferSpec, offer: Offer, state: dict, when: dt.datetime) -> None:
        project = state["project"]
        if not audience.organisation_sees(offer.organisation, project):
            return  # an offer is linked only where its organisation sees (issue #12)
        link = offers.link_offer(
            self.back_office, offer, project, note="Matched at the monthly coordination meeting."
        )
        backdate(link, created_at=when)
        backdate(offer, updated_at=max(offer.created_at, when))
        if spec.in_kind:
            state.setdefault("in_kind", []).append((spec, offer))

    def _engage(self, plan: Plan, state: dict, when: dt.datetime) -> None:
        project = state["project"]
        if plan.tlp in ("AMBER+STRICT", "RED"):
            return  # no company could see it, so none is engaged (issue #12)
        company = plan.company or self.rng.choice(COMPANIES)
        plan.company = company
        share = Decimal(str(self.rng.uniform(0.4, 0.9)))
        amount = round_to(plan.budget * share, 1000)
        start = when.date() + dt.timedelta(days=self.rng.randint(3, 20))
        engagement = offers.create_engagement(
            self.tmpo_officer,
            project,
            company,
            {
                "role": ENGAGEMENT_ROLES[plan.theme.category],
                "contract_amount": amount,
                "contract_currency": plan.currency,
                "start_date": start,
                "end_date": max(project.planned_end or start, start + dt.timedelta(days=60)),
            },
        )
        backdate(engagement, created_at=when)
        state["implementer"] = (engagement, company)

    def _update(self, plan: Plan, owner: User, state: dict, index: int, when: dt.datetime) -> None:
        project = state["project"]
        family = UPDATE_FAMILY.get(plan.theme.category, "services")
        ukrainian, english = UPDATE_STEPS[family]
        company_user = self.users["company@bereh.demo"] if plan.company == "BEREH" else None
        if company_user is not None and index % 2 == 1:
            author, (title, body, progress) = company_user, english[index]
        elif plan.language == "en":
            author, (title, body, progress) = owner, english[index]
        else:
            author, (title, body, progress) = owner, ukrainian[index]
        update = updates.post_update(
            author,
            project,
            {"title": title, "body": body, "progress": progress, "date": when.date()},
        )
        backdate(update, created_at=when)
        backdate(project, updated_at=when)

    def summary(self) -> DemoSummary:
        counts = {
            "organisations": Organisation.select().count(),
            "users": User.select().count(),
            "projects": Project.select().count(),
            "pledges": Pledge.select().count(),
            "transactions": Transaction.select().count(),
            "offers": Offer.select().count(),
            "engagements": Engagement.select().count(),
            "updates": Update.select().count(),
            "documents": Document.select().count(),
        }
        return DemoSummary(counts, list(DEMO_LOGINS))
