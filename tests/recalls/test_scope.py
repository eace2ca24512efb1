"""The recall scenario (fixtures/scenarios/recall/README.md): every recall's answer as the
README works it out by hand, through POST /recalls and the stored result."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from recalls.models import RecallJob
from recalls.scope import Graph, recall_scope
from tests.support.recall import NAMES, PO, capture_recall_scenario, name
from trace.selectors import state_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scenario() -> None:
    capture_recall_scenario()


def recall(client, **params) -> dict:
    response = client.post("/recalls", params, format="json")
    assert response.status_code == 202, response.content
    document = client.get(response["Location"]).json()
    assert document["status"] == "succeeded", document["error"]
    units = client.get(f"{response['Location']}/units?perPage=1000").json()
    return {**document["result"], "units": {name(u["epc"]): u for u in units}}


def places(result: dict) -> dict:
    return {name(p["location"]): (p["unitsEver"], p["unitsNow"]) for p in result["locations"]}


def unit(result: dict, key: str) -> tuple:
    u = result["units"][key]
    return (
        name(u["lot"]),
        name(u["location"]),
        u["disposition"],
        name(u["parent"]),
        name(u["topParent"]),
        u["lastEventTime"][:16],
    )


def test_lot_a_units_taken_out_dispensed_sampled_decommissioned_in_transit(scenario, staff_client):
    result = recall(staff_client, epcClasses=[NAMES["LA"]], reason="sterility", reference="R-1")
    assert name(result["lots"]) == ["LA"]
    assert sorted(result["units"]) == ["A1", "A2", "A3", "A4", "A5", "A6"]
    assert unit(result, "A1") == ("LA", "PHARM", "dispensed", None, None, "2024-04-04T10:00")
    assert unit(result, "A2") == ("LA", "PHARM", "dispensed", None, None, "2024-04-05T10:00")
    # taken out of CASE1 before shipping, kept as a retained sample: stock at the plant
    assert unit(result, "A3") == (
        "LA",
        "PLANT",
        "non_sellable_other",
        None,
        None,
        "2024-04-01T09:20",
    )
    assert unit(result, "A4") == ("LA", "DC1", "in_transit", "CASE2", "CASE2", "2024-04-05T08:00")
    assert unit(result, "A6") == ("LA", "PLANT", "inactive", None, None, "2024-04-01T09:30")
    assert name(result["containers"]) == ["PAL1", "CASE1", "CASE2"]
    assert places(result) == {"PHARM": (2, 0), "DC1": (4, 0), "PLANT": (6, 1)}
    assert result["summary"] == {
        "units": 6,
        "containers": 3,
        "locations": 3,
        "dispensed": 2,
        "inTransit": 2,
    }
    shipped = [
        (
            s["bizTransactions"][0]["bizTransaction"].removeprefix(PO),
            name(s["source"]),
            name(s["destination"]),
            s["shipped"][:16],
            s["received"] and s["received"][:16],
            s["units"],
        )
        for s in result["shipments"]
    ]
    assert shipped == [
        ("1", "MAKER", "DIST", "2024-04-01T10:00", "2024-04-02T08:00", 4),
        ("3", "DIST", "PHARMA", "2024-04-03T08:00", "2024-04-04T08:00", 2),
        ("4", "DIST", "PHARMA", "2024-04-05T08:00", None, 2),
    ]
    assert result["notes"] == []


def test_an_ingredient_lot_reaches_both_product_lots_and_a_unit_output(scenario, staff_client):
    result = recall(staff_client, epcClasses=["(01)04098765900013(10)ING1"])
    assert name(result["lots"]) == ["LA", "LB", "LX", "ING1"]
    assert len(result["units"]) == 10
    assert "Z1" not in result["units"]
    assert unit(result, "X1") == ("LX", "PLANT", "active", None, None, "2024-04-01T11:00")
    assert places(result) == {
        "PHARM": (2, 0),
        "DC1": (4, 0),
        "DC2": (3, 3),
        "PLANT": (10, 2),
    }
    assert result["summary"] == {
        "units": 10,
        "containers": 4,
        "locations": 4,
        "dispensed": 2,
        "inTransit": 2,
    }
    assert len(result["shipments"]) == 4


def test_two_lots_recalled_together_by_gtin_and_lots(scenario, staff_client):
    result = recall(staff_client, gtin="04012345111118", lots=["A", "B"])
    assert name(result["lots"]) == ["LA", "LB", "LX"]
    assert len(result["units"]) == 10
    assert result["summary"]["containers"] == 4


def test_a_shipment_received_at_the_wrong_location(scenario, staff_client):
    result = recall(staff_client, epcClasses=["https://id.gs1.org/01/04012345111118/10/B"])
    assert name(result["lots"]) == ["LB", "LX"]
    assert sorted(result["units"]) == ["B1", "B2", "B3", "X1"]
    assert unit(result, "B1") == ("LB", "DC2", "in_progress", "CASE3", "CASE3", "2024-04-02T10:00")
    assert places(result) == {"DC2": (3, 3), "PLANT": (4, 1)}
    [shipment] = result["shipments"]
    assert name(shipment["destinationLocation"]) == "DC1"
    assert name(shipment["receivedAt"]) == "DC2"
    assert shipment["receivedElsewhere"] is True
    assert shipment["received"] == "2024-04-02T10:00:00.000Z"


def test_a_case_brings_every_unit_it_ever_held(scenario, staff_client):
    result = recall(staff_client, epcs=[NAMES["CASE1"]])
    assert sorted(result["units"]) == ["A1", "A2", "A3"]
    assert name(result["containers"]) == ["PAL1", "CASE1"]  # A3 left before PAL1 held CASE1
    assert places(result) == {"PHARM": (2, 0), "DC1": (2, 0), "PLANT": (3, 1)}


def test_one_unit(scenario, staff_client):
    result = recall(staff_client, epcs=["(01)04012345111118(21)1003"])
    assert sorted(result["units"]) == ["A3"]
    assert name(result["containers"]) == ["CASE1"]
    assert result["shipments"] == []
    assert result["summary"]["locations"] == 1


def test_a_window_keeps_only_units_that_moved_in_it(scenario, staff_client):
    result = recall(
        staff_client,
        epcClasses=[NAMES["LA"]],
        **{"from": "2024-04-04T00:00:00Z", "until": "2024-04-06T00:00:00Z"},
    )
    assert sorted(result["units"]) == ["A1", "A2", "A4", "A5"]


def test_a_lot_never_seen_is_an_empty_scope_with_a_note(scenario, staff_client):
    result = recall(staff_client, epcClasses=["urn:epc:class:lgtin:4012345.011111.NOPE"])
    assert result["units"] == {}
    assert result["lots"] == ["urn:epc:class:lgtin:4012345.011111.NOPE"]
    assert result["summary"] == {
        "units": 0,
        "containers": 0,
        "locations": 0,
        "dispensed": 0,
        "inTransit": 0,
    }
    assert "never seen" in result["notes"][0]


def test_the_batched_state_is_state_of(scenario):
    """The scope's per-unit state equals trace.selectors.state_of, unit by unit."""
    result = recall_scope({NAMES_KEY["ING1"]: "ING1"}, {}, None, None, lambda _: None)
    now = datetime.now(UTC)
    forms = {u["epc"]: u for u in result["units"]}
    from epcis.identifiers import matching_key

    for epc, row in forms.items():
        state = state_of(matching_key(epc), now)
        assert (row["disposition"], row["lastEventTime"] is not None) == (
            state.disposition or None,
            state.last_event_time is not None,
        )
        assert (row["location"] and matching_key(row["location"])) == (
            state.location and matching_key(state.location)
        ) or (row["location"] is None and not state.location)
    assert Graph  # the module's graph type is importable for the bench
    assert not RecallJob.objects.exists()


NAMES_KEY = {"ING1": "https://id.gs1.org/01/04098765900013/10/ING1"}
