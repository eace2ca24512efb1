"""EPCIS 2.0 JSON/JSON-LD parsing, checked against our fixtures and GS1's examples + schema."""

import io
import json
from pathlib import Path
from typing import Any

import pytest

from epcis.parsing import jsonld
from epcis.parsing.jsonld import parse_json, parse_json_event
from epcis.parsing.types import DocumentError, ParsedEvent
from tests.support.builders import FIXTURES
from tests.support.gs1 import GS1_DIR, gs1_files, requires_gs1

GS1_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
GS1_EXAMPLES = [
    path
    for path in gs1_files("examples/json/**/*.json*")
    if "simple-context" not in path.parts  # outdated variants, 43/46 fail GS1's own schema
]

# Rules the JSON Schema cannot express, broken by GS1's "all possible fields" examples:
# their sensor times are years after eventTime (M122) and they repeat deviceID, time, ...
# in both sensorMetadata and sensorReport (TCR-53). Every maintained GS1 example must be
# accepted (DESIGN §10), so these are warnings: reported, never a reason to reject.
SENSOR_CONFORMANCE_WORDS = ("is after the eventTime", "in both sensorMetadata and sensorReport")
# event_with_identical_hash_id_7.json writes CBV URNs in JSON; the schema rejects them, we
# accept any form of a standard value and store the bare word (a repository should be
# lenient in what it takes as long as what it stores is normalised).
CBV_URNS_IN_JSON = "event_with_identical_hash_id_7.json"


def events_of(path: Path) -> list[ParsedEvent]:
    if "schema-test-events" in path.parts:  # bare events, as POST /events receives them
        return [parse_json_event(path.read_bytes())]
    with path.open("rb") as stream:
        return list(parse_json(stream).events)


def schema_errors(path: Path) -> list[str]:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((GS1_DIR / "schema/json/EPCIS-JSON-Schema.json").read_text())
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    return [error.message for error in validator.iter_errors(json.loads(path.read_bytes()))]


def parse_text(text: str) -> Any:
    return parse_json(io.BytesIO(text.encode()))


# -- GS1's examples, with GS1's JSON Schema as the oracle ---------------------------------


@requires_gs1
@pytest.mark.parametrize("path", GS1_EXAMPLES, ids=lambda path: path.name)
def test_agrees_with_gs1_json_schema_on_gs1_examples(path: Path) -> None:
    events = events_of(path)
    assert events
    assert all(event.is_valid for event in events)
    messages = [error.message for event in events for error in event.errors]
    other = [m for m in messages if not any(w in m for w in SENSOR_CONFORMANCE_WORDS)]
    assert other == []
    if path.name == CBV_URNS_IN_JSON:
        assert any("urn:epcglobal:cbv" in message for message in schema_errors(path))
        assert events[0].data["bizStep"] == "receiving"
    else:
        assert schema_errors(path) == []
    if "WithFullCombinationOfFields" in path.parts or path.name == CBV_URNS_IN_JSON:
        if "sensorElementList" in events[0].data:
            assert messages, "sensor conformance rules should reject this GS1 example"
    else:
        assert messages == []


@requires_gs1
def test_reads_events_of_a_query_document() -> None:
    with (GS1_DIR / "examples/json/EPCISQueryDocument.jsonld").open("rb") as stream:
        document = parse_json(stream)
        events = list(document.events)
    assert document.document_type == "EPCISQueryDocument"
    assert [event.data["type"] for event in events] == ["ObjectEvent", "ObjectEvent"]


@requires_gs1
def test_header_after_body_still_defines_the_prefixes() -> None:
    path = GS1_DIR / "examples/json/Example-TransactionEvents-2020_07_03y.jsonld"
    (event, *_) = events_of(path)
    assert event.namespaces["rail"] == "urn:gs1:epcisapp:rail:"


# -- our fixtures -------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((FIXTURES / "json").glob("*.jsonld")), ids=str)
def test_accepts_our_valid_fixtures(path: Path) -> None:
    (event,) = events_of(path)
    assert event.errors == []
    assert event.data["type"].lower().startswith(path.stem.split("_")[0])


