"""Bulk writes of event records: PostgreSQL COPY, batched inserts on SQLite.

A batch costs a fixed handful of round trips whatever its size: one to find which events
are already stored, one to reserve ids, one COPY per table. Callers hold the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, models
from django.utils.module_loading import import_string

from epcis.models import (
    BizTransaction,
    CaptureJob,
    Event,
    EventCapture,
    EventIdentifier,
    EventVocabularyValue,
    ExtensionField,
    SensorReport,
    SourceDestination,
)
from epcis.records import SENSOR_COLUMNS, EventRecord

EVENT_COLUMNS = (
    "id",
    "dedupe_key",
    "event_id",
    "content_hash",
    "type",
    "action",
    "event_time",
    "event_time_zone_offset",
    "record_time",
    "biz_step",
    "disposition",
    "read_point",
    "biz_location",
    "transformation_id",
    "declaration_time",
    "error_reason",
    "capture_id",
    "doc",
    "namespaces",
)


@dataclass(slots=True)
class BatchOutcome:
    stored: list[tuple[int, EventRecord]] = field(default_factory=list)
    duplicates: list[EventRecord] = field(default_factory=list)
    # Records whose eventID is taken by a different event: (record, message).
    conflicts: list[tuple[EventRecord, str]] = field(default_factory=list)


def store_batch(
    records: Sequence[EventRecord], *, capture: CaptureJob, record_time: datetime
) -> BatchOutcome:
    """Store the records not stored yet; report duplicates and eventID conflicts."""
    outcome = _classify(records)
    if outcome.stored:
        ids = _reserve_ids(len(outcome.stored))
        outcome.stored = [(pk, rec) for pk, (_, rec) in zip(ids, outcome.stored, strict=True)]
        _write_events(outcome.stored, capture=capture, record_time=record_time)
    _share_duplicates(outcome.duplicates, capture=capture)
    return outcome


def _classify(records: Sequence[EventRecord]) -> BatchOutcome:
    existing = dict(
        Event.objects.filter(dedupe_key__in={r.dedupe_key for r in records}).values_list(
            "dedupe_key", "content_hash"
        )
    )
    outcome = BatchOutcome()
    for record in records:
        known_hash = existing.get(record.dedupe_key)
        if known_hash is None:
            existing[record.dedupe_key] = record.content_hash
            outcome.stored.append((0, record))
        elif known_hash == record.content_hash:
            outcome.duplicates.append(record)
        else:
            message = f"eventID {record.event_id} is already stored for a different event"
            outcome.conflicts.append((record, message))
    return outcome


def _share_duplicates(duplicates: list[EventRecord], *, capture: CaptureJob) -> None:
    """A duplicate from another partner makes the stored event readable by that partner too."""
    if not duplicates:
        return
    event_ids = dict(
        Event.objects.filter(dedupe_key__in={r.dedupe_key for r in duplicates}).values_list(
            "dedupe_key", "id"
        )
    )
    readable = set(
        EventCapture.objects.filter(
            event_id__in=event_ids.values(), owner_id=capture.owner_id
        ).values_list("event_id", flat=True)
    )
    new = sorted({event_ids[r.dedupe_key] for r in duplicates} - readable)
    rows = [(pk, capture.pk, capture.owner_id) for pk in new]
    _copy(EventCapture, ("event_id", "capture_id", "owner_id"), rows)


def _write_events(
    stored: list[tuple[int, EventRecord]], *, capture: CaptureJob, record_time: datetime
) -> None:
    _copy(Event, EVENT_COLUMNS, (_event_row(pk, r, capture, record_time) for pk, r in stored))
    _copy(
        EventCapture,
        ("event_id", "capture_id", "owner_id"),
        ((pk, capture.pk, capture.owner_id) for pk, _ in stored),
    )
    for model, columns, rows_of in FACT_TABLES:
        _copy(model, ("event_id", *columns), ((pk, *row) for pk, r in stored for row in rows_of(r)))


def _event_row(pk: int, r: EventRecord, capture: CaptureJob, record_time: datetime) -> tuple:
    return (
        pk,
        r.dedupe_key,
        r.event_id,
        r.content_hash,
        r.type,
        r.action,
        r.event_time,
        r.event_time_zone_offset,
        record_time,
        r.biz_step,
        r.disposition,
        r.read_point,
        r.biz_location,
        r.transformation_id,
        r.declaration_time,
        r.error_reason,
        capture.pk,
        orjson.dumps(r.doc).decode(),
        orjson.dumps(r.namespaces).decode(),
    )


def _sensor_rows(r: EventRecord) -> Iterable[tuple]:
    return (tuple(report[column] for column in SENSOR_COLUMNS) for report in r.sensor_reports)


FACT_TABLES: list[tuple[type[models.Model], tuple[str, ...], Any]] = [
    (EventIdentifier, ("role", "canonical", "quantity", "uom"), lambda r: r.identifiers),
    (BizTransaction, ("type", "value"), lambda r: r.biz_transactions),
    (SourceDestination, ("kind", "type", "value"), lambda r: r.sources_destinations),
    (
        ExtensionField,
        ("scope", "inner", "namespace", "name", "text", "number", "time"),
        lambda r: r.extension_fields,
    ),
    (SensorReport, SENSOR_COLUMNS, _sensor_rows),
    (EventVocabularyValue, ("kind", "value"), lambda r: r.vocabulary_values),
]


def _reserve_ids(count: int) -> list[int]:
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite serialises writers; inside the transaction nobody else can take these ids.
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def _copy(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> None:
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        _copy_postgres(table, columns, rows)
        return
    batch = list(rows)
    if batch:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join("%s" for _ in columns)
        with connection.cursor() as cursor:
            cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', batch)


def _copy_postgres(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    connection.ensure_connection()
    names = ", ".join(f'"{c}"' for c in columns)
    with (
        connection.connection.cursor() as cursor,
        cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row(row)


def run_after_store_hooks(stored: list[tuple[int, EventRecord]], *, capture: CaptureJob) -> None:
    """Call `settings.EPCIS_AFTER_STORE` (dotted paths) in the storing transaction.

    This is how `trace` derives lineage without `epcis` importing it.
    """
    for path in getattr(settings, "EPCIS_AFTER_STORE", ()):
        import_string(path)(stored=stored, capture=capture)
