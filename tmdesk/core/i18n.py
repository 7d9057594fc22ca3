"""Translation markers usable in the core without importing Flask.

The core marks user-facing strings with :func:`N_`; the web layer (and the
report plugins) translate them at display time with the active locale.
Babel's extractor is configured to pick up ``N_`` (see setup.cfg).
"""


def N_(message: str) -> str:  # noqa: N802 - the conventional gettext no-op name
    """Mark ``message`` for translation and return it unchanged."""
    return message