def test_parses_object_event_fixture_field_by_field() -> None:
    with (FIXTURES / "json/object_event.jsonld").open("rb") as stream:
        document = parse_json(stream)
        (event,) = document.events
    assert (document.syntax, document.document_type, document.schema_version) == (
        "json",
        "EPCISDocument",
        "2.0",
    )
    assert document.creation_date == "2024-03-04T08:00:00.000+01:00"
    assert document.namespaces == {"acme": "https://pharma.acme.example/epcis/"}
    assert event.index == 0
    assert event.data == {
        "type": "ObjectEvent",
        "eventTime": "2024-03-04T07:30:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
        "eventID": "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a1001",
        "epcList": ["urn:epc:id:sgtin:4012345.011111.1001", "urn:epc:id:sgtin:4012345.011111.1002"],
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.1"},
        "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
        "ilmd": {"cbvmda:lotNumber": "LOT2024A", "cbvmda:itemExpirationDate": "2026-02-28"},
    }
    assert event.namespaces == {
        "acme": "https://pharma.acme.example/epcis/",
        "cbvmda": "urn:epcglobal:cbv:mda:",
    }


def test_parses_transformation_event_fixture_quantities_as_numbers() -> None:
    with (FIXTURES / "json/transformation_event.jsonld").open("rb") as stream:
        (event,) = parse_json(stream).events
    assert event.data["inputQuantityList"] == [
        {"epcClass": "urn:epc:class:lgtin:4012345.099999.API-7731", "quantity": 12.5, "uom": "KGM"}
    ]
    assert event.data["outputQuantityList"][0]["quantity"] == 5000
    assert isinstance(event.data["outputQuantityList"][0]["quantity"], int)


WARNED_NOT_REJECTED = {"sensor_time_after_event_time", "sensor_attribute_in_metadata_and_report"}


@pytest.mark.parametrize(
    ("name", "field", "word"),
    [
        ("association_add_without_parent", "parentID", "required"),
        ("aggregation_add_without_children", "childEPCs", "childQuantityList"),
        ("bad_event_time", "eventTime", "RFC 3339"),
        ("event_time_without_offset", "eventTime", "offset"),
        ("bad_timezone_offset", "eventTimeZoneOffset", "+01:00"),
        ("missing_action", "action", "required"),
        ("unknown_bizstep_word", "bizStep", "custom values must be URIs"),
        ("unknown_disposition_urn", "disposition", "CBV namespace"),
        ("bad_gtin_check_digit", "epcList[0]", "check digit"),
        ("ilmd_on_observe", "ilmd", "ADD"),
        ("negative_quantity", "inputQuantityList[0].quantity", ">= 0"),
        ("bad_uom", "inputQuantityList[0].uom", "uom"),
        ("transformation_without_outputs", "inputEPCList", "outputs"),
        ("transaction_without_biz_transaction", "bizTransactionList", "needs"),
        ("sensor_time_after_event_time", "sensorElementList[0].sensorMetadata.time", "after"),
        ("sensor_element_without_report", "sensorElementList[0].sensorReport", "at least one"),
        (
            "sensor_attribute_in_metadata_and_report",
            "sensorElementList[0].sensorReport[0].deviceID",
            "both",
        ),
        ("undefined_extension_prefix", "other:note", "not defined"),
        ("unknown_field", "lotNumber", "not a field"),
        ("duplicate_epc", "epcList", "more than once"),
    ],
)
def test_rejects_each_invalid_fixture_for_its_defect(name: str, field: str, word: str) -> None:
    (event,) = events_of(FIXTURES / "invalid/json" / f"{name}.jsonld")
    assert any(e.field == field and word in e.message for e in event.errors), event.errors
    assert event.is_valid is (name in WARNED_NOT_REJECTED)
    assert all(e.index == 0 and e.event_id == event.data.get("eventID") for e in event.errors)


