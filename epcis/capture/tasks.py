"""Celery tasks of capture, and the only module that enqueues them. Each task takes ids
and calls one service; nothing in `epcis.capture` imports this module back."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from epcis.capture import recovery, worker

logger = logging.getLogger(__name__)


# acks_late: a worker that dies mid-job leaves the message to be redelivered; the claim in
# `process_capture` makes a redelivery of a job already held or finished a no-op.
@shared_task(acks_late=True, ignore_result=True)
def process_capture_task(capture_id: int) -> None:
    worker.process_capture(capture_id=capture_id)


@shared_task(ignore_result=True)
def requeue_stalled_captures_task() -> None:
    for capture_id in recovery.stalled_captures():
        publish_capture(capture_id)


def enqueue_capture(capture_id: int) -> None:
    """Hand a received job to a worker once the transaction that stored it commits."""
    transaction.on_commit(lambda: publish_capture(capture_id))


def publish_capture(capture_id: int) -> None:
    """Send the job's message now. A broker that is down loses nothing: the job is committed
    and `requeue_stalled_captures_task` finds it, so the client still gets its 202."""
    try:
        # No publish retries: the client is waiting, and the sweep is the retry.
        process_capture_task.apply_async((capture_id,), retry=False)
    except Exception:
        logger.exception(
            "capture %s committed but not enqueued; the sweep will requeue it", capture_id
        )
