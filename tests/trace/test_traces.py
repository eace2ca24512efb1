"""POST /traces and GET /traces/{id}: backward and forward answers on the lineage scenario
(fixtures/scenarios/lineage/, worked out by hand from its README), the job lifecycle,
newerData, and the 4xx of bad requests."""

from __future__ import annotations

from datetime import timedelta

import orjson
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.support.lineage import NAMES, capture_as, capture_scenario, name, short
from tests.support.lineage import document as events_document
from tests.support.traces import later_event, run_trace
from trace.models import TraceJob
from trace.services import request_trace
from trace.tasks import requeue_stalled_traces_task, run_trace_task
from trace.traces import compute

pytestmark = pytest.mark.django_db(transaction=True)

D = "2024-03-0"  # the scenario's days: f"{D}1T08:00:00.000Z"


@pytest.fixture
def scenario() -> None:
    capture_scenario()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def result(client, **params) -> dict:
    document = run_trace(client, **params)
    assert document["status"] == "succeeded", document["error"]
    return document["result"]


def visits(answer: dict) -> list[tuple]:
    return [(name(v["location"]), v["from"], v["until"]) for v in answer["visits"]]


def stays(answer: dict) -> list[tuple]:
    return [(name(c["parent"]), c["from"], c["until"]) for c in answer["containment"]]


def inputs(answer: dict) -> list[tuple]:
    return [
        (
            name(i["identifier"]),
            i["depth"],
            [(short(e["eventID"]), e["quantity"], e["uom"]) for e in i["events"]],
        )
        for i in answer["inputs"]
    ]


# -- backward ---------------------------------------------------------------------------


def test_backward_from_a_unit_shipped_to_the_pharmacy(scenario, staff_client):
    answer = result(staff_client, epc=NAMES["U1"], direction="backward")
    assert name(answer["epc"]) == "U1"
    assert name(answer["lot"]) == "P1"
    # T1 (E03 + E04 share its transformationID): both ingredient lots went into P1.
    assert inputs(answer) == [
        ("API1", 1, [("E03", 2.5, "KGM")]),
        ("API2", 1, [("E04", 1.0, "KGM")]),
    ]
    # E05..E13 at PLANT (merged), E14 ships it (no bizLocation); E15..E17, E22 at DC
    # (merged) until E18 ships C1; E19..E21 at PHARMACY, where it still is.
    assert visits(answer) == [
        ("PLANT", f"{D}1T08:00:00.000Z", f"{D}1T10:00:00.000Z"),
        ("DC", f"{D}2T08:00:00.000Z", f"{D}3T08:00:00.000Z"),
        ("PHARMACY", f"{D}3T14:00:00.000Z", None),
    ]
    assert stays(answer) == [("C1", f"{D}1T09:00:00.000Z", f"{D}4T09:00:00.000Z")]
    current = {k: name(v) if isinstance(v, str) else v for k, v in answer["current"].items()}
    assert current == {
        "epc": "U1",
        "lot": "P1",
        "location": "PHARMACY",
        "disposition": "dispensed",
        "parent": None,
        "topParent": None,
        "lastEventTime": f"{D}4T10:00:00.000Z",
        "decommissioned": False,
    }
    assert answer["notes"] == []


def test_backward_from_the_unit_removed_before_shipping(scenario, staff_client):
    answer = result(staff_client, epc=NAMES["U7"], direction="backward")
    assert visits(answer) == [("PLANT", f"{D}1T08:00:00.000Z", None)]  # it never travelled
    assert stays(answer) == [("C1", f"{D}1T09:00:00.000Z", f"{D}1T09:10:00.000Z")]  # not C2: Eb2
    assert name(answer["current"]["location"]) == "PLANT"
    assert answer["current"]["parent"] is None


