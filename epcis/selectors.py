"""Reads of stored events."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from epcis.models import Event


def stored_event(event: Event) -> tuple[dict[str, Any], dict[str, str]]:
    """The event as captured, plus the `eventID` and `recordTime` the repository gives it."""
    doc = dict(event.doc)
    doc.setdefault("eventID", event.event_id)
    doc["recordTime"] = format_time(event.record_time)
    return doc, event.namespaces


def stored_events(events: Iterable[Event]) -> list[tuple[dict[str, Any], dict[str, str]]]:
    return [stored_event(event) for event in events]


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, the form GS1's examples use."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
