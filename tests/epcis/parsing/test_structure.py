"""What a document may hold around its events (epcis.parsing.structure), in every syntax.

An element or member the standard does not define where it allows no extension means
something would not be read (often every event): the document is refused as a whole, by
the upload check when it can see it (POST /capture answers 400), else by the parser (the
capture job fails). Expected verdicts are written by hand from GS1's XSDs (1.2 and 2.0)
and JSON Schema; GS1's own examples are all still accepted (test_precheck_gs1_examples,
test_ingest_gs1_examples).
"""

from __future__ import annotations

import io
import json

import pytest

from epcis.parsing import jsonld
from epcis.parsing.jsonld import parse_json_event
from epcis.parsing.precheck import check_document
from epcis.parsing.types import DocumentError
from tests.support.documents import (
    GS1_CONTEXT,
    JSON,
    JSON_OBJECT_EVENT,
    OBJECT_EVENT,
    XML,
    jsonld_document,
    parse_verdict,
    precheck_verdict,
    xml_body,
    xml_document,
    xml_query_document,
)

EVENTS = f"<EventList>{OBJECT_EVENT}</EventList>"
BODY_20 = "<EPCISBody> of an EPCISDocument"
EXPECTED_IN_BODY = "expected <EventList>, <extension> or elements of another namespace (extensions)"
EXPECTED_IN_ROOT = (
    "expected <EPCISHeader>, <EPCISBody>, <extension> or elements of another namespace (extensions)"
)
SEND = (
    "send an EPCISDocument, or an EPCISQueryDocument whose EPCISBody holds "
    "QueryResults/resultsBody/EventList"
)
VENDOR = '<v:note xmlns:v="https://vendor.example.com/epcis/">n</v:note>'


def query_body(content: str) -> bytes:
    return xml_query_document(f"<EPCISBody>{content}</EPCISBody>")


def results(content: str, qualified: bool = True) -> bytes:
    tag = "q:QueryResults" if qualified else "QueryResults"
    return query_body(f"<{tag}><queryName>SimpleEventQuery</queryName>{content}</{tag}>")


