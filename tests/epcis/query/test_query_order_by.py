"""GET /events?orderBy=<extension field>: the standard's third kind of sort key.

Expected orders are worked out by hand: events carrying the field first, then numbers,
times and strings (code-point order), a repeated field at its extreme value in the
direction asked, events without the field last, ties by capture order.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.support.builders import ACME, ID_PREFIX, capture, json_document, load_repository

pytestmark = pytest.mark.django_db
EX = {"HTTP_GS1_EXTENSIONS": "ex=https://example.com/ex/"}


def event(label: str, value: str | None) -> str:
    field = "" if value is None else f', "ex:k": {value}'
    return (
        f'{{"type": "ObjectEvent", "eventID": "urn:uuid:{label}",'
        ' "eventTime": "2024-05-01T00:00:00Z", "eventTimeZoneOffset": "+00:00",'
        ' "action": "OBSERVE", "epcList": []'
        f"{field}}}"
    )


# Captured in this order (ids grow with it).
KEYED_EVENTS = [
    ("e1", "10"),
    ("e2", "9.5"),
    ("e3", '"2024-01-01T00:00:00Z"'),
    ("e4", '"abc"'),
    ("e5", '"Abc"'),
    ("e6", None),
    ("e7", "[1, 20]"),
    ("e8", None),
]


@pytest.fixture
def keyed(partner_client) -> None:
    body = json_document(*(event(label, value) for label, value in KEYED_EVENTS))
    document = body.replace(
        b'"@context": ["https://ref.gs1.org',
        b'"@context": [{"ex": "https://example.com/ex/"}, "https://ref.gs1.org',
    )
    _, result = capture(document, "application/ld+json")
    assert not result.errors, result.errors


def ordered(response) -> list[str]:
    assert response.status_code == 200, response.content
    events = response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return [e["eventID"].rpartition(":")[2].removeprefix(ID_PREFIX[9:]) for e in events]


def walk(client, url: str, **headers: str) -> list[list[str]]:
    pages, response = [], client.get(url, **headers)
    while True:
        pages.append(ordered(response))
        if "Link" not in response:
            return pages
        link = urlsplit(re.fullmatch(r'<([^>]+)>; rel="next"', response["Link"]).group(1))
        response = client.get(f"{link.path}?{link.query}", **headers)


@pytest.mark.parametrize(
    ("direction", "expected"),
    [
        # e7 sorts at 1 ascending and at 20 descending; "Abc" < "abc" by code point.
        ("ASC", "e7 e2 e1 e3 e5 e4 e6 e8"),
        ("DESC", "e7 e1 e2 e3 e4 e5 e8 e6"),
    ],
)
def test_numbers_then_times_then_strings_then_events_without_the_field(
    partner_client, keyed, direction, expected
):
    url = f"/events?orderBy=ex:k&orderDirection={direction}&perPage=100"
    assert ordered(partner_client.get(url, **EX)) == expected.split()


@pytest.mark.parametrize("direction", ["ASC", "DESC"])
def test_pages_of_an_extension_field_order_join_without_gaps_or_repeats(
    partner_client, keyed, direction
):
    whole = ordered(partner_client.get(f"/events?orderBy=ex:k&orderDirection={direction}", **EX))
    pages = walk(partner_client, f"/events?orderBy=ex:k&orderDirection={direction}&perPage=3", **EX)
    assert [len(page) for page in pages] == [3, 3, 2]
    assert [label for page in pages for label in page] == whole


def test_event_count_limit_takes_the_first_in_field_order(partner_client, keyed):
    url = "/events?orderBy=ex:k&orderDirection=ASC&eventCountLimit=3&perPage=2"
    assert walk(partner_client, url, **EX) == [["e7", "e2"], ["e1"]]


def test_fully_qualified_field_name_orders_as_the_curie(partner_client, keyed):
    url = "/events?orderBy=https://example.com/ex/%23k&orderDirection=ASC&eventCountLimit=2"
    assert ordered(partner_client.get(url)) == ["e7", "e2"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # acme:line is 3 in a1 and a4, 7 in a2; acme:shift early in a1, late in a8.
        ("orderBy=acme:line&orderDirection=ASC&eventCountLimit=3", ["a1", "a4", "a2"]),
        ("orderBy=acme:line&orderDirection=DESC&eventCountLimit=3", ["a2", "a4", "a1"]),
        ("orderBy=acme:shift&orderDirection=ASC&eventCountLimit=2", ["a1", "a8"]),
        ("orderBy=acme:shift&eventCountLimit=2", ["a8", "a1"]),
        # ILMD fields are not top-level extension fields: nobody has acme:grade at the top.
        ("orderBy=acme:grade&EQ_bizStep=commissioning", ["a1"]),
    ],
)
def test_order_by_extension_field_on_the_query_repository(
    partner_client, other_partner_client, query, expected
):
    load_repository()
    assert ordered(partner_client.get(f"/events?{query}", **ACME)) == expected


def test_order_by_an_undeclared_prefix_is_400(partner_client):
    response = partner_client.get("/events?orderBy=nope:k")
    assert response.status_code == 400
    assert "nope" in response.json()["detail"]


def test_order_by_a_field_over_too_many_events_is_413_too_complex(partner_client, keyed, settings):
    settings.EPCIS_FIELD_ORDER_MAX_EVENTS = 7
    response = partner_client.get("/events?orderBy=ex:k", **EX)
    assert response.status_code == 413
    assert response.json()["type"] == "epcisException:QueryTooComplexException"
    narrowed = partner_client.get("/events?orderBy=ex:k&EQ_eventID=urn:uuid:e1", **EX)
    assert ordered(narrowed) == ["e1"]


def test_other_partners_do_not_see_events_through_field_order(other_partner_client, keyed):
    assert ordered(other_partner_client.get("/events?orderBy=ex:k", **EX)) == []
