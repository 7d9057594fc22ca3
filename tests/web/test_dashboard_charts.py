"""The dashboard's bar charts: each bar carries its label and value as SVG text,
escaped and translated, and the geometry keeps labels, bars and values apart."""

from __future__ import annotations

import re
from decimal import Decimal

from tests.helpers import login, row_with
from tmdesk.core import dashboard
from tmdesk.core.models import Organisation


def test_wrap_label_breaks_between_words_and_marks_a_cut():
    assert dashboard.wrap_label("Training and skills", 42) == ["Training and skills"]
    lines = dashboard.wrap_label("Dnipropetrovsk Regional Military Administration (DNIPRO-OVA)", 42)
    assert lines == ["Dnipropetrovsk Regional Military", "Administration (DNIPRO-OVA)"]
    long = "Державна служба спеціального зв’язку та захисту інформації України (SSSCIP)"
    lines = dashboard.wrap_label(long, 30)
    assert len(lines) == 2 and all(len(line) <= 30 for line in lines)
    assert lines[-1].endswith("…") and not lines[-1].endswith(" …")
    assert dashboard.wrap_label("x" * 80, 20) == ["x" * 19 + "…"]
    assert dashboard.wrap_label("", 20) == [""]


def test_bar_layout_scales_bars_and_keeps_rows_apart():
    rows = [("A", Decimal("200")), ("B " * 40, Decimal("50")), ("C", Decimal("0"))]
    chart = dashboard.bar_layout(rows)
    a, b, c = chart.rows
    assert a.width == dashboard.BAR_SHARE  # the longest bar leaves room for its value
    assert b.width == dashboard.BAR_SHARE / 4
    assert c.width == 0
    assert len(b.lines) == 2
    for row in chart.rows:
        # label lines, then the bar below them, then the value on the bar's line
        assert row.label_y == sorted(row.label_y) and row.label_y[-1] < row.bar_y
        assert row.bar_y < row.value_y <= row.bar_y + dashboard.BAR_HEIGHT
    assert a.bar_y + dashboard.BAR_HEIGHT < b.label_y[0] - 10  # no overlap between rows
    assert chart.height >= c.bar_y + dashboard.BAR_HEIGHT
    tiny = dashboard.bar_layout([("big", 100000), ("tiny", 1)]).rows[1]
    assert tiny.width > 0  # a small value still shows a sliver
    assert dashboard.bar_layout([]).rows == []


def _svg_texts(html: str, chart_id: str) -> list[str]:
    figure = html.split(f'id="{chart_id}-caption"', 1)[1].split("</figure>", 1)[0]
    svg = figure.split("<svg", 1)[1].split("</svg>", 1)[0]
    return [re.sub(r"<[^>]+>", " ", t).strip() for t in re.findall(r"<text[^>]*>(.*?)</text>", svg)]


def test_each_bar_has_its_label_and_value_in_both_languages(client, desk, app):
    desk.published(category="training", budget_amount="100000", priority="high")
    desk.published(category="equipment", budget_amount="25000", priority="low")
    login(client, desk.users["back_office"])
    html = client.get("/dashboard").get_data(as_text=True)
    texts = _svg_texts(html, "gap-category")
    assert texts == ["Training and skills", "100,000 EUR", "Equipment and software", "25,000 EUR"]
    assert _svg_texts(html, "pipeline") == ["Published", "2"]
    # The numbers table is still there for screen readers, inside the figure.
    figure = html.split('id="gap-category-caption"', 1)[1].split("</figure>", 1)[0]
    # Each bar (and its row in the table) opens the Catalogue filtered to that slice:
    # open for support, in that category.
    link = "/catalogue?status=published&amp;status=in_implementation&amp;category=training"
    header = row_with(figure, "Training and skills").cells[0]
    assert header.is_row_header and header.html == f'<a href="{link}">Training and skills</a>'
    svg = figure.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert f'<a href="{link}" class="bar-link">' in svg
    pipeline = html.split('id="pipeline-caption"', 1)[1].split("</figure>", 1)[0]
    assert 'href="/catalogue?status=published"' in pipeline
    # The one order: biggest gap first, whatever the vocabulary's order.
    assert texts.index("Training and skills") < texts.index("Equipment and software")

    uk = app.test_client()
    uk.environ_base["HTTP_ACCEPT_LANGUAGE"] = "uk"
    login(uk, desk.users["back_office"])
    html = uk.get("/dashboard").get_data(as_text=True)
    texts = _svg_texts(html, "gap-category")
    assert texts[0] == "Навчання та розвиток навичок"
    assert texts[1].replace("\xa0", " ").replace("\u202f", " ") == "100 000 EUR"
    assert _svg_texts(html, "pipeline")[0] == "Опубліковано"


def test_the_dashboard_defines_each_figure_and_prints_with_date_and_label(client, desk):
    desk.published(category="training", budget_amount="1000", tlp="AMBER")
    login(client, desk.users["back_office"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "never below zero" in html and "published or in implementation" in html
    assert 'href="/dashboard?print=1"' in html
    printable = client.get("/dashboard?print=1").get_data(as_text=True)
    stamp = printable.split('class="print-stamp', 1)[1].split("</p>", 1)[0]
    assert "print-only" not in stamp.split(">")[0] and "TLP:AMBER" in stamp


def test_chart_labels_are_escaped(client, desk):
    org = Organisation.get(Organisation.code == "SSSCIP")
    org.name_en = '<script>alert("x")</script> & Co'
    org.save()
    desk.published(budget_amount="1000")
    login(client, desk.users["back_office"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "<script>alert" not in html
    texts = _svg_texts(html, "gap-recipient")
    assert texts[0].startswith("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co")


def test_empty_charts_say_why(client, desk):
    login(client, desk.users["back_office"])
    html = client.get("/dashboard").get_data(as_text=True)
    assert "No open project has an unfunded gap." in html
    assert "No projects yet." in html


def test_the_map_shades_each_oblast_by_its_gap_from_the_shipped_boundaries(client, desk):
    from tmdesk.core import dashboard as core_dashboard

    desk.published(oblast="UA-46", budget_amount="90000")
    desk.published(oblast="UA-63", budget_amount="10000")
    login(client, desk.users["back_office"])
    html = client.get("/dashboard").get_data(as_text=True)
    svg = html.split('id="gap-map-caption"', 1)[1].split("</svg>", 1)[0]
    # Every oblast from the boundary file, drawn locally: no tiles, no outside address.
    assert svg.count("<path ") == 27 and "http" not in svg
    lviv = svg.split('data-oblast="UA-46"', 1)[1].split("</path>", 1)[0]
    assert "Lviv Oblast: 90,000 EUR" in lviv
    assert 'class="map-region shade-5" data-oblast="UA-46"' in svg
    assert 'class="map-region shade-1" data-oblast="UA-63"' in svg
    assert 'class="map-region shade-0" data-oblast="UA-05"' in svg
    assert "oblast=UA-46" in svg  # each region opens the Catalogue for that oblast
    assert core_dashboard.MAP_FILE.stat().st_size < 40_000  # simplified: small
