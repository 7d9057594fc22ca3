"""Build step pyproject.toml cannot declare: compile the translations into the wheel.

``*.mo`` files are never committed, so a plain ``pip install .`` (wheel or sdist)
would otherwise ship English only. Everything else is in pyproject.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from tools.i18n_build import compile_catalogues  # noqa: E402


class BuildPyWithCatalogues(build_py):
    """``build_py`` plus the compiled ``.mo`` beside each ``.po`` in the build tree."""

    def run(self) -> None:
        super().run()
        translations = Path("tmdesk", "translations")
        compile_catalogues(ROOT / translations, Path(self.build_lib) / translations)


setup(cmdclass={"build_py": BuildPyWithCatalogues})
