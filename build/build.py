"""Build the tmdesk executable with PyInstaller.

    python build/build.py              # dist/tmdesk (tmdesk.exe on Windows): one file
    python build/build.py --onedir     # also dist/tmdesk-folder/ (the folder layout)

Run from anywhere, in the project's environment (``pip install -e .[build]``).
The last line printed is the path of the single-file executable. Options:
``--dist DIR`` and ``--work DIR`` put the output and PyInstaller's work files
elsewhere (the tests build into a temporary folder), ``--windowed`` hides the
console window on Windows and macOS, ``--clean`` empties PyInstaller's cache.

The build compares the environment with ``build/requirements-lock.txt`` (the
pinned, hashed set a release is built from) and lists every difference;
``--locked`` makes a difference an error (release builds). Install the locked
set with ``pip install --require-hashes -r build/requirements-lock.txt`` then
``pip install --no-deps .``; regenerate it after changing a dependency with the
command at the top of that file.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build" / "tmdesk.spec"
LOCK = ROOT / "build" / "requirements-lock.txt"


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_differences(lock_text: str) -> list[str]:
    """Each pin of the lock file the running environment does not match, as
    ``name: locked X, installed Y`` (``installed nothing`` when it is missing)."""
    differences = []
    for name, version in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", lock_text, re.M):
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "nothing"
        if installed != version:
            differences.append(f"{_normalise(name)}: locked {version}, installed {installed}")
    return differences


def check_lock(strict: bool) -> None:
    """Report where the environment differs from the lock; with ``strict``, stop."""
    differences = lock_differences(LOCK.read_text(encoding="utf-8"))
    if not differences:
        return
    print(f"The environment differs from {LOCK.relative_to(ROOT)}:", file=sys.stderr)
    for line in differences:
        print(f"  {line}", file=sys.stderr)
    if strict:
        raise SystemExit(
            "Refusing a --locked build: pip install --require-hashes -r "
            "build/requirements-lock.txt, then pip install --no-deps ."
        )


def executable_name() -> str:
    return "tmdesk.exe" if os.name == "nt" else "tmdesk"


def compile_translations() -> None:
    """Compile the .po catalogues to the .mo files the bundle carries."""
    sys.path.insert(0, str(ROOT))
    from tools.i18n_build import compile_catalogues

    compile_catalogues()


def build(
    dist: Path,
    work: Path,
    onedir: bool = False,
    windowed: bool = False,
    clean: bool = False,
    quiet: bool = False,
) -> Path:
    """Run PyInstaller on the spec; return the single-file executable's path."""
    compile_translations()
    env = dict(
        os.environ,
        TMDESK_ONEDIR="1" if onedir else "0",
        TMDESK_WINDOWED="1" if windowed else "0",
        PYTHONHASHSEED="0",
    )
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--log-level",
        "WARN" if quiet else "INFO",
        str(SPEC),
    ]
    if clean:
        command.insert(3, "--clean")
    subprocess.run(command, check=True, cwd=ROOT, env=env)
    exe = dist / executable_name()
    if not exe.is_file():
        raise SystemExit(f"build finished but {exe} is missing")
    return exe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--onedir", action="store_true", help="also build the folder layout (dist/tmdesk-folder/)"
    )
    parser.add_argument(
        "--windowed",
        action="store_true",
        help="no console window (Windows/macOS); output goes to the log",
    )
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "work")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    parser.add_argument("--quiet", action="store_true", help="PyInstaller warnings only")
    parser.add_argument(
        "--locked",
        action="store_true",
        help="stop if the environment differs from build/requirements-lock.txt",
    )
    args = parser.parse_args(argv)
    check_lock(args.locked)
    started = time.monotonic()
    exe = build(
        args.dist.resolve(),
        args.work.resolve(),
        onedir=args.onedir,
        windowed=args.windowed,
        clean=args.clean,
        quiet=args.quiet,
    )
    size = exe.stat().st_size / 1024 / 1024
    print(
        f"Built in {time.monotonic() - started:.0f} s; single file {size:.1f} MiB"
        + (f"; folder layout in {args.dist.resolve() / 'tmdesk-folder'}" if args.onedir else "")
    )
    print(exe)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
