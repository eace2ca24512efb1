"""Bulk writes of event records: PostgreSQL COPY, batched inserts on SQLite.

A batch costs a fixed handful of round trips whatever its size: one to find which events
are already stored (by eventID or by content key, both unique indexes), one to reserve ids,
one COPY per table. The caller holds the transaction. On PostgreSQL the writer works on
the raw psycopg connection, so ingest can run it in a thread while the next batch is
parsed (see `epcis.ingest`).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from django.apps import apps
from django.db import connection, models
from psycopg.types.json import Jsonb

from epcis.models import (
    HASH_ID_PREFIX,
    LISTED_COLUMNS,
    BizTransaction,
    CaptureJob,
    Event,
    EventCapture,
    EventIdentifier,
    EventVocabularyValue,
    ExtensionField,
    ListedValue,
    SensorReport,
    SourceDestination,
)
from epcis.normalise import SENSOR_COLUMNS, EventRecord

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
CAPTURE_COLUMNS = ("event_id", "capture_id", "owner_id")  # order of the rows written below
EVENT_TABLE = Event._meta.db_table
EVENT_CAPTURE_TABLE = EventCapture._meta.db_table
LISTED_VALUE_TABLE = ListedValue._meta.db_table
_listed_columns = operator.attrgetter(*LISTED_COLUMNS.values())


@dataclass(slots=True)
class BatchOutcome:
    stored: list[tuple[int, EventRecord]] = field(default_factory=list)
    duplicates: list[EventRecord] = field(default_factory=list)
    # Records whose eventID is taken by a different event: (record, message).
    conflicts: list[tuple[EventRecord, str]] = field(default_factory=list)


# A stored event's id, or a record stored earlier in the same batch.
Original = int | EventRecord
# Joins a content key and the dedupe key of a later event with the same content (below).
SAME_CONTENT = "#event:"


class _Stored:
    """The events a batch may be a copy of: those stored with its records' eventIDs or
    content keys, and its records stored so far.

    A record is a copy of the event stored under its eventID if their contents agree (a
    different content is an eventID conflict); otherwise of the event holding its content
    key, unless both have an explicit eventID that is not a hash ID (`ni:`): by EPCIS two
    eventIDs are two events, and the later one's content key gets its dedupe key appended
    (the key is unique). So the same event in any format, without an eventID, with a hash
    stamped in (the reference's of any format), or once with and once without an eventID,
    is stored once; the eventID it was first stored under stands.
    """

    __slots__ = ("by_key", "by_content")

    def __init__(self) -> None:
        self.by_key: dict[str, tuple[Original, str]] = {}  # dedupe key -> (event, content)
        self.by_content: dict[str, tuple[Original, bool]] = {}  # -> (event, hash-identified)

    def add(self, original: Original, key: str, content: str) -> None:
        content, distinct, _ = content.partition(SAME_CONTENT)
        self.by_key[key] = (original, content)
        if not distinct:
            self.by_content[content] = (original, key.startswith(HASH_ID_PREFIX))

    def same_content(self, record: EventRecord) -> Original | None:
        """The event `record` is a copy of by content, if any; a record that is another
        event with the content of a stored one gets its content key made its own."""
        holder = self.by_content.get(record.content_hash)
        if holder is None:
            return None
        if holder[1] or record.event_id.startswith(HASH_ID_PREFIX):
            return holder[0]
        record.content_hash += SAME_CONTENT + record.dedupe_key
        return None


class BatchWriter:
    """Writes batches of records for one capture through one cursor of the open transaction."""

    def __init__(self, cursor: Any, *, capture: CaptureJob, record_time: datetime) -> None:
        self.cursor = cursor
        self.postgres = connection.vendor == "postgresql"
        self.capture_id = capture.pk
        self.owner_id = capture.owner_id
        self.record_time = record_time
        self.listed: set[tuple[str, str]] = set()  # (resource, value) known to be listed

    def store(self, records: Sequence[EventRecord]) -> BatchOutcome:
        """Store the records not stored yet; report duplicates and eventID conflicts."""
        outcome, originals = self._classify(records)
        if outcome.stored:
            ids = self._reserve_ids(len(outcome.stored))
            outcome.stored = [(pk, rec) for pk, (_, rec) in zip(ids, outcome.stored, strict=True)]
            self._write_events(outcome.stored)
        pk_of = {id(record): pk for pk, record in outcome.stored}
        self._share_duplicates({o if isinstance(o, int) else pk_of[id(o)] for o in originals})
        self._list_values([r for _, r in outcome.stored] + outcome.duplicates)
        return outcome

    def _classify(self, records: Sequence[EventRecord]) -> tuple[BatchOutcome, list[Original]]:
        """Sort records into new, duplicate and conflicting (DESIGN §10, see `_Stored`); also
        return, for each duplicate, the event it is a copy of."""
        stored = _Stored()
        for pk, key, content in self._fetch(*self.stored_query(records)):
            stored.add(pk, key, content)
        outcome, originals = BatchOutcome(), []
        for record in records:
            known = stored.by_key.get(record.dedupe_key)
            if known is None:
                original = stored.same_content(record)
            elif known[1] == record.content_hash:
                original = known[0]
            else:
                message = f"eventID {record.event_id} is already stored for a different event"
                outcome.conflicts.append((record, message))
                continue
            if original is None:
                stored.add(record, record.dedupe_key, record.content_hash)
                outcome.stored.append((0, record))
            else:
                outcome.duplicates.append(record)
                originals.append(original)
        return outcome, originals

    def stored_query(self, records: Sequence[EventRecord]) -> tuple[str, list[Any]]:
        """The stored events with the eventID or the content key of any of `records`."""
        keys = sorted({r.dedupe_key for r in records})
        contents = sorted({r.content_hash for r in records})
        # Two branches, not one OR: each is planned as the index probe it is, where an OR
        # of two long lists may be costed as a scan of the table.
        select = f'SELECT id, dedupe_key, content_hash FROM "{EVENT_TABLE}" WHERE'
        sql = (
            f"{select} dedupe_key {self._in(keys)}"
            f" UNION ALL {select} content_hash {self._in(contents)}"
        )
        return sql, [keys, contents] if self.postgres else [*keys, *contents]

    def _fetch(self, sql: str, params: list[Any]) -> list[tuple]:
        self.cursor.execute(sql, params)
        return self.cursor.fetchall()

    def _share_duplicates(self, originals: set[int]) -> None:
        """A duplicate from another partner makes the stored event readable to it too."""
        if not originals:
            return
        event_ids = sorted(originals)
        self.cursor.execute(
            f'SELECT event_id FROM "{EVENT_CAPTURE_TABLE}"'
            f" WHERE owner_id = %s AND event_id {self._in(event_ids)}",
            [self.owner_id, event_ids] if self.postgres else [self.owner_id, *event_ids],
        )
        readable = {row[0] for row in self.cursor.fetchall()}
        rows = [(pk, self.capture_id, self.owner_id) for pk in event_ids if pk not in readable]
        self._copy(EVENT_CAPTURE_TABLE, CAPTURE_COLUMNS, rows)

    def _list_values(self, records: Sequence[EventRecord]) -> None:
        """Add the owner's ListedValue rows for values these records bring (few per batch)."""
        found = self._listed_pairs(records) - self.listed
        if not found:
            return
        self.listed |= found
        # Insert only values not listed yet: an insert that meets a row another capture of
        # this owner has just inserted waits for that capture to commit, so inserting rows
        # that exist already would serialise concurrent captures. Sorted: one lock order.
        new = sorted(found - self._already_listed(found))
        if self.postgres and new:
            self.cursor.execute(
                f'INSERT INTO "{LISTED_VALUE_TABLE}" (owner_id, resource, value)'
                " SELECT %s, * FROM unnest(%s::text[], %s::text[]) ON CONFLICT DO NOTHING",
                [self.owner_id, [r for r, _ in new], [v for _, v in new]],
            )
        elif new:
            self.cursor.executemany(
                f'INSERT INTO "{LISTED_VALUE_TABLE}" (owner_id, resource, value)'
                " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(self.owner_id, r, v) for r, v in new],
            )

    @staticmethod
    def _listed_pairs(records: Sequence[EventRecord]) -> set[tuple[str, str]]:
        combinations = {_listed_columns(r) for r in records}  # few distinct per batch
        return {
            (resource, value)
            for values in combinations
            for resource, value in zip(LISTED_COLUMNS, values, strict=True)
            if value
        }

    def _already_listed(self, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
        values = sorted({v for _, v in pairs})
        self.cursor.execute(
            f'SELECT resource, value FROM "{LISTED_VALUE_TABLE}"'
            f" WHERE owner_id = %s AND value {self._in(values)}",
            [self.owner_id, values] if self.postgres else [self.owner_id, *values],
        )
        return {(resource, value) for resource, value in self.cursor.fetchall()}

    def _in(self, values: Sequence[Any]) -> str:
        # One array parameter on PostgreSQL: planning thousands of placeholders costs more
        # than the index probes themselves.
        return "= ANY(%s)" if self.postgres else f"IN ({', '.join(['%s'] * len(values))})"

    def _reserve_ids(self, count: int) -> list[int]:
        if self.postgres:
            self.cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [EVENT_TABLE, count],
            )
            return [row[0] for row in self.cursor.fetchall()]
        # SQLite serialises writers; inside the transaction nobody else can take these ids.
        self.cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{EVENT_TABLE}"')
        start = self.cursor.fetchone()[0] + 1
        return list(range(start, start + count))

    def _write_events(self, stored: list[tuple[int, EventRecord]]) -> None:
        self._copy(EVENT_TABLE, EVENT_COLUMNS, (self._event_row(pk, r) for pk, r in stored))
        captures = ((pk, self.capture_id, self.owner_id) for pk, _ in stored)
        self._copy(EVENT_CAPTURE_TABLE, CAPTURE_COLUMNS, captures)
        for model, columns, rows_of in FACT_TABLES:
            rows = [(pk, seq, *row) for pk, r in stored for seq, row in enumerate(rows_of(r))]
            if rows:  # an empty COPY still costs a round trip
                self._copy(model._meta.db_table, ("event_id", "seq", *columns), rows)

    def _event_row(self, pk: int, r: EventRecord) -> tuple:
        return (
            pk,
            r.dedupe_key,
            r.event_id,
            r.content_hash,
            r.type,
            r.action,
            r.event_time,
            r.event_time_zone_offset,
            self.record_time,
            r.biz_step,
            r.disposition,
            r.read_point,
            r.biz_location,
            r.transformation_id,
            r.declaration_time,
            r.error_reason,
            self.capture_id,
            self._json(r.doc),
            self._json(r.namespaces),
        )

    def _json(self, value: Any) -> Any:
        if self.postgres:
            return Jsonb(value, dumps=_json_text)
        return _json_text(value)

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        if self.postgres:
            # Binary COPY: the server skips parsing text for every value.
            sql = f'COPY "{table}" ({names}) FROM STDIN (FORMAT BINARY)'
            with self.cursor.copy(sql) as copy:
                copy.set_types(copy_types(table, columns))
                for row in rows:
                    copy.write_row(row)
            return
        # Django keeps SQLite datetimes as naive UTC text and compares them as text, so they
        # must be written in its form, not the sqlite3 module's ("... +00:00").
        adapt = connection.ops.adapt_datetimefield_value
        batch = [tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in rows]
        if batch:
            marks = ", ".join("%s" for _ in columns)
            self.cursor.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', batch)


def _json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


POSTGRES_TYPE_NAMES = {
    "bigint": "int8",
    "integer": "int4",
    "smallint": "int2",
    "double precision": "float8",
    "timestamp with time zone": "timestamptz",
    "boolean": "bool",
}


@functools.cache
def copy_types(table: str, columns: tuple[str, ...] | Sequence[str]) -> list[str]:
    """PostgreSQL type names of `columns` of `table`, for binary COPY."""
    model = next(m for m in apps.get_app_config("epcis").get_models() if m._meta.db_table == table)
    by_column = {f.column: f for f in model._meta.concrete_fields}
    return [_type_name(by_column[column].db_type(connection) or "text") for column in columns]


def _type_name(db_type: str) -> str:
    base = db_type.split("(")[0].strip()
    return POSTGRES_TYPE_NAMES.get(base, "varchar" if base == "varchar" else base)


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


def store_batch(
    records: Sequence[EventRecord], *, capture: CaptureJob, record_time: datetime
) -> BatchOutcome:
    """Store one batch on the current connection (for callers that store a single batch)."""
    with connection.cursor() as cursor:
        raw = cursor.cursor if connection.vendor == "postgresql" else cursor
        return BatchWriter(raw, capture=capture, record_time=record_time).store(records)
