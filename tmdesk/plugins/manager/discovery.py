"""Finding and loading plugins in their order: built-ins, entry points, then
approved files of the plugins folder (a file never approved, or changed since,
is held back unimported)."""

from __future__ import annotations

import configparser
import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import re
import sys
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

from tmdesk import __version__
from tmdesk.core.plugin_approvals import sha256_of
from tmdesk.paths import plugins_dir
from tmdesk.plugins.manager.collect import collect as _collect
from tmdesk.plugins.manager.pm import TmdeskPluginManager
from tmdesk.plugins.manager.records import (
    APPROVED_WHEELS,
    BUILTIN_MODULES,
    ENTRY_POINT_GROUP,
    PluginInfo,
)

log = logging.getLogger("tmdesk.plugins.manager")


def make_plugin_manager(
    data_dir: Path | None,
    extra_plugins: Iterable[ModuleType | object] = (),
    builtins: Iterable[str] = BUILTIN_MODULES,
    entry_points: bool = True,
    approvals: Mapping[str, str] | None = None,
) -> TmdeskPluginManager:
    """A new plugin manager with every plugin loaded (see the module docstring).

    ``approvals`` maps plugins-folder file names to their approved SHA-256
    (:func:`tmdesk.core.plugin_approvals.approved_files`); without it no
    folder file runs. ``extra_plugins`` (modules or objects with hook
    implementations) are registered last, as source ``file``; tests and
    :mod:`tmdesk.plugins.testing` use it to load a plugin from source.
    ``builtins`` and ``entry_points`` exist for tests.
    """
    pm = TmdeskPluginManager()
    for module_name in builtins:
        _load_builtin(pm, module_name)
    if entry_points:
        for ep in _tmdesk_entry_points():
            _load_entry_point(pm, ep)
    if data_dir is not None:
        approvals = approvals or {}
        for path in plugin_files(data_dir):
            content = path.read_bytes()
            digest = hashlib.sha256(content).hexdigest()
            winner = pm.modules.get(path.stem) if path.suffix == ".py" else None
            if approvals.get(path.name) != digest:
                _hold_back(pm, path, digest, approvals.get(path.name, ""))
                if winner is not None:
                    pm.infos[-1].warnings.append(
                        f"the same plugin is installed as {winner.source} {winner.name!r}; "
                        "that copy is the one loaded"
                    )
            elif winner is not None:
                info = _file_info(path, digest)
                _duplicate(pm, info, winner, path.stem)
            elif path.suffix == ".py":
                _load_py_file(pm, path, content, digest)
            else:
                _load_wheel(pm, path, content, digest)
    for plugin in extra_plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        _register(
            pm,
            plugin,
            PluginInfo(
                name, _module_version(plugin), "file", getattr(plugin, "__file__", "") or ""
            ),
        )
    _collect(pm)
    return pm


def plugin_files(data_dir: Path) -> list[Path]:
    """The ``.py`` and ``.whl`` files in ``<data_dir>/plugins/``, by name.

    Names starting with "." or "_" are left out (editor and cache files).
    """
    folder = plugins_dir(Path(data_dir))
    if not folder.is_dir():
        return []
    return [
        path
        for path in sorted(folder.iterdir(), key=lambda p: p.name)
        if not path.name.startswith((".", "_"))
        and path.suffix in (".py", ".whl")
        and path.is_file()
    ]


def current_hashes(data_dir: Path) -> dict[str, str]:
    """File name → SHA-256 of every plugins-folder file as it is now."""
    return {path.name: sha256_of(path) for path in plugin_files(data_dir)}


def _file_info(
    path: Path,
    digest: str,
    approved: str | None = None,
    entry_point: tuple[str, str, str] | None = None,
) -> PluginInfo:
    """The record of a plugins-folder file whose SHA-256 is ``digest`` (approved
    as it is unless ``approved`` says otherwise), or of one ``(name, version,
    value)`` entry point of a wheel there."""
    name, version, source = path.name, "", str(path)
    if entry_point is not None:
        name, version, value = entry_point
        source = f"{path} ({value})"
    return PluginInfo(
        name,
        version,
        "file",
        source,
        file_name=path.name,
        sha256=digest,
        approved_sha256=digest if approved is None else approved,
    )


