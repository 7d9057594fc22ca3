"""The running program, apart from the app itself: serving it with waitress
(:mod:`.server`), the double-click launch (:mod:`.desktop`), the data folder's
instance lock, info file and launch tokens (:mod:`.instance`), the automatic
backups while it serves (:mod:`.backup_schedule`) and logging
(:mod:`.logging_setup`).

Nothing in :mod:`tmdesk.core`, :mod:`tmdesk.web` or :mod:`tmdesk.plugins`
imports this package; it sits on top of them, just below the command line.
"""