def test_backward_from_the_corrected_unit(scenario, staff_client):
    answer = result(staff_client, epc=NAMES["U8"], direction="backward")
    assert name(answer["lot"]) == "P1"  # Ef1, not the retracted Eb1's P9
    assert [i[0] for i in inputs(answer)] == ["API1", "API2"]
    assert visits(answer) == [
        ("PLANT", f"{D}1T08:01:00.000Z", f"{D}1T10:00:00.000Z"),
        ("DC", f"{D}2T08:00:00.000Z", None),
    ]
    assert stays(answer) == [("C2", f"{D}1T09:12:00.000Z", None)]
    assert (name(answer["current"]["parent"]), answer["current"]["disposition"]) == (
        "C2",
        "in_progress",
    )


def test_backward_from_a_container(scenario, staff_client):
    answer = result(staff_client, epc=NAMES["PAL"], direction="backward")
    assert answer["lot"] is None
    assert answer["inputs"] == []
    assert visits(answer) == [
        ("PLANT", f"{D}1T08:00:00.000Z", f"{D}1T10:00:00.000Z"),
        ("DC", f"{D}2T08:00:00.000Z", None),
    ]
    assert stays(answer) == []


def test_backward_from_a_lot_of_the_two_into_two_transformation(scenario, staff_client):
    # T1 turns API1 and API2 into P1 and P2: each product lot has both ingredient lots.
    for lot in ("P1", "P2"):
        answer = result(staff_client, epcClass=NAMES[lot], direction="backward")
        assert (name(answer["epcClass"]), name(answer["lot"])) == (lot, lot)
        assert inputs(answer) == [
            ("API1", 1, [("E03", 2.5, "KGM")]),
            ("API2", 1, [("E04", 1.0, "KGM")]),
        ]
    answer = result(staff_client, epcClass=NAMES["API1"], direction="backward")
    assert answer["inputs"] == []  # commissioned, made of nothing


@pytest.mark.parametrize(
    "written",
    [
        "https://id.gs1.org/01/04012345111118/21/1001",
        "(01)04012345111118(21)1001",
        "urn:epc:id:sgtin:4012345.011111.1001",
    ],
)
def test_identifiers_in_any_form(scenario, staff_client, written):
    answer = result(staff_client, epc=written, direction="backward")
    assert (name(answer["epc"]), name(answer["lot"])) == ("U1", "P1")
    lot = result(staff_client, epcClass="(01)04012345111118(10)P2", direction="forward")
    assert lot["units"] == 2


# -- forward ----------------------------------------------------------------------------


def test_forward_from_an_ingredient_lot(scenario, staff_client):
    answer = result(staff_client, epcClass=NAMES["API1"], direction="forward")
    assert name(answer["epcClass"]) == "API1"
    assert sorted(name(lot) for lot in answer["lots"]) == ["API1", "P1", "P2"]
    assert answer["units"] == 8  # U1 U2 U3 U4 U7 U8 in P1, U5 U6 in P2
    assert [(name(q["epcClass"]), q["quantity"], q["uom"]) for q in answer["quantities"]] == [
        ("P1", 100.0, None),
        ("P2", 50.0, None),
        ("API1", 50.0, "KGM"),
    ]
    assert sorted(name(c) for c in answer["containers"]) == ["C1", "C2", "C3", "PAL"]
    assert [name(place) for place in answer["locations"]] == [
        "urn:epc:id:sgln:4098765.00001.0",  # where API1 was commissioned
        "PLANT",
        "DC",
        "PHARMACY",
    ]


def test_forward_from_the_lot_in_the_decommissioned_case(scenario, staff_client):
    answer = result(staff_client, epcClass=NAMES["P2"], direction="forward")
    assert [name(lot) for lot in answer["lots"]] == ["P2"]
    assert answer["units"] == 2
    assert [name(c) for c in answer["containers"]] == ["C3"]
    assert [name(place) for place in answer["locations"]] == ["PLANT"]