def test_rejects_malformed_json_with_line_and_column() -> None:
    with pytest.raises(DocumentError) as raised:
        events_of(FIXTURES / "invalid/json/malformed.json")
    assert (raised.value.kind, raised.value.line) == ("malformed", 3)
    assert raised.value.column is not None


@pytest.mark.parametrize(
    "text", ['{"orderNumber": "PO4711"}', "[1, 2]", '{"type": "EPCISMasterDataDocument"}']
)
def test_rejects_json_that_is_not_an_epcis_document(text: str) -> None:
    with pytest.raises(DocumentError) as raised:
        parse_text(text)
    assert raised.value.kind == "not_epcis"


def test_rejects_document_without_event_list() -> None:
    with pytest.raises(DocumentError) as raised:
        parse_text('{"type": "EPCISDocument", "epcisBody": {}}')
    assert (raised.value.kind, raised.value.message) == (
        "invalid",
        "epcisBody.eventList is missing",
    )


# -- @context, CBV forms, bare events ----------------------------------------------------


def document_with(event: dict[str, Any], context: list[Any]) -> str:
    body = {"eventList": [event]}
    return json.dumps({"@context": context, "type": "EPCISDocument", "epcisBody": body})


BASE_EVENT = {
    "type": "ObjectEvent",
    "eventTime": "2024-03-04T07:30:00Z",
    "eventTimeZoneOffset": "+00:00",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.1001"],
    "action": "OBSERVE",
}


def test_normalises_cbv_web_uris_and_urns_to_bare_words() -> None:
    event = {
        **BASE_EVENT,
        "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping",
        "disposition": "urn:epcglobal:cbv:disp:in_transit",
        "bizTransactionList": [{"type": "urn:epcglobal:cbv:btt:po", "bizTransaction": "urn:x:1"}],
    }
    (parsed,) = parse_text(document_with(event, [])).events
    assert parsed.errors == []
    assert (parsed.data["bizStep"], parsed.data["disposition"]) == ("shipping", "in_transit")
    assert parsed.data["bizTransactionList"][0]["type"] == "po"


def test_gives_extension_keys_written_as_full_iris_a_prefix() -> None:
    event = {**BASE_EVENT, "http://ns.acme.example/epcis/batchNote": {"urn:acme:x:y": 1}}
    (parsed,) = parse_text(document_with(event, [])).events
    assert parsed.errors == []
    assert parsed.data["ns1:batchNote"] == {"ns2:y": 1}
    assert parsed.namespaces == {"ns1": "http://ns.acme.example/epcis/", "ns2": "urn:acme:x:"}


def test_reuses_a_declared_prefix_for_a_full_iri_key() -> None:
    event = {**BASE_EVENT, "http://ns.acme.example/epcis/batchNote": "n"}
    context = [{"acme": "http://ns.acme.example/epcis/"}]
    (parsed,) = parse_text(document_with(event, context)).events
    assert parsed.data["acme:batchNote"] == "n"


def test_unknown_remote_context_is_not_fetched_and_defines_nothing() -> None:
    event = {**BASE_EVENT, "acme:note": "n", "local:note": "m"}
    context = ["https://contexts.acme.example/epcis.jsonld", {"acme": "urn:acme:"}]
    (parsed,) = parse_text(document_with(event, context)).events
    assert [(e.field, "not defined" in e.message) for e in parsed.errors] == [("local:note", True)]


def test_parses_a_bare_event_with_its_own_context() -> None:
    event = {"@context": [{"acme": "urn:acme:"}], **BASE_EVENT, "acme:note": "n"}
    parsed = parse_json_event(json.dumps(event).encode())
    assert parsed.errors == []
    assert "@context" not in parsed.data
    assert parsed.namespaces == {"acme": "urn:acme:"}


def test_refuses_a_document_where_a_bare_event_is_expected() -> None:
    with pytest.raises(DocumentError) as raised:
        parse_json_event(b'{"type": "EPCISDocument", "epcisBody": {"eventList": []}}')
    assert raised.value.kind == "not_epcis"