# (case, document, what the upload check says, what the parser says)
XML_CASES = [
    (
        "1.2 <Eventlist> instead of <EventList>",
        xml_body(f"<Eventlist>{OBJECT_EVENT}</Eventlist>", "1.2"),
        f"invalid: <Eventlist> is not allowed in {BODY_20}: {EXPECTED_IN_BODY} "
        "(names are case-sensitive: <EventList>)",
        None,
    ),
    (
        "1.2 <eventList> instead of <EventList>",
        xml_body(f"<eventList>{OBJECT_EVENT}</eventList>", "1.2"),
        f"invalid: <eventList> is not allowed in {BODY_20}: {EXPECTED_IN_BODY} "
        "(names are case-sensitive: <EventList>)",
        None,
    ),
    (
        "2.0 <Events> in the body",
        xml_body(f"<Events>{OBJECT_EVENT}</Events>"),
        f"invalid: <Events> is not allowed in {BODY_20}: {EXPECTED_IN_BODY}",
        None,
    ),
    (
        "unknown child of the document element",
        xml_document(f"<Header/><EPCISBody>{EVENTS}</EPCISBody>", "1.2"),
        f"invalid: <Header> is not allowed in <EPCISDocument>: {EXPECTED_IN_ROOT}",
        None,
    ),
    (
        "EPCISBody written in the EPCIS namespace",
        xml_document(f"<epcis:EPCISBody>{EVENTS}</epcis:EPCISBody>"),
        "invalid: <EPCISBody> is in namespace urn:epcglobal:epcis:xsd:2: in <EPCISDocument> "
        "it is written without a namespace, <EPCISBody>",
        None,
    ),
    (
        "an element of the EPCIS namespace is never an extension",
        xml_body(f"<epcis:note/>{EVENTS}"),
        f"invalid: <note> (namespace urn:epcglobal:epcis:xsd:2) is not allowed in {BODY_20}: "
        f"{EXPECTED_IN_BODY}",
        None,
    ),
    (
        "vendor elements where the XSD has xs:any ##other are extensions",
        xml_document(f"{VENDOR}<EPCISBody>{VENDOR}{EVENTS}<extension/>{VENDOR}</EPCISBody>"),
        "EPCISDocument",
        "1 events",
    ),
    (
        "no EPCISBody",
        xml_document("<EPCISHeader/>", "1.2"),
        "invalid: <EPCISDocument> has no EPCISBody",
        None,
    ),
    # After the EventList starts the upload check lets the events stream by unwatched: what
    # follows the list is the worker's to refuse.
    (
        "a second EventList",
        xml_body(EVENTS + EVENTS, "1.2"),
        "EPCISDocument",
        f"invalid: <EventList> is given twice in {BODY_20}, where it is allowed once",
    ),
    (
        "a second EPCISBody",
        xml_document(f"<EPCISBody>{EVENTS}</EPCISBody><EPCISBody>{EVENTS}</EPCISBody>"),
        "EPCISDocument",
        "invalid: <EPCISBody> is given twice in <EPCISDocument>, where it is allowed once",
    ),
    (
        "<Eventlist> after the EventList",
        xml_body(f"{EVENTS}<Eventlist>{OBJECT_EVENT}</Eventlist>"),
        "EPCISDocument",
        f"invalid: <Eventlist> is not allowed in {BODY_20}: {EXPECTED_IN_BODY} "
        "(names are case-sensitive: <EventList>)",
    ),
    (
        "master data body with <Vocabularylist>",
        b'<m:EPCISMasterDataDocument xmlns:m="urn:epcglobal:epcis-masterdata:xsd:1" '
        b'schemaVersion="1.2"><EPCISBody><Vocabularylist/></EPCISBody></m:EPCISMasterDataDocument>',
        "invalid: <Vocabularylist> is not allowed in <EPCISBody> of an EPCISMasterDataDocument: "
        "expected <VocabularyList>, <extension> or elements of another namespace (extensions) "
        "(names are case-sensitive: <VocabularyList>)",
        None,
    ),
]
QUERY_CASES = [
    ("query results, QueryResults qualified", results(f"<resultsBody>{EVENTS}</resultsBody>")),
    (
        "query results, QueryResults unqualified (as GS1's hash vector writes it)",
        results(f"<resultsBody>{EVENTS}</resultsBody>", qualified=False),
    ),
    (
        "query results right under the root (a shape the event hash reference reads)",
        xml_query_document(f"{VENDOR}<queryName>q</queryName><resultsBody>{EVENTS}</resultsBody>"),
    ),
]
QUERY_REFUSALS = [
    (
        "a Poll request",
        query_body("<q:Poll><queryName>SimpleEventQuery</queryName><params/></q:Poll>"),
        "<Poll> is an EPCIS query-interface message (a request of the query service), not "
        f"events to capture: {SEND}",
    ),
    (
        "an answer of the query service",
        query_body(
            "<q:GetQueryNamesResult><string>SimpleEventQuery</string></q:GetQueryNamesResult>"
        ),
        "<GetQueryNamesResult> is an EPCIS query-interface message (an answer of the query "
        f"service), not events to capture: {SEND}",
    ),
    (
        "a query document with only a header",
        xml_query_document("<EPCISHeader/>"),
        f"this EPCISQueryDocument has no EPCISBody, so it holds no events: {SEND}",
    ),
    (
        "a query document with an empty body",
        query_body(""),
        "this EPCISQueryDocument has no QueryResults in its EPCISBody, so it holds no events to "
        f"capture: {SEND}",
    ),
    (
        "events straight in a query document's body",
        query_body(EVENTS),
        "<EventList> is not allowed in <EPCISBody> of an EPCISQueryDocument: expected "
        "<QueryResults>",
    ),
    (
        "QueryResults without resultsBody",
        results(""),
        "<QueryResults> has no resultsBody",
    ),
    (
        "resultsBody with a typo",
        results(f"<resultsbody>{EVENTS}</resultsbody>"),
        "<resultsbody> is not allowed in <QueryResults>: expected <queryName>, "
        "<subscriptionID>, <resultsBody>, <extension> or elements of another namespace "
        "(extensions) (names are case-sensitive: <resultsBody>)",
    ),
    (
        "a vendor element in resultsBody, which has no extension point",
        results(f"<resultsBody>{VENDOR}{EVENTS}</resultsBody>"),
        "<note> (namespace https://vendor.example.com/epcis/) is not allowed in <resultsBody>: "
        "expected <EventList> or <VocabularyList>",
    ),
]
NOT_EPCIS = [
    (
        "a SOAP envelope",
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>',
        "this is a SOAP envelope (<Envelope>, the web-service binding of EPCIS 1.x), not an "
        "EPCIS document: POST /capture takes the EPCISDocument, EPCISQueryDocument or "
        "EPCISMasterDataDocument itself, not a SOAP message",
    ),
    (
        "a bare Poll",
        b'<q:Poll xmlns:q="urn:epcglobal:epcis-query:xsd:1"><queryName>q</queryName></q:Poll>',
        "<Poll> is an EPCIS query-interface message (a request of the query service), not "
        f"events to capture: {SEND}",
    ),
    (
        "a capture job",
        b'<epcis:EPCISCaptureJob xmlns:epcis="urn:epcglobal:epcis:xsd:2" running="false"/>',
        "this is a capture job (what GET /capture/{id} answers), not a document to capture",
    ),
    (
        "an EPCISDocument in no namespace",
        f"<EPCISDocument><EPCISBody>{EVENTS}</EPCISBody></EPCISDocument>".encode(),
        "root element <EPCISDocument> is in namespace 'none': an EPCISDocument is in "
        "urn:epcglobal:epcis:xsd:2 (EPCIS 2.0) or urn:epcglobal:epcis:xsd:1 (EPCIS 1.2)",
    ),
]


