"""A report may choose "rates as of" one day (issue 16): every euro figure of the
report converts at the rates in force that day, on the Reports page and with
``tmdesk report … --rates-as-of``; without it each transaction converts at the
rate of its own value date and the totals at today's table."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from click.testing import CliRunner

from tests.helpers import csrf_token, login
from tmdesk.cli import cli
from tmdesk.core import pledges, rates, transactions
from tmdesk.core.reporting import build_context


@pytest.fixture
def gbp_pledge(desk):
    """A GBP pledge committed in 2024; GBP was worth 1.10 EUR then, 1.20 since 2025."""
    admin = desk.user("admin")
    rates.set_exchange_rate(admin, "GBP", "1.10", "2024-01-01")
    rates.set_exchange_rate(admin, "GBP", "1.20", "2025-01-01")
    project = desk.published(tlp="GREEN", title_en="Grid monitoring")
    pledge = pledges.create_pledge(
        desk.user("donor"), project, {"amount": "1000", "currency": "GBP", "date": "2024-03-01"}
    )
    transactions.record_transaction(
        desk.user("donor"),
        pledge,
        {"kind": "commitment", "amount": "1000", "value_date": "2024-03-01"},
    )
    return project


def _figures(text: str, ref: str) -> dict[str, str]:
    lines = text.lstrip("\ufeff").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("ref,"))
    rows = csv.DictReader(io.StringIO("\n".join(lines[start:])))
    row = next(r for r in rows if r["ref"] == ref)
    return {k: row[k] for k in ("pledged_eur", "confirmed_eur")}


def test_the_context_converts_every_figure_at_the_chosen_days_rates(desk, gbp_pledge):
    officer = desk.user("back_office")
    dated = build_context(officer)
    [pledge] = dated.projects[0].pledges
    assert pledge.transactions[0].amount_eur == Decimal("1100.00")  # its own date's rate
    assert dated.projects[0].funding.pledged_eur == Decimal("1200.00")  # today's table
    import datetime as dt

    as_of = build_context(officer, rates_as_of=dt.date(2024, 6, 1))
    assert as_of.rates_as_of == dt.date(2024, 6, 1)
    assert as_of.projects[0].funding.pledged_eur == Decimal("1100.00")
    assert as_of.projects[0].pledges[0].transactions[0].amount_eur == Decimal("1100.00")
    later = build_context(officer, rates_as_of=dt.date(2025, 6, 1))
    assert later.projects[0].pledges[0].transactions[0].amount_eur == Decimal("1200.00")


def test_the_reports_page_takes_a_rates_date_and_refuses_a_bad_one(client, desk, gbp_pledge):
    login(client, desk.users["back_office"])
    page = client.get("/reports/csv").get_data(as_text=True)
    assert 'name="rates_as_of"' in page and "Exchange rates as of" in page
    token = csrf_token(client, "/reports/csv")
    base = {"csrf_token": token, "lang": "en"}
    today = client.post("/reports/csv", data=base).get_data(as_text=True)
    assert _figures(today, gbp_pledge.ref)["pledged_eur"] == "1200.00"
    then = client.post("/reports/csv", data=base | {"rates_as_of": "2024-06-01"})
    assert then.status_code == 200
    assert _figures(then.get_data(as_text=True), gbp_pledge.ref)["pledged_eur"] == "1100.00"
    bad = client.post("/reports/csv", data=base | {"rates_as_of": "1 June"})
    assert bad.status_code == 400 and "Not a valid date value" in bad.get_data(as_text=True)


def test_the_cli_takes_a_rates_date_and_refuses_a_bad_one(desk, gbp_pledge, data_dir, tmp_path):
    out = tmp_path / "r.csv"
    args = ["--data-dir", str(data_dir), "report", "csv", "--out", str(out)]
    args += ["--as", desk.user("back_office").email]
    done = CliRunner().invoke(cli, [*args, "--rates-as-of", "2024-06-01"])
    assert done.exit_code == 0, done.output
    assert _figures(out.read_text(encoding="utf-8-sig"), gbp_pledge.ref)["pledged_eur"] == "1100.00"
    bad = CliRunner().invoke(cli, [*args, "--rates-as-of", "June"])
    assert bad.exit_code == 1
    assert "--rates-as-of takes a date as YYYY-MM-DD, not 'June'" in bad.output
