"""EPCIS Event Hash ID against the reference implementation's vectors, plus hand-checked pieces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from epcis.hashing import (
    event_hash_id,
    format_number,
    hash_time_text,
    ignored_fields,
    prehash_string,
)
from epcis.parsing import parse_document
from tests.support.gs1 import gs1_files, requires_gs1

VECTORS = "hash-test-vectors/examples/"
MEDIA_TYPES = {".xml": "application/xml", ".json": "application/json"}


def _parse(path: Path) -> tuple[list[tuple[dict, dict[str, str]]], frozenset[str]]:
    """Events (data, namespaces) of a vector file, and the document's ignoreFields."""
    with path.open("rb") as stream:
        document = parse_document(stream, MEDIA_TYPES.get(path.suffix, "application/ld+json"))
        events = [(event.data, event.namespaces) for event in document.events]
    return events, ignored_fields(document.header_extensions, document.namespaces)


def _hashes(path: Path) -> list[str]:
    events, ignore = _parse(path)
    return [event_hash_id(data, namespaces, ignore) for data, namespaces in events]


# Every vector, the *HavingEventWithIgnoreFields ones included: their document-level
# `repository-x:ignoreFields` reaches `ignored_fields` through header_extensions.
INPUTS = [
    pytest.param(path, id=path.name)
    for path in gs1_files(VECTORS + "*.jsonld") + gs1_files(VECTORS + "*.xml")
    if path.with_suffix(".hashes").is_file()
]


@requires_gs1
@pytest.mark.parametrize("path", INPUTS)
def test_vector_hashes(path: Path) -> None:
    expected = path.with_suffix(".hashes").read_text().split()
    assert _hashes(path) == expected


@requires_gs1
@pytest.mark.parametrize(
    "path", [pytest.param(p, id=p.name) for p in gs1_files("hash-test-vectors/expected_equal/*")]
)
def test_expected_equal(path: Path) -> None:
    hashes = _hashes(path)
    assert len(hashes) > 1
    assert len(set(hashes)) == 1


@requires_gs1
def test_xml_examples_hash_distinct() -> None:
    hashes: list[str] = []
    for path in gs1_files(VECTORS + "*.xml"):
        hashes += _hashes(path)
    assert len(hashes) > 40
    assert len(set(hashes)) == len(hashes)


@requires_gs1
def test_inputs_found() -> None:
    assert len(INPUTS) == 39


# --- pieces, expected strings written by hand ---------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2020-03-04T11:00:30.9995+01:00", "2020-03-04T10:00:31.000Z"),
        ("2020-03-04T11:00:30.9994+01:00", "2020-03-04T10:00:30.999Z"),
        ("2023-02-02T11:04:03.1415Z", "2023-02-02T11:04:03.142Z"),
        ("2022-02-16T08:40:21.3142715Z", "2022-02-16T08:40:21.314Z"),
        ("2019-10-21T14:58:56+02:00", "2019-10-21T12:58:56.000Z"),
        ("2019-10-21T01:58:56.5-06:30", "2019-10-21T08:28:56.500Z"),
        ("2019-12-31T23:59:59.99951Z", "2020-01-01T00:00:00.000Z"),
        ("2020-03-01T00:30:00+01:00", "2020-02-29T23:30:00.000Z"),
        (" 2019-10-21T12:58:56.000Z ", "2019-10-21T12:58:56.000Z"),
        # Near misses of the already-UTC-milliseconds short cut.
        ("2025-01-06T06:00:00.000z", "2025-01-06T06:00:00.000Z"),
        ("2025-01-06T06:00:00,000Z", "2025-01-06T06:00:00.000Z"),
        ("2025-01-06T06:00:00.000+00:00", "2025-01-06T06:00:00.000Z"),
        ("2025-02-30T06:00:00.000Z", "2025-02-30T06:00:00.000Z"),  # invalid: as written
        ("yesterday", "yesterday"),
    ],
)
def test_hash_time_text(given: str, expected: str) -> None:
    assert hash_time_text(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("26.0", "26"),
        ("0.180000000000", "0.18"),
        ("12.10000", "12.1"),
        ("+5", "5"),
        ("-0.50", "-0.5"),
        ("1e3", "1000"),
        ("007", "7"),
        ("111100001111000011110000", "111100001111000003641344"),  # reference's double rounding
        ("2019-10-21", "2019-10-21"),
        ("-inf", "-inf"),
        ("P3Y", "P3Y"),
    ],
)
def test_format_number(given: str, expected: str) -> None:
    assert format_number(given) == expected


