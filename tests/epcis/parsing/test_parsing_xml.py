"""EPCIS 2.0 / 1.2 XML parsing: security, streaming, conversion to the canonical JSON form.

Oracles: GS1's XSDs (validity verdicts), GS1's paired JSON examples, our JSON fixtures,
and expectations written by hand. None is computed by the code under test.
"""

from __future__ import annotations

import io
import json
import socket
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from epcis.parsing.types import DocumentError, ParsedDocument
from epcis.parsing.xml import parse_xml
from tests.support.builders import FIXTURES
from tests.support.gs1 import GS1_DIR, gs1_files, requires_gs1

INVALID = FIXTURES / "invalid" / "xml"
TWINS = [
    "object_event",
    "aggregation_event",
    "transaction_event",
    "transformation_event",
    "association_event",
]
XSD = {
    "urn:epcglobal:epcis:xsd:2": "schema/xsd/2.0/EPCglobal-epcis-2_0.xsd",
    "urn:epcglobal:epcis:xsd:1": "schema/xsd/1.2/EPCglobal-epcis-1_2.xsd",
}


def parse(path: Path) -> tuple[ParsedDocument, list[Any]]:
    with path.open("rb") as stream:
        document = parse_xml(stream)
        return document, list(document.events)


def xsd_valid(path: Path) -> bool:
    tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    namespace = etree.QName(tree.getroot()).namespace
    schema = etree.XMLSchema(etree.parse(str(GS1_DIR / XSD[namespace])))
    return schema.validate(tree)


def expanded(value: Any, namespaces: dict[str, str]) -> Any:
    """CURIE keys replaced by full URIs, so documents with different prefixes compare equal.

    CBV master data is `urn:epcglobal:cbv:mda` in XML and `...mda:`/`...mda#` in JSON-LD.
    """

    def key(name: str) -> str:
        at = "@" if name.startswith("@") else ""
        prefix, colon, local = name.lstrip("@").partition(":")
        if colon and prefix in namespaces:
            return at + namespaces[prefix].rstrip(":#/") + "/" + local
        return name

    if isinstance(value, dict):
        return {key(k): expanded(v, namespaces) for k, v in value.items()}
    if isinstance(value, list):
        return [expanded(v, namespaces) for v in value]
    return value


# --- hostile and broken input ---------------------------------------------------------


@pytest.fixture
def no_network_or_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket or file opened while parsing fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"parser tried to open {args!r}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize(
    "name",
    [
        "xxe_file.xml",
        "xxe_http.xml",
        "billion_laughs.xml",
        "external_dtd.xml",
        "entity_reference.xml",
    ],
)
def test_refuses_entities_and_external_identifiers(name: str, no_network_or_files: None) -> None:
    data = (INVALID / name).read_bytes()
    with pytest.raises(DocumentError) as caught:
        list(parse_xml(io.BytesIO(data)).events)
    assert caught.value.kind == "forbidden"


def test_refuses_entity_declaration_before_lxml_reads_anything() -> None:
    stream = io.BytesIO((INVALID / "xxe_file.xml").read_bytes())
    with pytest.raises(DocumentError) as caught:
        parse_xml(stream)
    assert caught.value.kind == "forbidden"
    assert "passwd" not in caught.value.message


def test_reports_malformed_xml_with_its_position() -> None:
    with pytest.raises(DocumentError) as caught:
        _, _ = parse(INVALID / "malformed.xml")
    assert caught.value.kind == "malformed"
    assert caught.value.line == 3
    assert caught.value.column is not None


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"", "malformed"),
        (b"not xml at all", "malformed"),
        (b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"><b>', "malformed"),
        (b'<r xmlns="urn:epcglobal:epcis:xsd:2"/>', "not_epcis"),
        (b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"/>', "invalid"),
    ],
)
def test_rejects_documents_that_cannot_be_read(data: bytes, kind: str) -> None:
    with pytest.raises(DocumentError) as caught:
        list(parse_xml(io.BytesIO(data)).events)
    assert caught.value.kind == kind


def test_rejects_other_root_as_not_epcis() -> None:
    with pytest.raises(DocumentError) as caught:
        parse(INVALID / "not_epcis.xml")
    assert caught.value.kind == "not_epcis"


