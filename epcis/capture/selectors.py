"""Reads of capture jobs, as GS1's CaptureJob."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from epcis.models import CaptureJob
from epcis.rendering.times import rfc3339

Status = CaptureJob.Status


def visible_capture_jobs(user: User) -> QuerySet[CaptureJob]:
    """Staff see every job; a partner only its own (another's answers 404, as if absent)."""
    jobs = CaptureJob.objects.all()
    return jobs if user.is_staff else jobs.filter(owner=user)


def capture_job_for(user: User, capture_id: str) -> CaptureJob | None:
    if not capture_id.isascii() or not capture_id.isdigit():
        return None
    return visible_capture_jobs(user).filter(pk=int(capture_id)).first()


def capture_jobs_page(
    user: User, *, after: tuple[datetime, int] | None, per_page: int
) -> tuple[list[CaptureJob], bool]:
    """The jobs after the keyset position `after` (created_at, id), newest first; and whether
    more follow. Jobs created meanwhile sort before `after`, so a walk never repeats or skips."""
    jobs = visible_capture_jobs(user).order_by("-created_at", "-id")
    if after is not None:
        created_at, pk = after
        jobs = jobs.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk))
    page = list(jobs[: per_page + 1])
    return page[:per_page], len(page) > per_page


def capture_job_document(job: CaptureJob) -> dict[str, Any]:
    """GS1 CaptureJob, plus our counts: the document's events, of those the ones already
    stored, and the ones this job stored (with `proceed`, the valid ones). `success` is only
    stated once the job has finished."""
    running = job.status in (Status.QUEUED, Status.RUNNING)
    document: dict[str, Any] = {
        "captureID": str(job.pk),
        "createdAt": rfc3339(job.created_at),
        "finishedAt": rfc3339(job.finished_at) if job.finished_at else None,
        "running": running,
        "captureErrorBehaviour": job.error_behaviour,
        "errors": job.errors,
        "eventCount": job.event_count,
        "duplicateCount": job.duplicate_count,
        "storedCount": job.stored_count,
    }
    if not running:
        document["success"] = job.status == Status.SUCCEEDED
    if job.header.get("warnings"):
        document["warnings"] = job.header["warnings"]
    return document
