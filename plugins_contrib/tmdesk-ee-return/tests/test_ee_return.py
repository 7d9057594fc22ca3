"""The ee-return format and hooks, tested against tmdesk's demo data."""

import csv
import io

import pytest
import tmdesk_ee_return

from tmdesk.plugins.manager import ReportError
from tmdesk.plugins.testing import render_with_demo


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def test_return_lists_estonias_projects():
    table = rows(render_with_demo("ee-return", plugins=[tmdesk_ee_return], donor="EE"))
    assert table[0][0].startswith("TLP:") and table[0][1] == "Doonor: EE"
    assert table[1] == tmdesk_ee_return.HEADER
    assert len(table) > 2, "Estonia supports projects in the demo data"
    for row in table[2:]:
        assert row[0].startswith("TM-")
        assert "," in row[5] or row[5] == ""  # decimal comma by default


def test_return_needs_a_donor():
    with pytest.raises(ReportError):
        render_with_demo("ee-return", plugins=[tmdesk_ee_return])


def test_crs_column_added_to_the_csv_export():
    table = list(
        csv.reader(
            io.StringIO(render_with_demo("csv", plugins=[tmdesk_ee_return]).decode("utf-8-sig"))
        )
    )
    header = table[1]
    assert "dac_crs_code" in header
    codes = {row[header.index("dac_crs_code")] for row in table[2:]}
    assert codes <= {str(c) for c in tmdesk_ee_return.CRS_CODES.values()}
