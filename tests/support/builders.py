"""Builders of EPCIS documents and captured repositories, shared by the test modules.

The query repository (fixtures/epcis/query/) and its expected answers are described in
tests/epcis/query/test_query_families.py.
"""

from __future__ import annotations

import io
import json
from typing import Any

from django.contrib.auth import get_user_model

from epcis.capture.receive import receive_document
from epcis.capture.worker import process_capture
from epcis.ingest import ingest_document
from epcis.models import CaptureJob
from tests.support.processes import REPO

FIXTURES = REPO / "fixtures" / "epcis"
QUERY_FIXTURES = FIXTURES / "query"
# The same two ILMD events in four documents, with the reference implementation's hashes
# beside each (fixtures/epcis/hash/README.md).
HASH_FIXTURES = FIXTURES / "hash"
HASH_DOCUMENTS = {
    "jsonld": "ilmd_events_jsonld.jsonld",
    "jsonld_inline_cbvmda": "ilmd_events_jsonld_inline_cbvmda.jsonld",
    "xml20": "ilmd_events_xml20.xml",
    "xml12": "ilmd_events_xml12.xml",
}
ID_PREFIX = "urn:uuid:5e0c0000-0000-4000-8000-0000000000"
ALL_ALICE = "a1 a2 a3 a3! a4 a5 a6 a8"
ACME = {"HTTP_GS1_EXTENSIONS": "acme=https://pharma.acme.example/epcis/"}


def capture(body: bytes, media_type: str, *, owner: str = "alice", behaviour: str = "rollback"):
    user, _ = get_user_model().objects.get_or_create(username=owner)
    job = CaptureJob.objects.create(owner=user, media_type=media_type, error_behaviour=behaviour)
    return job, ingest_document(capture=job, stream=io.BytesIO(body))


def fixture(folder: str, name: str) -> bytes:
    return (FIXTURES / folder / name).read_bytes()


def json_document(*events: str) -> bytes:
    context = '["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]'
    return (
        f'{{"@context": {context}, "type": "EPCISDocument", "schemaVersion": "2.0",'
        f' "creationDate": "2024-01-01T00:00:00Z",'
        f' "epcisBody": {{"eventList": [{",".join(events)}]}}}}'
    ).encode()


def object_event(serial: str, *, event_id: str | None = None, extra: str = "") -> str:
    eid = f'"eventID": "{event_id}",' if event_id else ""
    return (
        f'{{"type": "ObjectEvent", {eid} "eventTime": "2024-01-01T10:00:00.000Z",'
        f' "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "shipping",'
        f' "epcList": ["urn:epc:id:sgtin:4012345.011111.{serial}"] {extra}}}'
    )


def media_type_of(name: str) -> str:
    return "application/ld+json" if name.endswith(".jsonld") else "application/xml"


def reference_hashes(name: str) -> list[str]:
    """The event hash IDs GS1's reference implementation gives the events of a hash fixture."""
    return (HASH_FIXTURES / name).with_suffix(".hashes").read_text().split()


def hash_document(name: str, event_ids: list[str] | None = None) -> bytes:
    """A hash fixture, with these eventIDs stamped in (one per event, in order) if given."""
    body = (HASH_FIXTURES / name).read_text()
    if event_ids is None:
        return body.encode()
    if name.endswith(".jsonld"):
        document = json.loads(body)
        events = document["epcisBody"]["eventList"]
        for event, event_id in zip(events, event_ids, strict=True):
            event["eventID"] = event_id
        return json.dumps(document).encode()
    # XML: the eventID follows eventTimeZoneOffset, inside baseExtension in EPCIS 1.2.
    offset = "<eventTimeZoneOffset>+02:00</eventTimeZoneOffset>"
    element = "<eventID>{}</eventID>"
    if 'xmlns:epcis="urn:epcglobal:epcis:xsd:1"' in body:
        element = f"<baseExtension>{element}</baseExtension>"
    head, *events = body.split(offset)
    assert len(events) == len(event_ids)
    stamped = (offset + element.format(i) + rest for i, rest in zip(event_ids, events, strict=True))
    return (head + "".join(stamped)).encode()


def captured(
    body: bytes,
    *,
    owner: str = "alice",
    media_type: str = "application/ld+json",
    behaviour: str = "rollback",
) -> CaptureJob:
    """A document received as POST /capture receives it, then run by the worker (no HTTP,
    no broker); the finished job."""
    user, _ = get_user_model().objects.get_or_create(username=owner)
    job = receive_document(
        owner=user,
        media_type=media_type,
        error_behaviour=behaviour,
        body_stream=io.BytesIO(body),
        content_length=len(body),
    )
    process_capture(capture_id=job.pk)
    job.refresh_from_db()
    return job


# -- the query repository (fixtures/epcis/query/) ----------------------------------------


def load_repository() -> None:
    for name, owner in [
        ("alice_plant.jsonld", "alice"),
        ("alice_warehouse.jsonld", "alice"),
        ("bob.jsonld", "bob"),
    ]:
        _, result = capture(
            (QUERY_FIXTURES / name).read_bytes(), "application/ld+json", owner=owner
        )
        assert not result.errors, result.errors


def label(event: dict[str, Any]) -> str:
    """a1, a2, ...; an error declaration gets a `!` after the id it corrects."""
    short = event["eventID"].removeprefix(ID_PREFIX)
    return short + ("!" if "errorDeclaration" in event else "")


def labels(response) -> list[str]:
    assert response.status_code == 200, response.content
    events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return sorted(label(event) for event in events)


def found(client, query: str, **headers: str) -> list[str]:
    return labels(client.get(f"/events?{query}&perPage=100", **headers))


def expect(text: str) -> list[str]:
    return sorted(text.split())


def event_list(response) -> list[dict]:
    return response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
