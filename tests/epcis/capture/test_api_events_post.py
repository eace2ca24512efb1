"""POST /events: one bare event, captured synchronously."""

from __future__ import annotations

from urllib.parse import unquote

import orjson
import pytest

from epcis.models import CaptureJob, Event, EventCapture

pytestmark = pytest.mark.django_db
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
EVENT_ID = "urn:uuid:1b2c3d4e-0000-4000-8000-00000000a001"


def bare_event(**changes) -> dict:
    event = {
        "@context": CONTEXT,
        "type": "ObjectEvent",
        "eventID": EVENT_ID,
        "eventTime": "2024-01-01T10:00:00.000Z",
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1"],
    }
    event.update(changes)
    return {key: value for key, value in event.items() if value is not None}


def post(client, body, content_type: str = "application/ld+json"):
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.generic("POST", "/events", data, content_type)


def stored() -> tuple[int, int]:
    return CaptureJob.objects.count(), Event.objects.count()


def test_event_is_stored_at_once_with_its_location(partner_client):
    response = post(partner_client, bare_event())
    assert response.status_code == 201
    assert response["Location"] == "/events/urn%3Auuid%3A1b2c3d4e-0000-4000-8000-00000000a001"
    assert response.json() == {"eventID": EVENT_ID}
    assert response["GS1-EPCIS-Version"] == "2.0.0"
    event = Event.objects.get()
    assert (event.event_id, event.capture.owner.username) == (EVENT_ID, "alice")
    assert event.capture.status == CaptureJob.Status.SUCCEEDED
    assert EventCapture.objects.filter(event=event, owner__username="alice").exists()


def test_event_without_id_gets_its_hash_id(partner_client):
    response = post(partner_client, bare_event(eventID=None))
    assert response.status_code == 201
    event_id = response.json()["eventID"]
    assert event_id.startswith("ni:///sha-256;")
    assert unquote(response["Location"]) == f"/events/{event_id}"


@pytest.mark.parametrize(
    "again",
    [bare_event(), bare_event(eventID=None)],
    ids=["same eventID", "same hash, no eventID"],
)
def test_event_already_stored_is_a_conflict(partner_client, other_partner_client, again):
    post(partner_client, again)
    before = stored()
    response = post(other_partner_client, again)
    assert response.status_code == 409
    assert response.json()["type"] == "epcisException:ResourceAlreadyExistsException"
    assert stored() == before
    assert not EventCapture.objects.filter(owner__username="bob").exists()


def test_the_same_event_under_another_event_id_is_a_conflict(partner_client):
    """The content key matches (DESIGN §10): the event is stored once, under its first id."""
    post(partner_client, bare_event(eventID=None))
    before = stored()
    response = post(partner_client, bare_event())
    assert response.status_code == 409
    assert stored() == before
    assert Event.objects.get().event_id.startswith("ni:///sha-256;")


BAD_EVENTS = [
    # (case, body, content type, status, exception, words in the detail)
    (
        "bad GTIN",
        bare_event(epcList=["https://id.gs1.org/01/04012345111113/21/1"]),
        "application/json",
        400,
        "ValidationException",
        "epcList[0]: GTIN 04012345111113 has a wrong check digit (expected 8)",
    ),
    (
        "missing action",
        bare_event(action=None),
        "application/json",
        400,
        "ValidationException",
        "action:",
    ),
    (
        "malformed",
        b'{"type": "ObjectEvent",\n "action": }',
        "application/json",
        400,
        "ValidationException",
        "(line 2, column 12)",
    ),
    (
        "a document",
        {"type": "EPCISDocument", "epcisBody": {"eventList": []}},
        "application/json",
        400,
        "ValidationException",
        "expected a single event",
    ),
    ("XML", b"<ObjectEvent/>", "application/xml", 415, "UnsupportedMediaTypeException", None),
]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "exception", "words"),
    [case[1:] for case in BAD_EVENTS],
    ids=[case[0] for case in BAD_EVENTS],
)
def test_bad_event_is_refused_and_nothing_is_stored(
    partner_client, body, content_type, status, exception, words
):
    response = post(partner_client, body, content_type)
    assert response.status_code == status
    problem = response.json()
    assert problem["type"] == f"epcisException:{exception}"
    if words:
        assert words in problem["detail"]
    assert stored() == (0, 0)


def test_invalid_event_lists_each_field_at_fault(partner_client):
    body = bare_event(epcList=["https://id.gs1.org/01/04012345111113/21/1"], action=None)
    problem = post(partner_client, body).json()
    assert sorted(error["field"] for error in problem["errors"]) == ["action", "epcList[0]"]


def test_options_advertises_the_capture_headers(partner_client):
    response = partner_client.options("/events")
    assert response.status_code == 204
    assert response["GS1-EPCIS-Version"] == "2.0.0"
    assert response["GS1-CBV-Version"] == "2.0.0"
    assert "POST" in response["Allow"]
