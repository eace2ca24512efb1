"""After-store hooks for the tests of the EPCIS_AFTER_STORE contract (dotted paths)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import connection

from epcis.models import Event

CALLS: list[dict] = []  # one entry per call: what the hook saw


def recording_hook(events: list) -> None:
    """Records each call, checks the events are visible in its transaction, and writes a
    row of its own (a Group per event) that must commit or roll back with them."""
    CALLS.append(
        {
            "events": list(events),
            "in_transaction": connection.in_atomic_block,
            "visible": Event.objects.filter(pk__in=[e.pk for e in events]).count(),
        }
    )
    Group.objects.bulk_create([Group(name=f"hook-{e.pk}") for e in events])


def failing_hook(events: list) -> None:
    raise RuntimeError("lineage table is missing")


def takes_no_events() -> None:
    """Not a valid hook: it cannot be called as hook(events)."""


NOT_CALLABLE = 42
