"""POST /recalls and its resources: staff only, clear 4xx for bad input, the CSVs, paging,
newerData."""

from __future__ import annotations

import csv
import io

import pytest

from tests.support.recall import NAMES, capture_as, capture_recall_scenario, name

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def scenario() -> None:
    capture_recall_scenario()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


def post(client, **params):
    return client.post("/recalls", params, format="json")


def test_a_partner_key_gets_403_everywhere(scenario, partner_client, staff_client):
    body = problem(post(partner_client, epcClasses=[NAMES["LA"]]), 403)
    assert body["type"] == "epcisException:SecurityException"
    location = post(staff_client, epcClasses=[NAMES["LA"]])["Location"]
    for suffix in ("", "/units", "/units.csv", "/locations.csv"):
        problem(partner_client.get(location + suffix), 403)


def test_anonymous_gets_401(db, client):
    problem(client.post("/recalls", {}, content_type="application/json"), 401)


@pytest.mark.parametrize(
    ("params", "field", "says"),
    [
        ({"epcClasses": ["not-an-identifier"]}, "epcClasses[0]", "GS1 Digital Link"),
        ({"epcClasses": ["(01)123(10)A"]}, "epcClasses[0]", "not a usable identifier"),
        ({"epcClasses": [NAMES["A1"]]}, "epcClasses[0]", "is not an LGTIN"),
        ({"epcs": [NAMES["LA"]]}, "epcs[0]", "is not an SGTIN or an SSCC"),
        ({"epcs": [NAMES["PLANT"]]}, "epcs[0]", "is not an SGTIN or an SSCC"),
        ({"gtin": "04012345111118"}, "lots", "gtin and lots go together"),
        ({"gtin": "123", "lots": ["A"]}, "gtin", "not a usable identifier"),
        ({}, "epcClasses", "name what to recall"),
        ({"epcClass": [NAMES["LA"]]}, "epcClass", "unknown field"),
        ({"epcClasses": [NAMES["LA"]], "from": "yesterday"}, "from", "RFC 3339"),
        ({"epcClasses": NAMES["LA"], "reference": "x" * 201}, "reference", "200"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(db, staff_client, params, field, says):
    body = problem(post(staff_client, **params), 400)
    assert body["type"] == "epcisException:ValidationException"
    assert body["field"] == field
    assert says in body["detail"]


def test_unknown_recall_is_404(db, staff_client):
    problem(staff_client.get("/recalls/999"), 404)
    problem(staff_client.get("/recalls/abc/units"), 404)


def test_post_answers_202_with_location_and_the_job(scenario, staff_client):
    response = post(staff_client, epcClasses=[NAMES["LA"]], reason="sterility", reference="FDA-7")
    assert response.status_code == 202
    assert response["Location"] == f"/recalls/{response.json()['id']}"
    document = staff_client.get(response["Location"]).json()
    assert document["status"] == "succeeded"
    assert (document["reason"], document["reference"]) == ("sterility", "FDA-7")
    assert document["horizon"] is not None
    assert document["newerData"] is False
    assert "units" not in document["result"]
    assert "scopeKeys" not in document["result"]


def test_units_are_paged_with_a_link(scenario, staff_client):
    location = post(staff_client, epcClasses=[NAMES["LA"]])["Location"]
    seen, url = [], f"{location}/units?perPage=4"
    while url:
        response = staff_client.get(url)
        assert response.status_code == 200
        seen += [name(u["epc"]) for u in response.json()]
        link = response.get("Link")
        url = link and link.split(";")[0].strip("<>").removeprefix("http://testserver")
    assert seen == ["A1", "A2", "A3", "A4", "A5", "A6"]
    problem(staff_client.get(f"{location}/units?nextPageToken=forged"), 400)


def test_units_csv(scenario, staff_client):
    location = post(staff_client, epcClasses=[NAMES["LB"]])["Location"]
    response = staff_client.get(f"{location}/units.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "epc",
        "lot",
        "location",
        "disposition",
        "parent",
        "topParent",
        "lastEventTime",
    ]
    assert [name(r[0]) for r in rows[1:]] == ["B1", "B2", "B3", "X1"]
    assert [name(c) for c in rows[1]] == [
        "B1",
        "LB",
        "DC2",
        "in_progress",
        "CASE3",
        "CASE3",
        "2024-04-02T10:00:00.000Z",
    ]
    assert [name(c) for c in rows[4]] == ["X1", "LX", "PLANT", "active", "", "", rows[4][6]]


def test_locations_csv(scenario, staff_client):
    location = post(staff_client, epcClasses=[NAMES["LA"]])["Location"]
    response = staff_client.get(f"{location}/locations.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["location", "owning party", "units now", "units ever", "last receipt", "POs"]
    by_place = {name(r[0]): [name(c) for c in r[1:]] for r in rows[1:]}
    po = "urn:epcglobal:cbv:bt:0614141000005:PO-"
    assert by_place == {
        "PHARM": ["PHARMA", "0", "2", "2024-04-04T08:00:00.000Z", f"{po}3"],
        "DC1": ["DIST", "0", "4", "2024-04-02T08:00:00.000Z", f"{po}1"],
        "PLANT": ["MAKER", "1", "6", "", ""],
    }


def test_newer_data_once_an_event_touches_the_scope(scenario, staff_client):
    location = post(staff_client, epcClasses=[NAMES["LB"]])["Location"]
    assert staff_client.get(location).json()["newerData"] is False
    unrelated = _document(NAMES["Z1"])  # Z1: not in lot B's scope
    capture_as("alice", unrelated)
    assert staff_client.get(location).json()["newerData"] is False
    capture_as("bob", _document(NAMES["CASE3"]))  # the case holding B1-B3
    document = staff_client.get(location).json()
    assert document["newerData"] is True
    assert document["result"]["summary"]["units"] == 4  # a stored result never changes


def _document(epc: str) -> bytes:
    import orjson

    event = {
        "type": "ObjectEvent",
        "eventTime": "2024-04-06T08:00:00.000Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": [epc],
        "action": "OBSERVE",
        "bizStep": "cycle_counting",
        "bizLocation": {"id": NAMES["DC2"]},
    }
    return orjson.dumps(
        {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-04-06T00:00:00.000Z",
            "epcisBody": {"eventList": [event]},
        }
    )
