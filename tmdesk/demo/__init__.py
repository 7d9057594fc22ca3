"""The demo data set behind ``tmdesk demo``.

Everything is created through the core service functions (accounts,
projects, pledges, offers, updates), so the audit log, the status history and
the derived funding states are exactly what real use produces. Only
timestamps are moved afterwards: each project's story is spread over the
months before the load, so that the review queue shows ages and histories
look lived-in. The audit log keeps the real time of the load (its hash chain
covers the timestamps).

The content is fixed and the random choices are seeded, so every load builds
the same set (only the dates follow the day it is loaded). The organisations
are the real Tallinn Mechanism members and Ukrainian partners; the projects,
people and cyber companies are fictional.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import peewee as pw

from tmdesk import paths
from tmdesk.core import accounts, audience, offers, pledges, projects, rates, transactions, updates
from tmdesk.core.db import database, is_sqlite
from tmdesk.core.funding import exchange_rates
from tmdesk.core.models import (
    ALL_MODELS,
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
from tmdesk.core.schema import upgrade
from tmdesk.demo.content import (
    AGE_DAYS,
    COMPANIES,
    CURRENCY_WEIGHTS,
    DONOR_WEIGHTS,
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
    Theme,
)

#: The one password of every demo account (printed by ``tmdesk demo``, in the README).
DEMO_PASSWORD = "demo-password-2026"  # nosec B105: the demo data set's published password (tmdesk demo, README)
#: The day the Tallinn Mechanism was announced.
SEED = 20231220


class DemoError(RuntimeError):
    """The demo data cannot be loaded (for instance: the data dir already holds data)."""


# --- the summary ------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    organisation: str


@dataclass
class DemoSummary:
    """What :func:`load_demo` created, and how to log in."""

    counts: dict[str, int]
    logins: list[DemoLogin]
    password: str = DEMO_PASSWORD
    seconds: float = 0.0

    def describe(self) -> str:
        c = self.counts
        lines = [
            "Demo data loaded: {organisations} organisations, {users} users, {projects} "
            "projects, {pledges} pledges, {offers} offers, {engagements} engagements, "
            "{updates} updates, {documents} documents.".format(**c),
            "",
            f"Demo logins (the password of every demo account is {self.password}):",
        ]
        width = max(len(login.role) for login in self.logins)
        for login in self.logins:
            lines.append(f"  {login.role:<{width}}  {login.email}")
        return "\n".join(lines)


# --- loading ------------------------------------------------------------------


def load_demo(force: bool = False, data_dir: Path | None = None, seed: int = SEED) -> DemoSummary:
    """Fill the (already opened) database with the demo data set.

    Refuses when the database already holds organisations, users or
    projects, unless ``force``: then the database is emptied and recreated at
    the current schema and the documents folder is cleared first.
    ``data_dir`` (for the documents) defaults to the SQLite file's folder.
    """
    started = time.perf_counter()
    opened_here = database.is_closed()
    database.connect(reuse_if_open=True)
    try:
        data_dir = Path(data_dir) if data_dir else _data_dir_of_database()
        if _holds_data():
            if not force:
                raise DemoError(
                    "the data dir already holds data; use --force to replace "
                    "it with the demo data set"
                )
            _wipe(data_dir)
        elif force and data_dir is not None:
            shutil.rmtree(paths.documents_dir(data_dir), ignore_errors=True)
        builder = _Builder(random.Random(seed), data_dir)  # nosec B311: random choices for demo data, not for security
        try:
            with database.atomic():
                builder.build()
        except BaseException:
            builder.discard_files()
            raise
        summary = builder.summary()
    finally:
        if opened_here and not database.is_closed():
            database.close()
    summary.seconds = time.perf_counter() - started
    return summary


def _data_dir_of_database() -> Path | None:
    db = database.obj
    if is_sqlite(db) and db.database not in ("", ":memory:"):
        return Path(db.database).resolve().parent
    return None


def _holds_data() -> bool:
    return Organisation.select().exists() or User.select().exists() or Project.select().exists()


def _wipe(data_dir: Path | None) -> None:
    """Empty the database and recreate it at the current schema; clear the documents."""
    db = database.obj
    if is_sqlite(db) and db.database not in ("", ":memory:"):
        # Removing the file drops everything, including what other modules
        # installed beside the tables (search index, triggers).
        db.close()
        target = Path(db.database)
        for suffix in ("", "-wal", "-shm"):
            Path(str(target) + suffix).unlink(missing_ok=True)
        db.connect()
    else:
        db.drop_tables(list(reversed(ALL_MODELS)), safe=True, cascade=True)
    upgrade(db)
    if data_dir is not None:
        shutil.rmtree(paths.documents_dir(data_dir), ignore_errors=True)


@dataclass
class _Plan:
    """One demo project before it is created."""

    theme: Theme
    recipient: str
    status: str = "published"
    tlp: str = "GREEN"
    language: str = "both"
    priority: str = "medium"
    currency: str = "EUR"
    budget: Decimal = Decimal("0")
    funding: str | None = None
    company: str | None = None
    withdrawn_from: str | None = None
    created: dt.datetime = field(default_factory=utcnow)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _round_to(value: Decimal, step: int) -> Decimal:
    return max(Decimal(step), (value / step).quantize(Decimal("1")) * step)


def _backdate(instance, **fields) -> None:
    """Move timestamps of a row just written by a service, in the row and the instance.

    Services save whole instances, so the instance must carry the moved
    values too, or a later save would write the real times back.
    """
    model = type(instance)
    # Model.update called through peewee.Model: Document has a field named "update".
    query = pw.Model.update.__func__(model, **fields)
    query.where(model._meta.primary_key == instance._pk).execute()
    for name, value in fields.items():
        setattr(instance, name, value)


class _Builder:
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
            _backdate(org, created_at=created)
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
            _backdate(user, created_at=created)
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
            _backdate(offer, created_at=created, updated_at=created)
            self.offers.append((spec, offer))

    # planning

    def _plan_projects(self) -> list[_Plan]:
        rng = self.rng
        plans = [_Plan(theme, code) for theme in THEMES for code in theme.recipients]
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
                "both" if plan.recipient == "SSSCIP" else _weighted(rng, LANGUAGE_WEIGHTS)
            )
            plan.priority = _weighted(rng, PRIORITY_WEIGHTS)
            plan.currency = _weighted(rng, CURRENCY_WEIGHTS)
            low, high = plan.theme.budget_k
            eur = Decimal(rng.randint(low, high) * 1000)
            step = 50_000 if plan.currency == "UAH" else 5_000
            plan.budget = _round_to(eur / self.rates[plan.currency], step)
            if plan.status == "withdrawn":
                plan.withdrawn_from = withdrawn_sources[
                    len([p for p in plans if p.withdrawn_from]) % len(withdrawn_sources)
                ]
            final = plan.withdrawn_from or plan.status
            weights = FUNDING_WEIGHTS.get(plan.status)
            if plan.status == "withdrawn" and final not in ("published", "in_implementation"):
                weights = None
            if weights:
                plan.funding = forced.get("funding") or _weighted(rng, weights)
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

    def _project(self, plan: _Plan) -> None:
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
            _backdate(project, created_at=when, updated_at=when)
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

    def _path(self, plan: _Plan) -> list[str]:
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

    def _times(self, plan: _Plan, count: int) -> list[dt.datetime]:
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
        self, plan: _Plan, step: str, owner: User, reviewer: User, state: dict
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
        _backdate(change, at=when)
        fields: dict = {"updated_at": when}
        if action == "submit":
            fields["submitted_at"] = when
        if action == "publish":  # the demo publishes each project once
            fields["published_at"] = when
        _backdate(project, **fields)

    def _link(self, spec: OfferSpec, offer: Offer, state: dict, when: dt.datetime) -> None:
        project = state["project"]
        if not audience.organisation_sees(offer.organisation, project):
            return  # an offer is linked only where its organisation sees (issue #12)
        link = offers.link_offer(
            self.back_office, offer, project, note="Matched at the monthly coordination meeting."
        )
        _backdate(link, created_at=when)
        _backdate(offer, updated_at=max(offer.created_at, when))
        if spec.in_kind:
            state.setdefault("in_kind", []).append((spec, offer))

    def _pledge_events(self, plan: _Plan, state: dict) -> list[Callable[[dt.datetime], None]]:
        """Pledges whose confirmed money gives the plan's funding state."""
        rng = self.rng
        budget_eur = plan.budget * self.rates[plan.currency]
        money: list[tuple[str, Decimal, str]] = []  # (donor, amount, currency)
        funding = plan.funding or "unfunded"
        if plan.tlp == "AMBER+STRICT":
            # No donor sees an AMBER+STRICT project, so none pledges on it: a
            # pledge its donor cannot see is refused (issue #12).
            return []
        # Only the people named on a RED project see it: the GB officer is one.
        donors = ["GB"] if plan.tlp == "RED" else self._pick_donors(rng.randint(1, 3))
        if funding == "fully":
            parts = len(donors)
            remaining = plan.budget
            for i, donor in enumerate(donors):
                if i == parts - 1:
                    amount = remaining
                else:
                    amount = _round_to(plan.budget * Decimal(rng.uniform(0.25, 0.5)), 1000)
                    amount = min(amount, remaining - 1000)
                remaining -= amount
                money.append((donor, amount, plan.currency))
        elif funding in ("partly", "over"):
            share = Decimal(
                str(rng.uniform(0.2, 0.8) if funding == "partly" else rng.uniform(1.08, 1.35))
            )
            weights = [rng.uniform(1, 3) for _ in donors]
            for donor, weight in zip(donors, weights, strict=True):
                currency = ORG_BY_CODE[donor].currency
                eur = budget_eur * share * Decimal(weight / sum(weights))
                money.append((donor, _round_to(eur / self.rates[currency], 1000), currency))
        extra: list[tuple[str, Decimal, str, str]] = []  # (donor, amount, currency, status)
        if funding != "fully" or rng.random() < 0.3:
            donor = self._pick_donors(1)[0] if plan.tlp != "RED" else "GB"
            currency = ORG_BY_CODE[donor].currency
            eur = budget_eur * Decimal(str(rng.uniform(0.1, 0.3)))
            status = "withdrawn" if rng.random() < 0.3 else "offered"
            extra.append((donor, _round_to(eur / self.rates[currency], 1000), currency, status))
        events = []
        for donor, amount, currency in money:
            events.append(
                lambda when, d=donor, a=amount, c=currency: self._pledge(
                    state, d, {"amount": a, "currency": c}, "confirm", when
                )
            )
        for donor, amount, currency, status in extra:
            events.append(
                lambda when, d=donor, a=amount, c=currency, s=status: self._pledge(
                    state, d, {"amount": a, "currency": c}, s, when
                )
            )
        if plan.tlp != "RED":
            events.append(lambda when: self._in_kind_pledges(state, when))
        return events

    def _pick_donors(self, count: int) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < count:
            donor = _weighted(self.rng, DONOR_WEIGHTS)
            if donor not in chosen:
                chosen.append(donor)
        return chosen

    def _pledge(
        self,
        state: dict,
        donor: str,
        data: dict,
        then: str,
        when: dt.datetime,
        offer: Offer | None = None,
    ) -> Pledge:
        """Record a pledge; ``then`` is "confirm" (confirmed later), "offered" or "withdrawn"."""
        project = state["project"]
        actor = self._acting_for(donor, project.tlp)
        note = "" if actor.organisation.code == donor else "Recorded by the Back Office."
        pledge = pledges.create_pledge(
            actor,
            project,
            {**data, "date": when.date(), "note": note},
            donor_code=donor,
            offer=offer,
        )
        _backdate(pledge, created_at=when, updated_at=when)
        if then == "withdrawn":
            pledges.transition_pledge(actor, pledge, "withdraw")
            _backdate(pledge, updated_at=when)
        elif then == "confirm":
            state.setdefault("to_confirm", []).append((actor, pledge))
        return pledge

    def _in_kind_pledges(self, state: dict, when: dt.datetime) -> None:
        for spec, offer in state.get("in_kind", []):
            pledge = self._pledge(
                state,
                spec.org,
                {
                    "in_kind": spec.in_kind,
                    "in_kind_quantity": spec.in_kind_quantity,
                },
                "confirm",
                when,
                offer=offer,
            )
            state.setdefault("in_kind_pledges", []).append(pledge)

    def _record(self, actor: User, pledge: Pledge, when: dt.datetime, **data) -> None:
        """Record a transaction dated ``when`` (value date and timestamps)."""
        transaction = transactions.record_transaction(
            actor, pledge, {**data, "value_date": when.date()}
        )
        _backdate(transaction, created_at=when, updated_at=when)
        _backdate(pledge, updated_at=when)

    def _confirm(self, state: dict, when: dt.datetime) -> None:
        for actor, pledge in state.pop("to_confirm", []):
            left = transactions.remaining(pledge, "commitment")
            if pledge.amount is not None:
                self._record(actor, pledge, when, kind="commitment", amount=left)
            else:
                self._record(actor, pledge, when, kind="commitment", quantity=left)
            state.setdefault("confirmed", []).append((actor, pledge))
            if pledge.amount is not None and pledge.status != "withdrawn":
                # The recipient acknowledges the commitment (IATI's incoming commitment).
                owner = User.get_by_id(state["project"].created_by_id)
                self._record(owner, pledge, when, kind="incoming_commitment", amount=left)

    def _tranche(self, state: dict, when: dt.datetime, share: Decimal) -> None:
        """A partial disbursement (or delivery) of ``share`` of what remains."""
        for actor, pledge in state.get("confirmed", []):
            left = transactions.remaining(pledge, "disbursement")
            if not left:
                continue
            reference = f"PAY-{when:%Y}-{pledge.id:04d}-{len(pledge.transactions)}"
            if pledge.amount is not None:
                amount = (left * share).quantize(Decimal("1"))
                if amount > 0:
                    self._record(
                        actor, pledge, when, kind="disbursement", amount=amount, reference=reference
                    )
                    self._spend(state, pledge, when, amount)
            elif left > 1:
                self._record(
                    actor, pledge, when, kind="disbursement", quantity=max(1, int(left * share))
                )

    def _spend(self, state: dict, pledge: Pledge, when: dt.datetime, received: Decimal) -> None:
        """The implementer's expenditure against its engagement: most of a tranche,
        a few weeks after it arrived (recorded by the company, or the office for it)."""
        implementer = state.get("implementer")
        if implementer is None:
            return
        engagement, company = implementer
        day = when + dt.timedelta(days=21)
        if day > self.now:
            return
        self._record(
            self._acting_for(company, state["project"].tlp),
            pledge,
            day,
            kind="expenditure",
            amount=(received * Decimal("0.7")).quantize(Decimal("1")),
            engagement=engagement.id,
            reference=f"INV-{day:%Y}-{engagement.id:04d}-{pledge.id:04d}",
        )

    def _disburse(self, state: dict, when: dt.datetime) -> None:
        for actor, pledge in state.get("confirmed", []):
            left = transactions.remaining(pledge, "disbursement")
            if self.rng.random() < 0.85 and left:
                if pledge.amount is not None:
                    self._record(actor, pledge, when, kind="disbursement", amount=left)
                else:
                    self._record(actor, pledge, when, kind="disbursement", quantity=left)

    def _engage(self, plan: _Plan, state: dict, when: dt.datetime) -> None:
        project = state["project"]
        if plan.tlp in ("AMBER+STRICT", "RED"):
            return  # no company could see it, so none is engaged (issue #12)
        company = plan.company or self.rng.choice(COMPANIES)
        plan.company = company
        share = Decimal(str(self.rng.uniform(0.4, 0.9)))
        amount = _round_to(plan.budget * share, 1000)
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
        _backdate(engagement, created_at=when)
        state["implementer"] = (engagement, company)

    def _update(self, plan: _Plan, owner: User, state: dict, index: int, when: dt.datetime) -> None:
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
        _backdate(update, created_at=when)
        _backdate(project, updated_at=when)

    def _attach(self, owner: User, project: Project, plan: _Plan, when: dt.datetime) -> None:
        """A small terms-of-reference file, as recipients attach to their requests."""
        if plan.language == "en":
            name = "terms-of-reference.txt"
            text = (
                f"{project.title('en')}\n\nTerms of reference\n\n{project.summary('en')}\n"
                f"\nBudget: {project.budget_amount} {project.budget_currency}\n"
            )
        else:
            name = "технічне-завдання.txt"
            text = (
                f"{project.title('uk')}\n\nТехнічне завдання\n\n{project.summary('uk')}\n"
                f"\nБюджет: {project.budget_amount} {project.budget_currency}\n"
            )
        doc = updates.store_document(
            owner,
            paths.documents_dir(self.data_dir),
            project,
            name,
            io.BytesIO(text.encode("utf-8")),
        )
        self.stored_files.append(paths.documents_dir(self.data_dir) / doc.stored_name)
        _backdate(doc, uploaded_at=when)

    def discard_files(self) -> None:
        for path in self.stored_files:
            path.unlink(missing_ok=True)

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


#: The demo logins, for the README and the tests.
DEMO_LOGINS: tuple[DemoLogin, ...] = tuple(
    DemoLogin(spec.role, spec.email, spec.org) for spec in USERS if spec.role
)
