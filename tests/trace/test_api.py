"""GET /epcs/{epc}/state, /hierarchy, /timeline: staff only, identifier forms, problems,
paging, and routes that win over the standard /epcs/{epc}/... family."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.support.lineage import NAMES, capture_as, capture_scenario, document, short

pytestmark = pytest.mark.django_db(transaction=True)

ROUTES = ["state", "hierarchy", "timeline"]
U1 = NAMES["U1"]


@pytest.fixture
def scenario() -> None:
    capture_scenario()


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


@pytest.mark.parametrize("route", ROUTES)
def test_a_partner_key_gets_403(scenario, partner_client, route):
    body = problem(partner_client.get(f"/epcs/{U1}/{route}"), 403)
    assert body["type"] == "epcisException:SecurityException"


@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_gets_401(scenario, client, route):
    problem(client.get(f"/epcs/{U1}/{route}"), 401)


@pytest.mark.parametrize(
    "written",
    [
        "urn:epc:id:sgtin:4012345.011111.1001",
        "https://id.gs1.org/01/04012345111118/21/1001",
        "https://pharmacy.example/01/04012345111118/21/1001",
        quote("https://id.gs1.org/01/04012345111118/21/1001", safe=""),
        "(01)04012345111118(21)1001",
        "(01)04012345111118(21)1001(10)P1",
        quote("0104012345111118\x1d211001", safe=""),  # a raw scan, GS-separated
    ],
)
def test_every_form_of_an_identifier_names_the_same_unit(scenario, staff_client, written):
    response = staff_client.get(f"/epcs/{written}/state")
    assert response.status_code == 200, response.content
    assert response.json()["lastEventTime"] == "2024-03-04T10:00:00.000Z"


@pytest.mark.parametrize(
    "written", ["not-an-identifier", "urn:epc:id:sgtin:4012345.011111", "(01)123(21)x", "%20"]
)
@pytest.mark.parametrize("route", ROUTES)
def test_an_unusable_identifier_is_a_400_naming_the_accepted_forms(staff_client, route, written):
    body = problem(staff_client.get(f"/epcs/{written}/{route}"), 400)
    assert body["type"] == "epcisException:ValidationException"
    for form in ("EPC URN", "Digital Link", "element string"):
        assert form in body["detail"]


@pytest.mark.parametrize("route", ROUTES)
def test_an_identifier_no_event_names_is_a_404(scenario, staff_client, route):
    body = problem(staff_client.get(f"/epcs/urn:epc:id:sgtin:4012345.011111.999/{route}"), 404)
    assert body["type"] == "epcisException:NoSuchResourceException"


@pytest.mark.parametrize(
    ("route", "query"),
    [
        ("state", "at=2024-03-01T00:00:00Z"),
        ("hierarchy", "when=now"),
        ("timeline", "EQ_bizStep=shipping"),
        ("hierarchy", "at=yesterday"),
        ("timeline", "perPage=0"),
        ("timeline", "perPage=abc"),
        ("timeline", "nextPageToken=forged"),
    ],
)
def test_bad_query_parameters_are_a_400(scenario, staff_client, route, query):
    body = problem(staff_client.get(f"/epcs/{U1}/{route}?{query}"), 400)
    assert body["type"] == "epcisException:QueryParameterException"


def test_the_timeline_pages_like_events(scenario, staff_client):
    whole = [e["eventID"] for e in staff_client.get(f"/epcs/{U1}/timeline").json()]
    assert len(whole) == 11
    pages, url = [], f"/epcs/{U1}/timeline?perPage=4"
    while url:
        response = staff_client.get(url)
        assert response.status_code == 200, response.content
        pages.append([e["eventID"] for e in response.json()])
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].removeprefix("http://testserver") if link else None
    assert [len(page) for page in pages] == [4, 4, 3]
    assert [event for page in pages for event in page] == whole
    assert [short(e) for e in whole[:3]] == ["E05", "E08", "E11"]


def test_a_page_token_is_bound_to_its_identifier(scenario, staff_client):
    link = staff_client.get(f"/epcs/{U1}/timeline?perPage=2").headers["Link"]
    token = link[link.index("nextPageToken=") + len("nextPageToken=") : link.index(">")]
    other = staff_client.get(f"/epcs/{NAMES['U2']}/timeline?perPage=2&nextPageToken={token}")
    problem(other, 400)


def test_the_lineage_routes_win_over_the_standard_epcs_family(scenario, staff_client):
    state = staff_client.get(f"/epcs/{U1}/state")
    assert "member" not in state.json()
    events = staff_client.get(f"/epcs/{U1}/events")
    assert events.status_code == 200, events.content
    assert events.json()["type"] == "EPCISQueryDocument"


def test_a_serial_named_like_a_route_still_works(staff_client):
    unit = "urn:epc:id:sgtin:4012345.011111.state"
    commissioning = {
        "type": "ObjectEvent",
        "eventTime": "2024-05-01T08:00:00.000Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": [unit],
        "action": "ADD",
        "bizStep": "commissioning",
        "ilmd": {"cbvmda:lotNumber": "L1"},
    }
    capture_as("alice", document([commissioning]))
    response = staff_client.get(f"/epcs/{unit}/state")
    assert response.status_code == 200, response.content
    assert response.json()["epc"] == unit
    assert response.json()["lot"] == "urn:epc:class:lgtin:4012345.011111.L1"
    # the lot itself is named by no event: it is known through its unit
    lot = staff_client.get("/epcs/urn:epc:class:lgtin:4012345.011111.L1/state")
    assert lot.status_code == 200, lot.content
    assert lot.json()["epc"] == "urn:epc:class:lgtin:4012345.011111.L1"
