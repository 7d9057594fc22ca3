"""tmdesk's plugin system: the hook specifications, the manager, the built-ins.

Partners write plugins against :mod:`tmdesk.plugins.hookspecs` and the types
in :mod:`tmdesk.plugins.contract`; see docs/plugins.md.
"""
