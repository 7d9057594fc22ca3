"""The plugin manager: finding, loading and isolating tmdesk plugins.

:func:`make_plugin_manager` builds a fresh manager (there is no module
global; the web app keeps its own in ``app.extensions["tmdesk_plugins"]``).
Plugins are loaded in this order, which is also the order their hooks are
asked and their export columns appear:

1. the built-in plugins (:data:`BUILTIN_MODULES`, in that order);
2. installed distributions' ``tmdesk`` entry points, sorted by distribution
   name, then entry-point name;
3. ``.py`` files and ``.whl`` files in ``<data dir>/plugins/``, sorted by
   file name (a wheel contributes the modules named in its
   ``entry_points.txt`` ``[tmdesk]`` section, in the order written there).

A file in the plugins folder is code someone copied onto the machine, so it
runs only when an administrator has approved that exact file: ``approvals``
maps file names to the SHA-256 pinned at approval
(:mod:`tmdesk.core.plugin_approvals`). A file never approved is recorded as
``pending``, an approved file whose bytes changed as ``changed``; neither is
imported. An approved ``.py`` file is executed from the very bytes that were
hashed, and an approved wheel is imported from a copy named by its hash, so
the file cannot be swapped between the check and the import.

Every step is isolated: a plugin that fails to import, or whose hook raises,
is logged, recorded in :attr:`TmdeskPluginManager.infos` as ``failed`` with
its error, unregistered, and skipped; the others carry on. A format whose
name is already taken by an earlier plugin is ignored and reported on the
later plugin's record.
"""

from __future__ import annotations

import configparser
import dataclasses
import hashlib
import importlib
import importlib.metadata
import importlib.util
import logging
import os
import re
import sys
import tempfile
import traceback
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from tmdesk import __version__
from tmdesk.core.errors import DomainError
from tmdesk.core.i18n import N_
from tmdesk.core.plugin_approvals import sha256_of
from tmdesk.paths import plugins_dir
from tmdesk.plugins import hookspecs
from tmdesk.plugins.contract import ALL_ROLES, ExportColumn, ReportFormat, ReportRefused

log = logging.getLogger(__name__)

PROJECT_NAME = "tmdesk"
ENTRY_POINT_GROUP = "tmdesk"

#: The built-in plugins, imported by name, in load order.
BUILTIN_MODULES: tuple[str, ...] = (
    "tmdesk.plugins.builtin.tabular",
    "tmdesk.plugins.builtin.iati",
    "tmdesk.plugins.builtin.briefing_pack",
    "tmdesk.plugins.builtin.ministry_report",
)

#: Inside the plugins folder: approved wheels, copied under their SHA-256.
APPROVED_WHEELS = ".approved"

FORMAT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_OPTION_LENGTH = 200


class ReportError(DomainError):
    """A report could not be made; nothing was written. The message says why."""

    http_status = 400


class OptionError(ReportError):
    """An option value was not accepted; ``fields`` maps option names to messages."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__(
            N_("Some report options are not valid: %(details)s"),
            details="; ".join(f"{k}: {v}" for k, v in fields.items()),
        )
        self.fields = fields


class RenderFailed(ReportError):
    """The format's render raised: a fault in the plugin, not in the request."""

    http_status = 500


@dataclass
class PluginInfo:
    """What the Plugins page and ``tmdesk plugins`` show about one plugin."""

    name: str
    version: str
    source: str  # "builtin" | "entry point" | "file"
    path: str
    formats: list[str] = field(default_factory=list)
    #: "ok" | "failed" | "pending" (never approved) | "changed" (differs from the pin)
    status: str = "ok"
    error: str = ""
    #: For a file in the plugins folder: its name, its SHA-256 now, and the one approved.
    file_name: str = ""
    sha256: str = ""
    approved_sha256: str = ""
    #: Non-fatal findings, e.g. a format ignored because its name was taken.
    warnings: list[str] = field(default_factory=list)
    #: The last failure's traceback, for the plugin's author.
    traceback: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def awaiting_approval(self) -> bool:
        """A plugins-folder file held back until an administrator approves it."""
        return self.status in ("pending", "changed")


class TmdeskPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers what it loaded and what failed."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []
        self.formats: dict[str, ReportFormat] = {}
        self._columns: list[tuple[str, ExportColumn]] = []  # (plugin, column)
        self._registered: dict[str, PluginInfo] = {}

    @property
    def export_columns(self) -> tuple[ExportColumn, ...]:
        """The extra export columns of the plugins still loaded, in load order."""
        return tuple(column for _plugin, column in self._columns)

    def info(self, name: str) -> PluginInfo | None:
        """The record of the registered plugin called ``name`` (else the first so named)."""
        return self._registered.get(name) or next((i for i in self.infos if i.name == name), None)

    def fail(self, info: PluginInfo, exc: BaseException, during: str) -> None:
        """Record that a plugin failed ``during`` a step; unregister it if it was registered."""
        message = f"{during}: {type(exc).__name__}: {exc}"
        log.error("tmdesk plugin %s failed (%s)", info.name, message)
        log.debug("tmdesk plugin %s traceback", info.name, exc_info=exc)
        info.status = "failed"
        info.traceback = "".join(traceback.format_exception(exc))
        info.error = f"{info.error}; {message}" if info.error else message
        if self._registered.get(info.name) is info:
            del self._registered[info.name]
            # A failed plugin keeps none of its formats.
            for name in [n for n, f in self.formats.items() if f.plugin == info.name]:
                self.formats.pop(name, None)
                info.formats = [n for n in info.formats if n != name]
            self._columns = [(p, c) for p, c in self._columns if p != info.name]
            plugin = self.get_plugin(info.name)
            if plugin is not None:
                self.unregister(plugin, name=info.name)

    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[PluginInfo, Any]]:
        """Call hook ``hook_name`` on every plugin in load order, each one isolated.

        Returns ``(plugin record, result)`` for the plugins that answered; a plugin
        that raises is recorded as failed and unregistered.
        """
        hook = getattr(self.hook, hook_name)
        impls = {impl.plugin_name: impl for impl in hook.get_hookimpls()}
        results = []
        for name, info in list(self._registered.items()):
            impl = impls.get(name)
            if impl is None:
                continue
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:  # noqa: BLE001 - isolating partner code is the point
                self.fail(info, exc, hook_name)
                continue
            results.append((info, result))
        return results

    def formats_for(self, user) -> list[ReportFormat]:
        return formats_for(self, user)


# --- loading ------------------------------------------------------------------------------


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
            if approvals.get(path.name) != digest:
                _hold_back(pm, path, digest, approvals.get(path.name, ""))
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


def _hold_back(pm: TmdeskPluginManager, path: Path, digest: str, approved: str) -> None:
    """Record a plugins-folder file that may not run (yet), without importing it."""
    info = PluginInfo(
        path.name,
        "",
        "file",
        str(path),
        file_name=path.name,
        sha256=digest,
        approved_sha256=approved,
    )
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
    """Register ``plugin`` under ``info.name`` (taken names and re-registrations fail)."""
    pm.infos.append(info)
    if pm.has_plugin(info.name):
        pm.fail(info, ValueError(f"a plugin named {info.name!r} is already loaded"), "register")
        return
    if pm.is_registered(plugin):
        pm.fail(
            info,
            ValueError(f"the same module is already loaded as {pm.get_name(plugin)!r}"),
            "register",
        )
        return
    try:
        pm.register(plugin, name=info.name)
    except Exception as exc:  # noqa: BLE001 - e.g. a hookimpl with an unknown argument
        pm.fail(info, exc, "register")
        return
    pm._registered[info.name] = info


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
    _register(pm, plugin, info)


