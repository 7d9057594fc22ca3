"""A text kept in both languages (titles, summaries, names) falls back the same
way wherever it is read: the models the pages use and the views reports get."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tmdesk.core.i18n import in_language
from tmdesk.core.models import Organisation, Project
from tmdesk.core.report_views import OrgView, ProjectView

CASES = [
    # (en, uk, locale, expected)
    ("Audit", "Аудит", "en", "Audit"),
    ("Audit", "Аудит", "uk", "Аудит"),
    ("Audit", "", "uk", "Audit"),
    ("", "Аудит", "en", "Аудит"),
    ("Audit", "Аудит", "de", "Audit"),
    ("", "", "uk", ""),
]


@pytest.mark.parametrize(("en", "uk", "locale", "expected"), CASES)
def test_in_language_prefers_the_locale_then_the_other_language(en, uk, locale, expected):
    assert in_language(en, uk, locale) == expected


@pytest.mark.parametrize(("en", "uk", "locale", "expected"), CASES)
@pytest.mark.parametrize(
    ("method", "attribute"),
    [
        (Project.title, "title"),
        (Project.summary, "summary"),
        (ProjectView.title, "title"),
        (ProjectView.summary, "summary"),
        (Organisation.name, "name"),
        (OrgView.name, "name"),
    ],
)
def test_models_and_report_views_fall_back_alike(method, attribute, en, uk, locale, expected):
    row = SimpleNamespace(**{f"{attribute}_en": en, f"{attribute}_uk": uk})
    assert method(row, locale) == expected