def test_keeps_going_after_an_invalid_event() -> None:
    events = [{**BASE_EVENT, "action": None}, BASE_EVENT, "not an event"]
    text = json.dumps({"type": "EPCISDocument", "epcisBody": {"eventList": events}})
    parsed = list(parse_text(text).events)
    assert [bool(event.errors) for event in parsed] == [True, False, True]


# -- streaming ----------------------------------------------------------------------------


def big_document(events: int, header_last: bool) -> bytes:
    header = {"@context": [{"acme": "urn:acme:"}], "type": "EPCISDocument"}
    body = {"epcisBody": {"eventList": [{**BASE_EVENT, "acme:n": n} for n in range(events)]}}
    return json.dumps({**body, **header} if header_last else {**header, **body}).encode()


@pytest.mark.parametrize("header_last", [False, True])
def test_streams_large_documents_with_ijson(
    monkeypatch: pytest.MonkeyPatch, header_last: bool
) -> None:
    monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 100)
    document = parse_json(io.BytesIO(big_document(50, header_last)))
    events = list(document.events)
    assert [event.data["acme:n"] for event in events] == list(range(50))
    assert all(event.errors == [] for event in events)
    assert events[0].namespaces == {"acme": "urn:acme:"}


def test_streaming_reports_malformed_json_before_any_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The header pass reads the whole document (it checks every member of the containers),
    # so a syntax error at the very end is found before the first event is parsed.
    monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 100)
    data = big_document(20, header_last=False)[:-40]
    with pytest.raises(DocumentError) as raised:
        parse_json(io.BytesIO(data))
    assert raised.value.kind == "malformed"


# -- document-level extensions (e.g. a repository's ignoreFields) -------------------------

RX = {"rx": "https://repository-x.example.com/", "ex": "https://ns.example.com/epcis/"}
IGNORE = ["rx:hash", "ex:captureID"]


def document_with_extensions(query: bool, header_first: bool = True) -> dict[str, Any]:
    events = [{**BASE_EVENT, "ex:n": n} for n in range(30)]
    body: dict[str, Any]
    top: dict[str, Any] = {}
    if query:
        results = {"queryName": "SimpleEventQuery", "rx:ignoreFields": IGNORE}
        body = {"queryResults": {**results, "resultsBody": {"eventList": events}}}
    else:
        body, top = {"eventList": events}, {"rx:ignoreFields": IGNORE}
    header = {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", RX],
        "type": "EPCISQueryDocument" if query else "EPCISDocument",
        "epcisHeader": {"ex:note": "n"},
        **top,
    }
    return {**header, "epcisBody": body} if header_first else {"epcisBody": body, **header}


@pytest.mark.parametrize("streamed", [False, True])
@pytest.mark.parametrize("query", [False, True])
def test_exposes_document_level_extensions_with_their_namespaces(
    monkeypatch: pytest.MonkeyPatch, query: bool, streamed: bool
) -> None:
    # Top level (EPCISDocument) or epcisBody.queryResults (EPCISQueryDocument), as in the hash
    # vectors epcis(Query)DocHavingEventWithIgnoreFields; epcisHeader members as before.
    if streamed:
        monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 100)
    document = parse_json(io.BytesIO(json.dumps(document_with_extensions(query)).encode()))
    assert document.header_extensions == {"rx:ignoreFields": IGNORE, "ex:note": "n"}
    assert {p: document.namespaces[p] for p in RX} == RX
    assert [event.data["ex:n"] for event in document.events] == list(range(30))


def test_streaming_finds_query_results_extensions_after_the_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 100)
    document = document_with_extensions(query=True, header_first=False)
    results = document["epcisBody"]["queryResults"]
    results["rx:ignoreFields"] = results.pop("rx:ignoreFields")  # after resultsBody
    parsed = parse_json(io.BytesIO(json.dumps(document).encode()))
    assert parsed.header_extensions["rx:ignoreFields"] == IGNORE
    assert len(list(parsed.events)) == 30


