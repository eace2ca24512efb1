"""Background jobs that compute a result from the repository (traces, recalls, evidence packs),
on the template of the capture worker: claim, fencing token, heartbeat, recovery.

* `claim_job`: one conditional UPDATE takes the job (queued -> running, `attempts` + 1);
  `attempts` is the fencing token, so a worker thought dead that finishes late writes
  nothing.
* The work runs in one REPEATABLE READ transaction on PostgreSQL: it reads one snapshot
  of the repository, and `horizon` (the latest recordTime in that snapshot) says exactly
  which events the result saw. A stored result never changes.
* While it runs, a heartbeat thread on its own connection writes `heartbeat_at` and the
  `progress` the work reports; `stalled_jobs` finds a job whose worker stopped beating (or
  whose enqueue was lost) for the app's beat task to enqueue again, and fails it after
  EPCIS_CAPTURE_MAX_ATTEMPTS runs.
* A domain error (`EPCISError`) fails the job with its problem; anything else fails it with
  an ImplementationException and is logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import DatabaseError, connection, models, transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from epcis.models import Event
from epcis.problems import EPCISError, problem
from epcis.rendering.times import rfc3339

logger = logging.getLogger(__name__)


class BackgroundJob(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    parameters = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    reference = models.CharField(max_length=200, blank=True)
    progress = models.FloatField(default=0.0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    horizon = models.DateTimeField(null=True, blank=True)  # latest recordTime the result saw
    result = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)  # an RFC 7807 problem

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


J = TypeVar("J", bound=BackgroundJob)
Status = BackgroundJob.Status
Work = Callable[[Any, Callable[[float], None]], dict[str, Any]]


def claim_job(model: type[J], job_id: int) -> J | None:
    """Queued -> running, or a running job whose heartbeat stopped, within the attempts."""
    now = timezone.now()
    claimed = (
        model._default_manager.filter(_claimable(now), pk=job_id)
        .filter(attempts__lt=settings.EPCIS_CAPTURE_MAX_ATTEMPTS)
        .update(status=Status.RUNNING, attempts=F("attempts") + 1, started_at=now, heartbeat_at=now)
    )
    return model._default_manager.get(pk=job_id) if claimed else None


def _claimable(now: datetime) -> Q:
    stale = now - timedelta(seconds=settings.EPCIS_CAPTURE_HEARTBEAT_TIMEOUT)
    return Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat_at__lt=stale)


def run_job(model: type[J], job_id: int, work: Work) -> None:
    """Claim the job, compute `work(job, report_progress)` on one snapshot, store the result."""
    job = claim_job(model, job_id)
    if job is None:
        return
    tracker = _Progress()
    with _heartbeat(model, job, tracker):
        try:
            with transaction.atomic():
                _snapshot()
                horizon = Event.objects.aggregate(latest=Max("record_time"))["latest"]
                result = work(job, tracker.report)
        except EPCISError as exc:
            _finish(model, job, status=Status.FAILED, error=exc.problem())
            return
        except Exception as exc:
            logger.exception("%s %s failed", model.__name__, job.pk)
            detail = f"The job failed ({type(exc).__name__}); it has been logged."
            _finish(model, job, status=Status.FAILED, error=problem(500, detail))
            return
    _finish(model, job, status=Status.SUCCEEDED, result=result, horizon=horizon, progress=1.0)


def _snapshot() -> None:
    # One snapshot for the whole computation (PostgreSQL's default, READ COMMITTED, would let
    # each statement see newer events than `horizon`). SQLite: one writer, nothing to do.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _finish(model: type[J], job: J, *, status: str, **fields: Any) -> None:
    updated = model._default_manager.filter(
        pk=job.pk, status=Status.RUNNING, attempts=job.attempts
    ).update(status=status, finished_at=timezone.now(), **fields)
    if not updated:
        logger.warning("%s %s was reclaimed by another worker; this run is void", model, job.pk)


class _Progress:
    """The fraction done, set by the work, read by the heartbeat thread."""

    def __init__(self) -> None:
        self.value = 0.0

    def report(self, fraction: float) -> None:
        self.value = min(max(fraction, self.value), 0.99)


@contextmanager
def _heartbeat(model: type[J], job: J, tracker: _Progress) -> Iterator[None]:
    if connection.vendor != "postgresql":  # SQLite: one writer; the eager default
        yield
        return
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(model, job, tracker, stop), daemon=True)
    beat.start()
    try:
        yield
    finally:
        stop.set()
        beat.join()


def _beat(model: type[J], job: J, tracker: _Progress, stop: threading.Event) -> None:
    interval = max(0.5, settings.EPCIS_CAPTURE_HEARTBEAT_TIMEOUT / 5)
    try:
        while not stop.wait(min(interval, 1.0)):
            model._default_manager.filter(
                pk=job.pk, status=Status.RUNNING, attempts=job.attempts
            ).update(heartbeat_at=timezone.now(), progress=tracker.value)
    except DatabaseError:
        logger.exception("heartbeat of %s %s stopped", model.__name__, job.pk)
    finally:
        connection.close()  # this thread's own connection


def stalled_jobs(model: type[J]) -> list[int]:
    """Jobs to enqueue again (marked enqueued now); those out of attempts are failed."""
    now = timezone.now()
    waited = now - timedelta(seconds=settings.EPCIS_CAPTURE_QUEUED_TIMEOUT)
    jobs = model._default_manager.alias(last_enqueued=Coalesce("enqueued_at", "created_at"))
    queued = Q(status=Status.QUEUED, last_enqueued__lt=waited)
    not_yet_again = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=waited)
    stale = _claimable(now) & Q(status=Status.RUNNING) & not_yet_again
    with transaction.atomic():
        stalled = jobs.filter(queued | stale)
        limit = settings.EPCIS_CAPTURE_MAX_ATTEMPTS
        detail = f"The job stopped {limit} times without finishing (its worker died); run it again."
        stalled.filter(attempts__gte=limit).update(
            status=Status.FAILED, error=problem(500, detail), finished_at=now
        )
        ids = list(stalled.exclude(status=Status.FAILED).values_list("pk", flat=True))
        model._default_manager.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def job_document(job: BackgroundJob) -> dict[str, Any]:
    """The contract of a trace or recall job (architecture §5)."""
    return {
        "id": str(job.pk),
        "status": job.status,
        "progress": round(job.progress, 3),
        "createdAt": rfc3339(job.created_at),
        "finishedAt": rfc3339(job.finished_at) if job.finished_at else None,
        "reason": job.reason,
        "reference": job.reference,
        "horizon": rfc3339(job.horizon) if job.horizon else None,
        "error": job.error,
        "result": job.result,
    }