NS = {"ex": "https://ns.example.com/epcis/", "cbvmda": "urn:epcglobal:cbv:mda"}
SGTIN_2017 = "https://id.gs1.org/01/10614141073464/21/2017"
SGTIN_2018 = "https://id.gs1.org/01/10614141073464/21/2018"


def test_order_lists_and_vocabulary() -> None:
    event = {
        "type": "ObjectEvent",
        "eventID": "ni:///sha-256;00?ver=CBV2.0",
        "recordTime": "2020-01-01T00:00:00Z",
        "ex:zeta": "  Z  ",
        "bizTransactionList": [
            {"type": "po", "bizTransaction": "http://tx.example.com/po/2"},
            {"type": "desadv", "bizTransaction": "http://tx.example.com/asn/1"},
        ],
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2018", SGTIN_2017],
        "action": "OBSERVE",
        "eventTimeZoneOffset": "-06:00",
        "eventTime": "2005-04-03T20:33:31.116-06:00",
        "bizStep": "shipping",
        "disposition": "urn:epcglobal:cbv:disp:in_transit",
        "readPoint": {"ex:rp": "x", "id": "urn:epc:id:sgln:0614141.07346.1234"},
        "errorDeclaration": {"declarationTime": "2020-01-01T00:00:00Z"},
    }
    assert prehash_string(event, NS) == (
        "eventType=ObjectEvent"
        "eventTime=2005-04-04T02:33:31.116Z"
        "eventTimeZoneOffset=-06:00"
        f"epcListepc={SGTIN_2017}epc={SGTIN_2018}"
        "action=OBSERVE"
        "bizStep=https://ref.gs1.org/cbv/BizStep-shipping"
        "disposition=https://ref.gs1.org/cbv/Disp-in_transit"
        "readPointid=https://id.gs1.org/414/0614141073467/254/1234"
        "{https://ns.example.com/epcis/}rp=x"
        "bizTransactionList"
        "type=https://ref.gs1.org/cbv/BTT-desadvbizTransaction=http://tx.example.com/asn/1"
        "type=https://ref.gs1.org/cbv/BTT-pobizTransaction=http://tx.example.com/po/2"
        "{https://ns.example.com/epcis/}zeta=Z"
    )


def test_parent_quantities_ilmd_and_trailing_block() -> None:
    event = {
        "type": "AggregationEvent",
        "childQuantityList": [
            {"epcClass": "urn:epc:class:lgtin:4012345.012345.998877", "quantity": 10.50},
            {"epcClass": "urn:epc:idpat:sgtin:4012345.098765.*", "quantity": 2, "uom": "KGM"},
        ],
        "parentID": "urn:epc:id:sscc:0614141.1234567890",
        "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
        "ilmd": {"cbvmda:lotNumber": "L1", "ex:batch": {"ex:b": ["2", "1"]}},
        "destinationList": [{"destination": "https://example.org/d", "type": "location"}],
    }
    assert prehash_string(event, NS) == (
        "eventType=AggregationEvent"
        "parentID=https://id.gs1.org/00/106141412345678908"
        "childQuantityList"
        "quantityElementepcClass=https://id.gs1.org/01/04012345123456/10/998877quantity=10.5"
        "quantityElementepcClass=https://id.gs1.org/01/04012345987652quantity=2uom=KGM"
        "destinationListtype=https://ref.gs1.org/cbv/SDT-locationdestination=https://example.org/d"
        "ilmd{https://ns.example.com/epcis/}batch"
        "{https://ns.example.com/epcis/}b=1{https://ns.example.com/epcis/}b=2"
        "{urn:epcglobal:cbv:mda}lotNumber=L1"
        "sourceListtype=https://ref.gs1.org/cbv/SDT-owning_party"
        "source=https://id.gs1.org/417/4012345000009"
    )


