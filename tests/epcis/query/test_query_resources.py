"""Top-level query resources (/eventTypes, /epcs, /bizSteps, /bizLocations, /readPoints,
/dispositions) and named queries (/queries), on the hand-written repository of
test_query_families (expected values written by hand from the fixture documents)."""

from __future__ import annotations

import importlib
import re
from types import SimpleNamespace
from urllib.parse import quote, urlsplit

import pytest
from django.apps import apps
from django.db import connection

from epcis.models import ListedValue
from epcis.query import selectors
from tests.support.builders import (
    ID_PREFIX,
    QUERY_FIXTURES,
    capture,
    expect,
    json_document,
    labels,
    load_repository,
)

pytestmark = pytest.mark.django_db
PLANT_DL = "https://id.gs1.org/414/4012345000016"
WAREHOUSE_DL = "https://id.gs1.org/414/4012345000023"


@pytest.fixture
def repository(partner_client, other_partner_client) -> None:
    load_repository()


def members(response) -> list[str]:
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["type"] == "Collection"
    return body["member"]


# -- listings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        ("eventTypes", ["AggregationEvent", "ObjectEvent", "TransformationEvent"]),
        (
            "bizSteps",
            [
                "commissioning",
                "creating_class_instance",
                "packing",
                "sensor_reporting",
                "shipping",
                "storing",
            ],
        ),
        (
            "dispositions",
            ["active", "in_progress", "in_transit", "sellable_accessible"],
        ),
        ("bizLocations", [PLANT_DL, WAREHOUSE_DL]),
        ("readPoints", [f"{PLANT_DL}/254/1"]),
        (
            "epcs",
            [
                "https://id.gs1.org/00/040123450000000016",
                "https://id.gs1.org/00/040123450000000023",
                "https://id.gs1.org/01/04012345111118/21/1001",
                "https://id.gs1.org/01/04012345111118/21/1002",
                "https://id.gs1.org/01/04012345222227/21/2001",
            ],
        ),
    ],
)
def test_listing_holds_the_values_of_the_callers_events(
    partner_client, repository, resource, expected
):
    assert members(partner_client.get(f"/{resource}")) == expected


def test_listing_of_another_partner(other_partner_client, repository):
    assert members(other_partner_client.get("/epcs")) == [
        "https://id.gs1.org/01/04012345111118/21/1001"
    ]
    assert members(other_partner_client.get("/bizSteps")) == ["shipping"]


def test_epc_listing_honours_the_epc_format(partner_client, repository):
    response = partner_client.get("/readPoints", HTTP_GS1_EPC_FORMAT="Always_EPC_URN")
    assert members(response) == ["urn:epc:id:sgln:4012345.00001.1"]


def test_listing_pages(partner_client, repository):
    first = partner_client.get("/bizSteps?perPage=4")
    assert members(first) == [
        "commissioning",
        "creating_class_instance",
        "packing",
        "sensor_reporting",
    ]
    link = re.fullmatch(r'<([^>]+)>; rel="next"', first["Link"]).group(1)
    second = partner_client.get(f"{urlsplit(link).path}?{urlsplit(link).query}")
    assert members(second) == ["shipping", "storing"]
    assert "Link" not in second


ALICE_EPCS = [
    "https://id.gs1.org/00/040123450000000016",
    "https://id.gs1.org/00/040123450000000023",
    "https://id.gs1.org/01/04012345111118/21/1001",
    "https://id.gs1.org/01/04012345111118/21/1002",
    "https://id.gs1.org/01/04012345222227/21/2001",
]
BOB_RECEIVING = json_document(
    """{"type": "ObjectEvent", "eventTime": "2024-03-07T08:00:00Z",
    "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.1001"]}"""
)


def walk(client, url: str) -> list[list[str]]:
    """Every page of a listing, following the Link headers."""
    pages, response = [], client.get(url)
    while True:
        pages.append(members(response))
        if "Link" not in response:
            return pages
        link = urlsplit(re.fullmatch(r'<([^>]+)>; rel="next"', response["Link"]).group(1))
        response = client.get(f"{link.path}?{link.query}")