@pytest.mark.parametrize(
    ("body", "at_upload", "when_parsed"),
    [case[1:] for case in XML_CASES],
    ids=[case[0] for case in XML_CASES],
)
def test_xml_document_structure(body: bytes, at_upload: str, when_parsed: str | None) -> None:
    assert precheck_verdict(body, XML) == at_upload
    assert parse_verdict(body, XML) == (when_parsed or at_upload)


@pytest.mark.parametrize("body", [case[1] for case in QUERY_CASES], ids=[c[0] for c in QUERY_CASES])
def test_query_document_with_results_is_captured(body: bytes) -> None:
    assert (precheck_verdict(body, XML), parse_verdict(body, XML)) == (
        "EPCISQueryDocument",
        "1 events",
    )


@pytest.mark.parametrize(
    ("body", "message"), [c[1:] for c in QUERY_REFUSALS], ids=[c[0] for c in QUERY_REFUSALS]
)
def test_query_document_without_results_is_refused_saying_what_to_send(
    body: bytes, message: str
) -> None:
    assert precheck_verdict(body, XML) == parse_verdict(body, XML) == f"invalid: {message}"


@pytest.mark.parametrize(
    ("body", "message"), [c[1:] for c in NOT_EPCIS], ids=[c[0] for c in NOT_EPCIS]
)
def test_other_xml_messages_are_named(body: bytes, message: str) -> None:
    assert precheck_verdict(body, XML) == parse_verdict(body, XML) == f"not_epcis: {message}"


def test_upload_check_gives_the_line_and_column_of_the_element() -> None:
    body = xml_body(f"\n  <Eventlist>{OBJECT_EVENT}</Eventlist>", "1.2")
    with pytest.raises(DocumentError) as raised:
        check_document(io.BytesIO(body), XML)
    assert (raised.value.line, raised.value.column) == (2, 3)


# -- JSON-LD -----------------------------------------------------------------------------

MEMBERS = (
    "@context, id, type, schemaVersion, creationDate, instanceIdentifier, sender, receiver, "
    "epcisHeader, epcisBody or extension members named 'prefix:name'"
)
JSON_SEND = (
    "send an EPCISDocument, or an EPCISQueryDocument with "
    "epcisBody.queryResults.resultsBody.eventList"
)


def without_body(document: bytes) -> bytes:
    return json.dumps({k: v for k, v in json.loads(document).items() if k != "epcisBody"}).encode()


def json_query(body: object, **members: object) -> bytes:
    document = {"@context": [GS1_CONTEXT], "type": "EPCISQueryDocument", **members}
    if body is not None:
        document["epcisBody"] = body
    return json.dumps(document).encode()


