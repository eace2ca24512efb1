"""Builders of EPCIS documents and captured repositories, shared by the test modules.

The query repository (fixtures/epcis/query/) and its expected answers are described in
tests/epcis/query/test_query_families.py.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth import get_user_model

from epcis.ingest import ingest_document
from epcis.models import CaptureJob
from tests.support.processes import REPO

FIXTURES = REPO / "fixtures" / "epcis"
QUERY_FIXTURES = FIXTURES / "query"
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