def test_staff_listing_holds_every_partners_values(staff_client, repository):
    capture(BOB_RECEIVING, "application/ld+json", owner="bob")
    assert members(staff_client.get("/bizSteps")) == [
        "commissioning",
        "creating_class_instance",
        "packing",
        "receiving",
        "sensor_reporting",
        "shipping",
        "storing",
    ]
    assert members(staff_client.get("/epcs")) == ALICE_EPCS


def test_a_new_value_is_listed_for_its_partner_only(
    partner_client, other_partner_client, repository
):
    capture(BOB_RECEIVING, "application/ld+json", owner="bob")
    assert members(other_partner_client.get("/bizSteps")) == ["receiving", "shipping"]
    assert "receiving" not in members(partner_client.get("/bizSteps"))


def test_a_duplicate_lists_the_values_for_its_new_reader(other_partner_client, repository):
    plant = (QUERY_FIXTURES / "alice_plant.jsonld").read_bytes()
    capture(plant, "application/ld+json", owner="bob")
    assert members(other_partner_client.get("/bizSteps")) == [
        "commissioning",
        "packing",
        "shipping",
    ]


def test_listing_of_values_stored_before_the_listing_table(partner_client, repository):
    """The migration that added ListedValue lists the values of the events already stored."""
    ListedValue.objects.all().delete()
    migration = importlib.import_module("epcis.migrations.0006_listed_values")
    migration.list_stored_values(apps, SimpleNamespace(connection=connection))
    assert members(partner_client.get("/dispositions")) == [
        "active",
        "in_progress",
        "in_transit",
        "sellable_accessible",
    ]
    bobs = ListedValue.objects.filter(owner__username="bob").values_list("resource", "value")
    assert set(bobs) == {
        ("eventTypes", "ObjectEvent"),
        ("bizSteps", "shipping"),
        ("dispositions", "in_transit"),
        ("bizLocations", PLANT_DL),
    }


def test_partner_epc_listing_examines_a_bounded_stretch_per_page(
    other_partner_client, repository, monkeypatch
):
    """Bob's one EPC sits among Alice's. Rows in canonical order (roles epc...output):
    sscc1 x4 (a2, a3, a3!, a5), sscc2 x1, 1001 x3 (a1, a2, b1), 1002 x3, 2001 x1. With two
    rows per request, each page examines up to the value of its second row, whole."""
    monkeypatch.setattr(selectors, "EPC_SCAN_BUDGET", 2)
    pages = walk(other_partner_client, "/epcs?perPage=1")
    assert pages == [[], ["https://id.gs1.org/01/04012345111118/21/1001"], [], []]


def test_partner_epc_walk_on_a_small_budget_has_no_gaps_or_repeats(
    partner_client, repository, monkeypatch
):
    monkeypatch.setattr(selectors, "EPC_SCAN_BUDGET", 2)
    pages = walk(partner_client, "/epcs?perPage=2")
    assert all(len(page) <= 2 for page in pages)
    assert [epc for page in pages for epc in page] == ALICE_EPCS


def test_listing_refuses_query_parameters(partner_client, repository):
    response = partner_client.get("/bizSteps?EQ_bizStep=shipping")
    assert response.status_code == 400
    assert response.json()["type"] == "epcisException:QueryParameterException"


def test_one_value_lists_its_events_sub_resource(partner_client, repository):
    assert members(partner_client.get("/bizSteps/shipping")) == ["events"]


