"""The EPCIS_AFTER_STORE hook (trace.lineage.derive_lineage): what a batch changes, that
it costs a fixed number of statements per batch, and nothing for events it ignores."""

from __future__ import annotations

import itertools

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from epcis.identifiers import matching_key
from tests.support.lineage import capture_as, document
from trace.models import Containment, LotMembership

pytestmark = pytest.mark.django_db(transaction=True)

UNIT = "urn:epc:id:sgtin:4012345.011111.77"
CASE = "urn:epc:id:sscc:4012345.0000000077"


def event(event_id: str, time: str, kind: str = "ObjectEvent", **fields) -> dict:
    return {
        "type": kind,
        "eventID": f"urn:uuid:0b0e0000-0000-4000-8000-{event_id:0>12}",
        "eventTime": f"2024-05-01T{time}:00.000Z",
        "eventTimeZoneOffset": "+00:00",
        **fields,
    }


def commissioning(event_id: str, time: str, lot: str, *epcs: str) -> dict:
    return event(
        event_id,
        time,
        epcList=list(epcs or [UNIT]),
        action="ADD",
        bizStep="commissioning",
        ilmd={"cbvmda:lotNumber": lot},
    )


def lot_of(unit: str = UNIT) -> str:
    return LotMembership.objects.get(unit=matching_key(unit)).lot.rsplit("/", 1)[1]


def test_the_hook_is_registered():
    assert "trace.lineage.derive_lineage" in settings.EPCIS_AFTER_STORE
    call_command("check")


EARLY = commissioning("2", "08:00", "EARLY")
LATE = commissioning("1", "09:00", "LATE")
TIE = commissioning("3", "08:00", "TIE")  # as early as EARLY, larger eventID: loses


@pytest.mark.parametrize("order", list(itertools.permutations([EARLY, LATE, TIE])))
def test_the_earliest_commissioning_wins_within_a_batch(order):
    capture_as("alice", document(list(order)))
    assert lot_of() == "EARLY"


def test_a_duplicate_changes_nothing():
    capture_as("alice", document([LATE]))
    capture_as("bob", document([LATE, EARLY]))  # LATE again (a duplicate), EARLY new
    capture_as("dave", document([EARLY, LATE]))  # only duplicates
    assert lot_of() == "EARLY"


@pytest.mark.parametrize("order", list(itertools.permutations([EARLY, LATE, TIE])))
def test_commissionings_in_separate_documents(order):
    for one in order:
        capture_as("alice", document([one]))
    assert lot_of() == "EARLY"


def declaration(original: dict) -> dict:
    return {
        **original,
        "errorDeclaration": {
            "declarationTime": "2024-05-02T00:00:00.000Z",
            "reason": "incorrect_data",
        },
    }


@pytest.mark.parametrize("declared_first", [False, True])
def test_a_retracted_commissioning_stops_counting_whenever_its_declaration_comes(declared_first):
    documents = [document([EARLY]), document([declaration(EARLY)])]
    capture_as("alice", document([LATE]))
    for body in reversed(documents) if declared_first else documents:
        capture_as("alice", body)
    assert lot_of() == "LATE"


def pack(event_id: str, time: str, action: str, *children: str) -> dict:
    fields = {"parentID": CASE, "action": action, "bizStep": "packing"}
    if children:
        fields["childEPCs"] = list(children)
    return event(event_id, time, "AggregationEvent", **fields)


def test_a_late_event_recomputes_the_container():
    # the unpacking first (a document that arrives early), the packing later
    capture_as("bob", document([pack("12", "10:00", "DELETE")]))
    assert not Containment.objects.exists()
    capture_as("alice", document([pack("11", "09:00", "ADD", UNIT)]))
    stay = Containment.objects.get()
    assert (stay.from_time.hour, stay.until_time.hour) == (9, 10)


def test_a_retracted_aggregation_is_recomputed_away():
    packing = pack("21", "09:00", "ADD", UNIT)
    capture_as("alice", document([packing]))
    assert Containment.objects.count() == 1
    capture_as("alice", document([declaration(packing)]))
    assert not Containment.objects.exists()


def lineage_statements(body: bytes) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        capture_as("alice", body)
    return [q["sql"] for q in queries.captured_queries if "trace_" in q["sql"]]


def test_events_that_change_no_lineage_cost_no_statement():
    shipping = [
        event(str(i), "10:00", epcList=[f"{UNIT}{i}"], action="OBSERVE", bizStep="shipping")
        for i in range(50)
    ]
    assert lineage_statements(document(shipping)) == []


def pallets(first: int, count: int) -> list[dict]:
    """Per pallet: 2 units commissioned, packed into a case, the case into a pallet."""
    events = []
    for p in range(first, first + count):
        units = [f"urn:epc:id:sgtin:4012345.011111.{p}{u}" for u in range(2)]
        case, pallet = (f"urn:epc:id:sscc:4012345.{p:07d}{n}01" for n in (1, 2))
        events.append(commissioning(f"{p}1", "08:00", f"L{p}", *units))
        events.append(pack(f"{p}2", "09:00", "ADD", *units) | {"parentID": case})
        events.append(pack(f"{p}3", "09:30", "ADD", case) | {"parentID": pallet})
    return events


def test_a_batch_costs_the_same_statements_whatever_its_size():
    small = lineage_statements(document(pallets(100, 2)))
    large = lineage_statements(document(pallets(200, 60)))
    assert len(small) == len(large)
    assert Containment.objects.count() == 2 * 3 + 60 * 3


@pytest.mark.parametrize("few", [0, 1000])  # 0: the tables are "large", looked up by key
def test_decommissioning_and_retractions_read_large_tables_by_key(monkeypatch, few):
    import trace.lineage

    monkeypatch.setattr(trace.lineage, "FEW_ROWS", few)
    capture_as("alice", document([pack("31", "09:00", "ADD", UNIT)]))
    decommission = event("32", "11:00", epcList=[CASE], action="DELETE", bizStep="decommissioning")
    capture_as("alice", document([decommission]))
    assert Containment.objects.get().until_time.hour == 11
    capture_as("alice", document([declaration(decommission)]))
    assert Containment.objects.get().until_time is None
    capture_as("bob", document([EARLY, declaration(EARLY), LATE]))
    assert lot_of() == "LATE"