def _module_name_for_file(path: Path) -> str:
    stem = re.sub(r"\W", "_", path.stem)
    return f"tmdesk_plugin_file_{stem}"


def _load_py_file(pm: TmdeskPluginManager, path: Path, content: bytes, digest: str) -> None:
    """Run the approved ``content`` of ``path`` (the bytes hashed, not a re-read file)."""
    module_name = _module_name_for_file(path)
    info = PluginInfo(
        path.name, "", "file", str(path), file_name=path.name, sha256=digest, approved_sha256=digest
    )
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
        info = PluginInfo(
            path.name,
            "",
            "file",
            str(path),
            file_name=path.name,
            sha256=digest,
            approved_sha256=digest,
        )
        pm.infos.append(info)
        pm.fail(info, exc, "import")
        return
    if str(copy) not in sys.path:
        sys.path.append(str(copy))  # zipimport reads the wheel in place
    importlib.invalidate_caches()
    for _ep_name, value in entries:
        _forget_other_copies(value.partition(":")[0].strip().split(".")[0], copy)
    for ep_name, value in entries:
        info = PluginInfo(
            ep_name,
            version,
            "file",
            f"{path} ({value})",
            file_name=path.name,
            sha256=digest,
            approved_sha256=digest,
        )
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


# --- what the plugins contribute ----------------------------------------------------------


def _check_format(fmt: object) -> str | None:
    """Why ``fmt`` is not a usable format (None when it is)."""
    if not isinstance(fmt, ReportFormat):
        return f"{fmt!r} is not a ReportFormat"
    if not FORMAT_NAME.match(fmt.name or ""):
        return f"format name {fmt.name!r} must be lowercase letters, digits and '-'"
    if not callable(fmt.render):
        return f"format {fmt.name!r} has no render function"
    unknown = set(fmt.roles) - ALL_ROLES
    if unknown:
        return f"format {fmt.name!r} names unknown roles {sorted(unknown)}"
    return None


def _collect(pm: TmdeskPluginManager) -> None:
    """Ask every plugin for its formats and export columns (once, at load)."""
    for info, result in pm.call_each("tmdesk_report_formats"):
        plugin_name = info.name
        for fmt in result or ():
            problem = _check_format(fmt)
            if problem:
                info.warnings.append(f"{problem}; ignored")
                log.warning("tmdesk plugin %s: %s", plugin_name, problem)
                continue
            taken = pm.formats.get(fmt.name)
            if taken is not None:
                message = (
                    f"format {fmt.name!r} is already provided by plugin "
                    f"{taken.plugin!r}; this one is ignored"
                )
                info.warnings.append(message)
                log.warning("tmdesk plugin %s: %s", plugin_name, message)
                continue
            pm.formats[fmt.name] = dataclasses.replace(fmt, plugin=plugin_name)
            info.formats.append(fmt.name)
    names: set[str] = set()
    for info, result in pm.call_each("tmdesk_export_columns"):
        for column in result or ():
            if not isinstance(column, ExportColumn) or not callable(column.value):
                info.warnings.append(f"{column!r} is not an ExportColumn; ignored")
                continue
            if column.name in names:
                info.warnings.append(
                    f"export column {column.name!r} is already provided; this one is ignored"
                )
                continue
            names.add(column.name)
            pm._columns.append((plugin_name, column))


def plugin_infos(pm: TmdeskPluginManager) -> list[PluginInfo]:
    """Every plugin, in load order, with its status."""
    return list(pm.infos)


def formats_for(pm: TmdeskPluginManager, user) -> list[ReportFormat]:
    """The formats ``user``'s role may use, by label (none for no user)."""
    if user is None or not getattr(user, "active", True):
        return []
    role = user.role
    return sorted(
        (f for f in pm.formats.values() if role in f.roles), key=lambda f: (f.label.lower(), f.name)
    )