# -- events of one value ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/eventTypes/AggregationEvent/events", "a2"),
        ("/bizSteps/shipping/events", "a3 a3! a8"),
        ("/bizSteps/urn:epcglobal:cbv:bizstep:packing/events", "a2"),
        ("/dispositions/active/events", "a1 a4"),
        ("/bizLocations/urn:epc:id:sgln:4012345.00002.0/events", "a5 a6"),
        (f"/bizLocations/{quote(WAREHOUSE_DL, safe='')}/events", "a5 a6"),
        ("/readPoints/urn:epc:id:sgln:4012345.00001.1/events", "a1 a3 a3!"),
        ("/epcs/urn:epc:id:sgtin:4012345.011111.1002/events", "a1 a2 a4"),
        (
            f"/epcs/{quote('https://id.gs1.org/00/040123450000000016', safe='')}/events",
            "a2 a3 a3! a5",
        ),
        ("/epcs/urn:epc:class:lgtin:4012345.011111.LOTA/events", "a4 a6"),
        # the path value is ANDed with query-string filters
        ("/bizSteps/shipping/events?MATCH_epc=urn:epc:id:sscc:4012345.0000000002", "a8"),
        ("/bizLocations/urn:epc:id:sgln:4012345.00001.0/events?EQ_action=ADD", "a1 a2"),
    ],
)
def test_events_of_one_value(partner_client, repository, url, expected):
    assert labels(partner_client.get(url)) == expect(expected)


def test_events_of_one_value_hide_other_partners(other_partner_client, repository):
    assert labels(other_partner_client.get("/bizSteps/shipping/events")) == ["b1"]


def test_events_of_a_malformed_identifier_is_400(partner_client, repository):
    response = partner_client.get("/epcs/urn:epc:id:sgtin:12.3.4/events")
    assert response.status_code == 400


def test_options_on_resources(partner_client):
    for url in ("/bizSteps", "/bizSteps/shipping", "/bizSteps/shipping/events", "/queries"):
        response = partner_client.options(url)
        assert response.status_code == 204, url
        assert "GET" in response["Allow"]
        assert response["GS1-EPCIS-Version"] == "2.0.0"


# -- named queries ------------------------------------------------------------------------

SHIPPED_SSCC = {
    "name": "shipped-sscc",
    "query": {"EQ_bizStep": ["shipping"], "MATCH_epc": ["urn:epc:idpat:sscc:4012345.*"]},
}


def test_named_query_is_saved_and_run(partner_client, repository):
    response = partner_client.post("/queries", SHIPPED_SSCC, format="json")
    assert response.status_code == 201, response.content
    assert response["Location"] == "/queries/shipped-sscc"
    assert partner_client.get("/queries/shipped-sscc").json() == SHIPPED_SSCC
    events = partner_client.get("/queries/shipped-sscc/events")
    assert labels(events) == expect("a3 a3! a8")
    assert events.json()["epcisBody"]["queryResults"]["queryName"] == "shipped-sscc"


def test_named_query_with_context_prefixes(partner_client, repository):
    body = {
        "name": "late-shift",
        "query": {
            "@context": [{"acme": "https://pharma.acme.example/epcis/"}],
            "EQ_acme:shift": ["late"],
        },
    }
    assert partner_client.post("/queries", body, format="json").status_code == 201
    assert labels(partner_client.get("/queries/late-shift/events")) == ["a8"]


def test_named_query_pages(partner_client, repository):
    body = {"name": "all", "query": {}}
    partner_client.post("/queries", body, format="json")
    first = partner_client.get("/queries/all/events?perPage=5")
    link = re.fullmatch(r'<([^>]+)>; rel="next"', first["Link"]).group(1)
    second = partner_client.get(f"{urlsplit(link).path}?{urlsplit(link).query}")
    assert sorted(labels(first) + labels(second)) == expect("a1 a2 a3 a3! a4 a5 a6 a8")


def test_named_query_events_refuse_other_parameters(partner_client, repository):
    partner_client.post("/queries", SHIPPED_SSCC, format="json")
    response = partner_client.get("/queries/shipped-sscc/events?EQ_action=ADD")
    assert response.status_code == 400


def test_duplicate_name_is_409(partner_client):
    partner_client.post("/queries", SHIPPED_SSCC, format="json")
    response = partner_client.post("/queries", SHIPPED_SSCC, format="json")
    assert response.status_code == 409
    assert response.json()["type"] == "epcisException:ResourceAlreadyExistsException"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "bad", "query": {"EQ_action": ["MOVE"]}},
        {"name": "bad", "query": {"colour": "blue"}},
        {"name": "bad", "query": {"perPage": 3}},
        {"name": "", "query": {}},
        {"query": {}},
        {"name": "bad", "query": []},
        # Found by schemathesis on PostgreSQL: a name beyond the column was a 500.
        {"name": "n" * 201, "query": {}},
    ],
)
def test_invalid_named_query_is_400(partner_client, body):
    response = partner_client.post("/queries", body, format="json")
    assert response.status_code == 400
    assert response.json()["type"] == "epcisException:QueryValidationException"


