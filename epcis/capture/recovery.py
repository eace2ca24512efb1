"""Recovering lost jobs (run by beat every EPCIS_CAPTURE_SWEEP_INTERVAL seconds).

Two ways a job gets lost: its enqueue never reached the broker (the broker was down when
the document was accepted, or it restarted and forgot its queue), or its worker died
mid-job (killed, out of memory). The first stays `queued`, the second `running` with a
heartbeat that stopped. Both are found here and handed back to `tasks`, which enqueues
them; a job that already used its attempts is failed with the reason. `enqueued_at`
keeps a job from being enqueued again at every sweep while its message waits in a queue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from epcis.capture.worker import claimable
from epcis.models import CaptureJob
from epcis.problems import problem

Status = CaptureJob.Status


def stalled_captures() -> list[int]:
    """The ids of jobs to enqueue again (marked as enqueued now); exhausted ones are failed."""
    now = timezone.now()
    with transaction.atomic():
        stalled = _stalled(now)
        _fail_exhausted(stalled, now)
        ids = list(stalled.exclude(status=Status.FAILED).values_list("pk", flat=True))
        CaptureJob.objects.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def _stalled(now: Any) -> QuerySet[CaptureJob]:
    waited = now - timedelta(seconds=settings.EPCIS_CAPTURE_QUEUED_TIMEOUT)
    jobs = CaptureJob.objects.alias(last_enqueued=Coalesce("enqueued_at", "created_at"))
    # Queued: its first enqueue was at creation. Running with a stale heartbeat: its worker
    # died; only an enqueue made since by recovery may still be on its way.
    never_started = Q(status=Status.QUEUED, last_enqueued__lt=waited)
    not_yet_enqueued_again = Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=waited)
    stale_running = claimable(now) & Q(status=Status.RUNNING) & not_yet_enqueued_again
    return jobs.filter(never_started | stale_running)


def _fail_exhausted(stalled: QuerySet[CaptureJob], now: Any) -> None:
    limit = settings.EPCIS_CAPTURE_MAX_ATTEMPTS
    detail = (
        f"Processing stopped {limit} times without finishing (the worker died or was killed, "
        "e.g. out of memory); the document was not captured. Send it again or contact support."
    )
    failed = problem(500, detail, "ImplementationException")
    stalled.filter(attempts__gte=limit).update(
        status=Status.FAILED, errors=[failed], finished_at=now
    )