JSON_CASES = [
    (
        "epcisBody.eventlist instead of eventList",
        jsonld_document({"eventlist": [JSON_OBJECT_EVENT]}),
        "invalid: epcisBody.eventlist is not an EPCIS member of epcisBody: expected eventList "
        "or extension members named 'prefix:name' (member names are case-sensitive: eventList)",
    ),
    (
        "a second, misspelt list beside eventList",
        jsonld_document({"eventList": [JSON_OBJECT_EVENT], "eventlist": [JSON_OBJECT_EVENT]}),
        "invalid: epcisBody.eventlist is not an EPCIS member of epcisBody: expected eventList "
        "or extension members named 'prefix:name' (member names are case-sensitive: eventList)",
    ),
    (
        "an unknown member of the document",
        jsonld_document(events=[JSON_OBJECT_EVENT]),
        f"invalid: events is not an EPCIS member of the document: expected {MEMBERS}",
    ),
    (
        "extension members in the document and in epcisBody",
        jsonld_document({"eventList": [JSON_OBJECT_EVENT], "ex:batch": 1}, **{"ex:note": "n"}),
        "1 events",
    ),
    ("no epcisBody", without_body(jsonld_document()), "invalid: epcisBody is missing"),
    (
        "epcisBody is null",
        jsonld_document(None, epcisBody=None),
        "invalid: epcisBody must be an object, not a single value",
    ),
    (
        "epcisBody is a list",
        jsonld_document([JSON_OBJECT_EVENT]),
        "invalid: epcisBody must be an object, not a list",
    ),
    (
        "eventList is an object",
        jsonld_document({"eventList": {"0": JSON_OBJECT_EVENT}}),
        "invalid: epcisBody.eventList must be a list of events",
    ),
    ("epcisBody without eventList", jsonld_document({}), "invalid: epcisBody.eventList is missing"),
    (
        "a query document with only a header",
        json_query(None, epcisHeader={}),
        f"invalid: this EPCISQueryDocument has no epcisBody.queryResults, so it holds no events "
        f"to capture: {JSON_SEND}",
    ),
    (
        "a query document without queryResults",
        json_query({}),
        f"invalid: this EPCISQueryDocument has no epcisBody.queryResults, so it holds no events "
        f"to capture: {JSON_SEND}",
    ),
    (
        "queryResults with resultsbody",
        json_query({"queryResults": {"queryName": "q", "resultsbody": {"eventList": []}}}),
        "invalid: epcisBody.queryResults.resultsbody is not an EPCIS member of "
        "epcisBody.queryResults: expected queryName, subscriptionID, resultsBody or extension "
        "members named 'prefix:name' (member names are case-sensitive: resultsBody)",
    ),
    (
        "a query document with results",
        json_query(
            {
                "queryResults": {
                    "queryName": "q",
                    "ex:page": 1,
                    "resultsBody": {"eventList": [JSON_OBJECT_EVENT]},
                }
            }
        ),
        "1 events",
    ),
]


@pytest.mark.parametrize("streamed", [False, True], ids=["read whole", "streamed"])
@pytest.mark.parametrize(
    ("body", "verdict"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES]
)
def test_json_document_structure(
    monkeypatch: pytest.MonkeyPatch, body: bytes, verdict: str, streamed: bool
) -> None:
    document_type = json.loads(body)["type"]
    at_upload = document_type if verdict == "1 events" else verdict
    assert precheck_verdict(body, JSON) == at_upload
    if streamed:
        monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 10)
    assert parse_verdict(body, JSON) == verdict


def test_a_member_given_twice_is_refused_where_it_can_be_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # orjson keeps the last of two equal keys; the upload check and the streaming reader
    # see both (and would read both lists).
    body = jsonld_document()[:-1] + b', "epcisBody": {"eventList": []}}'
    refused = "invalid: epcisBody is given twice: only one would be read"
    assert precheck_verdict(body, JSON) == refused
    monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 10)
    assert parse_verdict(body, JSON) == refused


# -- EPCIS 1.2 "JSON" (isA) ---------------------------------------------------------------

IS_A = (
    'not_epcis: this is the unofficial EPCIS 1.2 JSON form ("isA": "EPCISDocument"), which '
    "GS1 never standardised and this repository does not read: send EPCIS 1.2 as XML, or "
    'EPCIS 2.0 JSON-LD ("@context" GS1\'s context, "type": "EPCISDocument", "epcisBody": '
    '{"eventList": [...]}, events with "type")'
)
EPCIS_12_JSON = json.dumps(
    {
        "isA": "EPCISDocument",
        "schemaVersion": 1.2,
        "epcisBody": {
            "eventList": [
                {
                    "isA": "ObjectEvent",
                    "eventTime": "2024-01-01T10:00:00Z",
                    "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
                    "action": "OBSERVE",
                }
            ]
        },
    }
).encode()


@pytest.mark.parametrize("streamed", [False, True], ids=["read whole", "streamed"])
def test_epcis_1_2_json_is_named_with_what_to_send_instead(
    monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    assert precheck_verdict(EPCIS_12_JSON, JSON) == IS_A
    if streamed:
        monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 10)
    assert parse_verdict(EPCIS_12_JSON, JSON) == IS_A


def test_an_epcis_1_2_json_event_is_named_too() -> None:
    event = json.loads(EPCIS_12_JSON)["epcisBody"]["eventList"][0]
    with pytest.raises(DocumentError) as raised:
        parse_json_event(json.dumps(event).encode())
    assert raised.value.kind == "not_epcis"
    assert raised.value.message.startswith(
        'this is the unofficial EPCIS 1.2 JSON form ("isA": "ObjectEvent")'
    )
