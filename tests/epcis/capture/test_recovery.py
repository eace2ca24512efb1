"""No accepted document is lost, and none is captured twice: claims, heartbeats, requeues."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from epcis.capture import tasks, worker
from epcis.capture.documents import CHUNK_SIZE, stored_document
from epcis.capture.tasks import requeue_stalled_captures_task
from epcis.capture.worker import process_capture
from epcis.models import CaptureJob, DocumentChunk, Event
from tests.support.builders import json_document, object_event

pytestmark = pytest.mark.django_db
Status = CaptureJob.Status
LONG_AGO = timedelta(hours=1)


def stored_job(**fields) -> CaptureJob:
    """A job whose document is stored, as POST /capture leaves it, with `fields` changed."""
    owner, _ = get_user_model().objects.get_or_create(username="alice")
    body = json_document(object_event("1"), object_event("2"))
    job = CaptureJob.objects.create(owner=owner, media_type="application/json", size=len(body))
    DocumentChunk.objects.create(capture=job, seq=0, data=body)
    CaptureJob.objects.filter(pk=job.pk).update(**fields)
    return job


@pytest.fixture
def worker_runs(monkeypatch) -> list[int]:
    """Jobs handed to the broker, run in-process as the eager worker would."""
    handed: list[int] = []

    def enqueue(capture_id: int) -> None:
        handed.append(capture_id)
        process_capture(capture_id=capture_id)

    monkeypatch.setattr(tasks, "publish_capture", enqueue)
    return handed


def test_job_whose_worker_stopped_beating_is_run_again(worker_runs):
    stale = timezone.now() - LONG_AGO
    job = stored_job(status=Status.RUNNING, attempts=1, started_at=stale, heartbeat_at=stale)

    requeue_stalled_captures_task()

    assert worker_runs == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.event_count, job.stored_count) == (
        Status.SUCCEEDED,
        2,
        2,
        2,
    )


def test_job_that_is_still_beating_is_left_alone(worker_runs):
    job = stored_job(status=Status.RUNNING, attempts=1, heartbeat_at=timezone.now())
    requeue_stalled_captures_task()
    assert worker_runs == []
    process_capture(capture_id=job.pk)  # a redelivered message must not start a second run
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Status.RUNNING, 1)
    assert Event.objects.count() == 0


def test_job_never_enqueued_is_picked_up(worker_runs):
    job = stored_job(created_at=timezone.now() - LONG_AGO)
    fresh = stored_job()  # its message may still be on its way: not yet
    requeue_stalled_captures_task()
    assert worker_runs == [job.pk]
    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert CaptureJob.objects.get(pk=fresh.pk).status == Status.QUEUED


def test_job_enqueued_again_is_not_enqueued_at_every_sweep(monkeypatch):
    """Its message may wait behind a long queue: one more enqueue per timeout, not per sweep."""
    published: list[int] = []
    monkeypatch.setattr(tasks, "publish_capture", published.append)  # no worker takes it
    job = stored_job(created_at=timezone.now() - LONG_AGO)
    requeue_stalled_captures_task()
    requeue_stalled_captures_task()
    assert published == [job.pk]
    CaptureJob.objects.filter(pk=job.pk).update(enqueued_at=timezone.now() - LONG_AGO)
    requeue_stalled_captures_task()
    assert published == [job.pk, job.pk]


def test_recovery_waits_the_queued_timeout_after_the_last_enqueue(worker_runs, settings):
    settings.EPCIS_CAPTURE_QUEUED_TIMEOUT = 30
    recent = timezone.now() - timedelta(seconds=20)
    stored_job(created_at=recent)
    stale = timezone.now() - LONG_AGO
    stored_job(status=Status.RUNNING, attempts=1, heartbeat_at=stale, enqueued_at=recent)
    requeue_stalled_captures_task()
    assert worker_runs == []


def test_job_is_failed_with_a_reason_after_its_attempts(worker_runs, settings):
    settings.EPCIS_CAPTURE_MAX_ATTEMPTS = 3
    stale = timezone.now() - LONG_AGO
    job = stored_job(status=Status.RUNNING, attempts=3, heartbeat_at=stale)

    requeue_stalled_captures_task()

    job.refresh_from_db()
    assert job.status == Status.FAILED
    assert job.finished_at is not None
    assert job.errors == [
        {
            "type": "epcisException:ImplementationException",
            "title": "Internal error",
            "status": 500,
            "detail": "Processing stopped 3 times without finishing (the worker died or was "
            "killed, e.g. out of memory); the document was not captured. Send it again or "
            "contact support.",
        }
    ]
    assert worker_runs == []


def test_job_processed_twice_is_stored_once():
    job = stored_job()
    process_capture(capture_id=job.pk)
    process_capture(capture_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.stored_count, job.duplicate_count) == (
        Status.SUCCEEDED,
        1,
        2,
        0,
    )
    assert Event.objects.count() == 2


def test_run_whose_claim_was_taken_over_commits_nothing(monkeypatch):
    """A worker thought dead that finishes after another took the job must not count."""
    job = stored_job()
    real_ingest = worker._ingest

    def ingest_then_lose_the_claim(claimed: CaptureJob):
        outcome = real_ingest(claimed)
        CaptureJob.objects.filter(pk=claimed.pk).update(attempts=claimed.attempts + 1)
        return outcome

    monkeypatch.setattr(worker, "_ingest", ingest_then_lose_the_claim)
    process_capture(capture_id=job.pk)

    job.refresh_from_db()
    assert (job.status, job.stored_count) == (Status.RUNNING, 0)
    assert Event.objects.count() == 0


def test_stored_document_reads_back_across_chunks(settings):
    owner = get_user_model().objects.create(username="reader")
    job = CaptureJob.objects.create(owner=owner, media_type="application/json")
    body = bytes(range(256)) * 10_000  # 2.56 MB: three chunk rows
    for seq in range(0, 3):
        part = body[seq * CHUNK_SIZE : (seq + 1) * CHUNK_SIZE]
        DocumentChunk.objects.create(capture=job, seq=seq, data=part)
    stream = stored_document(job.pk)
    assert stream.read(10) == body[:10]
    assert stream.read() == body[10:]
    stream.seek(CHUNK_SIZE + 5)
    assert stream.read(3) == body[CHUNK_SIZE + 5 : CHUNK_SIZE + 8]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_long_job_keeps_beating_while_it_ingests(monkeypatch, settings):
    settings.EPCIS_CAPTURE_HEARTBEAT_TIMEOUT = 5  # a beat every second
    real_ingest = worker.ingest_document

    def slow_ingest(**kwargs):
        time.sleep(1.5)
        return real_ingest(**kwargs)

    monkeypatch.setattr(worker, "ingest_document", slow_ingest)
    job = stored_job()
    process_capture(capture_id=job.pk)

    job.refresh_from_db()
    assert job.status == Status.SUCCEEDED
    assert job.heartbeat_at - job.started_at >= timedelta(seconds=1)
