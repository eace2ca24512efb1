"""Content negotiation honours Accept's quality values (RFC 9110 §12.5.1) on every endpoint
with several representations. Expected media types are worked out by hand from the rules:
highest q wins, q=0 is "not acceptable", the most specific matching range gives a type its
q, ties keep the server's order (JSON, JSON-LD, XML, text/xml; for a capture job JSON, XML)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.support.builders import capture, json_document, object_event

pytestmark = pytest.mark.django_db
EVENT_ID = "urn:uuid:5e0c0000-0000-4000-8000-00000000ab01"
QUERY_TYPES = "application/json, application/ld+json, application/xml, text/xml"


@pytest.fixture
def urls(partner_client) -> dict[str, str]:
    """One URL per kind of endpoint with several renderers, each with something to show."""
    job, _ = capture(json_document(object_event("1", event_id=EVENT_ID)), "application/ld+json")
    saved = partner_client.post("/queries", {"name": "all", "query": {}}, format="json")
    assert saved.status_code == 201
    return {
        "events": "/events",
        "event": f"/events/{quote(EVENT_ID, safe='')}",
        "resource events": "/bizSteps/shipping/events",
        "named query events": "/queries/all/events",
        "capture job": f"/capture/{job.pk}",
    }


QUERY_ENDPOINTS = ["events", "event", "resource events", "named query events"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        # the two requests of the issue
        ("application/xml, application/json;q=0.5", "application/xml"),
        ("application/json;q=0.1, application/xml;q=0.9", "application/xml"),
        # no preference: the server's first
        (None, "application/json"),
        ("", "application/json"),
        ("*/*", "application/json"),
        ("application/*", "application/json"),
        ("text/*", "text/xml"),
        ("application/ld+json", "application/ld+json"),
        ("APPLICATION/XML", "application/xml"),
        # a specific range beats a wildcard of higher q for the type it names
        ("*/*;q=0.1, application/xml", "application/xml"),
        ("application/*;q=0.9, application/json;q=0.2", "application/ld+json"),
        # q=0 refuses a type that a wildcard would otherwise allow
        ("application/json;q=0, */*", "application/ld+json"),
        ("*/*, application/json;q=0, application/ld+json;q=0", "application/xml"),
        # ties keep the server's order
        ("application/xml;q=0.5, application/json;q=0.5", "application/json"),
        ("text/xml, application/xml", "application/xml"),
        # parameters other than q make a range more specific but still match
        ("application/xml; charset=utf-8; q=0.9, application/json; q=0.8", "application/xml"),
        # a browser's Accept
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
        # a malformed range is ignored, not a 500
        ("application/xml;q=high, application/json;q=0.5", "application/json"),
        ("application/xml;q=2, text/xml;q=0.3", "text/xml"),
    ],
)
@pytest.mark.parametrize("endpoint", QUERY_ENDPOINTS)
def test_query_endpoints_honour_quality_values(partner_client, urls, endpoint, accept, expected):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = partner_client.get(urls[endpoint], **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].split(";")[0] == expected
    if expected.endswith("xml"):
        assert response.content.startswith(b"<?xml")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/xml, application/json;q=0.5", "application/xml"),
        ("application/json;q=0.1, application/xml;q=0.9", "application/xml"),
        ("application/xml;q=0.5, application/json;q=0.5", "application/json"),
        ("*/*;q=0.5, application/json;q=0", "application/xml"),
        (None, "application/json"),
    ],
)
def test_a_capture_job_honours_quality_values(partner_client, urls, accept, expected):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = partner_client.get(urls["capture job"], **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].split(";")[0] == expected


@pytest.mark.parametrize(
    ("endpoint", "accept", "offered"),
    [
        ("events", "text/csv", QUERY_TYPES),
        ("events", "*/*;q=0", QUERY_TYPES),
        (
            "event",
            "application/json;q=0, application/ld+json;q=0, application/xml;q=0, text/xml;q=0",
            QUERY_TYPES,
        ),
        ("named query events", "image/*", QUERY_TYPES),
        ("capture job", "text/*", "application/json, application/xml"),
        ("capture job", "application/ld+json", "application/json, application/xml"),
    ],
)
def test_nothing_acceptable_is_a_406_listing_the_types_on_offer(
    partner_client, urls, endpoint, accept, offered
):
    response = partner_client.get(urls[endpoint], HTTP_ACCEPT=accept)
    assert response.status_code == 406
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "epcisException:NotAcceptableException",
        "title": "Not acceptable",
        "status": 406,
        "detail": f"None of the media types in Accept is on offer here; use one of: {offered}.",
    }


@pytest.mark.parametrize("url", ["/bizSteps", "/bizSteps/shipping", "/queries", "/queries/all"])
def test_listings_are_json_only(partner_client, urls, url):
    """They have no XML form (GS1's OpenAPI gives them JSON only): XML is a 406, not JSON
    labelled as XML; a browser's Accept gets JSON."""
    assert partner_client.get(url, HTTP_ACCEPT="application/xml").status_code == 406
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = partner_client.get(url, HTTP_ACCEPT=browser)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
