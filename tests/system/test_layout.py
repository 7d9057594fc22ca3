"""The house stays readable: no module in tmdesk/ over about 600 lines (data files
and the listed exceptions aside, each with its plan), and no configuration for a
tool the project does not use (ruff replaced flake8, isort and black)."""

from __future__ import annotations

import configparser
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "tmdesk"

#: Lines a module may have before it is a room with several jobs (issue 11).
LIMIT = 600

#: Modules that may stay longer, and why. Remove an entry when its plan is done: the
#: test fails while an entry is no longer needed, so this list only shrinks.
EXCEPTIONS: dict[str, str] = {
    # Data, not logic.
    "demo/content.py": "the demo data set itself (organisations, projects, pledges as data)",
    # One picture on purpose.
    "core/models.py": "every table in one module on purpose: the schema's one picture "
    "(peewee models refer to each other)",
}

#: Configuration sections of tools tmdesk does not use (ruff does their jobs).
DEAD_SECTIONS = ("flake8", "pycodestyle", "pep8", "isort", "pylint", "black")


def line_counts() -> dict[str, int]:
    return {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(PACKAGE.rglob("*.py"))
    }


def test_no_module_over_the_limit() -> None:
    long = {
        name: lines
        for name, lines in line_counts().items()
        if lines > LIMIT and name not in EXCEPTIONS
    }
    assert not long, (
        f"split these modules by job (or, for a data file, add it to EXCEPTIONS "
        f"with the reason): {long}"
    )


def test_every_exception_is_still_needed() -> None:
    counts = line_counts()
    done = [name for name in EXCEPTIONS if counts.get(name, 0) <= LIMIT]
    assert not done, f"remove from EXCEPTIONS in {__file__} (split or gone): {done}"


def test_no_configuration_for_tools_not_used() -> None:
    found = []
    for name in ("setup.cfg", "tox.ini", ".flake8", ".pylintrc", ".isort.cfg"):
        path = ROOT / name
        if not path.exists():
            continue
        if name in (".flake8", ".pylintrc", ".isort.cfg"):
            found.append(name)
            continue
        config = configparser.ConfigParser()
        config.read(path, encoding="utf-8")
        found += [
            f"{name} [{section}]"
            for section in config.sections()
            if section.split(":")[0].split(".")[-1] in DEAD_SECTIONS
        ]
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8")).get("tool", {})
    found += [f"pyproject.toml [tool.{name}]" for name in DEAD_SECTIONS if name in tool]
    assert not found, f"ruff does these tools' jobs; delete: {found}"
