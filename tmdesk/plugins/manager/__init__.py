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

One job per module: :mod:`.records` (names, errors, :class:`PluginInfo`),
:mod:`.pm` (the manager subclass and its queries), :mod:`.discovery` (finding
and loading, one copy of a plugin installed twice), :mod:`.collect` (formats,
columns, donor fields, and the hooks tried on sample data at load),
:mod:`.options` (typed options, saved settings) and :mod:`.rendering` (whose
project checks apply, the all-or-nothing render). Import from here.
"""

from tmdesk.plugins.manager.discovery import (
    current_hashes,
    make_plugin_manager,
    plugin_files,
)
from tmdesk.plugins.manager.options import check_settings, validate_options
from tmdesk.plugins.manager.pm import TmdeskPluginManager, formats_for, get_format, plugin_infos
from tmdesk.plugins.manager.records import (
    APPROVED_WHEELS,
    BUILTIN_MODULES,
    ENTRY_POINT_GROUP,
    FORMAT_NAME,
    MAX_OPTION_LENGTH,
    PROJECT_NAME,
    OptionError,
    PluginInfo,
    RenderFailed,
    ReportError,
)
from tmdesk.plugins.manager.rendering import (
    attach,
    project_checker,
    render_report,
    validate_project,
    validation_scope,
)

__all__ = [
    "APPROVED_WHEELS",
    "BUILTIN_MODULES",
    "ENTRY_POINT_GROUP",
    "FORMAT_NAME",
    "MAX_OPTION_LENGTH",
    "PROJECT_NAME",
    "OptionError",
    "PluginInfo",
    "RenderFailed",
    "ReportError",
    "TmdeskPluginManager",
    "attach",
    "check_settings",
    "current_hashes",
    "formats_for",
    "get_format",
    "make_plugin_manager",
    "plugin_files",
    "plugin_infos",
    "project_checker",
    "render_report",
    "validate_options",
    "validate_project",
    "validation_scope",
]