def get_format(pm: TmdeskPluginManager, name: str) -> ReportFormat:
    fmt = pm.formats.get(name)
    if fmt is None:
        raise ReportError(N_("There is no report format “%(name)s”."), name=name[:60])
    return fmt


def validate_options(fmt: ReportFormat, given: dict[str, str] | None) -> dict[str, Any]:
    """``given`` checked against ``fmt.options``, with defaults filled in.

    Raises :class:`OptionError` naming each bad option.
    """
    given = dict(given or {})
    known = {opt.name: opt for opt in fmt.options}
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in given:
        if name not in known:
            errors[name] = "unknown option" + (
                f" (this format takes: {', '.join(known)})"
                if known
                else " (this format takes none)"
            )
    for name, opt in known.items():
        value = given.get(name)
        if value is None or value == "":
            value = opt.default
        if value is not None:
            value = str(value)
            if opt.choices is not None and value not in {c[0] for c in opt.choices}:
                errors[name] = f"choose one of {', '.join(c[0] for c in opt.choices)}"
                continue
            if len(value) > MAX_OPTION_LENGTH:
                errors[name] = f"at most {MAX_OPTION_LENGTH} characters"
                continue
        values[name] = value
    if errors:
        raise OptionError(errors)
    return values


def project_checker(pm: TmdeskPluginManager) -> Callable:
    """A function ``(project, context) -> list[str]`` asking every plugin's
    ``tmdesk_validate_project``; a plugin that raises is recorded and skipped."""

    def check(project, context) -> list[str]:
        problems: list[str] = []
        for _plugin, result in pm.call_each(
            "tmdesk_validate_project", project=project, context=context
        ):
            if isinstance(result, str):
                problems.append(result)
            elif result:
                problems.extend(str(item) for item in result)
        return problems

    return check


def validate_project(pm: TmdeskPluginManager, project, context) -> list[str]:
    """Every plugin's findings about ``project`` (see ``tmdesk_validate_project``)."""
    return project_checker(pm)(project, context)


def attach(pm: TmdeskPluginManager, context):
    """``context`` with this manager's export columns and project checks attached."""
    return dataclasses.replace(
        context, export_columns=pm.export_columns, project_checker=project_checker(pm)
    )


def render_report(
    pm: TmdeskPluginManager,
    format_name: str,
    context,
    options: dict[str, str] | None,
    out_path: str | os.PathLike,
) -> Path:
    """Render ``format_name`` for ``context`` into ``out_path``, all or nothing.

    The options are validated first; the format writes to a temporary file in
    the same folder, which is flushed, fsynced and renamed over ``out_path``
    only when the render returns normally. On any failure the temporary file
    is deleted, ``out_path`` is left as it was, and :class:`ReportError` is
    raised with a message for the user (the traceback goes to the log).
    """
    fmt = get_format(pm, format_name)
    requester = context.requested_by
    if requester is not None and requester.role not in fmt.roles:
        raise ReportError(N_("Your role may not use the “%(name)s” format."), name=fmt.name)
    if fmt.needs_donor and not context.filters.donor:
        raise ReportError(
            N_("The “%(name)s” format is about one donor: choose the donor."), name=fmt.name
        )
    values = validate_options(fmt, options)
    out = Path(out_path)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(N_("The folder %(folder)s does not exist."), folder=str(folder))
    context = attach(pm, context)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            fmt.render(context, stream, values)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, out)
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, ReportRefused):  # what was asked cannot be made: a 400
            log.info("report %s refused: %s", fmt.name, exc)
            raise ReportError(exc.message, **exc.params) from exc
        log.exception("report %s (plugin %s) failed", fmt.name, fmt.plugin)
        if isinstance(exc, ReportError):
            raise
        raise RenderFailed(
            N_("The “%(name)s” report could not be made (%(error)s). No file was written."),
            name=fmt.name,
            error=f"{type(exc).__name__}: {exc}"[:300],
        ) from exc
    return out