def test_events_using_the_same_gs1_prefixes_share_one_prefix_map() -> None:
    first = {**BASE_EVENT, "gs1:note": "a"}
    second = {**BASE_EVENT, "gs1:note": "b", "ilmd": {}}
    body = {"eventList": [first, second, BASE_EVENT]}
    text = json.dumps(
        {"@context": [{"acme": "urn:acme:"}], "type": "EPCISDocument", "epcisBody": body}
    )
    one, two, plain = parse_text(text).events
    assert one.namespaces == {"acme": "urn:acme:", "gs1": "https://gs1.org/voc/"}
    assert two.namespaces is one.namespaces
    assert plain.namespaces == {"acme": "urn:acme:"}


def test_a_gs1_prefix_defined_by_the_event_context_is_not_shared() -> None:
    event = {"@context": [{"acme": "urn:acme:"}], **BASE_EVENT, "gs1:note": "a", "acme:x": 1}
    (parsed,) = parse_text(document_with(event, [])).events
    assert parsed.errors == []
    assert parsed.namespaces == {"acme": "urn:acme:", "gs1": "https://gs1.org/voc/"}


# -- a UTF-8 byte-order mark (RFC 8259 §8.1: a parser may ignore it; .NET tools write it) ---

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("streamed", [False, True], ids=["read whole", "streamed"])
def test_skips_a_byte_order_mark_before_the_document(
    monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    if streamed:
        monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 100)
    document = parse_json(io.BytesIO(BOM + big_document(3, header_last=True)))
    events = list(document.events)
    assert [event.data["acme:n"] for event in events] == [0, 1, 2]
    assert [event.errors for event in events] == [[], [], []]


def test_skips_a_byte_order_mark_before_a_bare_event() -> None:
    parsed = parse_json_event(BOM + json.dumps(BASE_EVENT).encode())
    assert (parsed.errors, parsed.data["action"]) == ([], "OBSERVE")


@pytest.mark.parametrize("text", [BOM, BOM + b'{"type": "EPCISDocument",', BOM + BOM + b"{}"])
def test_a_byte_order_mark_before_no_document_is_still_malformed(text: bytes) -> None:
    with pytest.raises(DocumentError) as raised:
        parse_json(io.BytesIO(text))
    assert raised.value.kind == "malformed"


# -- registered JSON-LD contexts (EPCIS_JSONLD_CONTEXTS) ----------------------------------

