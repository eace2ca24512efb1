"""Celery tasks: each takes ids and calls one service."""

from __future__ import annotations

from celery import shared_task

from epcis import services


# acks_late: a worker that dies mid-job leaves the message to be redelivered; the claim in
# `process_capture` makes a redelivery of a job already held or finished a no-op.
@shared_task(acks_late=True, ignore_result=True)
def process_capture_task(capture_id: int) -> None:
    services.process_capture(capture_id=capture_id)


@shared_task(ignore_result=True)
def requeue_stalled_captures_task() -> None:
    services.requeue_stalled_captures()
