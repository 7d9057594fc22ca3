"""The money steps of a demo project's story: pledges, commitments, tranches, spending.

A mixin of :class:`tmdesk.demo.builder.Builder`, which holds the state these steps read
(``rng``, ``rates``, ``now``) and the shared ``_acting_for``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from decimal import Decimal

from tmdesk.core import pledges, transactions
from tmdesk.core.models import Offer, Pledge, User
from tmdesk.demo.content import DONOR_WEIGHTS, ORG_BY_CODE
from tmdesk.demo.plan import Plan, backdate, round_to, weighted


class PledgeSteps:
    """Pledges and their transactions, each backdated to its moment in the story."""

    rng: random.Random
    rates: dict[str, Decimal]
    now: dt.datetime

    _acting_for: Callable[..., User]  # the builder's: who records for an organisation

    def _pledge_events(self, plan: Plan, state: dict) -> list[Callable[[dt.datetime], None]]:
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
                    amount = round_to(plan.budget * Decimal(rng.uniform(0.25, 0.5)), 1000)
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
                money.append((donor, round_to(eur / self.rates[currency], 1000), currency))
        extra: list[tuple[str, Decimal, str, str]] = []  # (donor, amount, currency, status)
        if funding != "fully" or rng.random() < 0.3:
            donor = self._pick_donors(1)[0] if plan.tlp != "RED" else "GB"
            currency = ORG_BY_CODE[donor].currency
            eur = budget_eur * Decimal(str(rng.uniform(0.1, 0.3)))
            status = "withdrawn" if rng.random() < 0.3 else "offered"
            extra.append((donor, round_to(eur / self.rates[currency], 1000), currency, status))
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
            donor = weighted(self.rng, DONOR_WEIGHTS)
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
        backdate(pledge, created_at=when, updated_at=when)
        if then == "withdrawn":
            pledges.transition_pledge(actor, pledge, "withdraw")
            backdate(pledge, updated_at=when)
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
        backdate(transaction, created_at=when, updated_at=when)
        backdate(pledge, updated_at=when)

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
