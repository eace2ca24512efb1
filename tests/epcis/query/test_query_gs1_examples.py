"""GS1's own query example, EPCISQueryDocument.jsonld: captured through POST /capture (a query
document's events are captured, DESIGN §10), then found again by the query interface, and
its XML rendering valid against GS1's query XSD. Expected values are read off the file."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from lxml import etree

from tests.support.builders import event_list
from tests.support.gs1 import GS1_DIR, QUERY_XSD, requires_gs1

pytestmark = [pytest.mark.django_db, requires_gs1]
EXAMPLE = GS1_DIR / "examples" / "json" / "EPCISQueryDocument.jsonld"
SHIPPED = (
    "ni:///sha-256;df7bb3c352fef055578554f09f5e2aa41782150ced7bd0b8af24dd3ccb30ba69?ver=CBV2.0"
)
RECEIVED = (
    "ni:///sha-256;00e1e6eba3a7cc6125be4793a631f0af50f8322e0ab5f2c0bab994a11cec1d79?ver=CBV2.0"
)


@pytest.fixture
def captured(partner_client, django_capture_on_commit_callbacks, eager_celery) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = partner_client.post(
            "/capture", EXAMPLE.read_bytes(), content_type="application/ld+json"
        )
    assert response.status_code == 202, response.content
    job = partner_client.get(response["Location"]).json()
    assert (job["success"], job["eventCount"]) == (True, 2), job


def event_ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(event["eventID"] for event in event_list(response))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", [RECEIVED, SHIPPED]),
        ("EQ_bizStep=receiving", [RECEIVED]),
        ("EQ_disposition=in_transit", [SHIPPED]),
        ("MATCH_epc=urn:epc:id:sgtin:0614141.107346.2018", [RECEIVED, SHIPPED]),
        ("MATCH_epc=urn:epc:id:sgtin:0614141.107346.2017", [SHIPPED]),
        ("MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*", [RECEIVED, SHIPPED]),
        ("EQ_bizTransaction_po=http://transaction.acme.com/po/12345678", [RECEIVED, SHIPPED]),
        ("EQ_bizTransaction_desadv=urn:epcglobal:cbv:bt:0614141073467:1152", [RECEIVED]),
        ("EQ_readPoint=urn:epc:id:sgln:0614141.07346.1234", [SHIPPED]),
        ("EQ_bizLocation=urn:epc:id:sgln:0012345.11111.0", [RECEIVED]),
        # shipped at 2005-04-03T20:33:31.116-06:00, i.e. 2005-04-04T02:33:31.116Z
        ("GE_eventTime=2005-04-04T02:33:31.116Z", [RECEIVED, SHIPPED]),
        ("GE_eventTime=2005-04-04T02:33:31.117Z", [RECEIVED]),
        ("LT_eventTime=2005-04-03T21:00:00-06:00", [SHIPPED]),
        (f"EQ_eventID={quote(SHIPPED, safe='')}", [SHIPPED]),
        ("EXISTS_example:myField", [RECEIVED]),
        ("EQ_example:myField=Example of a vendor/user extension", [RECEIVED]),
    ],
)
def test_captured_example_is_found_by_the_query_interface(
    partner_client, captured, query, expected
):
    response = partner_client.get(
        f"/events?{query}", HTTP_GS1_EXTENSIONS="example=http://ns.example.com/epcis/"
    )
    assert event_ids(response) == expected


def test_captured_example_reads_back_as_captured(partner_client, captured):
    response = partner_client.get(f"/events/{quote(RECEIVED, safe='')}")
    (event,) = event_list(response)
    assert event["bizStep"] == "receiving"
    assert event["example:myField"] == "Example of a vendor/user extension"
    assert event["epcList"] == ["https://id.gs1.org/01/10614141073464/21/2018"]


def test_captured_example_as_xml_validates_against_the_query_xsd(partner_client, captured):
    response = partner_client.get("/events", HTTP_ACCEPT="application/xml")
    tree = etree.fromstring(response.content)
    schema = etree.XMLSchema(etree.parse(str(QUERY_XSD)))
    assert schema.validate(tree), schema.error_log
    assert sorted(tree.xpath("//eventID/text()")) == [RECEIVED, SHIPPED]
