"""Every TMDESK_* environment variable is declared once in tmdesk/settings.py and
documented, and no other module reads one itself (as Datasette's settings test does
for its settings)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tmdesk import settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tmdesk"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.name)
def test_setting_is_documented(setting: settings.Setting) -> None:
    assert setting.name.startswith("TMDESK_")
    assert setting.help.strip()
    pattern = re.compile(rf"\b{re.escape(setting.name)}\b")
    found = [p.name for p in DOCS if pattern.search(p.read_text(encoding="utf-8"))]
    assert found, f"{setting.name} is declared in tmdesk/settings.py but not in README.md or docs/"


def _environment_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of every ``os.environ[…]``, ``os.environ.get(…)``, ``os.getenv(…)``
    and ``environ.get(…)`` whose key is a ``TMDESK_*`` string, and of every other
    ``environ`` access at all (a computed key could be anything)."""
    found: list[tuple[int, str]] = []

    def is_environ(node: ast.AST) -> bool:
        if isinstance(node, ast.IfExp):  # (os.environ if env is None else env).get(…)
            return is_environ(node.body) or is_environ(node.orelse)
        return (isinstance(node, ast.Attribute) and node.attr == "environ") or (
            isinstance(node, ast.Name) and node.id == "environ"
        )

    for node in ast.walk(tree):
        key: ast.AST | None = None
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            key = node.slice
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            func = node.func
            reads_env = (func.attr in {"get", "pop", "setdefault"} and is_environ(func.value)) or (
                func.attr == "getenv"
            )
            if reads_env and node.args:
                key = node.args[0]
        if key is None:
            continue
        if not isinstance(key, ast.Constant):
            found.append((node.lineno, ast.unparse(key)))
        elif isinstance(key.value, str) and key.value.startswith("TMDESK_"):
            found.append((node.lineno, key.value))
    return found


def test_only_settings_reads_tmdesk_environment_variables() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path == PACKAGE / "settings.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        offenders += [
            f"{path.relative_to(ROOT)}:{line}: {name}" for line, name in _environment_reads(tree)
        ]
    assert not offenders, (
        "read TMDESK_* variables through tmdesk.settings (declare new ones there):\n"
        + "\n".join(offenders)
    )


def test_every_tmdesk_name_in_the_code_is_declared_or_an_app_config_key() -> None:
    """A TMDESK_* name in the code is a declared setting or a key of the Flask app's
    config (set by tmdesk itself, never read from the environment)."""
    config_keys = {"TMDESK_DESKTOP", "TMDESK_ALLOWED_HOSTS", "TMDESK_SETUP_TOKEN"}
    names = set()
    for path in PACKAGE.rglob("*.py"):
        names |= set(re.findall(r"\bTMDESK_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    unknown = sorted(names - set(settings.BY_NAME) - config_keys)
    assert not unknown, f"not declared in tmdesk/settings.py: {unknown}"


def test_setting_reads_the_environment_with_its_default() -> None:
    keep = settings.BACKUP_KEEP
    assert keep.get({}) == keep.default
    assert keep.get({keep.name: "  "}) == keep.default
    assert keep.get({keep.name: " 3 "}) == "3"
    assert settings.NO_BROWSER.flag({"TMDESK_NO_BROWSER": "Yes"})
    assert not settings.NO_BROWSER.flag({})