def test_named_queries_are_per_partner(partner_client, other_partner_client, repository):
    partner_client.post("/queries", SHIPPED_SSCC, format="json")
    assert other_partner_client.get("/queries").json() == []
    assert other_partner_client.get("/queries/shipped-sscc").status_code == 404
    assert other_partner_client.get("/queries/shipped-sscc/events").status_code == 404
    # Bob may use the same name for his own query, which finds his own events only.
    assert other_partner_client.post("/queries", SHIPPED_SSCC, format="json").status_code == 201
    assert labels(other_partner_client.get("/queries/shipped-sscc/events")) == []


def test_named_queries_are_listed_and_deleted(partner_client):
    for name in ("b", "a", "c"):
        partner_client.post("/queries", {"name": name, "query": {}}, format="json")
    first = partner_client.get("/queries?perPage=2")
    assert [q["name"] for q in first.json()] == ["a", "b"]
    assert "Link" in first
    assert partner_client.delete("/queries/b").status_code == 204
    assert partner_client.get("/queries/b").status_code == 404
    assert partner_client.delete("/queries/b").status_code == 404
    assert [q["name"] for q in partner_client.get("/queries").json()] == ["a", "c"]


def test_unknown_named_query_is_404(partner_client):
    response = partner_client.get("/queries/nothing/events")
    assert response.status_code == 404
    assert response.json()["type"] == "epcisException:NoSuchNameException"


def test_event_ids_in_named_query(partner_client, repository):
    body = {"name": "one", "query": {"EQ_eventID": [f"{ID_PREFIX}a1"]}}
    partner_client.post("/queries", body, format="json")
    assert labels(partner_client.get("/queries/one/events")) == ["a1"]


def test_longest_query_name_is_saved(partner_client):
    response = partner_client.post("/queries", {"name": "n" * 200, "query": {}}, format="json")
    assert response.status_code == 201, response.content


# -- releasing a page token ---------------------------------------------------------------


def test_releasing_a_page_token_is_not_implemented(partner_client, repository):
    link = partner_client.get("/events?perPage=1")["Link"]
    token = re.search(r"nextPageToken=([^&>]+)", link).group(1)
    response = partner_client.delete(f"/nextPageToken/{token}")
    assert response.status_code == 501
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"] == "epcisException:ImplementationException"


def test_options_on_next_page_token(partner_client):
    response = partner_client.options("/nextPageToken/anything")
    assert response.status_code == 204
    assert set(response["Allow"].split(", ")) == {"DELETE", "OPTIONS"}


def test_releasing_a_page_token_needs_a_key(client):
    assert client.delete("/nextPageToken/anything").status_code == 401


# -- routes: one value (which may hold '/'), its sub-resources, and nothing else ---------

SGTIN_1001 = "urn:epc:id:sgtin:4012345.011111.1001"
SGTIN_1001_DL = "https://id.gs1.org/01/04012345111118/21/1001"
PLANT_READ_POINT_DL = f"{PLANT_DL}/254/1"


