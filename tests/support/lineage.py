"""Builders for the lineage tests: the hand-checked scenario (fixtures/scenarios/lineage/,
its expected answers in the README there), captured through the real capture path, and a
snapshot of the lineage tables that does not depend on capture order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from django.db import connection

from epcis.identifiers import matching_key
from epcis.models import CaptureJob, Event
from tests.support.builders import captured
from tests.support.processes import REPO
from trace.models import (
    Containment,
    EndOfLife,
    LotMembership,
    LotQuantity,
    PendingParent,
    Retraction,
    TransformationMember,
)

SCENARIO = REPO / "fixtures" / "scenarios" / "lineage"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
# The documents in the order the README's answers were checked with: the distributor's
# file (with the receipt) before the maker's (with its shipment), the corrections last.
DOCUMENTS = [
    ("distributor.jsonld", "bob"),
    ("pharmacy.jsonld", "dave"),
    ("maker.jsonld", "alice"),
    ("corrections.jsonld", "alice"),
]
EVENT_ID = "urn:uuid:5ce0a000-0000-4000-8000-0000000000"


# The scenario's names (README) of its identifiers.
NAMES = {
    "U1": "urn:epc:id:sgtin:4012345.011111.1001",
    "U2": "urn:epc:id:sgtin:4012345.011111.1002",
    "U3": "urn:epc:id:sgtin:4012345.011111.1003",
    "U4": "urn:epc:id:sgtin:4012345.011111.1004",
    "U7": "urn:epc:id:sgtin:4012345.011111.1005",
    "U8": "urn:epc:id:sgtin:4012345.011111.1006",
    "U5": "urn:epc:id:sgtin:4012345.011111.2001",
    "U6": "urn:epc:id:sgtin:4012345.011111.2002",
    "C1": "urn:epc:id:sscc:4012345.0000000011",
    "C2": "urn:epc:id:sscc:4012345.0000000012",
    "C3": "urn:epc:id:sscc:4012345.0000000013",
    "PAL": "urn:epc:id:sscc:4012345.0000000010",
    "API1": "urn:epc:class:lgtin:4098765.090001.API1",
    "API2": "urn:epc:class:lgtin:4098765.090002.API2",
    "P1": "urn:epc:class:lgtin:4012345.011111.P1",
    "P2": "urn:epc:class:lgtin:4012345.011111.P2",
    "PLANT": "urn:epc:id:sgln:4012345.00001.0",
    "DC": "urn:epc:id:sgln:0614141.00001.0",
    "PHARMACY": "urn:epc:id:sgln:0377001.00001.0",
}
KEYS = {name: matching_key(text) for name, text in NAMES.items()}
NAME_OF = {key: name for name, key in KEYS.items()}
T1 = "urn:uuid:5ce0a000-0000-4000-8000-00000000a7a1"  # the transformationID


def name(text: str | None) -> str | None:
    """U1, C2, PLANT ...: the scenario's name of an identifier in any form it is written."""
    return None if text is None else NAME_OF.get(matching_key(text), text)


def short(event_id: str) -> str:
    """E05, Eb1 ...: the scenario's name of an eventID."""
    return "E" + event_id.removeprefix(EVENT_ID)


def scenario_events() -> list[tuple[str, dict[str, Any]]]:
    """Every event of the scenario with the partner that sends it, in README order."""
    return [
        (owner, event)
        for name, owner in DOCUMENTS
        for event in orjson.loads((SCENARIO / name).read_bytes())["epcisBody"]["eventList"]
    ]


def document(events: list[dict[str, Any]]) -> bytes:
    return orjson.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-03-05T00:00:00.000Z",
            "epcisBody": {"eventList": events},
        }
    )


def capture_as(owner: str, body: bytes) -> CaptureJob:
    """POST /capture then the worker, as a partner's document goes (without HTTP)."""
    job = captured(body, owner=owner)
    assert job.status == CaptureJob.Status.SUCCEEDED, job.errors
    return job


def capture_scenario() -> None:
    for name, owner in DOCUMENTS:
        capture_as(owner, (SCENARIO / name).read_bytes())