def test_accepts_doctype_that_declares_nothing() -> None:
    document, events = parse(INVALID / "doctype_without_declarations.xml")
    assert document.syntax == "xml-2.0"
    assert [e.is_valid for e in events] == [True]


def test_reports_malformed_xml_after_events_were_streamed() -> None:
    event = (
        b"<ObjectEvent><eventTime>2024-01-01T10:00:00Z</eventTime><eventTimeZoneOffset>"
        b"+00:00</eventTimeZoneOffset><epcList/><action>OBSERVE</action></ObjectEvent>"
    )
    # About 3 MB of valid events before the syntax error at the very end: far more than any
    # read or parser buffer, so however lxml chunks its input, it reaches events first.
    count = 20_000
    data = (
        b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"><EPCISBody><EventList>'
        + event * count
        + b"<ObjectEvent></EventList>"
    )
    events = parse_xml(io.BytesIO(data)).events
    first = next(events)  # streamed: the error at the end is not reached yet
    assert (first.index, first.is_valid) == (0, True)
    with pytest.raises(DocumentError) as caught:
        list(events)
    assert caught.value.kind == "malformed"


# --- event-level defects: our verdict and the XSD's ----------------------------------

EVENT_DEFECTS = {
    "unknown_epcis_element.xml": "color",
    "elements_out_of_order.xml": "epcList",
    "wrong_child_in_epc_list.xml": "epcList",
    "missing_event_time_zone_offset.xml": "eventTimeZoneOffset",
    "quantity_not_a_number.xml": "quantityList[0].quantity",
    "unknown_event_type.xml": "type",
    "invalid_action.xml": "action",
}


@pytest.mark.parametrize(("name", "field"), EVENT_DEFECTS.items())
def test_flags_event_defects_on_the_event(name: str, field: str) -> None:
    _, events = parse(INVALID / name)
    invalid = [e for e in events if not e.is_valid]
    assert len(invalid) == 1
    assert field in [error.field for error in invalid[0].errors]


@requires_gs1
@pytest.mark.parametrize("name", [*EVENT_DEFECTS, "doctype_without_declarations.xml"])
def test_event_verdict_agrees_with_the_xsd(name: str) -> None:
    _, events = parse(INVALID / name)
    assert all(e.is_valid for e in events) == xsd_valid(INVALID / name)


# --- GS1's examples -------------------------------------------------------------------

EPCIS_EXAMPLES = [
    p
    for p in gs1_files("examples/xml/**/*.xml")
    if b"EPCISDocument" in p.read_bytes()[:2000]
    or b"EPCISMasterDataDocument" in p.read_bytes()[:2000]
]

# Where validation.py is deliberately stricter than the XSD (see its docstring), or where
# it does not yet accept the XML extension convention (no-namespace children, "@attr",
# "#text" inside extension content). Every error on these files must match one of these.
# GS1's maintained examples must all be accepted (DESIGN §10): what our validator flags
# beyond the XSD on them is reported as warnings only, never as errors.
WARNINGS_ON_GS1_EXAMPLES = {
    "after the eventTime": "sensor time after eventTime (M122)",
    "given in both sensorMetadata and sensorReport": "TCR-53",
    "a sensorReport should have a type": "JSON Schema requires type; XSD does not",
}


def _is_error(events: list, error: tuple) -> bool:
    index, field, message = error
    return any(
        e.severity == "error" and (e.field, e.message) == (field, message)
        for event in events
        if event.index == index
        for e in event.errors
    )


@requires_gs1
@pytest.mark.parametrize("path", EPCIS_EXAMPLES, ids=lambda p: str(p.relative_to(GS1_DIR)))
def test_parses_every_gs1_example_as_the_xsd_judges_it(path: Path) -> None:
    document, events = parse(path)
    assert document.document_type in ("EPCISDocument", "EPCISMasterDataDocument")
    assert document.syntax == ("xml-1.2" if "epcis-1.2" in str(path) else "xml-2.0")
    errors = [(e.index, err.field, err.message) for e in events for err in e.errors]
    assert [error for error in errors if error[2] and _is_error(events, error)] == []
    unexplained = [
        error for error in errors if not any(w in error[2] for w in WARNINGS_ON_GS1_EXAMPLES)
    ]
    assert unexplained == []
    if b"EPCISMasterDataDocument" not in path.read_bytes()[:2000]:
        assert xsd_valid(path)  # GS1 masterdata root has no global XSD declaration


