"""Compile the message catalogues (``.po`` → ``.mo``) in tmdesk/translations.

Run as ``python -m tmdesk.i18n_build``. The test and demo scripts, the
executable build and the package build call it, so compiled catalogues are
never made or committed by hand (``*.mo`` is git-ignored).
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parent / "translations"


def compile_catalogues(root: Path = TRANSLATIONS) -> list[Path]:
    """Compile every ``<locale>/LC_MESSAGES/*.po`` under ``root``; return the .mo paths."""
    written = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parts[-3])
        tmp = mo_path.with_suffix(".mo.part")
        with tmp.open("wb") as fh:
            write_mo(fh, catalog, use_fuzzy=False)
        tmp.replace(mo_path)
        written.append(mo_path)
    return written


def main() -> int:
    paths = compile_catalogues()
    for path in paths:
        print(f"compiled {path.relative_to(TRANSLATIONS.parent.parent)}")
    if not paths:
        print("no message catalogues to compile", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
