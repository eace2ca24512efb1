"""Ingest a captured document: parse, validate, normalise and store its events in bulk.

The whole document is stored in one transaction. With `rollback` (the default) a single
invalid event stores nothing; with `proceed` the valid events are stored and each invalid
one is reported. Either way every error found is reported, not only the first.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from epcis.capture.hooks import run_after_store_hooks
from epcis.identifiers import matching_key
from epcis.ingest_tuning import tuned_for_ingest
from epcis.models import CaptureJob, PartnerPolicy, VocabularyElement
from epcis.normalise import EventRecord, event_record
from epcis.parsing import DocumentError, EventError, ParsedDocument, ParsedEvent, parse_document
from epcis.parsing.validation import STORABLE_DEFECTS
from epcis.problems import EPCISError
from epcis.storage import BatchOutcome, BatchWriter

# Events per bulk write. The writer thread idles until the first batch is parsed, so the
# first is small; later ones are large, to spread each batch's fixed round trips.
FIRST_BATCH_SIZE = 500
BATCH_SIZE = 4000
# The job error's code for an event whose eventID is stored for a different event.
EVENTID_CONFLICT = "eventid-conflict"


@dataclass(slots=True)
class IngestResult:
    event_count: int = 0
    stored_count: int = 0
    duplicate_count: int = 0
    errors: list[EventError] = field(default_factory=list)
    warnings: list[EventError] = field(default_factory=list)
    header: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    """Raised inside the transaction to undo a `rollback` document with invalid events."""


class TooManyEvents(EPCISError):
    status = 413
    exception = "CaptureLimitExceededException"

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"The document has more than {limit} events, the capture limit.", limit=limit
        )
        self.limit = limit


def ingest_document(*, capture: CaptureJob, stream: BinaryIO) -> IngestResult:
    """Parse `stream` and store its events for `capture`; raise DocumentError if unreadable.

    Nothing is stored when the document is unreadable, too large, or (with `rollback`) has
    any invalid event.
    """
    document = parse_document(stream, capture.media_type)
    result = IngestResult(header=document_header(document))
    proceed = capture.error_behaviour == CaptureJob.ErrorBehaviour.PROCEED
    try:
        with tuned_for_ingest(), transaction.atomic():
            _store_vocabularies(document.vocabularies, capture=capture)
            _store_events(document, capture=capture, result=result, proceed=proceed)
            if result.errors and not proceed:
                raise _Rollback
    except _Rollback:
        result.stored_count = result.duplicate_count = 0
    return result


def _store_events(
    document: ParsedDocument, *, capture: CaptureJob, result: IngestResult, proceed: bool
) -> None:
    """Store batches as they are parsed. On PostgreSQL one writer thread stores batch k
    (psycopg releases the GIL while the server works) while this thread parses batch k+1;
    the threads never use the connection at the same time, and hooks run here in between.
    """
    with connection.cursor() as cursor:
        raw = cursor.cursor if connection.vendor == "postgresql" else cursor
        writer = BatchWriter(raw, capture=capture, record_time=timezone.now())
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending: Future[BatchOutcome] | None = None
            events = document.events
            if stores_defects_as_sent(capture.owner_id):
                events = map(accept_storable_defects, events)
            for batch in _batches(events, result, limit=settings.EPCIS_CAPTURE_LIMIT):
                _finish(pending, writer=writer, result=result)
                pending = None
                if result.errors and not proceed:
                    continue  # keep validating to report every error, but store nothing more
                if writer.postgres:
                    pending = pool.submit(writer.store, batch)
                else:
                    pending = _done(writer.store(batch))
            _finish(pending, writer=writer, result=result)


def _finish(pending: Future[BatchOutcome] | None, *, writer: BatchWriter, result: IngestResult):
    if pending is not None:
        outcome = pending.result()
        _account(outcome, result)
        run_after_store_hooks(
            outcome.stored,
            capture_id=writer.capture_id,
            owner_id=writer.owner_id,
            record_time=writer.record_time,
        )


def stores_defects_as_sent(owner_id: int) -> bool:
    """Whether this partner is on "store and warn" for identifier-level defects."""
    policy = PartnerPolicy.objects.filter(user_id=owner_id).values_list("identifier_defects")
    return policy.first() == (PartnerPolicy.IdentifierDefects.WARN,)


def accept_storable_defects(parsed: ParsedEvent) -> ParsedEvent:
    """Identifier and vocabulary defects become warnings: the event is stored as sent (its
    identifiers matched by their text as given), and the job lists each defect."""
    for error in parsed.errors:
        if error.severity == "error" and error.code in STORABLE_DEFECTS:
            error.severity = "warning"
            error.message = f"stored as sent (store and warn): {error.message}"
    return parsed


def _done(outcome: BatchOutcome) -> Future[BatchOutcome]:
    future: Future[BatchOutcome] = Future()
    future.set_result(outcome)
    return future


def _batches(
    events: Iterator[ParsedEvent], result: IngestResult, *, limit: int
) -> Iterator[list[EventRecord]]:
    batch: list[EventRecord] = []
    size = FIRST_BATCH_SIZE
    for parsed in events:
        result.event_count += 1
        if result.event_count > limit:
            raise TooManyEvents(limit)
        record = _record_or_errors(parsed, result)
        if record is not None:
            batch.append(record)
        if len(batch) >= size:
            yield batch
            batch, size = [], min(2 * size, BATCH_SIZE)
    if batch:
        yield batch


def _record_or_errors(parsed: ParsedEvent, result: IngestResult) -> EventRecord | None:
    for problem in parsed.errors:
        (result.errors if problem.severity == "error" else result.warnings).append(problem)
    if not parsed.is_valid:
        return None
    try:
        return event_record(parsed)
    except (ValueError, KeyError, TypeError) as exc:
        # Validation should have caught it; report the event rather than fail the document.
        event_id = parsed.data.get("eventID") if isinstance(parsed.data, dict) else None
        result.errors.append(EventError(parsed.index, event_id, "", f"cannot be stored: {exc}"))
        return None


def _account(outcome: BatchOutcome, result: IngestResult) -> None:
    result.stored_count += len(outcome.stored)
    result.duplicate_count += len(outcome.duplicates)
    for record, message in outcome.conflicts:
        # Named even when computed: the eventID at fault is the one stored.
        result.errors.append(
            EventError(record.index, record.event_id, "eventID", message, code=EVENTID_CONFLICT)
        )


def document_header(document: ParsedDocument) -> dict[str, Any]:
    """What a captured document says about itself, kept with the capture job as evidence."""
    header: dict[str, Any] = {
        "syntax": document.syntax,
        "documentType": document.document_type,
        "schemaVersion": document.schema_version,
        "creationDate": document.creation_date,
    }
    if document.sbdh:
        header["sbdh"] = document.sbdh
    if document.header_extensions:
        header["extensions"] = document.header_extensions
        header["namespaces"] = document.namespaces
    return header


def _store_vocabularies(vocabularies: list[dict[str, Any]], *, capture: CaptureJob) -> None:
    elements = [
        VocabularyElement(
            type=vocabulary.get("type", ""),
            element_id=element["id"],
            canonical=matching_key(element["id"]),
            attributes=element.get("attributes", []),
            children=element.get("children", []),
            capture=capture,
            owner_id=capture.owner_id,
        )
        for vocabulary in vocabularies
        for element in vocabulary.get("vocabularyElementList", [])
    ]
    VocabularyElement.objects.bulk_create(elements, batch_size=1000)


__all__ = ["DocumentError", "IngestResult", "TooManyEvents", "ingest_document"]
