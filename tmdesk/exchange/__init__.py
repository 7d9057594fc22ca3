"""Trust between installations: keys, pinned peers, and signed, encrypted exchange files.

- :mod:`tmdesk.exchange.keys`: this installation's own key pairs and the
  fingerprint people read out to each other.
- :mod:`tmdesk.exchange.trust`: the keys this installation has pinned (the
  ``trusted_key`` table), revocation, sequence numbers, and :func:`accept`,
  which records an imported file atomically with the caller's import.
- :mod:`tmdesk.exchange.envelope`: :func:`seal` and :func:`open_sealed`, the
  file format and every reason a file is refused.

Plain Python on the core (no Flask); docs/exchange.md explains it for users.
"""
