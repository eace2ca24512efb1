"""Capture: receive documents (POST /capture), process them in the worker, recover lost jobs,
and capture a single event synchronously (POST /events)."""

from __future__ import annotations

import hashlib
import io
import logging
import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, BinaryIO, cast

import psycopg
from django.conf import settings
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from epcis.ingest import IngestResult, TooManyEvents, ingest_document
from epcis.models import CaptureJob, DocumentChunk
from epcis.parsing import DocumentError, EventError
from epcis.parsing.jsonld import parse_json_event
from epcis.parsing.precheck import check_document
from epcis.records import EventRecord, event_record
from epcis.storage import run_after_store_hooks, store_batch

logger = logging.getLogger(__name__)

CHUNK_SIZE = 1 << 20  # bytes per DocumentChunk row: one INSERT per MiB, flat memory
Status = CaptureJob.Status


class CaptureTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"The document is larger than {limit} bytes, the capture file size limit.")
        self.limit = limit


class EventRejected(Exception):
    """POST /events: the event is invalid; `errors` name each field at fault."""

    def __init__(self, errors: list[EventError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class EventAlreadyStored(Exception):
    def __init__(self, event_id: str) -> None:
        super().__init__(f"An event with eventID {event_id} is already stored.")
        self.event_id = event_id


# -- receiving a document ---------------------------------------------------------------


def capture_document(
    *,
    owner: User,
    media_type: str,
    error_behaviour: str,
    body_stream: BinaryIO,
    content_length: int | None,
) -> CaptureJob:
    """Store the document and a queued job, then enqueue it once committed.

    The document is checked while it streams to storage (well-formed, an EPCIS document,
    no DTD tricks): a bad one raises DocumentError and nothing is stored. Raises
    CaptureTooLarge before reading when Content-Length says so, else as soon as it is.
    """
    limit = settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT
    if content_length is not None and content_length > limit:
        raise CaptureTooLarge(limit)
    with transaction.atomic():
        job = CaptureJob.objects.create(
            owner=owner, media_type=media_type, error_behaviour=error_behaviour
        )
        with _ChunkWriter(job.pk) as writer:
            recorder = _ChunkRecorder(body_stream, writer=writer, limit=limit)
            _check_while_storing(recorder, media_type)
        job.size, job.sha256 = recorder.size, recorder.sha256.hexdigest()
        job.save(update_fields=["size", "sha256"])
        transaction.on_commit(lambda: enqueue_capture(job.pk))
    return job


def _check_while_storing(recorder: _ChunkRecorder, media_type: str) -> None:
    try:
        check_document(cast(BinaryIO, recorder), media_type)
    except DocumentError:
        if recorder.size == 0:
            raise DocumentError(
                "invalid", "the request body is empty: send an EPCIS document"
            ) from None
        raise
    recorder.drain()


def enqueue_capture(capture_id: int) -> None:
    """Hand the job to a worker. A broker that is down loses nothing: the job is committed and
    `requeue_stalled_captures` re-enqueues it, so the client still gets its 202."""
    from epcis.tasks import process_capture_task

    try:
        # No publish retries: the client is waiting, and the beat task is the retry.
        process_capture_task.apply_async((capture_id,), retry=False)
    except Exception:
        logger.exception("capture %s committed but not enqueued; beat will requeue it", capture_id)


class _ChunkRecorder:
    """A file-like view of the request body that stores what passes through it, in order,
    as `CHUNK_SIZE` rows (exact sizes, so a reader can seek), counting and hashing."""

    def __init__(self, body: BinaryIO, *, writer: _ChunkWriter, limit: int) -> None:
        self._body, self._writer, self._limit = body, writer, limit
        self._pending = bytearray()
        self.size = 0
        self.sha256 = hashlib.sha256()

    def drain(self) -> None:
        """Store whatever the check left unread (trailing whitespace), then the last chunk."""
        while self.read(CHUNK_SIZE):
            pass
        self._flush(final=True)

    def read(self, size: int = -1) -> bytes:
        data = self._body.read(CHUNK_SIZE if size < 0 else size)
        self.size += len(data)
        if self.size > self._limit:
            raise CaptureTooLarge(self._limit)
        self.sha256.update(data)
        self._pending += data
        if len(self._pending) >= CHUNK_SIZE:
            self._flush(final=False)
        return data

    def _flush(self, *, final: bool) -> None:
        while len(self._pending) >= CHUNK_SIZE or (final and self._pending):
            data = bytes(self._pending[:CHUNK_SIZE])
            del self._pending[:CHUNK_SIZE]
            self._writer.write(data)


class _ChunkWriter:
    """Inserts the chunk rows. On PostgreSQL a second thread does it, so the server stores
    one MiB while this thread reads and checks the next (psycopg releases the GIL while it
    waits): a 50 MB upload answers in about half the time. The thread borrows the request's
    connection, which nothing else uses until `__exit__` has joined it, inside the transaction.
    """

    def __init__(self, capture_id: int) -> None:
        self._capture_id = capture_id
        self._seq = 0
        self._threaded = connection.vendor == "postgresql"
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=4)  # bounds memory
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(connection.connection,))

    def __enter__(self) -> _ChunkWriter:
        if self._threaded:
            self._thread.start()
        return self

    def write(self, data: bytes) -> None:
        if not self._threaded:
            DocumentChunk.objects.create(capture_id=self._capture_id, seq=self._seq, data=data)
            self._seq += 1
        elif self._error is None:
            self._queue.put(data)
        else:
            raise self._error

    def __exit__(self, *exc_info: object) -> None:
        if self._threaded:
            self._queue.put(None)
            self._thread.join()
        if self._error is not None and exc_info[0] is None:
            raise self._error

    def _run(self, raw_connection: Any) -> None:
        # Django binds parameters client-side, sending bytea as escaped text (4x the bytes);
        # a plain psycopg cursor sends it in binary.
        table = connection.ops.quote_name(DocumentChunk._meta.db_table)
        sql = f"INSERT INTO {table} (capture_id, seq, data) VALUES (%s, %s, %s)"
        with psycopg.Cursor(raw_connection) as cursor:
            while (data := self._queue.get()) is not None:
                if self._error is None:
                    try:
                        cursor.execute(sql, (self._capture_id, self._seq, data))
                    except BaseException as error:  # re-raised in the request's thread
                        self._error = error
                self._seq += 1


