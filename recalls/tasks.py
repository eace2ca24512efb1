"""Celery tasks of recalls, and the only module that enqueues them (as epcis.capture.tasks)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from epcis.jobs import run_job, stalled_jobs
from recalls.models import RecallJob
from recalls.scope import compute

logger = logging.getLogger(__name__)


# acks_late: a worker that dies mid-job leaves the message to be redelivered; the claim in
# `run_job` makes a redelivery of a job already held or finished a no-op.
@shared_task(acks_late=True, ignore_result=True)
def run_recall_task(job_id: int) -> None:
    run_job(RecallJob, job_id, compute)


@shared_task(ignore_result=True)
def requeue_stalled_recalls_task() -> None:
    for job_id in stalled_jobs(RecallJob):
        publish_recall(job_id)


def enqueue_recall(job_id: int) -> None:
    """Hand a stored job to a worker once the transaction that stored it commits."""
    transaction.on_commit(lambda: publish_recall(job_id))


def publish_recall(job_id: int) -> None:
    """A broker that is down loses nothing: the sweep requeues the committed job."""
    try:
        run_recall_task.apply_async((job_id,), retry=False)
    except Exception:
        logger.exception("recall %s committed but not enqueued; the sweep will requeue it", job_id)