def lineage_rows() -> dict[str, list[tuple]]:
    """Every lineage row, events named by eventID (row ids are capture order), sorted."""
    ids = dict(Event.objects.values_list("pk", "event_id"))

    def named(pk: int | None) -> str | None:
        return None if pk is None else short(ids[pk])

    return {
        "lots": sorted(
            (m.unit, m.lot, named(m.event_id), m.event_time) for m in LotMembership.objects.all()
        ),
        "quantities": sorted(
            (q.lot, named(q.event_id), q.seq, q.quantity, q.uom) for q in LotQuantity.objects.all()
        ),
        "stays": sorted(
            (s.parent, s.child, s.from_time, named(s.from_event_id), s.until_time)
            + (named(s.until_event_id),)
            for s in Containment.objects.all()
        ),
        "members": sorted(
            (m.group, m.side, m.identifier, named(m.event_id), m.seq, m.quantity, m.uom)
            + (m.is_class,)
            for m in TransformationMember.objects.all()
        ),
        "ends": sorted((e.identifier, named(e.event_id)) for e in EndOfLife.objects.all()),
        "retractions": sorted(
            (short(r.retracted), r.declared_at) for r in Retraction.objects.all()
        ),
    }


def wipe_repository() -> None:
    """Remove every event, job and lineage row (between hypothesis examples only: events
    are never deleted in the product)."""
    from epcis.storage import FACT_TABLES

    tables = [model._meta.db_table for model, _, _ in FACT_TABLES]
    tables += ["epcis_eventcapture", "epcis_listedvalue", "epcis_event", "epcis_documentchunk"]
    tables += ["epcis_capturejob"]
    tables += [
        m._meta.db_table
        for m in (
            LotMembership,
            LotQuantity,
            Containment,
            TransformationMember,
            EndOfLife,
            Retraction,
            PendingParent,
        )
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}"')


# -- when to ask: just before, at and just after every aggregation (and decommissioning)

MS = timedelta(milliseconds=1)


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


# E08/E09, E10, E11, Ef2, E12, E13, E16, E17, E22, E20
AGGREGATION_TIMES = [
    at(1, 9, 0),
    at(1, 9, 5),
    at(1, 9, 10),
    at(1, 9, 12),
    at(1, 9, 15),
    at(1, 9, 20),
    at(2, 9, 0),
    at(2, 9, 30),
    at(2, 12, 0),
    at(4, 9, 0),
]
PROBES = [t + d for t in AGGREGATION_TIMES for d in (-MS, timedelta(0), MS)]


# -- answers that must not depend on capture order --------------------------------------

STATE_OF = ["U1", "U2", "U3", "U4", "U5", "U7", "U8", "C1", "C2", "C3", "PAL", "P1"]
TIMELINE_OF = ["U1", "U2", "U5", "U7", "U8", "C1", "PAL"]


def answers(client: Any) -> dict[str, Any]:
    """State and timeline (over HTTP) and hierarchy at every probe time (by selector) of the
    scenario's identifiers, with identifiers by name and events by short name: what the
    property test compares across captures."""
    from trace.selectors import children_at, parents_at

    found: dict[str, Any] = {"rows": lineage_rows()}
    for who in STATE_OF:
        body = client.get(f"/epcs/{NAMES[who]}/state").json()
        found[f"state {who}"] = {k: name(v) if isinstance(v, str) else v for k, v in body.items()}
    for who in TIMELINE_OF:
        entries = client.get(f"/epcs/{NAMES[who]}/timeline?perPage=1000").json()
        found[f"timeline {who}"] = [(short(e["eventID"]), name(e["via"])) for e in entries]
    for moment in PROBES:
        for who in ("U1", "U2", "U3", "U5", "U7", "U8", "C1", "C2", "C3", "PAL"):
            found[f"parents {who} {moment}"] = [NAME_OF[k] for k in parents_at(KEYS[who], moment)]
            found[f"children {who} {moment}"] = [NAME_OF[k] for k in children_at(KEYS[who], moment)]
    return found