def _hold_back(pm: TmdeskPluginManager, path: Path, digest: str, approved: str) -> None:
    """Record a plugins-folder file that may not run (yet), without importing it."""
    info = _file_info(path, digest, approved=approved)
    if approved:
        info.status = "changed"
        info.error = (
            "the file changed since it was approved; it stays off until an "
            "administrator approves it again"
        )
    else:
        info.status = "pending"
        info.error = "new file: it runs only after an administrator approves it"
    log.warning("tmdesk plugin file %s not loaded: %s (sha256 %s)", path.name, info.error, digest)
    pm.infos.append(info)


def _module_version(module: object) -> str:
    return str(getattr(module, "__version__", "") or "")


def _register(pm: TmdeskPluginManager, plugin: object, info: PluginInfo) -> None:
    pm.add(plugin, info)


def _load_builtin(pm: TmdeskPluginManager, module_name: str) -> None:
    short = module_name.rsplit(".", 1)[-1].replace("_", "-")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001
        info = PluginInfo(short, __version__, "builtin", module_name)
        pm.infos.append(info)
        pm.fail(info, exc, "import")
        return
    _register(pm, module, PluginInfo(short, __version__, "builtin", module_name))


def _tmdesk_entry_points() -> list[importlib.metadata.EntryPoint]:
    """Installed ``tmdesk`` entry points, sorted; wheels from a plugins folder excluded."""
    found = []
    seen = set()
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist
        location = ""
        if dist is not None:
            try:
                location = str(dist.locate_file(""))
            except Exception:  # noqa: BLE001
                location = ""
        if ".whl" in location:  # a wheel we put on sys.path ourselves: loaded as a file
            continue
        dist_name = (dist.name if dist is not None else "") or ""
        key = (dist_name.lower(), ep.name, ep.value)
        if key in seen:
            continue
        seen.add(key)
        found.append((key, ep))
    return [ep for _key, ep in sorted(found, key=lambda item: item[0])]


def _load_entry_point(pm: TmdeskPluginManager, ep: importlib.metadata.EntryPoint) -> None:
    dist = ep.dist
    version = (dist.version if dist is not None else "") or ""
    info = PluginInfo(ep.name, version, "entry point", ep.value)
    try:
        plugin = ep.load()
    except Exception as exc:  # noqa: BLE001
        pm.infos.append(info)
        pm.fail(info, exc, "import")
        return
    if pm.is_registered(plugin):  # e.g. a built-in also declared as an entry point
        return
    info.version = info.version or _module_version(plugin)
    _register(pm, plugin, info)
    if info.ok:
        pm.modules.setdefault(_module_of(ep.value), info)


def _module_of(entry_point_value: str) -> str:
    """The module an entry point's value names (``pkg.mod:attr`` → ``pkg.mod``)."""
    return entry_point_value.partition(":")[0].strip()


def _duplicate(pm: TmdeskPluginManager, info: PluginInfo, winner: PluginInfo, module: str) -> None:
    """Record ``info`` as a second copy of the plugin ``winner`` loaded (not imported)."""
    info.status = "duplicate"
    info.duplicate_of = winner.name
    info.error = (
        f"the same plugin (module {module}) is already loaded from {winner.source} "
        f"{winner.name!r} (version {winner.version or '?'}): that copy is used, this one is not"
    )
    winner.warnings.append(
        f"also in the plugins folder as {info.file_name or info.name}"
        f" (version {info.version or '?'}); this {winner.source} copy is the one loaded"
    )
    log.warning("tmdesk plugin %s: %s", info.name, info.error)
    pm.infos.append(info)


def _module_name_for_file(path: Path) -> str:
    stem = re.sub(r"\W", "_", path.stem)
    return f"tmdesk_plugin_file_{stem}"


def _load_py_file(pm: TmdeskPluginManager, path: Path, content: bytes, digest: str) -> None:
    """Run the approved ``content`` of ``path`` (the bytes hashed, not a re-read file)."""
    module_name = _module_name_for_file(path)
    info = _file_info(path, digest)
    try:
        module = ModuleType(module_name)
        module.__file__ = str(path)
        code = compile(content, str(path), "exec")
        # In sys.modules while it runs, so dataclasses and pickling find it.
        sys.modules[module_name] = module
        try:
            exec(code, module.__dict__)  # noqa: S102  # nosec B102: an administrator approved these exact bytes
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
    except Exception as exc:  # noqa: BLE001 - a syntax error too: isolate it
        pm.infos.append(info)
        pm.fail(info, exc, "import")
        return
    info.version = _module_version(module)
    _register(pm, module, info)


