"""The built-in report formats, each one an ordinary plugin.

They use nothing a partner's plugin could not: ``tmdesk.hookimpl``, the types
in :mod:`tmdesk.plugins.contract`, and the report context. The plugin
manager imports them by name (see ``BUILTIN_MODULES`` in
:mod:`tmdesk.plugins.manager`); a missing or failing one is reported, never
fatal.
"""
