"""Processing a captured document in the worker: claim, heartbeat, ingest, finish.

The claim is one conditional UPDATE (queued -> running, `attempts` + 1), so two workers
never both win; `attempts` is the fencing token: the ingest and the job's final state
commit together, and only while this worker still holds the claim. A job is never half
done, and a re-run after a crash finds either nothing stored or a finished job.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from epcis.capture.documents import stored_document
from epcis.capture.hooks import AfterStoreHookFailed
from epcis.ingest import EVENTID_CONFLICT, IngestResult, TooManyEvents, ingest_document
from epcis.models import CaptureJob
from epcis.parsing import DocumentError, EventError
from epcis.problems import problem

logger = logging.getLogger(__name__)
Status = CaptureJob.Status
# EventError codes a job's errors[] carries as "code", a contract with clients (DESIGN §10).
PUBLISHED_CODES = frozenset({EVENTID_CONFLICT})


class _ClaimLost(Exception):
    """Another worker reclaimed the job while this one ran: this one's work must not count."""


def process_capture(*, capture_id: int) -> None:
    """Ingest a queued job; a job another worker holds (or that is finished) is left alone."""
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
    """Queued -> running; a running job whose heartbeat stopped (its worker died) may be
    claimed again, within the attempts."""
    now = timezone.now()
    claimed = (
        CaptureJob.objects.filter(claimable(now), pk=capture_id)
        .filter(attempts__lt=settings.EPCIS_CAPTURE_MAX_ATTEMPTS)
        .update(status=Status.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now)
    )
    return CaptureJob.objects.get(pk=capture_id) if claimed else None


def claimable(now: Any) -> Q:
    """Jobs a worker may claim: queued, or running with a heartbeat older than the timeout."""
    stale = now - timedelta(seconds=settings.EPCIS_CAPTURE_HEARTBEAT_TIMEOUT)
    return Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat_at__lt=stale)


def _ingest(job: CaptureJob) -> dict[str, Any]:
    try:
        result = ingest_document(capture=job, stream=stored_document(job.pk))
    except (DocumentError, TooManyEvents) as exc:
        return {"errors": [exc.problem()]}
    except AfterStoreHookFailed as exc:
        logger.error("capture %s: %s", job.pk, exc, exc_info=exc.__cause__)
        return {"errors": [exc.problem()]}
    return _result_fields(result)


def _result_fields(result: IngestResult) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "errors": [event_problem(error) for error in result.errors],
        "event_count": result.event_count,
        "stored_count": result.stored_count,
        "duplicate_count": result.duplicate_count,
        "header": result.header,
    }
    if result.warnings:
        warnings = [event_problem(w) for w in result.warnings]
        fields["header"] = {**result.header, "warnings": warnings}
    return fields


def event_problem(error: EventError) -> dict[str, Any]:
    """The problem body of one invalid event in a job's `errors[]`."""
    who = f"Event {error.index}" + (f" ({error.event_id})" if error.event_id else "")
    where = f"{error.field}: " if error.field else ""
    extra = {"eventIndex": error.index, "eventID": error.event_id, "field": error.field}
    if error.severity != "error":
        extra["severity"] = error.severity
    if error.code in PUBLISHED_CODES:
        extra["code"] = error.code
    return problem(400, f"{who}: {where}{error.message}", "ValidationException", **extra)


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
# claim time stands; nothing reclaims a job there (no beat, no redelivery).
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


def heartbeat_interval() -> float:
    """Five beats per timeout: a job is taken as dead only after several missed beats."""
    return max(1.0, settings.EPCIS_CAPTURE_HEARTBEAT_TIMEOUT / 5)


def _beat(job: CaptureJob, stop: threading.Event) -> None:
    try:
        while not stop.wait(heartbeat_interval()):
            CaptureJob.objects.filter(
                pk=job.pk, status=Status.RUNNING, attempts=job.attempts
            ).update(heartbeat_at=timezone.now())
    except DatabaseError:
        logger.exception("heartbeat of capture %s stopped", job.pk)
    finally:
        connection.close()  # this thread's own connection
