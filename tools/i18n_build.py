"""Compile the message catalogues (``.po`` → ``.mo``) in tmdesk/translations.

The one way tmdesk compiles translations. Run as ``python -m tools.i18n_build``
from the checkout (scripts/test, scripts/demo and scripts/i18n do); the package
build (setup.py's ``build_py``) and the executable build (build/build.py) call
:func:`compile_catalogues`, so ``pip install .`` ships Ukrainian and compiled
catalogues are never made or committed by hand (``*.mo`` is git-ignored).

A development tool, not part of the installed package: it needs only Babel.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parent.parent / "tmdesk" / "translations"


def compile_catalogues(root: Path = TRANSLATIONS, out: Path | None = None) -> list[Path]:
    """Compile every ``<locale>/LC_MESSAGES/*.po`` under ``root`` to the same place
    under ``out`` (default: beside the .po); return the .mo paths."""
    written = []
    for po_path in sorted(root.glob("*/LC_MESSAGES/*.po")):
        mo_path = (out or root) / po_path.relative_to(root).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=po_path.parts[-3])
        # A name of this process's own: two compiling at once (the test workers) each
        # replace the .mo whole, never one another's half-written file.
        tmp = mo_path.with_suffix(f".mo.{os.getpid()}.part")
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
