"""Celery tasks of traces, and the only module that enqueues them (as recalls.tasks)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from epcis.jobs import run_job, stalled_jobs
from trace.models import TraceJob
from trace.traces import compute

logger = logging.getLogger(__name__)


# acks_late: a worker that dies mid-job leaves the message to be redelivered; the claim in
# `run_job` makes a redelivery of a job already held or finished a no-op.
@shared_task(acks_late=True, ignore_result=True)
def run_trace_task(job_id: int) -> None:
    run_job(TraceJob, job_id, compute)


@shared_task(ignore_result=True)
def requeue_stalled_traces_task() -> None:
    for job_id in stalled_jobs(TraceJob):
        publish_trace(job_id)


def enqueue_trace(job_id: int) -> None:
    """Hand a stored job to a worker once the transaction that stored it commits."""
    transaction.on_commit(lambda: publish_trace(job_id))


def publish_trace(job_id: int) -> None:
    """A broker that is down loses nothing: the sweep requeues the committed job."""
    try:
        run_trace_task.apply_async((job_id,), retry=False)
    except Exception:
        logger.exception("trace %s committed but not enqueued; the sweep will requeue it", job_id)