def test_sensor_elements_sorted_with_extensions_at_their_end() -> None:
    event = {
        "type": "ObjectEvent",
        "sensorElementList": [
            {
                "ex:el": "E",
                "sensorReport": [
                    {"type": "Temperature", "value": 26.0, "uom": "CEL", "ex:r": "R"},
                    {"value": 1, "type": "gs1:Humidity", "exception": "ALARM_CONDITION"},
                ],
                "sensorMetadata": {"ex:m": "M", "time": "2019-04-02T14:05:00.000+01:00"},
            },
            {"sensorReport": [{"type": "ex:Custom", "stringValue": "s", "bizRules": "b"}]},
        ],
    }
    assert prehash_string(event, NS) == (
        "eventType=ObjectEvent"
        "sensorElementList"
        "sensorElementsensorMetadatatime=2019-04-02T13:05:00.000Z"
        "{https://ns.example.com/epcis/}m=M"
        "sensorReporttype=https://gs1.org/voc/Humidity"
        "exception=https://gs1.org/voc/ALARM_CONDITIONvalue=1"
        "sensorReporttype=https://gs1.org/voc/Temperaturevalue=26uom=CEL"
        "{https://ns.example.com/epcis/}r=R"
        "{https://ns.example.com/epcis/}el=E"
        "sensorElementsensorReporttype=ex:CustomstringValue=s"
        # A non-standard member is printed with its path in the trailing block (reference quirk).
        "sensorElementListsensorElementsensorReportbizRules=b"
    )


def test_unusual_shapes_take_the_general_path() -> None:
    # Short cuts cover string EPC lists, `{"id": uri}` places and string values; the rest
    # must still render as the general renderers do.
    event = {
        "type": "ObjectEvent",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.2018", 5, " ", SGTIN_2017],
        "childEPCs": "urn:epc:id:sgtin:0614141.107346.2018",
        "action": ["ADD"],
        "readPoint": {"id": 7},
        "bizLocation": {"ex:x": "y"},
        "sourceList": ["urn:epc:id:pgln:4012345.00000", {"type": None, "source": " "}],
        "ilmd": {"#text": "t", "@ex:a": "1", "cbvmda:lotNumber": ["L1", None]},
    }
    assert prehash_string(event, NS) == (
        "eventType=ObjectEvent"
        f"epcListepc=5epc={SGTIN_2017}epc={SGTIN_2018}"
        f"childEPCsepc={SGTIN_2018}"
        "action=ADD"
        "readPointid=7"
        "bizLocation{https://ns.example.com/epcis/}x=y"
        "ilmd=t{https://ns.example.com/epcis/}a=1"
        "{urn:epcglobal:cbv:mda}lotNumber{urn:epcglobal:cbv:mda}lotNumber=L1"
        "sourceListsource=https://id.gs1.org/417/4012345000009"
    )


def test_malformed_identifier_hashed_as_written() -> None:
    event = {"type": "ObjectEvent", "ex:link": "https://example.com/01/123", "ex:n": "0.50"}
    assert prehash_string(event, NS) == (
        "eventType=ObjectEvent"
        "{https://ns.example.com/epcis/}link=https://example.com/01/123"
        "{https://ns.example.com/epcis/}n=0.5"
    )


def test_ignored_fields_and_hash_format() -> None:
    event = {"type": "ObjectEvent", "action": "ADD", "ex:captureID": "1", "ex:keep": "2"}
    ignore = ignored_fields({"rx:ignoreFields": ["ex:captureID"]}, NS)
    assert ignore == {"{https://ns.example.com/epcis/}captureID"}
    text = "eventType=ObjectEventaction=ADD{https://ns.example.com/epcis/}keep=2"
    assert prehash_string(event, NS, ignore) == text
    hashed = event_hash_id(event, NS, ignore)
    assert re.fullmatch(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0", hashed)
    assert event_hash_id(event, NS) != hashed
