"""One demo project before it is created, and the small helpers every step shares."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

import peewee as pw

from tmdesk.core.models import utcnow
from tmdesk.demo.content import Theme


@dataclass
class Plan:
    """One demo project before it is created."""

    theme: Theme
    recipient: str
    status: str = "published"
    tlp: str = "GREEN"
    language: str = "both"
    priority: str = "medium"
    currency: str = "EUR"
    budget: Decimal = Decimal("0")
    funding: str | None = None
    company: str | None = None
    withdrawn_from: str | None = None
    created: dt.datetime = field(default_factory=utcnow)


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def round_to(value: Decimal, step: int) -> Decimal:
    return max(Decimal(step), (value / step).quantize(Decimal("1")) * step)


def backdate(instance, **fields) -> None:
    """Move timestamps of a row just written by a service, in the row and the instance.

    Services save whole instances, so the instance must carry the moved
    values too, or a later save would write the real times back.
    """
    model = type(instance)
    # Model.update called through peewee.Model: Document has a field named "update".
    query = pw.Model.update.__func__(model, **fields)
    query.where(model._meta.primary_key == instance._pk).execute()
    for name, value in fields.items():
        setattr(instance, name, value)
