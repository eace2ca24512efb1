"""The hand-checked lineage scenario (fixtures/scenarios/lineage/README.md): its rows, its
hierarchy just before, at and just after every aggregation, its timelines and states, as
the README works them out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.lineage import (
    KEYS,
    MS,
    NAMES,
    T1,
    at,
    capture_scenario,
    lineage_rows,
    name,
    short,
)
from trace.selectors import (
    children_at,
    parents_at,
    transformation_closure,
    transformation_edges,
    units_of_lot,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scenario() -> None:
    capture_scenario()


def k(*names: str) -> list[str]:
    return [KEYS[n] for n in names]


# -- rows -------------------------------------------------------------------------------


def test_lot_membership_is_the_earliest_counting_commissioning(scenario):
    lots = {(name(u), name(lot), event) for u, lot, event, _ in lineage_rows()["lots"]}
    assert lots == {
        *((u, "P1", "E05") for u in ("U1", "U2", "U3", "U4", "U7")),
        ("U5", "P2", "E06"),
        ("U6", "P2", "E06"),
        ("U8", "P1", "Ef1"),  # Eb1 (lot P9, a minute earlier) is retracted
    }


def test_class_quantities_transformations_ends_and_retractions(scenario):
    rows = lineage_rows()
    quantities = {(name(lot), event, q, uom) for lot, event, _, q, uom in rows["quantities"]}
    assert quantities == {
        ("API1", "E01", 50.0, "KGM"),
        ("API2", "E02", 20.0, "KGM"),
        ("P1", "E03", 100.0, ""),
        ("P2", "E04", 50.0, ""),
    }
    members = {(g, side, name(i), event, q) for g, side, i, event, _, q, _, _ in rows["members"]}
    assert members == {
        (T1, "i", "API1", "E03", 2.5),
        (T1, "i", "API2", "E04", 1.0),
        (T1, "o", "P1", "E03", 100.0),
        (T1, "o", "P2", "E04", 50.0),
    }
    assert rows["ends"] == [(KEYS["C3"], "E12")]
    declared = datetime(2024, 3, 1, 12, tzinfo=UTC)
    assert rows["retractions"] == [("Eb1", declared), ("Eb2", declared)]


def test_containment_intervals(scenario):
    stays = {
        (name(p), name(c), from_event, until_event)
        for p, c, _, from_event, _, until_event in lineage_rows()["stays"]
    }
    assert stays == {
        ("C1", "U1", "E08", "E20"),
        ("C1", "U2", "E08", None),
        ("C1", "U7", "E08", "E11"),
        ("C2", "U3", "E09", "E17"),
        ("C2", "U4", "E09", None),
        ("C2", "U8", "Ef2", None),  # Eb2 (U7 into C2) is retracted
        ("C3", "U5", "E10", "E12"),
        ("C3", "U6", "E10", "E12"),
        ("PAL", "C1", "E13", "E16"),
        ("PAL", "C2", "E13", "E16"),
    }


def test_transformation_edges_group_by_transformation_id(scenario):
    edges = {(name(e.input), name(e.output)) for e in transformation_edges(k("API1"), forward=True)}
    assert edges == {("API1", "P1"), ("API1", "P2")}
    back = {(name(e.input), name(e.output)) for e in transformation_edges(k("P2"), forward=False)}
    assert back == {("API1", "P2"), ("API2", "P2")}
    assert transformation_closure(k("API2"), forward=True) == set(k("P1", "P2"))
    assert transformation_closure(k("P1"), forward=False) == set(k("API1", "API2"))


def test_units_of_a_lot(scenario):
    units = {name(m.unit) for m in units_of_lot(KEYS["P1"])}
    assert units == {"U1", "U2", "U3", "U4", "U7", "U8"}


# -- hierarchy just before, at and just after -------------------------------------------

# (time, who, "parents" | "children", before, at, after), as in the README.
HIERARCHY = [
    (at(1, 9, 0), "U1", "parents", [], ["C1"], ["C1"]),
    (at(1, 9, 0), "C1", "children", [], ["U1", "U2", "U7"], ["U1", "U2", "U7"]),
    (at(1, 9, 0), "C2", "children", [], ["U3", "U4"], ["U3", "U4"]),
    (at(1, 9, 5), "C3", "children", [], ["U5", "U6"], ["U5", "U6"]),
    (at(1, 9, 10), "U7", "parents", ["C1"], [], []),
    (at(1, 9, 10), "C1", "children", ["U1", "U2", "U7"], ["U1", "U2"], ["U1", "U2"]),
    (at(1, 9, 12), "C2", "children", ["U3", "U4"], ["U3", "U4", "U8"], ["U3", "U4", "U8"]),
    (at(1, 9, 12), "U7", "parents", [], [], []),
    (at(1, 9, 15), "U5", "parents", ["C3"], [], []),
    (at(1, 9, 20), "U1", "parents", ["C1"], ["C1", "PAL"], ["C1", "PAL"]),
    (at(1, 9, 20), "PAL", "children", [], ["C1", "C2"], ["C1", "C2"]),
    (at(2, 9, 0), "U2", "parents", ["C1", "PAL"], ["C1"], ["C1"]),
    (at(2, 9, 0), "PAL", "children", ["C1", "C2"], [], []),
    (at(2, 9, 30), "U3", "parents", ["C2"], [], []),
    (at(2, 9, 30), "C2", "children", ["U3", "U4", "U8"], ["U4", "U8"], ["U4", "U8"]),
    (at(2, 12, 0), "C2", "children", ["U4", "U8"], ["U4", "U8"], ["U4", "U8"]),
    (at(4, 9, 0), "U1", "parents", ["C1"], [], []),
    (at(4, 9, 0), "C1", "children", ["U1", "U2"], ["U2"], ["U2"]),
]


def test_containment_just_before_at_and_just_after_each_aggregation(scenario):
    wrong = []
    for moment, who, asked, *expected in HIERARCHY:
        for offset, want in zip((-MS, timedelta(0), MS), expected, strict=True):
            read = parents_at if asked == "parents" else children_at
            got = [name(key) for key in read(KEYS[who], moment + offset)]
            if got != want:
                wrong.append(f"{asked} of {who} at {moment + offset}: {got}, expected {want}")
    assert wrong == []


def test_hierarchy_endpoint_answers_at_the_time_asked(scenario, staff_client):
    response = staff_client.get(f"/epcs/{NAMES['U2']}/hierarchy?at=2024-03-01T09:20:00Z")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "epc": NAMES["U2"],
        "at": "2024-03-01T09:20:00.000Z",
        "parents": [NAMES["C1"], NAMES["PAL"]],
        "children": [],
    }
    pallet = staff_client.get(f"/epcs/{NAMES['PAL']}/hierarchy?at=2024-03-02T08:59:59.999Z")
    assert pallet.json()["children"] == [NAMES["C1"], NAMES["C2"]]
    now = staff_client.get(f"/epcs/{NAMES['PAL']}/hierarchy").json()
    assert now["children"] == []
    assert now["parents"] == []


# -- timelines and states ---------------------------------------------------------------

TIMELINES = {
    "U1": [
        ("E05", None),
        ("E08", None),
        ("E11", "C1"),
        ("E13", "C1"),
        ("E14", "PAL"),
        ("E15", "PAL"),
        ("E16", "PAL"),
        ("E18", "C1"),
        ("E19", "C1"),
        ("E20", None),
        ("E21", None),
    ],
    "U7": [("E05", None), ("E08", None), ("E11", None)],
    "U8": [
        ("Ef1", None),
        ("Ef2", None),
        ("E13", "C2"),
        ("E14", "PAL"),
        ("E15", "PAL"),
        ("E16", "PAL"),
        ("E17", "C2"),
        ("E22", None),
    ],
    "U5": [("E06", None), ("E10", None), ("E12", "C3")],
    "PAL": [("E07", None), ("E13", None), ("E14", None), ("E15", None), ("E16", None)],
}


@pytest.mark.parametrize("who", sorted(TIMELINES))
def test_timeline(scenario, staff_client, who):
    response = staff_client.get(f"/epcs/{NAMES[who]}/timeline?perPage=100")
    assert response.status_code == 200, response.content
    assert [(short(e["eventID"]), name(e["via"])) for e in response.json()] == TIMELINES[who]


def test_timeline_entries_say_what_happened(scenario, staff_client):
    entries = staff_client.get(f"/epcs/{NAMES['U1']}/timeline").json()
    assert entries[4] == {
        "eventID": "urn:uuid:5ce0a000-0000-4000-8000-000000000014",
        "eventTime": "2024-03-01T10:00:00.000Z",
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "bizLocation": None,
        "via": NAMES["PAL"],
    }
    assert entries[6]["action"] == "DELETE"
    assert entries[6]["bizLocation"] == NAMES["DC"]


# who: lot, location, disposition, parent, topParent, lastEventTime, decommissioned
STATES = {
    "U1": ("P1", "PHARMACY", "dispensed", None, None, "2024-03-04T10:00:00.000Z", False),
    "U2": ("P1", "PHARMACY", "sellable_accessible", "C1", "C1", "2024-03-04T09:00:00.000Z", False),
    "U7": ("P1", "PLANT", "in_progress", None, None, "2024-03-01T09:10:00.000Z", False),
    "U8": ("P1", "DC", "in_progress", "C2", "C2", "2024-03-02T12:00:00.000Z", False),
    "U5": ("P2", "PLANT", "in_progress", None, None, "2024-03-01T09:15:00.000Z", False),
    "C3": (None, "PLANT", "inactive", None, None, "2024-03-01T09:15:00.000Z", True),
    "PAL": (None, "DC", "in_progress", None, None, "2024-03-02T09:00:00.000Z", False),
}


@pytest.mark.parametrize("who", sorted(STATES))
def test_state(scenario, staff_client, who):
    response = staff_client.get(f"/epcs/{NAMES[who]}/state")
    assert response.status_code == 200, response.content
    body = response.json()
    lot, location, disposition, parent, top, last, decommissioned = STATES[who]
    assert name(body["epc"]) == who
    assert (name(body["lot"]), name(body["location"]), body["disposition"]) == (
        lot,
        location,
        disposition,
    )
    assert (name(body["parent"]), name(body["topParent"])) == (parent, top)
    assert (body["lastEventTime"], body["decommissioned"]) == (last, decommissioned)


def test_identifiers_are_shown_as_first_captured(scenario, staff_client):
    """The pharmacy's document (a Digital Link for U1) is captured before the maker's."""
    body = staff_client.get(f"/epcs/{NAMES['U1']}/state").json()
    assert body["epc"] == "https://pharmacy.example/01/04012345111118/21/1001"
    assert body["lot"] == NAMES["P1"]  # the transformation named it first, as a URN
    assert body["location"] == NAMES["PHARMACY"]
