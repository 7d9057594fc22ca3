"""Trust between installations: keys, pinned peers, and signed, encrypted exchange files.

- :mod:`tmdesk.exchange.keys`: this installation's own key pairs and the
  fingerprint people read out to each other.
- :mod:`tmdesk.exchange.trust`: the keys this installation has pinned (the
  ``trusted_key`` table), revocation, sequence numbers, and :func:`accept`,
  which records an imported file atomically with the caller's import.
- :mod:`tmdesk.exchange.envelope`: ``seal`` and ``open_sealed``, the file
  format and every reason a file is refused (start with its docstring);
  ``Opened`` (:mod:`~tmdesk.exchange.opened`) is what a checked file gives,
  ``ExchangeRefused`` (:mod:`~tmdesk.exchange.errors`) why one was refused.

Plain Python on the core (no Flask; import-linter checks it); ``tmdesk keys``
is tmdesk/cli/keys.py, the page Administration → Keys is in tmdesk/web/admin/system.py,
and docs/exchange.md explains it all for users.
"""
