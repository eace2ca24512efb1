"""Capture through Redis and a real `celery -A config worker` (the PostgreSQL + Redis run)."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from epcis.capture.receive import receive_document
from epcis.capture.tasks import requeue_stalled_captures_task
from epcis.models import CaptureJob, Event
from tests.support.builders import json_document, object_event
from tests.support.processes import REPO

pytestmark = [pytest.mark.broker, pytest.mark.django_db(transaction=True)]
DSCSA = REPO / "fixtures" / "epcis" / "xml12" / "dscsa_shipment_sbdh.xml"
BAD_GTIN = "https://id.gs1.org/01/04012345111113/21/7"


def finished_job(client, location: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(location).json()
        if not job["running"]:
            return job
        time.sleep(0.2)
    raise AssertionError(f"{location} still running after {timeout}s")


def test_worker_captures_a_posted_document(celery_worker, partner_client):
    response = partner_client.post("/capture", DSCSA.read_bytes(), content_type="application/xml")
    assert response.status_code == 202

    job = finished_job(partner_client, response["Location"])

    assert (job["success"], job["eventCount"], job["duplicateCount"], job["errors"]) == (
        True,
        4,
        0,
        [],
    )
    capture = CaptureJob.objects.get(pk=job["captureID"])
    assert (capture.status, capture.attempts, capture.stored_count) == ("succeeded", 1, 4)
    assert Event.objects.filter(capture=capture).count() == 4


def test_worker_proceeds_past_a_bad_event(celery_worker, partner_client):
    good = object_event("1", event_id="urn:uuid:00000000-0000-4000-8000-0000000000e1")
    bad = object_event("2").replace('"urn:epc:id:sgtin:4012345.011111.2"', f'"{BAD_GTIN}"')
    response = partner_client.post(
        "/capture",
        json_document(good, bad),
        content_type="application/json",
        headers={"GS1-Capture-Error-Behaviour": "proceed"},
    )

    job = finished_job(partner_client, response["Location"])

    assert (job["success"], job["eventCount"]) == (False, 2)
    assert [(e["eventIndex"], e["field"]) for e in job["errors"]] == [(1, "epcList[0]")]
    assert list(Event.objects.values_list("event_id", flat=True)) == [
        "urn:uuid:00000000-0000-4000-8000-0000000000e1"
    ]


def test_worker_captures_a_job_whose_enqueue_was_lost(celery_worker, partner_client):
    """A job received but never enqueued (as when the broker was down) is found by the sweep
    that beat sends, and captured by the real worker."""
    body = json_document(object_event("9"))
    job = receive_document(
        owner=User.objects.get(username="alice"),
        media_type="application/json",
        error_behaviour="rollback",
        body_stream=io.BytesIO(body),
        content_length=len(body),
    )  # and no enqueue_capture: the message is lost
    CaptureJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))

    requeue_stalled_captures_task.delay()  # what beat sends every sweep interval

    done = finished_job(partner_client, f"/capture/{job.pk}")
    assert (done["success"], done["eventCount"]) == (True, 1)