HEALTHCARE = "https://contexts.example.org/healthcare/epcis-context.jsonld"
HEALTHCARE_FILE = FIXTURES / "contexts" / "healthcare-context.jsonld"
HEALTHCARE_PREFIXES = {
    "xhc": "https://healthcare.example.org/epcis/",
    "xhcv": "https://healthcare.example.org/epcis/vocab",
    "xhcq": "https://healthcare.example.org/epcis/quality/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
HEALTHCARE_EVENT = {
    **BASE_EVENT,
    "action": "ADD",
    "xhc:lotStatus": "released",
    "ilmd": {"xhcq:grade": "A"},
}


@pytest.fixture
def registered(settings: Any) -> None:
    """The healthcare test context registered, as EPCIS_JSONLD_CONTEXTS would at start-up."""
    context = json.loads(HEALTHCARE_FILE.read_bytes())["@context"]
    settings.EPCIS_JSONLD_CONTEXTS = {HEALTHCARE: context}


@pytest.mark.parametrize(
    ("context", "prefixes"),
    [
        ({"ex": "https://ex.example/ns/"}, {"ex": "https://ex.example/ns/"}),
        ({"ex": "urn:ex:"}, {"ex": "urn:ex:"}),
        ({"ex": {"@id": "https://ex.example/ns#"}}, {"ex": "https://ex.example/ns#"}),
        (
            {"ex": {"@id": "https://ex.example/ns", "@prefix": True}},
            {"ex": "https://ex.example/ns"},
        ),
        ({"ex": {"@id": "https://ex.example/ns/", "@prefix": False}}, {}),
        ({"lotStatus": "https://ex.example/ns/lotStatus"}, {}),  # a term, not a prefix
        (
            {"ex": "https://ex.example/", "sub": "ex:sub/"},
            {"ex": "https://ex.example/", "sub": "https://ex.example/sub/"},
        ),
        ({"@vocab": "https://ex.example/", "ex:term": "https://ex.example/t/"}, {}),
        ({"ex": 7, "ey": {"@type": "@id"}}, {}),
    ],
)
def test_reads_the_prefix_definitions_of_a_context(context: dict, prefixes: dict) -> None:
    assert jsonld.context_prefixes(context) == prefixes


def test_the_healthcare_test_context_defines_four_prefixes() -> None:
    context = json.loads(HEALTHCARE_FILE.read_bytes())["@context"]
    assert jsonld.context_prefixes(context) == HEALTHCARE_PREFIXES


@pytest.mark.parametrize("streamed", [False, True], ids=["read whole", "streamed"])
def test_a_registered_context_defines_its_prefixes_as_if_inline(
    registered: None, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    if streamed:
        monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 100)
    text = document_with(HEALTHCARE_EVENT, [GS1_CONTEXT, HEALTHCARE])
    (parsed,) = parse_text(text).events
    assert parsed.errors == []
    assert parsed.namespaces == HEALTHCARE_PREFIXES


def test_an_inline_definition_after_a_registered_context_wins(registered: None) -> None:
    text = document_with(HEALTHCARE_EVENT, [HEALTHCARE, {"xhc": "urn:xhc:"}])
    (parsed,) = parse_text(text).events
    assert parsed.namespaces["xhc"] == "urn:xhc:"


def test_a_registered_context_named_by_an_event_counts_for_that_event(registered: None) -> None:
    event = {"@context": [HEALTHCARE], **HEALTHCARE_EVENT}
    (parsed,) = parse_text(document_with(event, [GS1_CONTEXT])).events
    assert parsed.errors == []
    parsed = parse_json_event(json.dumps(event).encode())
    assert (parsed.errors, parsed.namespaces) == ([], HEALTHCARE_PREFIXES)


UNREGISTERED_HINT = (
    f"; the @context names {HEALTHCARE}, which this repository does not know (contexts are "
    "never fetched): an operator can register a local copy with "
    "EPCIS_JSONLD_CONTEXTS=<url>=<path>"
)


def test_an_unregistered_context_url_is_named_with_how_to_register_it() -> None:
    (parsed,) = parse_text(document_with(HEALTHCARE_EVENT, [GS1_CONTEXT, HEALTHCARE])).events
    assert [(e.field, e.message) for e in parsed.errors] == [
        (
            "xhc:lotStatus",
            "prefix 'xhc' of 'xhc:lotStatus' is not defined in the @context" + UNREGISTERED_HINT,
        ),
        (
            "ilmd.xhcq:grade",
            "prefix 'xhcq' of 'xhcq:grade' is not defined in the @context" + UNREGISTERED_HINT,
        ),
    ]


def test_an_unregistered_context_of_a_bare_event_is_named_too() -> None:
    event = {"@context": [GS1_CONTEXT, HEALTHCARE], **HEALTHCARE_EVENT}
    parsed = parse_json_event(json.dumps(event).encode())
    assert [e.message.endswith(UNREGISTERED_HINT) for e in parsed.errors] == [True, True]


@pytest.mark.parametrize("streamed", [False, True], ids=["read whole", "streamed"])
def test_reads_the_vocabularies_of_query_results(
    monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    if streamed:
        monkeypatch.setattr(jsonld, "ORJSON_MAX_BYTES", 100)
    vocabulary = {
        "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
        "vocabularyElementList": [{"id": "urn:epc:id:sgln:4012345.00001.0"}],
    }
    results = {"eventList": [BASE_EVENT], "vocabularyList": [vocabulary]}
    body = {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": results}}
    text = json.dumps({"@context": [GS1_CONTEXT], "type": "EPCISQueryDocument", "epcisBody": body})
    document = parse_text(text)
    assert document.vocabularies == [vocabulary]
    assert len(list(document.events)) == 1
