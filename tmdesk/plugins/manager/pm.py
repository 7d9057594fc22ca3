"""The pluggy manager subclass: what it loaded, what failed, each plugin isolated;
and the questions asked of it (which formats a user may use, a format by name)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import pluggy

from tmdesk.core.donor_fields import DonorField
from tmdesk.core.i18n import N_
from tmdesk.plugins import hookspecs
from tmdesk.plugins.contract import ExportColumn, ReportError, ReportFormat, localized
from tmdesk.plugins.manager.records import PROJECT_NAME, PluginInfo

log = logging.getLogger("tmdesk.plugins.manager")


class TmdeskPluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers what it loaded and what failed."""

    def __init__(self) -> None:
        super().__init__(PROJECT_NAME)
        self.add_hookspecs(hookspecs)
        self.infos: list[PluginInfo] = []
        self.formats: dict[str, ReportFormat] = {}
        self._columns: list[tuple[str, ExportColumn]] = []  # (plugin, column)
        self._registered: dict[str, PluginInfo] = {}
        #: The donors' own fields declared by the plugins still loaded, by name.
        self.donor_fields: dict[str, DonorField] = {}
        #: Module name → the record of the installed plugin loaded from it, so the same
        #: plugin installed and dropped into the folder is loaded once.
        self.modules: dict[str, PluginInfo] = {}

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
            self.donor_fields = {
                n: d for n, d in self.donor_fields.items() if d.plugin != info.name
            }
            info.donor_fields = []
            plugin = self.get_plugin(info.name)
            if plugin is not None:
                self.unregister(plugin, name=info.name)

    def call_each(
        self,
        hook_name: str,
        only: Callable[[PluginInfo], bool] | None = None,
        **kwargs: Any,
    ) -> list[tuple[PluginInfo, Any]]:
        """Call hook ``hook_name`` on every plugin in load order (those ``only`` accepts),
        each one isolated.

        Returns ``(plugin record, result)`` for the plugins that answered; a plugin
        that raises is recorded as failed and unregistered.
        """
        hook = getattr(self.hook, hook_name)
        impls = {impl.plugin_name: impl for impl in hook.get_hookimpls()}
        results = []
        for name, info in list(self._registered.items()):
            impl = impls.get(name)
            if impl is None or (only is not None and not only(info)):
                continue
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as exc:  # noqa: BLE001 - isolating partner code is the point
                self.fail(info, exc, hook_name)
                continue
            results.append((info, result))
        return results

    def add(self, plugin: object, info: PluginInfo) -> None:
        """Register ``plugin`` under ``info.name`` and keep its record (taken names
        and re-registrations are recorded as failures, not raised)."""
        self.infos.append(info)
        if self.has_plugin(info.name):
            self.fail(
                info, ValueError(f"a plugin named {info.name!r} is already loaded"), "register"
            )
            return
        if self.is_registered(plugin):
            self.fail(
                info,
                ValueError(f"the same module is already loaded as {self.get_name(plugin)!r}"),
                "register",
            )
            return
        try:
            self.register(plugin, name=info.name)
        except Exception as exc:  # noqa: BLE001 - e.g. a hookimpl with an unknown argument
            self.fail(info, exc, "register")
            return
        self._registered[info.name] = info

    def add_column(self, plugin_name: str, column: ExportColumn) -> None:
        """Keep an export column contributed by the registered plugin ``plugin_name``."""
        self._columns.append((plugin_name, column))

    def formats_for(self, user) -> list[ReportFormat]:
        return formats_for(self, user)


def plugin_infos(pm: TmdeskPluginManager) -> list[PluginInfo]:
    """Every plugin, in load order, with its status."""
    return list(pm.infos)


def formats_for(pm: TmdeskPluginManager, user) -> list[ReportFormat]:
    """The formats ``user``'s role may use, by label (none for no user)."""
    if user is None or not getattr(user, "active", True):
        return []
    role = user.role
    return sorted(
        (f for f in pm.formats.values() if role in f.roles),
        key=lambda f: (localized(f.label, "en").lower(), f.name),
    )


def get_format(pm: TmdeskPluginManager, name: str) -> ReportFormat:
    fmt = pm.formats.get(name)
    if fmt is None:
        raise ReportError(N_("There is no report format “%(name)s”."), name=name[:60])
    return fmt
