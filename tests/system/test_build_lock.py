"""build/requirements-lock.txt: the pinned, hashed set the executable is built from."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def build_module():
    spec = importlib.util.spec_from_file_location("tmdesk_build", ROOT / "build" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lock_pins_with_hashes_every_dependency_of_the_executable():
    build = build_module()
    lock = build.LOCK.read_text(encoding="utf-8")
    pinned = {build._normalise(name) for name in re.findall(r"^([A-Za-z0-9][\w.-]*)==", lock, re.M)}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["build"]
    names = {build._normalise(re.match(r"[A-Za-z0-9][\w.-]*", req).group()) for req in wanted}
    assert names <= pinned, f"not in the lock (regenerate it): {sorted(names - pinned)}"
    pins = re.findall(r"^[A-Za-z0-9][\w.-]*==\S+ \\\n\s+--hash=sha256:[0-9a-f]{64}", lock, re.M)
    assert len(pins) == len(pinned), "every pin carries its hashes"


def test_differences_from_the_lock_are_listed():
    build = build_module()
    lock = "pluggy==0.0.1 \\\n    --hash=sha256:" + "0" * 64 + "\nno-such-package-tmdesk==1.0\n"
    assert build.lock_differences(lock) == [
        f"pluggy: locked 0.0.1, installed {importlib.metadata.version('pluggy')}",
        "no-such-package-tmdesk: locked 1.0, installed nothing",
    ]