class ChunkReader(io.RawIOBase):
    """The stored document as a seekable file, one chunk row in memory at a time."""

    def __init__(self, capture_id: int) -> None:
        self._capture_id = capture_id
        self._position = 0
        self._chunk: tuple[int, bytes] = (-1, b"")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence != io.SEEK_SET and not (whence == io.SEEK_CUR and offset == 0):
            raise io.UnsupportedOperation("only absolute seeks")
        self._position = offset if whence == io.SEEK_SET else self._position
        return self._position

    def readinto(self, buffer: Any) -> int:
        seq, start = divmod(self._position, CHUNK_SIZE)
        data = self._chunk_data(seq)[start : start + len(buffer)]
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)

    def _chunk_data(self, seq: int) -> bytes:
        if self._chunk[0] != seq:
            rows = DocumentChunk.objects.filter(capture_id=self._capture_id, seq=seq)
            data = rows.values_list("data", flat=True).first()
            self._chunk = (seq, bytes(data) if data is not None else b"")
        return self._chunk[1]


def stored_document(capture_id: int) -> BinaryIO:
    return io.BufferedReader(ChunkReader(capture_id), buffer_size=CHUNK_SIZE)


# -- processing a document (the worker) -------------------------------------------------


class _ClaimLost(Exception):
    """Another worker reclaimed the job while this one ran: this one's work must not count."""


def process_capture(*, capture_id: int) -> None:
    """Ingest a queued job; a job another worker holds (or that is finished) is left alone.

    The ingest and the job's final state commit together, and only while this worker still
    holds the claim (its `attempts` number is the fencing token): a job is never half done,
    and a re-run after a crash finds either nothing stored or a finished job.
    """
    job = _claim(capture_id)
    if job is None:
        return
    try:
        with transaction.atomic():
            with _heartbeat(job):
                outcome = _ingest(job)
            _finish(job, **outcome)
    except _ClaimLost:
        logger.warning("capture %s was reclaimed by another worker; this run is void", job.pk)


def _claim(capture_id: int) -> CaptureJob | None:
    """Queued → running in one conditional UPDATE, so two workers never both win; a running
    job whose heartbeat stopped (its worker died) may be claimed again, within the attempts."""
    now = timezone.now()
    claimed = (
        CaptureJob.objects.filter(_claimable(now), pk=capture_id)
        .filter(attempts__lt=settings.EPCIS_CAPTURE_MAX_ATTEMPTS)
        .update(status=Status.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now)
    )
    return CaptureJob.objects.get(pk=capture_id) if claimed else None


def _claimable(now: Any) -> Q:
    stale = now - timedelta(seconds=settings.EPCIS_CAPTURE_HEARTBEAT_TIMEOUT)
    return Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat_at__lt=stale)


def _ingest(job: CaptureJob) -> dict[str, Any]:
    try:
        result = ingest_document(capture=job, stream=stored_document(job.pk))
    except DocumentError as exc:
        return {"errors": [_document_problem(exc)]}
    except TooManyEvents as exc:
        problem = _problem(413, "CaptureLimitExceededException", str(exc), limit=exc.limit)
        return {"errors": [problem]}
    return _result_fields(result)


def _result_fields(result: IngestResult) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "errors": [_event_problem(error) for error in result.errors],
        "event_count": result.event_count,
        "stored_count": result.stored_count,
        "duplicate_count": result.duplicate_count,
        "header": result.header,
    }
    if result.warnings:
        fields["header"] = {
            **result.header,
            "warnings": [_event_problem(w) for w in result.warnings],
        }
    return fields


def _finish(job: CaptureJob, *, errors: list[dict[str, Any]], **counts: Any) -> None:
    status = Status.FAILED if errors else Status.SUCCEEDED
    updated = CaptureJob.objects.filter(
        pk=job.pk, status=Status.RUNNING, attempts=job.attempts
    ).update(status=status, errors=errors, finished_at=timezone.now(), **counts)
    if not updated:
        raise _ClaimLost  # rolls back this run's events with it


