"""Money over time (issue #16): dated transactions on pledges, the status that follows
from them, dated exchange rates, and committed/disbursed money by year."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tmdesk.core import offers, pledges, rates, transactions
from tmdesk.core.errors import PermissionDenied, TransitionError, ValidationError
from tmdesk.core.flows import project_flows, visible_flows
from tmdesk.core.models import AuditEvent, Pledge, Transaction, utcnow
from tmdesk.core.rates import RateBook
from tmdesk.core.reporting import build_context


def _pledge(desk, amount="30000", currency="GBP", donor="donor", tlp="GREEN", **more):
    project = desk.published(budget_amount="100000", budget_currency="EUR", tlp=tlp)
    return pledges.create_pledge(
        desk.user(donor), project, {"amount": amount, "currency": currency, **more}
    )


def _status(pledge) -> str:
    return Pledge.get_by_id(pledge.id).status


def test_tranches_over_two_years_drive_the_status(desk):
    """A pledge paid in three tranches: committed → partly disbursed → disbursed, never by hand."""
    gb = desk.user("donor")
    pledge = _pledge(desk)
    assert _status(pledge) == "offered"
    transactions.record_transaction(
        gb, pledge, {"kind": "commitment", "amount": "30000", "value_date": "2025-03-01"}
    )
    assert _status(pledge) == "confirmed"
    for amount, day in (("10000", "2025-06-30"), ("12500.50", "2025-12-15")):
        transactions.record_transaction(
            gb,
            pledge,
            {"kind": "disbursement", "amount": amount, "value_date": day, "reference": "PAY-1"},
        )
        assert _status(pledge) == "partly_disbursed"
    pledge = Pledge.get_by_id(pledge.id)
    assert transactions.remaining(pledge, "disbursement") == Decimal("7499.50")
    last = transactions.record_transaction(
        gb, pledge, {"kind": "disbursement", "amount": "7499.50", "value_date": "2026-02-01"}
    )
    assert _status(pledge) == "disbursed"
    assert isinstance(last.amount, Decimal) and last.currency == "GBP"  # the pledge's currency
    # Every change is in the audit log, the status changes with it.
    actions = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert actions.count("transaction.create") == 4
    assert actions.count("pledge.status") == 3
    # Removing the last tranche takes the pledge back to partly disbursed.
    transactions.delete_transaction(gb, Transaction.get_by_id(last.id))
    assert _status(pledge) == "partly_disbursed"
    assert AuditEvent.select().where(AuditEvent.action == "transaction.delete").count() == 1


def test_amounts_are_exact_decimals(desk):
    pledge = _pledge(desk, amount="0.30", currency="EUR")
    gb = desk.user("donor")
    transactions.record_transaction(gb, pledge, {"kind": "commitment", "amount": "0.30"})
    for _ in range(3):
        transactions.record_transaction(gb, pledge, {"kind": "disbursement", "amount": "0.10"})
    # 0.1 + 0.1 + 0.1 is exactly 0.30 here (as floats it would not be).
    assert transactions.disbursed(Pledge.get_by_id(pledge.id)) == Decimal("0.30")
    assert _status(pledge) == "disbursed"


@pytest.mark.parametrize(
    "steps, bad, field",
    [
        ((), {"kind": "disbursement", "amount": "10"}, "kind"),  # nothing committed yet
        ((), {"kind": "commitment", "amount": "40000"}, "amount"),  # more than pledged
        ((("commitment", "1000"),), {"kind": "disbursement", "amount": "1000.01"}, "amount"),
        ((), {"kind": "commitment", "amount": "10", "value_date": "2999-01-01"}, "value_date"),
        ((), {"kind": "commitment", "amount": "-5"}, "amount"),
        ((), {"kind": "commitment", "amount": "1.234"}, "amount"),
        ((), {"kind": "commitment"}, "amount"),
        ((), {"kind": "gift", "amount": "5"}, "kind"),
        ((), {"kind": "expenditure", "amount": "5"}, "engagement"),
        ((), {"kind": "commitment", "amount": "5", "currency": "XXX"}, "currency"),
        ((), {"kind": "commitment", "amount": "5", "reference": "x" * 101}, "reference"),
    ],
)
def test_bad_transactions_are_refused_with_a_message(desk, steps, bad, field):
    gb = desk.user("donor")
    pledge = _pledge(desk)
    for kind, amount in steps:
        transactions.record_transaction(gb, pledge, {"kind": kind, "amount": amount})
    before = Transaction.select().count()
    with pytest.raises(ValidationError) as exc:
        transactions.record_transaction(gb, Pledge.get_by_id(pledge.id), bad)
    assert field in exc.value.fields
    assert Transaction.select().count() == before


def test_who_may_record_what(desk):
    pledge = _pledge(desk)
    for role in ("donor2", "observer", "company", "recipient"):
        with pytest.raises(PermissionDenied):
            transactions.record_transaction(
                desk.user(role), pledge, {"kind": "commitment", "amount": "1"}
            )
    # The offices act for the donor; the recipient acknowledges incoming funds.
    transactions.record_transaction(
        desk.user("back_office"), pledge, {"kind": "commitment", "amount": "100"}
    )
    transactions.record_transaction(
        desk.user("recipient"), pledge, {"kind": "incoming_commitment", "amount": "100"}
    )
    # An engaged company records its expenditure against its own engagement.
    engagement = offers.create_engagement(
        desk.user("back_office"), pledge.project, "CYBERCO", {"role": "SOC"}
    )
    spent = transactions.record_transaction(
        desk.user("company"),
        pledge,
        {"kind": "expenditure", "amount": "80", "engagement": str(engagement.id)},
    )
    assert spent.engagement_id == engagement.id
    assert transactions.recordable_kinds(desk.user("company2"), pledge) == []
    assert _status(pledge) == "confirmed"  # expenditures and acknowledgements move no status


def test_confirm_and_mark_disbursed_record_transactions(desk):
    """The old one-click steps now record the remainder, dated today."""
    gb = desk.user("donor")
    pledge = _pledge(desk, amount="5000", currency="EUR")
    pledges.transition_pledge(gb, pledge, "confirm")
    pledges.transition_pledge(gb, pledge, "disburse")
    rows = [
        (t.kind, t.amount, t.currency, t.value_date)
        for t in Transaction.select().order_by(Transaction.id)
    ]
    today = utcnow().date()
    assert rows == [
        ("commitment", Decimal("5000.00"), "EUR", today),
        ("disbursement", Decimal("5000.00"), "EUR", today),
    ]
    assert _status(pledge) == "disbursed"
    with pytest.raises(TransitionError):
        pledges.transition_pledge(gb, pledge, "withdraw")  # money has moved


def test_in_kind_delivered_in_parts(desk):
    gb = desk.user("donor")
    project = desk.published()
    pledge = pledges.create_pledge(gb, project, {"in_kind": "Laptops", "in_kind_quantity": "10"})
    transactions.record_transaction(gb, pledge, {"kind": "commitment", "quantity": "10"})
    assert transactions.transaction_defaults(Pledge.get_by_id(pledge.id), "disbursement") == {
        "value_date": utcnow().date().isoformat(),
        "quantity": 10,
    }
    transactions.record_transaction(
        gb,
        pledge,
        {
            "kind": "disbursement",
            "quantity": "4",
            "amount": "4000",
            "currency": "EUR",
            "value_date": "2025-11-02",
        },
    )
    assert _status(pledge) == "partly_delivered"
    with pytest.raises(ValidationError):
        transactions.record_transaction(gb, pledge, {"kind": "disbursement", "quantity": "7"})
    transactions.record_transaction(gb, pledge, {"kind": "disbursement", "quantity": "6"})
    assert _status(pledge) == "delivered"


def test_withdrawn_pledge_takes_no_transactions(desk):
    gb = desk.user("donor")
    pledge = _pledge(desk)
    pledges.transition_pledge(gb, pledge, "withdraw")
    with pytest.raises(TransitionError):
        transactions.record_transaction(gb, pledge, {"kind": "commitment", "amount": "1"})


# --- dated exchange rates ---------------------------------------------------------


def test_a_transaction_converts_at_the_rate_of_its_date(desk):
    admin = desk.user("admin")
    rates.set_exchange_rate(admin, "GBP", "1.10", "2025-01-01")
    rates.set_exchange_rate(admin, "GBP", "1.20", "2026-01-01")
    book = RateBook.load()
    assert book.rate("GBP", dt.date(2025, 6, 30)) == Decimal("1.10")
    assert book.rate("GBP", dt.date(2026, 1, 1)) == Decimal("1.20")
    assert book.rate("GBP", dt.date(2024, 12, 31)) == Decimal("1.17")  # the starting rate
    # Today's table follows the newest rate in force.
    assert rates.all_rates()[2].currency == "GBP"
    assert [r.eur_per_unit for r in rates.all_rates() if r.currency == "GBP"] == [Decimal("1.20")]
    # A report may choose the rates of one day for everything.
    assert RateBook.load(as_of=dt.date(2025, 3, 1)).rate("GBP", dt.date(2026, 5, 5)) == Decimal(
        "1.10"
    )
    events = [e.action for e in AuditEvent.select().order_by(AuditEvent.id)]
    assert events.count("rate.dated") == 2


def test_a_future_rate_waits_for_its_day(desk):
    admin = desk.user("admin")
    future = (utcnow().date() + dt.timedelta(days=30)).isoformat()
    current = rates.set_exchange_rate(admin, "USD", "0.50", future)
    assert current.eur_per_unit == Decimal("0.92")
    with pytest.raises(ValidationError) as exc:
        rates.set_exchange_rate(admin, "USD", "0.9", "yesterday")
    assert "effective_from" in exc.value.fields


def test_money_by_year_at_each_dates_rate(desk):
    admin, gb = desk.user("admin"), desk.user("donor")
    rates.set_exchange_rate(admin, "GBP", "1.10", "2025-01-01")
    rates.set_exchange_rate(admin, "GBP", "1.20", "2026-01-01")
    pledge = _pledge(desk, tlp="AMBER")
    for kind, amount, day in (
        ("commitment", "30000", "2025-03-01"),
        ("disbursement", "10000", "2025-06-30"),
        ("disbursement", "20000", "2026-02-01"),
    ):
        transactions.record_transaction(
            gb, pledge, {"kind": kind, "amount": amount, "value_date": day}
        )
    flows = project_flows(pledge.project)
    years = {y.year: (y.committed, y.disbursed) for y in flows.by_year}
    assert years == {
        2025: (Decimal("33000.0000"), Decimal("11000.0000")),
        2026: (Decimal("0"), Decimal("24000.0000")),
    }
    assert flows.undisbursed == 0
    as_of = project_flows(pledge.project, as_of=dt.date(2026, 1, 1))
    assert as_of.committed == Decimal("36000") and as_of.disbursed == Decimal("36000")
    # The dashboard's figures: the same, over what the user may see.
    assert visible_flows(desk.user("back_office")).disbursed == Decimal("35000")
    assert visible_flows(desk.user("observer")).by_year == []  # AMBER: hidden from it
    # The report context carries the transactions and the years to plugins.
    context = build_context(desk.user("donor"))
    view = next(p for p in context.projects if p.ref == pledge.project.ref)
    assert [t.kind for t in view.pledges[0].transactions] == [
        "commitment",
        "disbursement",
        "disbursement",
    ]
    assert view.pledges[0].transactions[1].amount_eur == Decimal("11000.0000")
    assert [y.year for y in view.by_year] == [2025, 2026]
    assert view.funding.disbursed_eur == Decimal("35000.0000")
    json.dumps([str(y) for y in view.by_year])  # plain data


def test_withdrawn_pledges_do_not_count_by_year(desk):
    gb = desk.user("donor")
    pledge = _pledge(desk, amount="1000", currency="EUR")
    transactions.record_transaction(gb, pledge, {"kind": "commitment", "amount": "1000"})
    assert project_flows(pledge.project).committed == Decimal("1000")
    pledges.transition_pledge(gb, Pledge.get_by_id(pledge.id), "withdraw")
    assert project_flows(pledge.project).committed == 0
