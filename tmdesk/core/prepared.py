"""Queries whose SQL is built once per shape, then only run.

peewee builds a query's SQL by walking its expression tree in Python. The
visibility rule alone is hundreds of nodes, so on the API's hottest paths (the
token of every request, a project's page) building the SQL cost more than the
database took to answer it: two thirds of a project page at 100,000 projects.

:func:`rows` builds a query once per *shape*: everything that changes the
SQL's text, such as the viewer's organisation and kind. The values that only
change its parameters (a reference, a token's digest) are placeholders at that
build. Later calls put their values in the placeholders' places and run the kept
SQL, through the same database and the same row decoding as peewee's own.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import peewee as pw

from tmdesk.core.db import database

#: Shapes kept (each a few kilobytes of SQL), least recently used dropped first.
MAX_SHAPES = 512


class _Slot:
    """A placeholder for the value given at run time in position ``n``."""

    __slots__ = ("n",)

    def __init__(self, n: int) -> None:
        self.n = n


_kept: OrderedDict[Hashable, tuple[pw.SelectBase, str, list, list[tuple[int, int]]]] = OrderedDict()
_lock = threading.Lock()


def _compile(build: Callable[..., pw.SelectBase], count: int) -> tuple:
    holders = [pw.Value(_Slot(n), converter=False) for n in range(count)]
    query = build(*holders)
    sql, params = query.sql()
    places = [(i, p.n) for i, p in enumerate(params) if isinstance(p, _Slot)]
    if {n for _, n in places} != set(range(count)):  # a programming error, caught by any test
        raise ValueError("every placeholder of a prepared query must be used")
    return query, sql, params, places


def rows(shape: Hashable, build: Callable[..., pw.SelectBase], *values: Any) -> list:
    """The rows (models, tuples… as ``build``'s query returns them) of
    ``build(*placeholders)`` run with ``values`` in the placeholders' places.

    ``shape`` names the query and everything besides ``values`` that ``build``
    reads: the same shape must always build the same SQL. Values go to the
    driver as they are (strings, numbers: no field conversion).
    """
    db = database.obj
    key = (type(db), db.param, shape)
    with _lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
    if kept is None:
        kept = _compile(build, len(values))
        with _lock:
            _kept[key] = kept
            while len(_kept) > MAX_SHAPES:
                _kept.popitem(last=False)
    query, sql, params, places = kept
    actual = list(params)
    for i, n in places:
        actual[i] = values[n]
    cursor = database.execute_sql(sql, actual)
    return list(query._get_cursor_wrapper(cursor))


def forget() -> None:
    """Drop every kept shape (a schema changed under a running process: tests)."""
    with _lock:
        _kept.clear()
