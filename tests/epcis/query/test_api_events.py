"""GET /events and /events/{eventID}: output formats, identifier forms, paging, errors and
who may see what. The repository is the hand-written one of test_query_families."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from lxml import etree

from tests.support.builders import (
    ALL_ALICE,
    ID_PREFIX,
    QUERY_FIXTURES,
    capture,
    event_list,
    expect,
    found,
    json_document,
    labels,
    load_repository,
    object_event,
)
from tests.support.gs1 import QUERY_XSD, requires_gs1

pytestmark = pytest.mark.django_db
A1, A3 = f"{ID_PREFIX}a1", f"{ID_PREFIX}a3"


@pytest.fixture
def repository(partner_client, other_partner_client) -> None:
    load_repository()


def problem_of(response, status: int, exception: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"epcisException:{exception}"
    return problem


# -- output -----------------------------------------------------------------------------


def test_answers_a_query_document_with_event_id_and_record_time(partner_client, repository):
    response = partner_client.get(f"/events?EQ_eventID={A1}")
    document = response.json()
    assert document["type"] == "EPCISQueryDocument"
    assert document["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
    (event,) = event_list(response)
    assert event["eventID"] == A1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["recordTime"])
    assert event["bizStep"] == "commissioning"
    assert event["ilmd"]["cbvmda:lotNumber"] == "LOTA"
    assert response["GS1-EPCIS-Version"] == "2.0.0"


def test_identifiers_default_to_digital_link(partner_client, repository):
    (event,) = event_list(partner_client.get(f"/events?EQ_eventID={A1}"))
    assert event["epcList"][0] == "https://id.gs1.org/01/04012345111118/21/1001"
    assert event["bizLocation"]["id"] == "https://id.gs1.org/414/4012345000016"


@pytest.mark.parametrize(
    ("epc_format", "expected"),
    [
        ("Always_EPC_URN", "urn:epc:id:sgtin:4012345.022222.2001"),
        ("Always_GS1_Digital_Link", "https://id.gs1.org/01/04012345222227/21/2001"),
        ("Never_Translates", "https://id.gs1.org/01/04012345222227/21/2001"),
    ],
)
def test_gs1_epc_format_header_controls_identifier_output(
    partner_client, repository, epc_format, expected
):
    response = partner_client.get(
        f"/events?EQ_eventID={ID_PREFIX}a4", HTTP_GS1_EPC_FORMAT=epc_format
    )
    (event,) = event_list(response)
    assert event["outputEPCList"] == [expected]


def test_never_translates_keeps_the_captured_urn(partner_client, repository):
    response = partner_client.get(
        f"/events?EQ_eventID={A1}", HTTP_GS1_EPC_FORMAT="Never_Translates"
    )
    assert event_list(response)[0]["epcList"][0] == "urn:epc:id:sgtin:4012345.011111.1001"


def test_ld_json_is_accepted_as_json(partner_client, repository):
    response = partner_client.get(f"/events?EQ_eventID={A1}", HTTP_ACCEPT="application/ld+json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")


@requires_gs1
def test_xml_output_validates_against_the_query_xsd(partner_client, repository):
    response = partner_client.get("/events?perPage=100", HTTP_ACCEPT="application/xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    tree = etree.fromstring(response.content)
    schema = etree.XMLSchema(etree.parse(str(QUERY_XSD)))
    assert schema.validate(tree), schema.error_log
    event_ids = tree.xpath("//eventID/text()")
    assert sorted(event_ids) == sorted(
        ID_PREFIX + x for x in ["a1", "a2", "a3", "a3", "a4", "a5", "a6", "a8"]
    )


def test_xml_honours_the_cbv_xml_format(partner_client, repository):
    response = partner_client.get(
        f"/events?EQ_eventID={A1}",
        HTTP_ACCEPT="application/xml",
        HTTP_GS1_CBV_XML_FORMAT="Always_URN",
    )
    assert b"<bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>" in response.content


def test_unsupported_accept_is_406(partner_client, repository):
    problem_of(partner_client.get("/events", HTTP_ACCEPT="text/csv"), 406, "NotAcceptableException")


# -- URN and Digital Link are one identifier ------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        # a1 was captured as URN, a5 as Digital Link: each form finds both
        "MATCH_anyEPC=urn:epc:id:sscc:4012345.0000000001",
        f"MATCH_anyEPC={quote('https://id.gs1.org/00/040123450000000016', safe='')}",
        "MATCH_anyEPC=https://example.com/00/040123450000000016",
    ],
)
def test_urn_and_digital_link_queries_find_events_captured_in_either_form(
    partner_client, repository, query
):
    assert found(partner_client, query) == expect("a2 a3 a3! a5")


def test_location_query_in_either_form_finds_both_forms(partner_client, repository):
    # a1 carries PLANT as URN, a8 as Digital Link
    for plant in ("urn:epc:id:sgln:4012345.00001.0", "https://id.gs1.org/414/4012345000016"):
        assert found(
            partner_client, f"EQ_bizLocation={plant}&EQ_bizStep=commissioning|shipping"
        ) == expect("a1 a3 a3! a8")


# -- visibility ---------------------------------------------------------------------------


def test_a_partner_sees_only_the_events_it_captured(
    partner_client, other_partner_client, repository
):
    assert found(partner_client, "EQ_bizStep=shipping") == expect("a3 a3! a8")
    assert found(other_partner_client, "EQ_bizStep=shipping") == ["b1"]


def test_staff_see_every_partners_events(staff_client, repository):
    assert found(staff_client, "MATCH_epc=urn:epc:id:sgtin:4012345.011111.1001") == expect(
        "a1 a2 b1"
    )


def test_a_partner_who_captured_a_duplicate_sees_the_event(
    partner_client, other_partner_client, repository
):
    body = (QUERY_FIXTURES / "bob.jsonld").read_bytes()
    capture(body, "application/ld+json", owner="alice")
    assert found(partner_client, "EQ_bizStep=shipping") == expect("a3 a3! a8 b1")


# -- single event -------------------------------------------------------------------------


def test_single_event_comes_with_its_error_declarations(partner_client, repository):
    response = partner_client.get(f"/events/{quote(A3, safe='')}")
    assert response.status_code == 200
    assert labels(response) == ["a3", "a3!"]


def test_single_event_of_another_partner_is_404(other_partner_client, repository):
    response = other_partner_client.get(f"/events/{quote(A1, safe='')}")
    problem_of(response, 404, "NoSuchResourceException")


def test_unknown_single_event_is_404(partner_client, repository):
    problem_of(partner_client.get("/events/urn:uuid:nothing"), 404, "NoSuchResourceException")


def test_single_event_with_a_hash_id_holding_slashes(partner_client):
    event_id = "ni:///sha-256;" + "a" * 64 + "?ver=CBV2.0"
    capture(json_document(object_event("77", event_id=event_id)), "application/ld+json")
    response = partner_client.get(f"/events/{quote(event_id, safe='')}")
    assert [event["eventID"] for event in event_list(response)] == [event_id]


def test_a_hash_id_sent_unencoded_gets_a_hint_to_percent_encode_it(partner_client):
    """`?ver=CBV2.0` of a hash ID sent as it is becomes a query string: the answer says how
    to send it, and the URL it suggests finds the event."""
    event_id = "ni:///sha-256;" + "b" * 64 + "?ver=CBV2.0"
    capture(json_document(object_event("78", event_id=event_id)), "application/ld+json")
    response = partner_client.get(f"/events/{event_id}")
    encoded = "ni%3A%2F%2F%2Fsha-256%3B" + "b" * 64 + "%3Fver%3DCBV2.0"
    assert problem_of(response, 400, "QueryParameterException")["detail"] == (
        f"The eventID {event_id} was sent unencoded, so its '?ver=CBV2.0' became a query "
        f"string. Percent-encode the eventID in the path: /events/{encoded}"
    )
    followed = partner_client.get(f"/events/{encoded}")
    assert [event["eventID"] for event in event_list(followed)] == [event_id]


def test_a_query_parameter_on_one_event_is_refused(partner_client):
    response = partner_client.get("/events/urn:uuid:x?perPage=2")
    assert problem_of(response, 400, "QueryParameterException")["detail"] == (
        "perPage: /events/{eventID} takes no query parameters (an eventID holding '?' or '#' "
        "must be percent-encoded in the path)."
    )


def test_single_event_as_xml(partner_client, repository):
    response = partner_client.get(f"/events/{quote(A1, safe='')}", HTTP_ACCEPT="application/xml")
    assert response.status_code == 200
    assert f"<eventID>{A1}</eventID>".encode() in response.content


# -- discovery ----------------------------------------------------------------------------


def test_options_on_events_advertises_query_and_capture(partner_client):
    response = partner_client.options("/events")
    assert response.status_code == 204
    assert {"GET", "POST", "OPTIONS"} <= {m.strip() for m in response["Allow"].split(",")}
    assert "Always_GS1_Digital_Link" in response["GS1-EPC-Format"]
    assert "Always_URN" in response["GS1-CBV-XML-Format"]
    assert response["GS1-EPCIS-Max"] == "2.0.0"
    assert response["GS1-EPCIS-Capture-Limit"]


def test_options_on_one_event(partner_client):
    response = partner_client.options("/events/urn:uuid:x")
    assert response.status_code == 204
    assert "GET" in response["Allow"]


# -- paging -------------------------------------------------------------------------------


def next_url(response) -> str | None:
    link = response.get("Link")
    if link is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
    assert match, link
    parts = urlsplit(match.group(1))
    return f"{parts.path}?{parts.query}"


def test_paging_walks_every_event_once_while_new_events_arrive(partner_client, repository):
    url, seen, pages = "/events?perPage=3&orderBy=eventTime&orderDirection=ASC", [], 0
    while url:
        response = partner_client.get(url)
        seen += [(event["eventID"], "errorDeclaration" in event) for event in event_list(response)]
        pages += 1
        # Capture an event before and one after the current position between pages.
        early = f'"eventTime": "2020-01-0{pages}T00:00:00Z"'
        capture(
            json_document(
                object_event(f"90{pages}").replace('"eventTime": "2024-01-01T10:00:00.000Z"', early)
            ),
            "application/ld+json",
        )
        url = next_url(response)
    labels_seen = [eid.removeprefix(ID_PREFIX) + ("!" if d else "") for eid, d in seen]
    # The first page started at a1; events captured later with an earlier time are behind us,
    # and nothing later in time was captured, so the walk is exactly the repository.
    assert sorted(labels_seen) == expect(ALL_ALICE)
    assert len(labels_seen) == len(set(labels_seen))
    assert pages == 3
    assert labels_seen[:3] == ["a1", "a2", "a3"]


def test_paging_descending_by_record_time_sees_no_new_events(partner_client, repository):
    first = partner_client.get("/events?perPage=5&orderBy=recordTime")
    assert first["Link"]
    assert first["GS1-Next-Page-Token-Expires"]
    capture(json_document(object_event("555")), "application/ld+json")
    second = partner_client.get(next_url(first))
    assert next_url(second) is None
    both = labels(first) + labels(second)
    assert sorted(both) == expect(ALL_ALICE)


def test_last_page_has_no_link(partner_client, repository):
    response = partner_client.get("/events?perPage=8")
    assert len(event_list(response)) == 8
    assert "Link" not in response


def test_page_token_cannot_be_replayed_with_other_filters(partner_client, repository):
    first = partner_client.get("/events?perPage=2&EQ_bizStep=shipping")
    token = re.search(r"nextPageToken=([^&>]+)", first["Link"]).group(1)
    response = partner_client.get(f"/events?perPage=2&EQ_bizStep=packing&nextPageToken={token}")
    problem_of(response, 400, "QueryParameterException")


def test_page_token_of_another_user_is_refused(partner_client, staff_client, repository):
    first = partner_client.get("/events?perPage=2")
    token = re.search(r"nextPageToken=([^&>]+)", first["Link"]).group(1)
    problem_of(
        staff_client.get(f"/events?perPage=2&nextPageToken={token}"),
        400,
        "QueryParameterException",
    )


def test_forged_page_token_is_refused(partner_client, repository):
    problem_of(partner_client.get("/events?nextPageToken=abc"), 400, "QueryParameterException")


# -- limits -------------------------------------------------------------------------------


def test_event_count_limit_returns_the_first_events_in_order(partner_client, repository):
    response = partner_client.get("/events?orderBy=eventTime&orderDirection=ASC&eventCountLimit=2")
    assert [event["eventID"] for event in event_list(response)] == [A1, f"{ID_PREFIX}a2"]
    assert "Link" not in response


def test_event_count_limit_spans_pages(partner_client, repository):
    first = partner_client.get("/events?orderBy=eventTime&eventCountLimit=3&perPage=2")
    second = partner_client.get(next_url(first))
    # eventTime descending: a8 (03-06), a6 (03-05), a5 (03-04), then a4 ... not served
    assert labels(first) + labels(second) == ["a6", "a8", "a5"]
    assert next_url(second) is None


def test_without_order_by_the_newest_events_come_first(partner_client, repository):
    response = partner_client.get("/events?perPage=3")
    times = [event["eventTime"] for event in event_list(response)]
    # a8 (03-06) is the latest event alice can read, then a6 (03-05), then a5 (03-04)
    assert [event["eventID"] for event in event_list(response)][0] == f"{ID_PREFIX}a8"
    assert times == sorted(times, reverse=True)


def test_max_event_count_exceeded_is_413(partner_client, repository):
    problem_of(partner_client.get("/events?maxEventCount=7"), 413, "QueryTooLargeException")


def test_max_event_count_not_exceeded_answers(partner_client, repository):
    assert found(partner_client, "maxEventCount=8") == expect(ALL_ALICE)


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "colour=blue",
        "GE_eventTime=yesterday",
        "GE_eventTime=2024-03-01T00:00:00",  # no offset
        "GT_quantity=lots",
        "GT_quantity=nan",
        "EQ_action=MOVE",
        "orderDirection=UP",
        "orderBy=bizStep",
        "eventCountLimit=3",
        "orderBy=eventTime&eventCountLimit=3&maxEventCount=4",
        "maxEventCount=-1",
        "perPage=0",
        "perPage=100000",
        "EQ_bizStep=shipping&EQ_bizStep=packing",
        "MATCH_epc=urn:epc:idpat:sgtin:12.*.*",
        "EQ_booleanValue=maybe",
        "EQ_bizStep=",
    ],
)
def test_bad_parameter_is_400_query_parameter_exception(partner_client, query):
    problem = problem_of(partner_client.get(f"/events?{query}"), 400, "QueryParameterException")
    assert problem["detail"]


def test_bad_epc_format_header_is_400(partner_client):
    problem_of(
        partner_client.get("/events", HTTP_GS1_EPC_FORMAT="Sometimes"),
        400,
        "QueryParameterException",
    )


def test_overlong_uri_is_414(partner_client):
    values = "|".join(f"urn:epc:id:sgtin:4012345.011111.{n}" for n in range(400))
    problem_of(partner_client.get(f"/events?MATCH_epc={values}"), 414, "URITooLongException")


def test_anonymous_query_is_401(client):
    assert client.get("/events").status_code == 401
