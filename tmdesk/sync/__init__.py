"""Desks and the office exchange their work (issue #14, DESIGN.md section 7).

* :mod:`tmdesk.sync.wire` — how records travel: the JSON shape of a project and
  everything under it, reference data, actions (one module, both sides).
* :mod:`tmdesk.sync.office` — the office's side: what changed since a cursor for
  one person (filtered by the one visibility policy at the sender), and pushed
  actions applied exactly once through the core services.
* :mod:`tmdesk.sync.desk` — the desk's side: linking and one sync round; its
  parts are :mod:`tmdesk.sync.client` (HTTP to the office, and the problems an
  exchange can meet), :mod:`tmdesk.sync.outbox` (the queue of local actions, the
  office's answers, the refused list) and :mod:`tmdesk.sync.receive` (applying
  what the office sends). The pages and commands import each from its module.
* :mod:`tmdesk.sync.money` — transactions, donor fields and dated rates as they
  travel (both sides).
* :mod:`tmdesk.sync.files` — the same exchange by signed, encrypted file.

No Flask here: the office's endpoints are in :mod:`tmdesk.web.sync`, the
commands in :mod:`tmdesk.cli.sync`.
"""
