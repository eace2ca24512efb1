"""POST /events: one bare event, validated and stored synchronously, with a job of its own
that records who sent it (so it is audited and readable like any captured event)."""

from __future__ import annotations

import hashlib

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from epcis.capture.hooks import run_after_store_hooks
from epcis.ingest import accept_storable_defects, stores_defects_as_sent
from epcis.models import CaptureJob
from epcis.normalise import EventRecord, event_record
from epcis.parsing import EventError
from epcis.parsing.jsonld import parse_json_event
from epcis.problems import EPCISError
from epcis.storage import store_batch

Status = CaptureJob.Status


class EventRejected(EPCISError):
    """The event is invalid; `errors` name each field at fault."""

    def __init__(self, errors: list[EventError]) -> None:
        fields = [{"field": error.field, "message": error.message} for error in errors]
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors), errors=fields)
        self.errors = errors


class EventAlreadyStored(EPCISError):
    status = 409
    exception = "ResourceAlreadyExistsException"

    def __init__(self, event_id: str) -> None:
        super().__init__(f"An event with eventID {event_id} is already stored.")
        self.event_id = event_id


def capture_single_event(*, owner: User, body: bytes) -> str:
    """Validate and store one bare event; return its eventID.

    Raises DocumentError (unreadable), EventRejected (invalid), EventAlreadyStored, or
    AfterStoreHookFailed (nothing stored).
    """
    parsed = parse_json_event(body)
    if stores_defects_as_sent(owner.pk):
        parsed = accept_storable_defects(parsed)
    errors = [error for error in parsed.errors if error.severity == "error"]
    if errors:
        raise EventRejected(errors)
    record = event_record(parsed)
    try:
        with transaction.atomic():
            _store_single_event(record, owner=owner, body=body)
    except IntegrityError:  # the same event stored concurrently, between check and insert
        raise EventAlreadyStored(record.event_id) from None
    return record.event_id


def _store_single_event(record: EventRecord, *, owner: User, body: bytes) -> None:
    now = timezone.now()
    job = CaptureJob.objects.create(
        owner=owner,
        media_type="application/json",
        status=Status.SUCCEEDED,
        size=len(body),
        sha256=hashlib.sha256(body).hexdigest(),
        started_at=now,
        finished_at=now,
        attempts=1,
        event_count=1,
        stored_count=1,
    )
    outcome = store_batch([record], capture=job, record_time=now)
    if not outcome.stored:  # a duplicate or an eventID conflict: 409 either way
        raise EventAlreadyStored(record.event_id)
    run_after_store_hooks(outcome.stored, capture_id=job.pk, owner_id=owner.pk, record_time=now)
