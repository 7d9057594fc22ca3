"""A plain ``pip install .`` ships the compiled Ukrainian catalogue (issue 11).

The wheel is built from a copy of the committed files only (no ``.mo`` lying
in the checkout), without network (``--no-build-isolation``: the build needs
setuptools, wheel and Babel, all in the ``test`` extra).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tools.i18n_build import compile_catalogues

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def committed_copy(target: Path) -> Path:
    """The committed files of the checkout, copied to ``target``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            (target / name.decode()).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name.decode())
    return target


def test_the_wheel_carries_the_compiled_ukrainian_catalogue(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the committed files")
    source = committed_copy(tmp_path / "src")
    assert not list(source.rglob("*.mo"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "-w", str(tmp_path / "dist"), str(source)],
        check=True,
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("tmdesk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        mo = archive.read("tmdesk/translations/uk/LC_MESSAGES/messages.mo")
    assert not any(name.startswith("tools/") for name in names), "a dev tool was shipped"
    (expected,) = compile_catalogues(source / "tmdesk" / "translations", tmp_path / "expected")
    assert mo == expected.read_bytes()
