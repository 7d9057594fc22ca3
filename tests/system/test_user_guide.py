"""The user guides (docs/user-guide.md and its Ukrainian twin) stay honest where
that is cheap to check: every relative link, anchor and image exists, every
``tmdesk …`` command they show parses, and both guides have the same shape.

The guides' other claims were checked by hand against the running app when
they were written; these tests catch the drift that happens afterwards (a
renamed heading, a moved file, a removed command or option).
"""

from __future__ import annotations

import re
import shlex
import struct
import unicodedata
import warnings
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tmdesk.cli import cli

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
GUIDES = {"en": DOCS / "user-guide.md", "uk": DOCS / "user-guide.uk.md"}
IMAGE_DIR = DOCS / "img"

FENCE = re.compile(r"^[ \t]*```.*?^[ \t]*```[ \t]*$", re.M | re.S)
LINK = re.compile(r"(!?)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def prose(text: str) -> str:
    """The text without fenced code blocks (links in code are not links)."""
    return FENCE.sub("", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a Markdown file (repeated headings get -1, -2, …)."""
    seen: dict[str, int] = {}
    out = set()
    for _level, title in HEADING.findall(prose(read(path))):
        base = slug(title)
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def links(path: Path) -> list[tuple[bool, str]]:
    """``(is_image, target)`` of every Markdown link and image outside code blocks."""
    return [(bang == "!", target) for bang, target in LINK.findall(prose(read(path)))]


def commands(path: Path) -> list[str]:
    """Every ``tmdesk …`` command the guide shows, in code spans and code blocks."""
    text = read(path)
    found = [span for span in CODE_SPAN.findall(prose(text))]
    for block in FENCE.findall(text):
        body = "\n".join(block.splitlines()[1:-1]).replace("\\\n", " ")
        for line in body.splitlines():
            found.extend(part for part in line.split("|"))
    return [c.strip() for c in found if c.strip().split(" ", 1)[0] == "tmdesk"]


def command_path(args: list[str]) -> tuple[str, ...]:
    """The subcommand names at the start of ``args`` (after global options)."""
    group, path, rest = cli, [], list(args)
    while rest and hasattr(group, "commands"):
        head = rest.pop(0)
        if head == "--data-dir":
            rest = rest[1:]
            continue
        if head not in group.commands:
            break
        path.append(head)
        group = group.commands[head]
    return tuple(path)


def parse_strictly(args: list[str]) -> None:
    """Parse a whole command line as the ``tmdesk`` command would, without running it:
    unknown options, missing required ones and extra arguments raise ClickException."""
    command: click.Command = cli
    name, parent = "tmdesk", None
    while True:
        parent = command.make_context(name, list(args), parent=parent)
        if not isinstance(command, click.Group):
            return
        with warnings.catch_warnings():  # Click 9 puts everything in ``args``
            warnings.simplefilter("ignore", DeprecationWarning)
            rest = [*getattr(parent, "protected_args", []), *parent.args]
        if not rest:
            return
        name, command, args = command.resolve_command(parent, rest)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("lang", sorted(GUIDES))
def test_every_relative_link_and_image_exists(lang: str) -> None:
    guide = GUIDES[lang]
    problems = []
    for is_image, target in links(guide):
        if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
            continue
        file_part, _, fragment = target.partition("#")
        target_file = (guide.parent / file_part).resolve() if file_part else guide
        if not target_file.exists():
            problems.append(f"{target}: {target_file} does not exist")
            continue
        if is_image:
            assert target_file.suffix == ".png", f"{target}: images are PNG"
        if fragment and target_file.suffix == ".md" and fragment not in anchors(target_file):
            problems.append(f"{target}: no heading #{fragment} in {target_file.name}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", sorted(GUIDES))
def test_every_tmdesk_command_parses(lang: str) -> None:
    shown = commands(GUIDES[lang])
    assert len(shown) >= 10, "the guide shows the commands an administrator needs"
    runner = CliRunner()
    for command in shown:
        args = shlex.split(command)[1:]
        # --help is eager: the line is parsed (unknown options and extra
        # arguments fail) and the subcommand's help is printed; nothing runs.
        result = runner.invoke(cli, [*args, "--help"], catch_exceptions=False)
        assert result.exit_code == 0, f"`{command}` does not parse:\n{result.output}"
        assert "Usage:" in result.output or "--version" in args, command
        # A full example (more than the command's name) must also parse as given.
        if len(args) > len(command_path(args)) and "--version" not in args:
            try:
                parse_strictly(args)
            except click.ClickException as exc:
                pytest.fail(f"`{command}`: {exc.format_message()}")


def test_both_guides_show_the_same_commands() -> None:
    paths = {
        lang: sorted({command_path(shlex.split(c)[1:]) for c in commands(guide)})
        for lang, guide in GUIDES.items()
    }
    assert paths["en"] == paths["uk"]


def test_both_guides_have_the_same_headings_structure() -> None:
    levels = {
        lang: [len(hashes) for hashes, _ in HEADING.findall(prose(read(guide)))]
        for lang, guide in GUIDES.items()
    }
    for lang in GUIDES:
        assert levels[lang].count(2) >= 10 and levels[lang].count(3) >= 10, lang
    assert levels["en"].count(2) == levels["uk"].count(2)
    assert levels["en"].count(3) == levels["uk"].count(3)
    assert levels["en"] == levels["uk"], "same sections in the same order"


def test_both_guides_show_as_many_screenshots() -> None:
    shots = {lang: [t for img, t in links(g) if img] for lang, g in GUIDES.items()}
    assert len(shots["en"]) == len(shots["uk"])


def test_screenshots_are_small() -> None:
    images = sorted(IMAGE_DIR.glob("*.png"))
    assert images
    for image in images:
        width, _height = png_size(image)
        assert width <= 1280, f"{image.name} is {width} px wide"
        assert image.stat().st_size <= 150_000, f"{image.name} is over 150 KB"


def test_the_readme_links_the_guide() -> None:
    assert "(docs/user-guide.md)" in read(REPO / "README.md")