def _wheel_metadata(path: Path) -> tuple[str, list[tuple[str, str]]]:
    """The version and ``[tmdesk]`` entry points (name, value) of a wheel."""
    version = ""
    entries: list[tuple[str, str]] = []
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        for name in names:
            parts = name.split("/")
            if len(parts) != 2 or not parts[0].endswith(".dist-info"):
                continue
            if parts[1] == "METADATA":
                for line in wheel.read(name).decode("utf-8", "replace").splitlines():
                    if line.startswith("Version:"):
                        version = line.split(":", 1)[1].strip()
                        break
            elif parts[1] == "entry_points.txt":
                parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
                parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the names' case
                parser.read_string(wheel.read(name).decode("utf-8"))
                if parser.has_section(ENTRY_POINT_GROUP):
                    entries = [(k.strip(), v.strip()) for k, v in parser.items(ENTRY_POINT_GROUP)]
    return version, entries


def _approved_copy(path: Path, content: bytes, digest: str) -> Path:
    """The approved wheel's bytes, kept as ``plugins/.approved/<sha256>.whl``.

    zipimport reads a wheel lazily, at every import from it; importing from a
    copy named by its hash means later changes to the original cannot reach
    the running code.
    """
    folder = path.parent / APPROVED_WHEELS
    folder.mkdir(exist_ok=True)
    copy = folder / f"{digest}.whl"
    if not copy.is_file() or hashlib.sha256(copy.read_bytes()).hexdigest() != digest:
        tmp = copy.with_name(copy.name + ".part")
        tmp.write_bytes(content)
        tmp.replace(copy)
    return copy


def _forget_other_copies(package: str, copy: Path) -> None:
    """Drop ``package`` from ``sys.modules`` if it was imported from another wheel copy.

    After a wheel is changed and approved again, the new copy must be the one
    imported, not the modules an earlier approval left behind.
    """
    loaded = sys.modules.get(package)
    where = str(getattr(loaded, "__file__", "") or "")
    if loaded is None or APPROVED_WHEELS not in where or where.startswith(str(copy)):
        return
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    old_copy = where[: where.find(".whl") + len(".whl")]
    if old_copy in sys.path:
        sys.path.remove(old_copy)


def _load_wheel(pm: TmdeskPluginManager, path: Path, content: bytes, digest: str) -> None:
    """Put an approved (pure-Python) wheel on ``sys.path`` and load its ``tmdesk`` entry points."""
    try:
        copy = _approved_copy(path, content, digest)
        version, entries = _wheel_metadata(copy)
        if not entries:
            raise ImportError("the wheel declares no [tmdesk] entry point")
    except Exception as exc:  # noqa: BLE001 - a broken zip is one plugin's problem
        info = _file_info(path, digest)
        pm.infos.append(info)
        pm.fail(info, exc, "import")
        return
    installed = [(n, v) for n, v in entries if _module_of(v) in pm.modules]
    for ep_name, value in installed:
        info = _file_info(path, digest, entry_point=(ep_name, version, value))
        _duplicate(pm, info, pm.modules[_module_of(value)], _module_of(value))
    entries = [(n, v) for n, v in entries if (n, v) not in installed]
    if not entries:
        return
    if str(copy) not in sys.path:
        sys.path.append(str(copy))  # zipimport reads the wheel in place
    importlib.invalidate_caches()
    for _ep_name, value in entries:
        _forget_other_copies(value.partition(":")[0].strip().split(".")[0], copy)
    for ep_name, value in entries:
        info = _file_info(path, digest, entry_point=(ep_name, version, value))
        try:
            module_name, _, attr = value.partition(":")
            plugin: object = importlib.import_module(module_name.strip())
            for part in filter(None, attr.strip().split(".")):
                plugin = getattr(plugin, part)
        except Exception as exc:  # noqa: BLE001
            pm.infos.append(info)
            pm.fail(info, exc, "import")
            continue
        _register(pm, plugin, info)