# While a job runs, a thread on its own database connection touches `heartbeat_at`, so a
# long ingest is not mistaken for a dead one. It writes a column the ingest transaction does
# not lock (the FK checks of the event inserts take only KEY SHARE on the job row). SQLite
# allows one writer at a time, so there (the embedded, eager, single-process default) the
# claim time stands and EPCIS_CAPTURE_HEARTBEAT_TIMEOUT must exceed the longest job.
@contextmanager
def _heartbeat(job: CaptureJob) -> Iterator[None]:
    if connection.vendor != "postgresql":
        yield
        return
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(job, stop), daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()


def _beat(job: CaptureJob, stop: threading.Event) -> None:
    interval = max(1.0, settings.EPCIS_CAPTURE_HEARTBEAT_TIMEOUT / 5)
    try:
        while not stop.wait(interval):
            CaptureJob.objects.filter(
                pk=job.pk, status=Status.RUNNING, attempts=job.attempts
            ).update(heartbeat_at=timezone.now())
    except DatabaseError:
        logger.exception("heartbeat of capture %s stopped", job.pk)
    finally:
        connection.close()  # this thread's own connection


# -- recovering lost jobs (beat) --------------------------------------------------------


def requeue_stalled_captures() -> list[int]:
    """Re-enqueue jobs never started (their enqueue was lost) and running jobs whose worker
    stopped beating; a job that already used its attempts is failed with the reason."""
    now = timezone.now()
    queued_before = now - timedelta(seconds=settings.EPCIS_CAPTURE_QUEUED_TIMEOUT)
    never_started = Q(status=Status.QUEUED, created_at__lt=queued_before)
    stale_running = _claimable(now) & Q(status=Status.RUNNING)
    stalled = CaptureJob.objects.filter(never_started | stale_running)
    _fail_exhausted(stalled, now)
    requeued = list(stalled.exclude(status=Status.FAILED).values_list("pk", flat=True))
    for capture_id in requeued:
        enqueue_capture(capture_id)
    return requeued


def _fail_exhausted(stalled: Any, now: Any) -> None:
    limit = settings.EPCIS_CAPTURE_MAX_ATTEMPTS
    detail = (
        f"Processing stopped {limit} times without finishing (the worker died or was killed, "
        "e.g. out of memory); the document was not captured. Send it again or contact support."
    )
    problem = _problem(500, "ImplementationException", detail)
    stalled.filter(attempts__gte=limit).update(
        status=Status.FAILED, errors=[problem], finished_at=now
    )


# -- problems (RFC 7807) for the job's errors[] -----------------------------------------


TITLES = {
    "ValidationException": "Validation error",
    "CaptureLimitExceededException": "Capture limit exceeded",
    "ImplementationException": "Internal error",
}


def _problem(status: int, exception: str, detail: str, **extra: Any) -> dict[str, Any]:
    name = f"epcisException:{exception}"
    return {"type": name, "title": TITLES[exception], "status": status, "detail": detail, **extra}


def _event_problem(error: EventError) -> dict[str, Any]:
    who = f"Event {error.index}" + (f" ({error.event_id})" if error.event_id else "")
    where = f"{error.field}: " if error.field else ""
    extra = {"eventIndex": error.index, "eventID": error.event_id, "field": error.field}
    if error.severity != "error":
        extra["severity"] = error.severity
    return _problem(400, "ValidationException", f"{who}: {where}{error.message}", **extra)


def _document_problem(error: DocumentError) -> dict[str, Any]:
    where = f" (line {error.line}, column {error.column})" if error.line else ""
    return _problem(400, "ValidationException", f"{error.message}{where}", kind=error.kind)


# -- POST /events -------------------------------------------------------------------------


def capture_single_event(*, owner: User, body: bytes) -> str:
    """Validate and store one bare event synchronously; return its eventID.

    Raises DocumentError (unreadable), EventRejected (invalid) or EventAlreadyStored. The
    event gets a capture job of its own, which records who sent it.
    """
    parsed = parse_json_event(body)
    errors = [error for error in parsed.errors if error.severity == "error"]
    if errors:
        raise EventRejected(errors)
    record = event_record(parsed)
    try:
        with transaction.atomic():
            _store_single_event(record, owner=owner, body=body)
    except IntegrityError:  # the same event stored concurrently, between check and insert
        raise EventAlreadyStored(record.event_id) from None
    return record.event_id


def _store_single_event(record: EventRecord, *, owner: User, body: bytes) -> None:
    now = timezone.now()
    job = CaptureJob.objects.create(
        owner=owner,
        media_type="application/json",
        status=Status.SUCCEEDED,
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        started_at=now,
        finished_at=now,
        attempts=1,
        event_count=1,
        stored_count=1,
    )
    outcome = store_batch([record], capture=job, record_time=now)
    if not outcome.stored:  # a duplicate or an eventID conflict: 409 either way
        raise EventAlreadyStored(record.event_id)
    run_after_store_hooks(outcome.stored, capture=job)
