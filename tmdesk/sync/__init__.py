"""Desks and the office exchange their work (issue #14, DESIGN.md section 7).

* :mod:`tmdesk.sync.wire` — how records travel: the JSON shape of a project and
  everything under it, reference data, actions (one module, both sides).
* :mod:`tmdesk.sync.office` — the office's side: what changed since a cursor for
  one person (filtered by the one visibility policy at the sender), and pushed
  actions applied exactly once through the core services.
* :mod:`tmdesk.sync.desk` — the desk's side: linking, the queue of local
  actions, applying what the office sends, and one sync round.

No Flask here: the office's endpoints are in :mod:`tmdesk.web.sync`, the
commands in :mod:`tmdesk.cli.sync`.
"""
