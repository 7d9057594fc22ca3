"""docs/plugins.md documents every hook and every field a plugin author relies on."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from tmdesk.core.report_views import ProjectView, ReportContext
from tmdesk.plugins import hookspecs
from tmdesk.plugins.contract import ReportFormat, ReportOption

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"


def hook_names() -> list[str]:
    marker = "tmdesk_spec"
    return sorted(
        name
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, marker)
    )


def test_there_are_hooks_to_document():
    assert {"tmdesk_report_formats", "tmdesk_export_columns", "tmdesk_validate_project"} <= set(
        hook_names()
    )


@pytest.mark.parametrize("hook", hook_names())
def test_every_hook_has_a_section_with_its_signature(hook):
    text = GUIDE.read_text(encoding="utf-8")
    assert re.search(rf"^### `{hook}`$", text, re.M), f"docs/plugins.md lacks a section on {hook}"
    params = list(inspect.signature(getattr(hookspecs, hook)).parameters)
    assert f"`{hook}({', '.join(params)})" in text, f"{hook}'s signature is not shown"


def table_fields(text: str, heading: str) -> set[str]:
    """The first-column names of the field table under ``heading`` (up to the next ``##``)."""
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + len(heading) + 2)
    return set(re.findall(r"^\| `(\w+)` \|", text[start : end if end != -1 else None], re.M))


def signature_fields(text: str, cls: type) -> set[str]:
    """The parameters of a shown `` `Cls(a, b=None)` `` signature."""
    return {
        param.split("=")[0].strip()
        for params in re.findall(rf"`{cls.__name__}\(([^)`]*)\)`", text)
        for param in params.split(",")
    }


def paragraph_fields(text: str, cls: type) -> set[str]:
    """The code names of the paragraph opening with `` `Cls`: ``."""
    match = re.search(rf"^`{cls.__name__}`:(.*?)(?:\n\n|\Z)", text, re.M | re.S)
    return set(re.findall(r"`(\w+)`", match.group(1))) if match else set()


#: Where docs/plugins.md documents each class's fields: a field table, a shown
#: signature or a listing paragraph. A word in running prose does not count.
WHERE = {
    ReportFormat: lambda text: table_fields(text, "## `ReportFormat` and its options"),
    ReportOption: lambda text: signature_fields(text, ReportOption),
    ReportContext: lambda text: table_fields(text, "## The report context"),
    ProjectView: lambda text: paragraph_fields(text, ProjectView),
}


@pytest.mark.parametrize("cls", list(WHERE))
def test_every_field_is_documented(cls):
    documented = WHERE[cls](GUIDE.read_text(encoding="utf-8"))
    for field in dataclasses.fields(cls):
        if field.name == "plugin":  # set by the manager, not by authors
            continue
        assert field.name in documented, f"{cls.__name__}.{field.name} is not in docs/plugins.md"


def test_a_word_in_prose_does_not_count_as_documenting_a_field():
    prose = "\n## The report context\nThe projects and the `locale` fill the totals.\n"
    assert table_fields(prose, "## The report context") == set()
    assert signature_fields("ReportOption takes a default and a help.", ReportOption) == set()
    assert paragraph_fields("The ProjectView has a `ref`.", ProjectView) == set()


def test_guide_covers_the_promises():
    text = GUIDE.read_text(encoding="utf-8").lower()
    for topic in (
        "load order",
        "failure isolation",
        "tmdesk.plugins.testing",
        "render_with_demo",
        "visibility promise",
        ".whl",
        "plugins folder",
        "[project.entry-points.tmdesk]",
    ):
        assert topic in text, topic
