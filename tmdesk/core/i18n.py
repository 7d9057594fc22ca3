"""Translation markers usable in the core without importing Flask.

The core marks user-facing strings with :func:`N_`; the web layer (and the
report plugins) translate them at display time with the active locale.
Babel's extractor is configured to pick up ``N_`` (see setup.cfg).
"""

from __future__ import annotations

from collections.abc import Mapping


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op name
    """Mark ``message`` for translation and return it unchanged."""
    return message


#: A text a plugin gives either as one string (translated through tmdesk's
#: catalogue when it has it) or in both languages: ``{"en": …, "uk": …}``.
Text = str | Mapping[str, str]


def localized(text: Text | None, locale: str) -> str | None:
    """``text`` in ``locale`` when given per language (English, then any language,
    as the fallback); a plain string is returned as it is, for the caller to
    translate. None when the text is a plain string: see :func:`is_per_language`."""
    if text is None or isinstance(text, str):
        return None
    return str(text.get(locale) or text.get("en") or next(iter(text.values()), ""))


def in_language(en: str, uk: str, locale: str) -> str:
    """A text kept in both languages (a project's title, an organisation's name),
    in ``locale``: Ukrainian for ``"uk"``, English otherwise, falling back to the
    other language when that one is empty."""
    if locale == "uk":
        return uk or en
    return en or uk


def is_per_language(text: object) -> bool:
    """Whether ``text`` is a ``{"en": …, "uk": …}`` mapping rather than one string."""
    return isinstance(text, Mapping)


def check_text(text: object, what: str) -> str | None:
    """Why ``text`` is not a usable :data:`Text` (None when it is)."""
    if isinstance(text, str):
        return None
    if isinstance(text, Mapping):
        bad = [k for k, v in text.items() if k not in LOCALES or not isinstance(v, str)]
        if bad or not text:
            return f"{what} must be a string or {{'en': ..., 'uk': ...}} (got keys {sorted(map(str, text))})"
        return None
    return f"{what} must be a string or {{'en': ..., 'uk': ...}}, not {type(text).__name__}"


#: The languages tmdesk speaks.
LOCALES = ("en", "uk")
