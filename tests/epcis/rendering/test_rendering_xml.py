"""Tests for epcis.rendering.xml.

Oracles: GS1's official 2.0 XSDs (lxml XMLSchema, loaded from ../shared/gs1-epcis) and
GS1's XML examples read back through `epcis.parsing.xml`. Identifier and CBV strings are
written by hand (shared/reference/epcis-2.0.md §8); nothing expected is computed by the
code under test.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from epcis.parsing.jsonld import parse_json
from epcis.parsing.xml import parse_xml
from epcis.rendering.xml import (
    render_xml_capture_job,
    render_xml_document,
    render_xml_event,
)
from tests.support.gs1 import GS1_DIR, gs1_files, requires_gs1

XSD_DIR = GS1_DIR / "schema" / "xsd" / "2.0"
EPCIS_NS = "urn:epcglobal:epcis:xsd:2"
QUERY_NS = "urn:epcglobal:epcis-query:xsd:2"
RECORD_TIME = "2024-05-06T07:08:09.123Z"
CREATED = "2024-05-06T07:08:10Z"

EPC_FORMATS = ("Always_GS1_Digital_Link", "Always_EPC_URN", "Never_Translates", "No_Preference")
CBV_FORMATS = ("Always_Web_URI", "Always_URN", "Never_Translates", "No_Preference")


@cache
def schema(name: str) -> etree.XMLSchema:
    # Loaded from the shared folder so the imported EPCglobal and SBDH XSDs resolve beside it.
    return etree.XMLSchema(etree.parse(str(XSD_DIR / name)))


def assert_valid(document: bytes, xsd: str = "EPCglobal-epcis-2_0.xsd") -> etree._Element:
    tree = etree.fromstring(document)
    validator = schema(xsd)
    assert validator.validate(tree), "\n".join(str(e) for e in validator.error_log)
    return tree


def parse_events(document: bytes) -> list[Any]:
    return list(parse_xml(io.BytesIO(document)).events)


def expand(value: Any, namespaces: dict[str, str]) -> Any:
    """`value` with every CURIE key `p:local` / `@p:local` written `{uri}local`."""
    if isinstance(value, list):
        return [expand(item, namespaces) for item in value]
    if not isinstance(value, dict):
        return value
    return {expand_key(k, namespaces): expand(v, namespaces) for k, v in value.items()}


def expand_key(key: str, namespaces: dict[str, str]) -> str:
    at = "@" if key.startswith("@") else ""
    prefix, sep, local = key[len(at) :].partition(":")
    if sep and prefix in namespaces:
        return f"{at}{{{namespaces[prefix]}}}{local}"
    return key


def stored(data: dict[str, Any], index: int) -> dict[str, Any]:
    """The event as the repository hands it over: eventID (kept or assigned) and recordTime."""
    event_id = data.get("eventID", f"urn:uuid:00000000-0000-4000-8000-{index:012d}")
    return {**data, "eventID": event_id, "recordTime": RECORD_TIME}


# ---------------------------------------------------------------------------------------
# Every GS1 XML example with events: XSD-valid output, and render(parse(x)) == x
# ---------------------------------------------------------------------------------------

# Master-data-only documents have no events to render.
MASTER_DATA_ONLY = {
    "CBV/CBV-11.4-2020-06-16a.xml",
    "Mimasu/Example-masterData.xml",
    "WithFullCombinationOfFields/masterdata_all_possible_fields.xml",
}
EXAMPLES_DIR = GS1_DIR / "examples" / "xml"
EXAMPLES = [
    path
    for path in gs1_files("examples/xml/**/*.xml")
    if "CaptureJob" not in path.parts
    and path.relative_to(EXAMPLES_DIR).as_posix() not in MASTER_DATA_ONLY
]


def example_id(path: Path) -> str:
    return path.relative_to(EXAMPLES_DIR).as_posix()


def read_example(path: Path) -> list[Any]:
    with path.open("rb") as stream:
        events = list(parse_xml(stream).events)
    assert events, f"{example_id(path)} has no events: add it to MASTER_DATA_ONLY?"
    return events


@requires_gs1
def test_examples_found() -> None:
    # 30 GS1 2.0 documents with events + 5 EPCIS 1.2 documents.
    assert len(EXAMPLES) == 35
    assert sum("epcis-1.2" in path.parts for path in EXAMPLES) == 5


@requires_gs1
@pytest.mark.parametrize("path", EXAMPLES, ids=example_id)
@pytest.mark.parametrize("epc_format", EPC_FORMATS)
def test_example_renders_xsd_valid(path: Path, epc_format: str) -> None:
    events = read_example(path)
    for cbv_format in ("Always_Web_URI", "Always_URN"):
        document = render_xml_document(
            [(stored(e.data, e.index), e.namespaces) for e in events],
            kind="EPCISDocument",
            epc_format=epc_format,
            cbv_format=cbv_format,
            creation_date=CREATED,
        )
        tree = assert_valid(document)
        assert tree.tag == f"{{{EPCIS_NS}}}EPCISDocument"
        assert len(tree.find("EPCISBody/EventList")) == len(events)


@requires_gs1
@pytest.mark.parametrize("path", EXAMPLES, ids=example_id)
@pytest.mark.parametrize("cbv_format", CBV_FORMATS)
def test_example_round_trip(path: Path, cbv_format: str) -> None:
    events = read_example(path)
    inputs = [(stored(e.data, e.index), e.namespaces) for e in events]
    document = render_xml_document(
        inputs,
        kind="EPCISDocument",
        epc_format="Never_Translates",
        cbv_format=cbv_format,
        creation_date=CREATED,
    )
    again = parse_events(document)
    assert len(again) == len(inputs)
    for (event, namespaces), parsed in zip(inputs, again, strict=True):
        expected = {k: v for k, v in event.items() if k != "recordTime"}
        assert expand(parsed.data, parsed.namespaces) == expand(expected, namespaces)


@requires_gs1
@pytest.mark.parametrize(
    "path",
    [p for p in EXAMPLES if p.name in {"SensorDataExamples.xml", "AssociationEventExamples.xml"}],
    ids=example_id,
)
def test_query_document_validates(path: Path) -> None:
    events = read_example(path)
    document = render_xml_document(
        [(stored(e.data, e.index), e.namespaces) for e in events],
        query_name="SimpleEventQuery",
        subscription_id="sub-1",
        creation_date=CREATED,
    )
    tree = assert_valid(document, "EPCglobal-epcis-query-2_0.xsd")
    assert tree.tag == f"{{{QUERY_NS}}}EPCISQueryDocument"
    results = tree.find(f"EPCISBody/{{{QUERY_NS}}}QueryResults")
    assert results.findtext("queryName") == "SimpleEventQuery"
    assert results.findtext("subscriptionID") == "sub-1"
    assert len(results.find("resultsBody/EventList")) == len(events)
    assert len(parse_events(document)) == len(events)


@requires_gs1
def test_empty_query_document_validates() -> None:
    document = render_xml_document([], query_name="SimpleEventQuery", creation_date=CREATED)
    tree = assert_valid(document, "EPCglobal-epcis-query-2_0.xsd")
    assert tree.get("schemaVersion") == "2.0"
    assert tree.get("creationDate") == CREATED
    assert tree.find(f"EPCISBody/{{{QUERY_NS}}}QueryResults/subscriptionID") is None


# ---------------------------------------------------------------------------------------
# GS1-EPC-Format
# ---------------------------------------------------------------------------------------

SGTIN_URN = "urn:epc:id:sgtin:0614141.107346.2017"
SGTIN_DL = "https://id.gs1.org/01/10614141073464/21/2017"
SSCC_URN = "urn:epc:id:sscc:0614141.1234567890"
SSCC_DL = "https://id.gs1.org/00/106141412345678908"
LGTIN_URN = "urn:epc:class:lgtin:4012345.012345.998877"
LGTIN_DL = "https://id.gs1.org/01/04012345123456/10/998877"
SGLN_URN = "urn:epc:id:sgln:0614141.07346.1234"
SGLN_DL = "https://id.gs1.org/414/0614141073467/254/1234"
SGLN0_URN = "urn:epc:id:sgln:0012345.11111.0"
SGLN0_DL = "https://id.gs1.org/414/0012345111112"
PGLN_URN = "urn:epc:id:pgln:0614141.00001"
PGLN_DL = "https://id.gs1.org/417/0614141000012"  # check digit 2, computed by hand
# A Digital Link on another domain whose company prefix length is unknown: no EPC URN.
FOREIGN_DL = "https://example.com/01/09780345418913/21/765tz"
FOREIGN_CANONICAL = "https://id.gs1.org/01/09780345418913/21/765tz"
PRIVATE = "urn:example:warehouse:7"

IDENTIFIER_EVENT = {
    "type": "TransactionEvent",
    "eventTime": "2024-01-02T03:04:05.000+01:00",
    "eventTimeZoneOffset": "+01:00",
    "eventID": "urn:uuid:7c0f6f38-2a3b-4c1d-9e8f-0a1b2c3d4e5f",
    "recordTime": RECORD_TIME,
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:example:po:1"}],
    "parentID": SSCC_DL,  # stored as received: a Digital Link
    "epcList": [SGTIN_URN, FOREIGN_DL],
    "action": "ADD",
    "readPoint": {"id": SGLN_URN},
    "bizLocation": {"id": PRIVATE},
    "quantityList": [{"epcClass": LGTIN_URN, "quantity": 5}],
    "sourceList": [{"type": "owning_party", "source": PGLN_URN}],
    "destinationList": [{"type": "location", "destination": SGLN0_DL}],
}
# (parentID, epcList, readPoint, bizLocation, epcClass, source, destination)
STORED = (SSCC_DL, [SGTIN_URN, FOREIGN_DL], SGLN_URN, PRIVATE, LGTIN_URN, PGLN_URN, SGLN0_DL)
EXPECTED_IDENTIFIERS = {
    "Always_GS1_Digital_Link": (
        SSCC_DL,
        [SGTIN_DL, FOREIGN_CANONICAL],
        SGLN_DL,
        PRIVATE,
        LGTIN_DL,
        PGLN_DL,
        SGLN0_DL,
    ),
    "Always_EPC_URN": (
        SSCC_URN,
        [SGTIN_URN, FOREIGN_DL],  # no URN for the foreign prefix: the stored form
        SGLN_URN,
        PRIVATE,
        LGTIN_URN,
        PGLN_URN,
        SGLN0_URN,
    ),
    "Never_Translates": STORED,
    "No_Preference": STORED,
}


def rendered_identifiers(el: etree._Element) -> tuple[Any, ...]:
    return (
        el.findtext("parentID"),
        [epc.text for epc in el.findall("epcList/epc")],
        el.findtext("readPoint/id"),
        el.findtext("bizLocation/id"),
        el.findtext("quantityList/quantityElement/epcClass"),
        el.findtext("sourceList/source"),
        el.findtext("destinationList/destination"),
    )


@pytest.mark.parametrize("epc_format", EPC_FORMATS)
def test_epc_format(epc_format: str) -> None:
    el = render_xml_event(IDENTIFIER_EVENT, {}, epc_format=epc_format)
    assert el.tag == "TransactionEvent"
    assert rendered_identifiers(el) == EXPECTED_IDENTIFIERS[epc_format]
    # Not identifiers: never translated.
    assert el.findtext("bizTransactionList/bizTransaction") == "urn:example:po:1"
    assert el.findtext("eventID") == IDENTIFIER_EVENT["eventID"]


def test_epc_format_default_is_digital_link() -> None:
    el = render_xml_event(IDENTIFIER_EVENT, {})
    assert rendered_identifiers(el) == EXPECTED_IDENTIFIERS["Always_GS1_Digital_Link"]


def test_epc_format_on_child_and_transformation_lists() -> None:
    aggregation = {
        "type": "AggregationEvent",
        "eventTime": "2024-01-02T03:04:05Z",
        "eventTimeZoneOffset": "+00:00",
        "recordTime": RECORD_TIME,
        "parentID": SSCC_URN,
        "childEPCs": [SGTIN_URN],
        "action": "ADD",
        "childQuantityList": [{"epcClass": LGTIN_URN}],
    }
    el = render_xml_event(aggregation, {})
    assert el.findtext("parentID") == SSCC_DL
    assert el.findtext("childEPCs/epc") == SGTIN_DL
    assert el.findtext("childQuantityList/quantityElement/epcClass") == LGTIN_DL
    transformation = {
        "type": "TransformationEvent",
        "eventTime": "2024-01-02T03:04:05Z",
        "eventTimeZoneOffset": "+00:00",
        "recordTime": RECORD_TIME,
        "inputEPCList": [SGTIN_DL],
        "outputQuantityList": [{"epcClass": LGTIN_DL, "quantity": 2.5, "uom": "KGM"}],
    }
    el = render_xml_event(transformation, {}, epc_format="Always_EPC_URN")
    assert el.findtext("inputEPCList/epc") == SGTIN_URN
    assert el.findtext("outputQuantityList/quantityElement/epcClass") == LGTIN_URN
    assert el.findtext("outputQuantityList/quantityElement/quantity") == "2.5"


# ---------------------------------------------------------------------------------------
# GS1-CBV-XML-Format
# ---------------------------------------------------------------------------------------

CBV_EVENT = {
    "type": "ObjectEvent",
    "eventTime": "2024-01-02T03:04:05Z",
    "eventTimeZoneOffset": "+00:00",
    "recordTime": RECORD_TIME,
    "eventID": "urn:uuid:11111111-2222-4333-8444-555555555555",
    "errorDeclaration": {"declarationTime": "2024-01-03T00:00:00Z", "reason": "incorrect_data"},
    "epcList": [SGTIN_URN],
    "action": "OBSERVE",
    "bizStep": "shipping",
    "disposition": "https://example.com/disp/quarantined",  # custom: written as stored
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:example:po:1"}],
    "sourceList": [{"type": "owning_party", "source": PGLN_URN}],
    "persistentDisposition": {"set": ["in_transit"], "unset": ["completeness_inferred"]},
    "sensorElementList": [
        {"sensorReport": [{"type": "Temperature", "value": 4.5, "uom": "CEL", "component": "x"}]}
    ],
}
URN_FORMS = {
    "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
    "bizTransactionList/bizTransaction/@type": "urn:epcglobal:cbv:btt:po",
    "sourceList/source/@type": "urn:epcglobal:cbv:sdt:owning_party",
    "errorDeclaration/reason": "urn:epcglobal:cbv:er:incorrect_data",
    "persistentDisposition/set": "urn:epcglobal:cbv:disp:in_transit",
    "persistentDisposition/unset": "urn:epcglobal:cbv:disp:completeness_inferred",
}
WEB_FORMS = {
    "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping",
    "bizTransactionList/bizTransaction/@type": "https://ref.gs1.org/cbv/BTT-po",
    "sourceList/source/@type": "https://ref.gs1.org/cbv/SDT-owning_party",
    "errorDeclaration/reason": "https://ref.gs1.org/cbv/ER-incorrect_data",
    "persistentDisposition/set": "https://ref.gs1.org/cbv/Disp-in_transit",
    "persistentDisposition/unset": "https://ref.gs1.org/cbv/Disp-completeness_inferred",
}
EXPECTED_CBV = {
    "Always_Web_URI": WEB_FORMS,
    "Always_URN": URN_FORMS,
    # The repository keeps bare words, not the captured spelling: the classic XML URN.
    "Never_Translates": URN_FORMS,
    "No_Preference": URN_FORMS,
}


def xpath_text(el: etree._Element, path: str) -> str:
    (value,) = el.xpath(path if "@" in path else f"{path}/text()")
    return str(value)


@pytest.mark.parametrize("cbv_format", CBV_FORMATS)
def test_cbv_format(cbv_format: str) -> None:
    el = render_xml_event(CBV_EVENT, {}, cbv_format=cbv_format)
    for path, expected in EXPECTED_CBV[cbv_format].items():
        assert xpath_text(el, path) == expected, path
    assert el.findtext("disposition") == "https://example.com/disp/quarantined"
    # Measurement types and components have no URN: always their Web URI.
    report = el.find("sensorElementList/sensorElement/sensorReport")
    assert report.get("type") == "https://gs1.org/voc/Temperature"
    assert report.get("component") == "https://ref.gs1.org/cbv/Comp-x"
    assert report.get("value") == "4.5"


def test_cbv_default_is_urn() -> None:
    el = render_xml_event(CBV_EVENT, {})
    assert el.findtext("bizStep") == "urn:epcglobal:cbv:bizstep:shipping"


def test_persistent_disposition_unset_before_set() -> None:
    el = render_xml_event(CBV_EVENT, {})
    assert [c.tag for c in el.find("persistentDisposition")] == ["unset", "set"]


# ---------------------------------------------------------------------------------------
# XSD order and the extension convention
# ---------------------------------------------------------------------------------------

EXT = "http://example.com/ext/"
OTHER = "http://example.org/other/"

EXTENSION_EVENT = {
    # Deliberately not in XSD order: the renderer must sort.
    "ilmd": {"ex:lot": "L1", "ex:bestBefore": {"@ex:unit": "day", "#text": "2025-01-01"}},
    "ex:top": {"part1": "1", "part2": ["a", "b"], "ot:nested": {"deeper": ""}},
    "action": "ADD",
    "type": "ObjectEvent",
    "recordTime": RECORD_TIME,
    "epcList": [SGTIN_URN],
    "eventTimeZoneOffset": "+02:00",
    "eventTime": "2024-01-02T03:04:05+02:00",
    "eventID": "urn:uuid:22222222-2222-4222-8222-222222222222",
    "certificationInfo": "https://example.com/cert/1",
    "readPoint": {"id": SGLN_URN, "ex:room": "12"},
    "quantityList": [{"epcClass": LGTIN_URN, "quantity": 1e-05, "uom": "KGM"}],
    "sensorElementList": [
        {
            "sensorMetadata": {"time": "2024-01-02T03:00:00+02:00", "ex:batch": "b7"},
            "sensorReport": [
                {"type": "Temperature", "value": 26, "booleanValue": False, "ex:probe": "p1"},
                {"type": "Humidity_custom", "stringValue": "high"},
            ],
            "ex:note": "calibrated",
        }
    ],
    "ex:empty": "",
    "ex:list": ["1", "2"],
}
EXTENSION_NAMESPACES = {"ex": EXT, "ot": OTHER}


def test_members_in_xsd_order() -> None:
    el = render_xml_event(EXTENSION_EVENT, EXTENSION_NAMESPACES)
    assert [child.tag for child in el] == [
        "eventTime",
        "recordTime",
        "eventTimeZoneOffset",
        "eventID",
        "certificationInfo",
        "epcList",
        "action",
        "readPoint",
        "quantityList",
        "sensorElementList",
        "ilmd",
        f"{{{EXT}}}top",
        f"{{{EXT}}}empty",
        f"{{{EXT}}}list",
        f"{{{EXT}}}list",
    ]


def test_extension_convention() -> None:
    el = render_xml_event(EXTENSION_EVENT, EXTENSION_NAMESPACES, epc_format="Never_Translates")
    top = el.find(f"{{{EXT}}}top")
    assert [c.tag for c in top] == ["part1", "part2", "part2", f"{{{OTHER}}}nested"]
    assert top.find(f"{{{OTHER}}}nested/deeper").text is None
    best = el.find(f"ilmd/{{{EXT}}}bestBefore")
    assert best.get(f"{{{EXT}}}unit") == "day"
    assert best.text == "2025-01-01"
    assert el.findtext(f"readPoint/{{{EXT}}}room") == "12"
    assert el.findtext("quantityList/quantityElement/quantity") == "0.00001"  # no exponent
    metadata = el.find("sensorElementList/sensorElement/sensorMetadata")
    assert metadata.get(f"{{{EXT}}}batch") == "b7"
    report = el.find("sensorElementList/sensorElement/sensorReport")
    assert report.get("booleanValue") == "false"
    assert report.get(f"{{{EXT}}}probe") == "p1"
    assert report.getparent()[-1].tag == f"{{{EXT}}}note"
    assert el.nsmap == EXTENSION_NAMESPACES


@requires_gs1
def test_extension_event_round_trip_and_valid() -> None:
    document = render_xml_document(
        [(EXTENSION_EVENT, EXTENSION_NAMESPACES)],
        kind="EPCISDocument",
        epc_format="Never_Translates",
        creation_date=CREATED,
    )
    assert_valid(document)
    (parsed,) = parse_events(document)
    expected = {k: v for k, v in EXTENSION_EVENT.items() if k != "recordTime"}
    assert expand(parsed.data, parsed.namespaces) == expand(expected, EXTENSION_NAMESPACES)


@requires_gs1
def test_conflicting_prefixes_across_events() -> None:
    base = {
        "type": "ObjectEvent",
        "eventTime": "2024-01-02T03:04:05Z",
        "eventTimeZoneOffset": "+00:00",
        "recordTime": RECORD_TIME,
        "epcList": [],
        "action": "OBSERVE",
    }
    first = {**base, "eventID": "urn:uuid:1", "ex:a": "one"}
    second = {**base, "eventID": "urn:uuid:2", "ex:a": "two", "ot:b": "three"}
    document = render_xml_document(
        [(first, {"ex": EXT}), (second, {"ex": OTHER, "ot": EXT})],
        kind="EPCISDocument",
        creation_date=CREATED,
    )
    tree = assert_valid(document)
    assert tree.nsmap["ex"] == EXT  # first come, declared on the root
    one, two = parse_events(document)
    assert expand(one.data, one.namespaces)[f"{{{EXT}}}a"] == "one"
    assert expand(two.data, two.namespaces)[f"{{{OTHER}}}a"] == "two"
    assert expand(two.data, two.namespaces)[f"{{{EXT}}}b"] == "three"


@requires_gs1
def test_vendor_event_type_in_event_list_extension() -> None:
    event = {
        "type": "ex:InspectionEvent",
        "eventTime": "2024-01-02T03:04:05Z",
        "eventTimeZoneOffset": "+00:00",
        "recordTime": RECORD_TIME,
        "eventID": "urn:uuid:3",
        "readPoint": {"id": PRIVATE},
        "ex:grade": "A",
    }
    document = render_xml_document(
        [(event, {"ex": EXT})], kind="EPCISDocument", creation_date=CREATED
    )
    tree = assert_valid(document)
    assert tree.find(f"EPCISBody/EventList/extension/{{{EXT}}}InspectionEvent") is not None
    (parsed,) = parse_events(document)
    assert parsed.data["ex:grade"] == "A"
    assert parsed.data["readPoint"] == {"id": PRIVATE}


def test_quantity_nil_when_only_uom() -> None:
    event = {**IDENTIFIER_EVENT, "quantityList": [{"epcClass": LGTIN_URN, "uom": "KGM"}]}
    quantity = render_xml_event(event, {}).find("quantityList/quantityElement/quantity")
    assert quantity.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"


def test_several_certification_infos_keep_the_first() -> None:
    event = {**CBV_EVENT, "certificationInfo": ["https://example.com/c/1", "https://x/2"]}
    el = render_xml_event(event, {})
    assert [c.text for c in el.findall("certificationInfo")] == ["https://example.com/c/1"]


# ---------------------------------------------------------------------------------------
# Capture jobs
# ---------------------------------------------------------------------------------------

CAPTURE_JOBS: dict[str, dict[str, Any]] = {
    "running": {
        "captureID": "f70c90d0-69a7-439b-bdcf-e51b19763d5f",
        "createdAt": "2022-03-03T10:33:31.116+01:00",
        "finishedAt": None,
        "running": True,
        "success": False,
        "captureErrorBehaviour": "proceed",
        "errors": [],
    },
    "succeeded": {
        "captureID": "f70c90d0-69a7-439b-bdcf-e51b19763d5f",
        "createdAt": "2022-03-03T10:33:31.116+01:00",
        "finishedAt": "2022-03-03T10:33:45.001+01:00",
        "running": False,
        "success": True,
        "captureErrorBehaviour": "rollback",
        "errors": [],
    },
    "failed": {
        "captureID": "f3755dab-1d90-46a5-b837-01032b232cf0",
        "createdAt": "2022-03-03T10:33:31.116+01:00",
        "finishedAt": "2022-03-03T10:33:45.001+01:00",
        "running": False,
        "success": False,
        "captureErrorBehaviour": "rollback",
        "errors": [
            {
                "type": "epcisException:ValidationException",
                "title": "EPCIS Event Validation Failure",
                "status": 400,
                "detail": "event 2: epcList[0] is not a URI",
                "instance": "https://example.com/instance/1",
                "eventIndex": 2,  # not in the XSD: left out
            },
            {"title": "Second problem"},
        ],
    },
}


@requires_gs1
@pytest.mark.parametrize("name", CAPTURE_JOBS)
def test_capture_job_validates(name: str) -> None:
    job = CAPTURE_JOBS[name]
    tree = assert_valid(render_xml_capture_job(job))
    assert tree.tag == f"{{{EPCIS_NS}}}EPCISCaptureJob"
    assert tree.get("captureID") == job["captureID"]
    assert tree.get("running") == ("true" if job["running"] else "false")
    assert tree.get("success") == ("true" if job["success"] else "false")
    assert tree.findtext("captureErrorBehaviour") == job["captureErrorBehaviour"]
    assert tree.findtext("finishedAt") == job["finishedAt"]


@requires_gs1
def test_capture_job_errors() -> None:
    tree = assert_valid(render_xml_capture_job(CAPTURE_JOBS["failed"]))
    first, second = tree.findall("errors/error")
    assert [c.tag for c in first] == ["type", "title", "status", "detail", "instance"]
    assert first.findtext("status") == "400"
    assert second.findtext("type") == "about:blank"  # RFC 7807 default
    assert second.findtext("title") == "Second problem"


def test_capture_job_without_errors_has_no_errors_element() -> None:
    tree = etree.fromstring(render_xml_capture_job(CAPTURE_JOBS["succeeded"]))
    assert tree.find("errors") is None


# ---------------------------------------------------------------------------------------
# GS1's JSON-LD examples rendered as XML (typed extension values become text, so only
# validity and the event count are checked)
# ---------------------------------------------------------------------------------------

JSON_DIR = GS1_DIR / "examples" / "json"
JSON_EXAMPLES = [
    path
    for path in gs1_files("examples/json/**/*.json*")
    # bare events (not documents) are not read by parse_json
    if "schema-test-events" not in path.parts
]


@requires_gs1
@pytest.mark.parametrize("path", JSON_EXAMPLES, ids=lambda p: p.relative_to(JSON_DIR).as_posix())
def test_json_example_renders_xsd_valid(path: Path) -> None:
    with path.open("rb") as stream:
        events = [e for e in parse_json(stream).events if e.is_valid]
    if not events:
        pytest.skip("no valid events")
    document = render_xml_document(
        [(stored(e.data, e.index), e.namespaces) for e in events],
        kind="EPCISDocument",
        cbv_format="Always_Web_URI",
        creation_date=CREATED,
    )
    assert_valid(document)
    assert len(parse_events(document)) == len(events)