@requires_gs1
@pytest.mark.parametrize(
    ("name", "events", "vocabularies"),
    [
        ("AssociationEvent/AssociationEventExamples.xml", 8, 0),
        ("WithSensorData/SensorDataExamples.xml", 14, 0),
        ("WithFullCombinationOfFields/masterdata_all_possible_fields.xml", 0, 2),
        ("Mimasu/Example-masterData.xml", 0, 2),
        ("epcis-1.2/AssociationEvent.xml", 8, 0),
        ("epcis-1.2/TransformationEvent.xml", 1, 0),
    ],
)
def test_counts_events_and_vocabularies_of_gs1_examples(
    name: str, events: int, vocabularies: int
) -> None:
    document, parsed = parse(GS1_DIR / "examples" / "xml" / name)
    assert (len(parsed), len(document.vocabularies)) == (events, vocabularies)


def gs1_json_events(name: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    data = json.loads((GS1_DIR / "examples" / "json" / name).read_text())
    namespaces: dict[str, str] = {}
    for entry in data["@context"]:
        if isinstance(entry, dict):
            namespaces.update(entry)
    return data["epcisBody"]["eventList"], namespaces


# (XML file, event index, JSON file, event index): the same event written twice by GS1.
GS1_PAIRS = [
    ("WithSensorData/SensorDataExamples.xml", 0, "WithSensorData/SensorDataExample1.jsonld", 0),
    ("WithSensorData/SensorDataExamples.xml", 1, "WithSensorData/SensorDataExample2.jsonld", 0),
    ("WithSensorData/SensorDataExamples.xml", 2, "WithSensorData/SensorDataExample3.jsonld", 0),
]


@requires_gs1
@pytest.mark.parametrize(("xml_name", "xml_index", "json_name", "json_index"), GS1_PAIRS)
def test_gs1_xml_event_equals_its_json_twin(
    xml_name: str, xml_index: int, json_name: str, json_index: int
) -> None:
    _, events = parse(GS1_DIR / "examples" / "xml" / xml_name)
    json_events, json_namespaces = gs1_json_events(json_name)
    expected = {k: v for k, v in json_events[json_index].items() if k != "eventID"}
    actual = {k: v for k, v in events[xml_index].data.items() if k != "eventID"}
    assert expanded(actual, events[xml_index].namespaces) == expanded(expected, json_namespaces)


@requires_gs1
def test_full_combination_extensions_follow_gs1_json_convention() -> None:
    _, events = parse(
        GS1_DIR / "examples/xml/WithFullCombinationOfFields/object_event_all_possible_fields.xml"
    )
    element = events[0].data["sensorElementList"][0]
    assert element["ext1:boolean"] == "true"  # xsi:type dropped, text kept as in the JSON twin
    assert element["ext1:object"] == {
        "ext2:string": "stringInObject",
        "ext2:array": "11",
        "ext2:object": {"ext3:string": "stringInObjectInObject"},
    }
    assert element["sensorMetadata"]["ext1:someFurtherMetadata"] == "someText"
    report = element["sensorReport"][0]
    assert (report["type"], report["value"], report["booleanValue"]) == ("Temperature", 26, True)
    assert events[0].data["persistentDisposition"] == {
        "set": ["completeness_verified"],
        "unset": ["completeness_inferred"],
    }


# --- our fixtures: XML 2.0 and 1.2 twins of the JSON fixtures -------------------------


@pytest.mark.parametrize("syntax", ["xml", "xml12"])
@pytest.mark.parametrize("name", TWINS)
def test_xml_fixture_equals_its_json_twin(name: str, syntax: str) -> None:
    from epcis.parsing.jsonld import parse_json

    _, events = parse(FIXTURES / syntax / f"{name}.xml")
    with (FIXTURES / "json" / f"{name}.jsonld").open("rb") as stream:
        json_events = list(parse_json(stream).events)
    assert [e.errors for e in events] == [[] for _ in events]
    assert [expanded(e.data, e.namespaces) for e in events] == [
        expanded(e.data, e.namespaces) for e in json_events
    ]


@requires_gs1
@pytest.mark.parametrize("syntax", ["xml", "xml12"])
@pytest.mark.parametrize("name", [*TWINS, "dscsa_shipment_sbdh"])
def test_fixture_is_valid_for_the_xsd(name: str, syntax: str) -> None:
    path = FIXTURES / syntax / f"{name}.xml"
    if not path.exists():
        pytest.skip("only in 1.2")
    assert xsd_valid(path)


def test_association_event_in_double_extension_of_1_2() -> None:
    document, events = parse(FIXTURES / "xml12" / "association_event.xml")
    assert document.syntax == "xml-1.2"
    assert [e.data["type"] for e in events] == ["AssociationEvent"]
    assert events[0].data["eventID"] == "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a1005"


# --- the DSCSA file, expected by hand -------------------------------------------------

MDA = "urn:epcglobal:cbv:mda#"
DSCSA_SBDH = {
    "headerVersion": "1.0",
    "sender": [{"identifier": "0312345000006", "authority": "GLN"}],
    "receiver": [{"identifier": "0398765000001", "authority": "GLN"}],
    "documentIdentification": {
        "standard": "EPCglobal",
        "typeVersion": "1.0",
        "instanceIdentifier": "5f0e7c1a-3b4d-4e8f-9a0b-1c2d3e4f5a6b",
        "type": "Events",
        "creationDateAndTime": "2024-05-02T14:00:00.000-05:00",
    },
}
DSCSA_VOCABULARIES = [
    {
        "type": "urn:epcglobal:epcis:vtype:EPCClass",
        "vocabularyElementList": [
            {
                "id": "urn:epc:idpat:sgtin:0312345.012345.*",
                "attributes": [
                    {"id": MDA + "additionalTradeItemIdentification", "attribute": "312345123459"},
                    {
                        "id": MDA + "additionalTradeItemIdentificationTypeCode",
                        "attribute": "FDA_NDC_11",
                    },
                    {"id": MDA + "regulatedProductName", "attribute": "Examplomab 50 mg tablets"},
                    {
                        "id": MDA + "manufacturerOfTradeItemPartyName",
                        "attribute": "Example Pharma Inc.",
                    },
                    {"id": MDA + "dosageFormType", "attribute": "TABLET"},
                    {"id": MDA + "strengthDescription", "attribute": "50 mg"},
                    {"id": MDA + "netContentDescription", "attribute": "30 tablets"},
                ],
            }
        ],
    },
    {
        "type": "urn:epcglobal:epcis:vtype:Location",
        "vocabularyElementList": [
            {
                "id": "urn:epc:id:sgln:0312345.00000.0",
                "attributes": [
                    {"id": MDA + "name", "attribute": "Example Pharma Inc."},
                    {"id": MDA + "streetAddressOne", "attribute": "100 Main Street"},
                    {"id": MDA + "city", "attribute": "Springfield"},
                    {"id": MDA + "state", "attribute": "NJ"},
                    {"id": MDA + "postalCode", "attribute": "07081"},
                    {"id": MDA + "countryCode", "attribute": "US"},
                ],
            },
            {
                "id": "urn:epc:id:sgln:0398765.00000.0",
                "attributes": [
                    {"id": MDA + "name", "attribute": "Example Wholesale LLC"},
                    {"id": MDA + "streetAddressOne", "attribute": "7 Harbor Road"},
                    {"id": MDA + "city", "attribute": "Columbus"},
                    {"id": MDA + "state", "attribute": "OH"},
                    {"id": MDA + "postalCode", "attribute": "43004"},
                    {"id": MDA + "countryCode", "attribute": "US"},
                ],
            },
        ],
    },
]
SELLER = "urn:epc:id:sgln:0312345.00000.0"
BUYER = "urn:epc:id:sgln:0398765.00000.0"
DSCSA_EVENTS = [
    {
        "type": "ObjectEvent",
        "eventTime": "2024-04-30T08:00:00.000-05:00",
        "eventTimeZoneOffset": "-05:00",
        "epcList": [
            "urn:epc:id:sgtin:0312345.012345.10001",
            "urn:epc:id:sgtin:0312345.012345.10002",
        ],
        "action": "ADD",
        "bizStep": "commissioning",
        "disposition": "active",
        "readPoint": {"id": SELLER},
        "bizLocation": {"id": SELLER},
        "ilmd": {"cbvmda:lotNumber": "ABC123", "cbvmda:itemExpirationDate": "2026-04-30"},
    },
    {
        "type": "AggregationEvent",
        "eventTime": "2024-04-30T09:00:00.000-05:00",
        "eventTimeZoneOffset": "-05:00",
        "parentID": "urn:epc:id:sgtin:0312345.512345.20001",
        "childEPCs": [
            "urn:epc:id:sgtin:0312345.012345.10001",
            "urn:epc:id:sgtin:0312345.012345.10002",
        ],
        "action": "ADD",
        "bizStep": "packing",
        "disposition": "in_progress",
        "readPoint": {"id": SELLER},
    },
    {
        "type": "AggregationEvent",
        "eventTime": "2024-04-30T09:30:00.000-05:00",
        "eventTimeZoneOffset": "-05:00",
        "parentID": "urn:epc:id:sscc:0312345.0000000017",
        "childEPCs": ["urn:epc:id:sgtin:0312345.512345.20001"],
        "action": "ADD",
        "bizStep": "packing",
        "disposition": "in_progress",
        "readPoint": {"id": SELLER},
    },
    {
        "type": "ObjectEvent",
        "eventTime": "2024-05-02T13:45:00.000-05:00",
        "eventTimeZoneOffset": "-05:00",
        "epcList": ["urn:epc:id:sscc:0312345.0000000017"],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": SELLER},
        "bizTransactionList": [
            {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0398765000001:PO-88001"}
        ],
        "sourceList": [
            {"type": "owning_party", "source": SELLER},
            {"type": "location", "source": SELLER},
        ],
        "destinationList": [
            {"type": "owning_party", "destination": BUYER},
            {"type": "location", "destination": BUYER},
        ],
    },
]


def test_reads_dscsa_1_2_file_with_sbdh_master_data_and_transaction_statement() -> None:
    document, events = parse(FIXTURES / "xml12" / "dscsa_shipment_sbdh.xml")
    assert (document.syntax, document.document_type) == ("xml-1.2", "EPCISDocument")
    assert (document.schema_version, document.creation_date) == (
        "1.2",
        "2024-05-02T14:00:00.000-05:00",
    )
    assert document.sbdh == DSCSA_SBDH
    assert document.vocabularies == DSCSA_VOCABULARIES
    assert document.header_extensions == {
        "gs1ushc:dscsaTransactionStatement": {
            "gs1ushc:affirmTransactionStatement": "true",
            "gs1ushc:legalNotice": "Seller has complied with each applicable subsection of "
            "FDCA Sec. 581(27)(A)-(G).",
        }
    }
    assert document.namespaces["gs1ushc"] == "http://epcis.gs1us.org/hc/ns"
    assert [e.data for e in events] == DSCSA_EVENTS
    assert [e.errors for e in events] == [[], [], [], []]
    assert events[0].namespaces == {"cbvmda": "urn:epcglobal:cbv:mda"}


# --- conventions and streaming ---------------------------------------------------------

DOC_20 = (
    '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" '
    'creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>{}</EventList></EPCISBody>'
    "</epcis:EPCISDocument>"
)
BASE = (
    "<eventTime>2024-01-01T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00"
    "</eventTimeZoneOffset><epcList><epc>urn:epc:id:sgtin:0614141.107346.1</epc></epcList>"
    "<action>OBSERVE</action>"
)


@pytest.mark.parametrize(
    ("extension", "key", "value", "namespaces"),
    [
        ('<x:a xmlns:x="urn:x">t</x:a>', "x:a", "t", {"x": "urn:x"}),
        ('<a xmlns="urn:d">t</a>', "ns1:a", "t", {"ns1": "urn:d"}),
        (
            '<x:a xmlns:x="urn:x"><x:b>1</x:b><x:b>2</x:b><c>3</c></x:a>',
            "x:a",
            {"x:b": ["1", "2"], "c": "3"},
            {"x": "urn:x"},
        ),
        (
            '<x:a xmlns:x="urn:x" unit="KGM" x:q="1">3.5</x:a>',
            "x:a",
            {"@unit": "KGM", "@x:q": "1", "#text": "3.5"},
            {"x": "urn:x"},
        ),
        (
            '<x:a xmlns:x="urn:x" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xsi:type="xsd:int">7</x:a>',
            "x:a",
            "7",
            {"x": "urn:x"},
        ),
        ('<x:a xmlns:x="urn:x"/>', "x:a", "", {"x": "urn:x"}),
    ],
)
def test_converts_extension_elements_by_the_documented_convention(
    extension: str, key: str, value: Any, namespaces: dict[str, str]
) -> None:
    data = DOC_20.format(f"<ObjectEvent>{BASE}{extension}</ObjectEvent>").encode()
    (event,) = list(parse_xml(io.BytesIO(data)).events)
    assert event.data[key] == value
    assert event.namespaces == namespaces


def test_streams_large_documents_clearing_processed_events() -> None:
    event = f"<ObjectEvent>{BASE}</ObjectEvent>"
    data = DOC_20.format(event * 2000).encode()
    events = parse_xml(io.BytesIO(data)).events
    seen = 0
    for parsed in events:
        seen += 1
        assert parsed.index == seen - 1
    assert seen == 2000


def test_keeps_unknown_list_members_in_document_order_as_invalid_events() -> None:
    body = (
        f"<ObjectEvent>{BASE}</ObjectEvent><Bogus/>"
        f'<v:Custom xmlns:v="urn:v">{BASE}</v:Custom><ObjectEvent>{BASE}</ObjectEvent>'
        f'<extension><v:Custom xmlns:v="urn:v">{BASE}</v:Custom></extension>'
    )
    events = list(parse_xml(io.BytesIO(DOC_20.format(body).encode())).events)
    assert [e.index for e in events] == [0, 1, 2, 3, 4]
    assert [e.data["type"] for e in events] == [
        "ObjectEvent",
        "Bogus",
        "{urn:v}Custom",
        "ObjectEvent",
        "v:Custom",
    ]
    # EventList has no xs:any: a vendor event type belongs in its <extension> (##other),
    # where it is read as a URI-typed event; directly in the list it is an invalid event.
    assert [e.is_valid for e in events] == [True, False, False, True, True]
    assert [e.errors[0].message for e in events if not e.is_valid] == [
        "<Bogus> is not an EPCIS event type: <EventList> holds <ObjectEvent>, "
        "<AggregationEvent>, <TransactionEvent>, <TransformationEvent>, <AssociationEvent>, "
        "<extension>",
        "<v:Custom> (namespace urn:v) is not allowed directly in <EventList>: a vendor event "
        "type goes inside <EventList><extension>",
    ]


# --- shapes the hash reference reads (vectors *XmlDocHavingEventWithIgnoreFields) ---------

QUANTITY = (
    "<quantityList><quantityElement><epcClass>urn:epc:class:lgtin:4054739.099961.L1</epcClass>"
    "<quantity>150</quantity><uom>KGM</uom></quantityElement></quantityList>"
)
WHERE = "<bizStep>urn:epcglobal:cbv:bizstep:commissioning</bizStep>"


def parsed_events(body: str, document: str = DOC_20) -> list[Any]:
    return list(parse_xml(io.BytesIO(document.format(body).encode())).events)


def test_reads_1_2_style_members_in_the_extension_of_a_2_0_event_as_flat_ones() -> None:
    (flat,) = parsed_events(f"<ObjectEvent>{BASE}{WHERE}{QUANTITY}</ObjectEvent>")
    (wrapped,) = parsed_events(
        f'<ObjectEvent>{BASE}{WHERE}<extension>{QUANTITY}</extension><x:a xmlns:x="urn:x">t'
        "</x:a></ObjectEvent>"
    )
    assert wrapped.errors == []
    assert wrapped.data == {**flat.data, "x:a": "t"}
    assert wrapped.data["quantityList"] == [
        {"epcClass": "urn:epc:class:lgtin:4054739.099961.L1", "quantity": 150, "uom": "KGM"}
    ]


def test_a_member_given_flat_and_in_the_extension_is_an_error() -> None:
    (event,) = parsed_events(
        f"<ObjectEvent>{BASE}{QUANTITY}<extension>{QUANTITY}</extension></ObjectEvent>"
    )
    assert [error.field for error in event.errors] == ["quantityList"]
    (event,) = parsed_events(f"<ObjectEvent>{BASE}<extension><color/></extension></ObjectEvent>")
    assert [error.field for error in event.errors] == ["color"]


ROOT_EXTENSION = (
    '<rx:ignoreFields xmlns:rx="https://repository-x.example.com/" '
    'xmlns:ex="https://ns.example.com/epcis/"><ex:a/><ex:b/></rx:ignoreFields>'
)


def test_exposes_vendor_elements_of_the_root_with_the_header_extensions() -> None:
    data = DOC_20.replace("<EPCISBody>", ROOT_EXTENSION + "<EPCISBody>").format(
        f"<ObjectEvent>{BASE}</ObjectEvent>"
    )
    document = parse_xml(io.BytesIO(data.encode()))
    assert document.header_extensions == {"rx:ignoreFields": {"ex:a": "", "ex:b": ""}}
    assert document.namespaces == {
        "rx": "https://repository-x.example.com/",
        "ex": "https://ns.example.com/epcis/",
    }
    assert [event.is_valid for event in document.events] == [True]


QUERY_DOC_WITHOUT_BODY = (
    '<q:EPCISQueryDocument xmlns:q="urn:epcglobal:epcis-query:xsd:2" schemaVersion="2.0">'
    f"{ROOT_EXTENSION}<queryName>SimpleEventQuery</queryName>"
    "<resultsBody><EventList>{}</EventList></resultsBody></q:EPCISQueryDocument>"
)


def test_reads_a_query_document_with_results_body_right_under_the_root() -> None:
    document = parse_xml(
        io.BytesIO(QUERY_DOC_WITHOUT_BODY.format(f"<ObjectEvent>{BASE}</ObjectEvent>").encode())
    )
    assert document.document_type == "EPCISQueryDocument"
    assert document.header_extensions == {"rx:ignoreFields": {"ex:a": "", "ex:b": ""}}
    events = list(document.events)
    assert [(event.data["type"], event.is_valid) for event in events] == [("ObjectEvent", True)]


def test_results_body_right_under_the_root_is_only_for_query_documents() -> None:
    data = (
        '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2">'
        f"<resultsBody><EventList><ObjectEvent>{BASE}</ObjectEvent></EventList></resultsBody>"
        "</epcis:EPCISDocument>"
    )
    with pytest.raises(DocumentError) as caught:
        parse_xml(io.BytesIO(data.encode()))
    assert caught.value.kind == "invalid"


# --- a UTF-8 byte-order mark before the document ----------------------------------------

BOM = b"\xef\xbb\xbf"


def test_reads_xml_after_a_byte_order_mark() -> None:
    data = (
        BOM
        + b'<?xml version="1.0" encoding="UTF-8"?>\n'
        + DOC_20.format(f"<ObjectEvent>{BASE}</ObjectEvent>").encode()
    )
    assert [event.is_valid for event in parse_xml(io.BytesIO(data)).events] == [True]


@pytest.mark.parametrize(
    "doctype",
    [b'<!DOCTYPE x [<!ENTITY a "b">]>', b'<!DOCTYPE x SYSTEM "http://127.0.0.1:1/x.dtd">'],
)
def test_a_byte_order_mark_does_not_hide_a_doctype_with_declarations(doctype: bytes) -> None:
    data = BOM + doctype + DOC_20.format(f"<ObjectEvent>{BASE}</ObjectEvent>").encode()
    with pytest.raises(DocumentError) as caught:
        parse_xml(io.BytesIO(data))
    assert caught.value.kind == "forbidden"
