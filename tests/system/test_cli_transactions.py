"""``tmdesk pledge record`` and ``tmdesk pledge transactions`` (issue 16): a pledge's
tranches at the command line, through the same rules as the page, with clear
refusals for bad input."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from tmdesk.cli import cli
from tmdesk.core import pledges
from tmdesk.core.db import database
from tmdesk.core.models import Pledge, Transaction


def test_record_tranches_list_them_and_refuse_bad_input(desk, data_dir):
    project = desk.published(tlp="GREEN")
    pledge = pledges.create_pledge(
        desk.user("donor"), project, {"amount": "3000", "currency": "EUR"}
    )
    database.close()

    def run(*args: str):
        return CliRunner().invoke(cli, ["--data-dir", str(data_dir), "pledge", *args])

    gb = ("--as", "donor@example.org")
    commit = run("record", str(pledge.id), *gb, "--kind", "commitment", "--amount", "3000",
                 "--date", "2025-02-01", "--reference", "GB-C-1")  # fmt: skip
    assert commit.exit_code == 0, commit.output
    assert "recorded commitment" in commit.output
    paid = run("record", str(pledge.id), *gb, "--kind", "disbursement", "--amount", "1000",
               "--date", "2025-08-01", "--note", "First tranche")  # fmt: skip
    assert paid.exit_code == 0, paid.output
    assert "committed 3000.00; disbursed 1000.00; status: partly_disbursed" in paid.output
    listed = run("transactions", str(pledge.id), "--as", "donor2@example.org")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert "2025-02-01\tcommitment\t3000.00 EUR\tGB-C-1" in lines[0]
    assert "2025-08-01\tdisbursement\t1000.00 EUR\t\tFirst tranche" in lines[1]
    # Refusals: too much, a date in the future, not a number, not theirs, no such pledge.
    too_much = run("record", str(pledge.id), *gb, "--kind", "disbursement", "--amount", "9000")
    assert too_much.exit_code == 1 and "more than is committed" in too_much.output
    soon = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    future = run("record", str(pledge.id), *gb, "--kind", "disbursement", "--amount", "1",
                 "--date", soon)  # fmt: skip
    assert future.exit_code == 1 and "--date: Record what has happened" in future.output
    words = run("record", str(pledge.id), *gb, "--kind", "disbursement", "--amount", "lots")
    assert words.exit_code == 1 and "--amount:" in words.output
    bad_date = run("record", str(pledge.id), *gb, "--kind", "disbursement", "--amount", "1",
                   "--date", "2025-13-45")  # fmt: skip
    assert bad_date.exit_code == 1 and "--date:" in bad_date.output
    theirs = run("record", str(pledge.id), "--as", "donor2@example.org", "--kind",
                 "disbursement", "--amount", "1")  # fmt: skip
    assert theirs.exit_code == 1 and "may not record" in theirs.output
    kind = run("record", str(pledge.id), *gb, "--kind", "gift", "--amount", "1")
    assert kind.exit_code == 2 and "gift" in kind.output
    missing = run("transactions", "999", *gb)
    assert missing.exit_code == 1 and "no pledge 999" in missing.output
    assert "Traceback" not in too_much.output + theirs.output + words.output
    database.connect(reuse_if_open=True)
    assert Transaction.select().count() == 2
    assert Pledge.get_by_id(pledge.id).status == "partly_disbursed"