def test_forward_from_a_product_lot(scenario, staff_client):
    answer = result(staff_client, epcClass=NAMES["P1"], direction="forward")
    assert [name(lot) for lot in answer["lots"]] == ["P1"]
    assert answer["units"] == 6
    assert sorted(name(c) for c in answer["containers"]) == ["C1", "C2", "PAL"]
    assert [name(place) for place in answer["locations"]] == ["PLANT", "DC", "PHARMACY"]


def test_forward_from_the_unit_removed_before_shipping(scenario, staff_client):
    answer = result(staff_client, epc=NAMES["U7"], direction="forward")
    assert (name(answer["epc"]), name(answer["lot"])) == ("U7", "P1")
    assert (answer["lots"], answer["units"]) == ([], 1)  # nothing was made from it
    assert [name(c) for c in answer["containers"]] == ["C1"]  # out before C1 joined PAL
    assert [name(place) for place in answer["locations"]] == ["PLANT"]


def test_cost_does_not_grow_with_the_units(scenario):
    """P1 has six units, P2 two: a fixed number of queries per level, none per unit (P1's
    forward trace reads one more level of containers: its cases' pallet)."""
    counts = {}
    for lot in ("P1", "P2"):
        job = TraceJob(parameters={"key": _key(lot), "given": NAMES[lot], "kind": "lot"})
        for direction in ("forward", "backward"):
            job.parameters["direction"] = direction
            with CaptureQueriesContext(connection) as queries:
                compute(job, lambda fraction: None)
            counts[(lot, direction)] = len(queries)
    assert counts[("P1", "forward")] == counts[("P2", "forward")] + 1
    assert counts[("P1", "backward")] == counts[("P2", "backward")]


def _key(name_: str) -> str:
    from epcis.identifiers import matching_key

    return matching_key(NAMES[name_])


# -- the job ----------------------------------------------------------------------------


def test_the_job_goes_queued_to_succeeded_once(scenario, django_user_model):
    owner = django_user_model.objects.create(username="erin", is_staff=True)
    job = request_trace(owner, {"epc": NAMES["U1"], "direction": "backward", "reason": "r"})
    assert (job.status, job.progress, job.horizon, job.result) == ("queued", 0.0, None, None)
    run_trace_task(job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress, job.attempts) == ("succeeded", 1.0, 1)
    assert job.horizon is not None
    assert job.finished_at is not None
    stored = job.result
    run_trace_task(job.pk)  # a redelivery: claimed already, a no-op
    job.refresh_from_db()
    assert (job.result, job.attempts) == (stored, 1)


def test_a_lost_enqueue_is_requeued_by_the_sweep(scenario, django_user_model, settings):
    owner = django_user_model.objects.create(username="erin", is_staff=True)
    job = request_trace(owner, {"epcClass": NAMES["P2"], "direction": "forward"})
    waited = timezone.now() - timedelta(seconds=settings.EPCIS_CAPTURE_QUEUED_TIMEOUT + 1)
    TraceJob.objects.filter(pk=job.pk).update(created_at=waited)
    requeue_stalled_traces_task()  # eager: runs it
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.result["units"] == 2


def test_post_answers_202_with_location_and_keeps_reason_and_reference(scenario, staff_client):
    response = staff_client.post(
        "/traces",
        {"epc": NAMES["U1"], "direction": "backward", "reason": "complaint", "reference": "Q-9"},
        format="json",
    )
    assert response.status_code == 202
    assert response["Location"] == f"/traces/{response.json()['id']}"
    document = staff_client.get(response["Location"]).json()
    assert (document["status"], document["progress"]) == ("succeeded", 1.0)
    assert (document["reason"], document["reference"]) == ("complaint", "Q-9")
    assert document["horizon"] is not None
    assert document["direction"] == "backward"
    assert document["newerData"] is False
    assert "scopeKeys" not in document["result"]


