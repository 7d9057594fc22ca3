"""docs/plugins.md documents every hook and every field a plugin author relies on."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest

from tmdesk.core.reporting import ProjectView, ReportContext
from tmdesk.plugins import hookspecs
from tmdesk.plugins.contract import ReportFormat, ReportOption

GUIDE = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"


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


@pytest.mark.parametrize("cls", [ReportFormat, ReportOption, ReportContext, ProjectView])
def test_every_field_is_documented(cls):
    text = GUIDE.read_text(encoding="utf-8")
    for field in dataclasses.fields(cls):
        if field.name == "plugin":  # set by the manager, not by authors
            continue
        assert f"`{field.name}`" in text or re.search(rf"\b{field.name}\b", text), (
            f"{cls.__name__}.{field.name} is not in docs/plugins.md"
        )


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