@pytest.mark.parametrize(
    "url",
    [
        f"/epcs/{SGTIN_1001}",
        f"/epcs/{SGTIN_1001_DL}",
        f"/epcs/{quote(SGTIN_1001_DL, safe='')}",
        "/epcs/https://example.com/01/04012345111118/21/1001",
        "/bizSteps/shipping",
        "/bizSteps/https://ns.example.com/bizstep/custom",
        "/dispositions/urn:epcglobal:cbv:disp:active",
        "/eventTypes/ObjectEvent",
        f"/bizLocations/{PLANT_DL}",
        f"/readPoints/{PLANT_READ_POINT_DL}",
    ],
)
def test_a_value_with_or_without_slashes_lists_its_sub_resources(partner_client, url):
    assert members(partner_client.get(url)) == ["events"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"/epcs/{SGTIN_1001_DL}/events", "a1 a2"),
        (f"/epcs/{quote(SGTIN_1001_DL, safe='')}/events", "a1 a2"),
        (f"/readPoints/{PLANT_READ_POINT_DL}/events", "a1 a3 a3!"),
        (f"/bizLocations/{WAREHOUSE_DL}/events", "a5 a6"),
    ],
)
def test_events_of_a_digital_link_sent_with_its_slashes(partner_client, repository, url, expected):
    assert labels(partner_client.get(url)) == expect(expected)


@pytest.mark.parametrize(
    ("url", "value", "tail"),
    [
        # (URL, the value it names, the unknown sub-resource): the case, then each family
        (f"/epcs/{SGTIN_1001}/anything", f"/epcs/{SGTIN_1001}", "anything"),
        (f"/epcs/{SGTIN_1001_DL}/anything", f"/epcs/{SGTIN_1001_DL}", "anything"),
        (f"/epcs/{quote(SGTIN_1001_DL, safe='')}/anything", f"/epcs/{SGTIN_1001_DL}", "anything"),
        (f"/epcs/{SGTIN_1001}/events/extra", f"/epcs/{SGTIN_1001}", "events/extra"),
        ("/bizSteps/x/foo", "/bizSteps/x", "foo"),
        ("/bizSteps/shipping/foo", "/bizSteps/shipping", "foo"),
        (
            "/bizSteps/urn:epcglobal:cbv:bizstep:shipping/foo",
            "/bizSteps/urn:epcglobal:cbv:bizstep:shipping",
            "foo",
        ),
        ("/dispositions/active/foo", "/dispositions/active", "foo"),
        ("/eventTypes/ObjectEvent/foo", "/eventTypes/ObjectEvent", "foo"),
        (f"/bizLocations/{PLANT_DL}/foo", f"/bizLocations/{PLANT_DL}", "foo"),
        (f"/readPoints/{PLANT_READ_POINT_DL}/foo", f"/readPoints/{PLANT_READ_POINT_DL}", "foo"),
    ],
)
def test_an_unknown_sub_resource_is_404(partner_client, url, value, tail):
    response = partner_client.get(url)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "epcisException:NoSuchResourceException",
        "title": "Not found",
        "status": 404,
        "detail": f"{value} has no sub-resource {tail!r}: its sub-resources are events.",
    }


@pytest.mark.parametrize("method", ["post", "delete", "options"])
def test_an_unknown_sub_resource_is_404_whatever_the_method(partner_client, method):
    response = getattr(partner_client, method)(f"/epcs/{SGTIN_1001}/anything")
    assert response.status_code == 404


def test_an_unknown_sub_resource_is_404_whatever_the_accept(partner_client):
    response = partner_client.get("/bizSteps/shipping/foo", HTTP_ACCEPT="application/xml")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        (
            "/epcs/https://id.gs1.org/01/04012345111113/21/7/events",
            "'https://id.gs1.org/01/04012345111113/21/7' is not a valid epcs value: ",
        ),
        (
            "/epcs/https://id.gs1.org/01/04012345111113/21/7",
            "'https://id.gs1.org/01/04012345111113/21/7' is not a valid epcs value: ",
        ),
        ("/epcs/urn:epc:id:sgtin:12.3.4", "'urn:epc:id:sgtin:12.3.4' is not a valid epcs value: "),
    ],
)
def test_a_malformed_identifier_in_the_path_is_400_saying_why(partner_client, url, detail):
    response = partner_client.get(url)
    assert response.status_code == 400
    assert response.json()["type"] == "epcisException:QueryParameterException"
    assert response.json()["detail"].startswith(detail)


def test_an_unknown_sub_resource_needs_a_key_first(client):
    assert client.get(f"/epcs/{SGTIN_1001}/anything").status_code == 401