def test_newer_data_once_a_later_event_touches_the_subgraph(scenario, staff_client):
    document = run_trace(staff_client, epc=NAMES["U8"], direction="backward")
    location = f"/traces/{document['id']}"
    assert document["newerData"] is False
    capture_as("bob", later_event(NAMES["U5"]))  # another lot's unit: not this answer's
    assert staff_client.get(location).json()["newerData"] is False
    capture_as("bob", later_event(NAMES["C2"]))  # the case U8 is in
    again = staff_client.get(location).json()
    assert again["newerData"] is True
    assert again["result"] == document["result"]  # a stored result never changes


def test_forward_newer_data_on_a_commissioning_into_its_lot(scenario, staff_client):
    document = run_trace(staff_client, epcClass=NAMES["P2"], direction="forward")
    event = orjson.loads(later_event("urn:epc:id:sgtin:4012345.011111.2999"))["epcisBody"][
        "eventList"
    ][0]
    event.update(action="ADD", bizStep="commissioning", ilmd={"cbvmda:lotNumber": "P2"})
    capture_as("alice", events_document([event]))
    assert staff_client.get(f"/traces/{document['id']}").json()["newerData"] is True


# -- decisions and refusals -------------------------------------------------------------


def test_an_unknown_identifier_succeeds_empty_with_a_note(scenario, staff_client):
    unseen = "urn:epc:id:sgtin:4012345.011111.9999"
    answer = result(staff_client, epc=unseen, direction="backward")
    assert (answer["inputs"], answer["visits"], answer["containment"]) == ([], [], [])
    assert answer["current"] is None
    assert "was never seen" in answer["notes"][0]
    lot = "urn:epc:class:lgtin:4012345.011111.NOPE"
    answer = result(staff_client, epcClass=lot, direction="forward")
    assert (answer["lots"], answer["units"], answer["locations"]) == ([], 0, [])
    assert "was never seen" in answer["notes"][0]


def test_a_partner_key_gets_403(scenario, partner_client, staff_client):
    body = problem(
        partner_client.post(
            "/traces", {"epc": NAMES["U1"], "direction": "backward"}, format="json"
        ),
        403,
    )
    assert body["type"] == "epcisException:SecurityException"
    document = run_trace(staff_client, epc=NAMES["U1"], direction="backward")
    problem(partner_client.get(f"/traces/{document['id']}"), 403)


def test_anonymous_gets_401(db, client):
    problem(client.post("/traces", {}, content_type="application/json"), 401)


def test_unknown_trace_is_404(db, staff_client):
    problem(staff_client.get("/traces/999"), 404)
    problem(staff_client.get("/traces/abc"), 404)


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"direction": "backward"}, "epc", "exactly one of epc"),
        ({"epc": NAMES["U1"], "epcClass": NAMES["P1"], "direction": "forward"}, "epc", "one of"),
        ({"epc": NAMES["U1"]}, "direction", "backward or forward"),
        ({"epc": NAMES["U1"], "direction": "sideways"}, "direction", "backward or forward"),
        ({"epc": "not-an-identifier", "direction": "backward"}, "epc", "not a usable identifier"),
        ({"epc": NAMES["P1"], "direction": "backward"}, "epc", "is not an SGTIN or an SSCC"),
        ({"epc": NAMES["PLANT"], "direction": "backward"}, "epc", "is not an SGTIN or an SSCC"),
        ({"epc": 7, "direction": "backward"}, "epc", "give a string"),
        ({"epcClass": NAMES["U1"], "direction": "forward"}, "epcClass", "is not an LGTIN"),
        ({"epc": NAMES["U1"], "direction": "backward", "depth": 3}, "depth", "unknown field"),
        (
            {"epc": NAMES["U1"], "direction": "backward", "reference": "x" * 201},
            "reference",
            "200",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(db, staff_client, params, field, says):
    body = problem(staff_client.post("/traces", params, format="json"), 400)
    assert body["type"] == "epcisException:ValidationException"
    assert body["field"] == field
    assert says in body["detail"]


def test_a_body_that_is_not_an_object_is_a_400(db, staff_client):
    body = problem(staff_client.post("/traces", ["x"], format="json"), 400)
    assert body["field"] == "body"
