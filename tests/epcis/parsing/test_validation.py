"""The shared event validator, over canonical dicts (the XML parser relies on it too)."""

import copy
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from epcis.parsing import parse_document
from epcis.parsing.validation import parse_time, validate_event, validated_event
from tests.support.documents import JSON, XML, jsonld_document, xml_events

OBJECT_EVENT: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventTime": "2024-03-04T07:30:00.000+01:00",
    "eventTimeZoneOffset": "+01:00",
    "eventID": "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a1001",
    "epcList": ["urn:epc:id:sgtin:4012345.011111.1001"],
    "action": "ADD",
    "bizStep": "commissioning",
    "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.1"},
}
AGGREGATION_EVENT: dict[str, Any] = {
    "type": "AggregationEvent",
    "eventTime": "2024-03-04T08:15:00Z",
    "eventTimeZoneOffset": "+01:00",
    "parentID": "urn:epc:id:sscc:4012345.0000000001",
    "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1001"],
    "action": "ADD",
}
SENSOR = {
    "sensorMetadata": {"time": "2024-03-04T07:00:00+01:00"},
    "sensorReport": [{"type": "Temperature", "value": 5.2, "uom": "CEL"}],
}
NAMESPACES = {"acme": "https://pharma.acme.example/epcis/", "cbvmda": "urn:epcglobal:cbv:mda:"}


def changed(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy of `base` with members replaced; a value of None removes the member."""
    event = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def errors_of(event: dict[str, Any]) -> list[tuple[str, str]]:
    return [(error.field, error.message) for error in validate_event(event, NAMESPACES, 7)]


@pytest.mark.parametrize(
    "event",
    [
        OBJECT_EVENT,
        AGGREGATION_EVENT,
        changed(OBJECT_EVENT, epcList=[]),  # an empty epcList is allowed (footnote 1)
        changed(OBJECT_EVENT, epcList=None, sensorElementList=[SENSOR]),
        changed(OBJECT_EVENT, ilmd={"cbvmda:lotNumber": "LOT1", "acme:note": {"acme:x": 1}}),
        changed(AGGREGATION_EVENT, action="DELETE", childEPCs=None),
        changed(AGGREGATION_EVENT, action="OBSERVE", parentID=None),
        changed(AGGREGATION_EVENT, persistentDisposition={"set": ["completeness_verified"]}),
        changed(OBJECT_EVENT, bizStep="https://pharma.acme.example/steps/relabel"),
        {
            "type": "acme:CustomEvent",
            "eventTime": "2024-03-04T07:30:00Z",
            "eventTimeZoneOffset": "+00:00",
            "acme:anything": True,
        },
    ],
)
def test_accepts_valid_events(event: dict[str, Any]) -> None:
    assert errors_of(event) == []


@pytest.mark.parametrize(
    ("event", "field", "word"),
    [
        (changed(OBJECT_EVENT, action=None), "action", "required"),
        (changed(OBJECT_EVENT, action="ADDED"), "action", "ADD, OBSERVE or DELETE"),
        (changed(OBJECT_EVENT, eventTime="2024-03-04"), "eventTime", "RFC 3339"),
        (changed(OBJECT_EVENT, eventTime="2024-03-04T07:30:00"), "eventTime", "offset"),
        (changed(OBJECT_EVENT, eventTimeZoneOffset="+15:00"), "eventTimeZoneOffset", "+01:00"),
        (changed(OBJECT_EVENT, epcList=None), "epcList", "needs epcList"),
        (changed(OBJECT_EVENT, epcList=["not a uri"]), "epcList[0]", "not a URI"),
        (
            changed(OBJECT_EVENT, epcList=["https://id.gs1.org/01/04012345111113/21/1"]),
            "epcList[0]",
            "check digit",
        ),
        (changed(OBJECT_EVENT, bizStep="comissioning"), "bizStep", "business step"),
        (changed(OBJECT_EVENT, action="OBSERVE", ilmd={"cbvmda:lotNumber": "L"}), "ilmd", "ADD"),
        (changed(AGGREGATION_EVENT, ilmd={"cbvmda:lotNumber": "L"}), "ilmd", "only allowed"),
        (changed(OBJECT_EVENT, lotNumber="L1"), "lotNumber", "not a field of ObjectEvent"),
        (changed(OBJECT_EVENT, **{"other:x": 1}), "other:x", "not defined"),
        (changed(OBJECT_EVENT, ilmd={"lotNumber": "L"}), "ilmd.lotNumber", "prefix:name"),
        (changed(AGGREGATION_EVENT, childEPCs=[]), "childEPCs", "needs childEPCs"),
        (changed(AGGREGATION_EVENT, parentID=None), "parentID", "ADD or DELETE"),
        (
            {**changed(AGGREGATION_EVENT, type="AssociationEvent"), "parentID": None},
            "parentID",
            "not a URI",
        ),
        (
            changed(AGGREGATION_EVENT, type="AssociationEvent", parentID=None),
            "parentID",
            "required",
        ),
        (
            changed(
                OBJECT_EVENT,
                quantityList=[{"epcClass": "urn:epc:class:lgtin:4012345.011111.L", "quantity": -2}],
            ),
            "quantityList[0].quantity",
            ">= 0",
        ),
        (
            changed(
                OBJECT_EVENT,
                quantityList=[
                    {"epcClass": "urn:epc:class:lgtin:4012345.011111.L", "quantity": 2, "uom": "kg"}
                ],
            ),
            "quantityList[0].uom",
            "KGM",
        ),
        (
            changed(OBJECT_EVENT, persistentDisposition={"set": ["activ"]}),
            "persistentDisposition.set[0]",
            "disposition",
        ),
        (
            changed(OBJECT_EVENT, errorDeclaration={"reason": "incorrect_data"}),
            "errorDeclaration.declarationTime",
            "declarationTime",
        ),
        (
            changed(
                OBJECT_EVENT, bizTransactionList=[{"type": "purchase", "bizTransaction": "urn:x:1"}]
            ),
            "bizTransactionList[0].type",
            "transaction type",
        ),
        (
            changed(OBJECT_EVENT, sourceList=[{"source": "urn:epc:id:pgln:4012345.00000"}]),
            "sourceList[0]",
            "needs type",
        ),
        (
            changed(OBJECT_EVENT, epcList=[OBJECT_EVENT["epcList"][0]] * 2),
            "epcList",
            "more than once",
        ),
        ({"type": "Event", "eventTime": "2024-03-04T07:30:00Z"}, "type", "not an EPCIS event type"),
    ],
)
def test_rejects_invalid_events(event: dict[str, Any], field: str, word: str) -> None:
    errors = errors_of(event)
    assert any(path == field and word in message for path, message in errors), errors


def sensor_event(metadata: dict[str, Any], report: dict[str, Any]) -> dict[str, Any]:
    element = {"sensorMetadata": metadata, "sensorReport": [{"type": "Temperature", **report}]}
    return changed(OBJECT_EVENT, sensorElementList=[element])


@pytest.mark.parametrize(
    ("event", "field", "word"),
    [
        (
            sensor_event({"time": "2024-03-04T09:00:00+01:00"}, {}),
            "sensorElementList[0].sensorMetadata.time",
            "after the eventTime",
        ),
        (
            sensor_event({}, {"time": "2024-03-04T06:31:00Z"}),
            "sensorElementList[0].sensorReport[0].time",
            "after the eventTime",
        ),
        (
            sensor_event({"endTime": "2024-03-04T07:00:00"}, {}),
            "sensorElementList[0].sensorMetadata.endTime",
            "offset",
        ),
        (
            sensor_event(
                {"deviceID": "urn:epc:id:giai:4012345.L1"},
                {"deviceID": "urn:epc:id:giai:4012345.L2"},
            ),
            "sensorElementList[0].sensorReport[0].deviceID",
            "both sensorMetadata and",
        ),
        (
            sensor_event({}, {"type": "Temprature"}),
            "sensorElementList[0].sensorReport[0].type",
            "measurement type",
        ),
        (
            sensor_event({}, {"value": "5.2"}),
            "sensorElementList[0].sensorReport[0].value",
            "number",
        ),
        (
            sensor_event({}, {"hexBinaryValue": "xyz"}),
            "sensorElementList[0].sensorReport[0].hexBinaryValue",
            "hexadecimal",
        ),
        (
            changed(OBJECT_EVENT, sensorElementList=[{"sensorReport": []}]),
            "sensorElementList[0].sensorReport",
            "at least one sensorReport",
        ),
    ],
)
def test_flags_sensor_data_breaking_the_standard(
    event: dict[str, Any], field: str, word: str
) -> None:
    errors = errors_of(event)
    assert any(path == field and word in message for path, message in errors), errors
    (flagged,) = [e for e in validate_event(event, NAMESPACES, 0) if e.field == field]
    # M122 and TCR-53 are warnings: GS1's maintained examples break them (DESIGN §10).
    expected = "warning" if word in ("after the eventTime", "both sensorMetadata and") else "error"
    assert flagged.severity == expected


def test_errors_name_the_event_index_and_id() -> None:
    (error,) = validate_event(changed(OBJECT_EVENT, action=None), NAMESPACES, 7)
    assert (error.index, error.event_id, error.field) == (7, OBJECT_EVENT["eventID"], "action")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-04T07:30:00.000+01:00", datetime(2024, 3, 4, 6, 30, tzinfo=UTC)),
        ("2024-03-04T07:30:00Z", datetime(2024, 3, 4, 7, 30, tzinfo=UTC)),
        ("2024-03-04t07:30:00.123456789z", datetime(2024, 3, 4, 7, 30, 0, 123456, tzinfo=UTC)),
    ],
)
def test_parse_time_gives_aware_utc(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["2024-03-04T07:30:00", "2024-03-04", "2024-13-04T07:30:00Z"])
def test_parse_time_rejects_times_without_offset_or_impossible(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


def test_keeps_the_matching_key_of_every_identifier_it_checked() -> None:
    parsed = validated_event(copy.deepcopy(OBJECT_EVENT), NAMESPACES, 0)
    assert dict(parsed.keys) == {
        "urn:epc:id:sgtin:4012345.011111.1001": "https://id.gs1.org/01/04012345111118/21/1001",
        "urn:epc:id:sgln:4012345.00001.1": "https://id.gs1.org/414/4012345000016/254/1",
    }
    assert parsed.event_time == datetime(2024, 3, 4, 6, 30, tzinfo=UTC)


def test_an_event_of_a_custom_type_must_define_its_extension_prefixes() -> None:
    event = {
        "type": "acme:CustomEvent",
        "eventTime": "2024-03-04T07:30:00Z",
        "eventTimeZoneOffset": "+00:00",
        "other:thing": 1,
    }
    assert errors_of(event) == [
        ("other:thing", "prefix 'other' of 'other:thing' is not defined in the @context")
    ]


# -- one identifier twice in a list: the same verdict in every format and form -------------

SSCC_URN, SSCC_DL = "urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908"
SGTIN_URN = "urn:epc:id:sgtin:0614141.107346.2017"
SGTIN_DL = "https://id.gs1.org/01/10614141073464/21/2017"
OTHER = "urn:epc:id:sgtin:0614141.107346.1"
TIME = {"eventTime": "2024-01-01T10:00:00Z", "eventTimeZoneOffset": "+00:00"}
TIME_XML = (
    "<eventTime>2024-01-01T10:00:00Z</eventTime><eventTimeZoneOffset>+00:00</eventTimeZoneOffset>"
)


def _epcs(tag: str, epcs: list[str]) -> str:
    return f"<{tag}>" + "".join(f"<epc>{epc}</epc>" for epc in epcs) + f"</{tag}>"


def _json_event(member: str, epcs: list[str]) -> dict[str, Any]:
    if member == "epcList":
        return {"type": "ObjectEvent", **TIME, "epcList": epcs, "action": "OBSERVE"}
    if member == "childEPCs":
        parent = {"parentID": "urn:epc:id:sscc:0614141.0000000017", "action": "ADD"}
        return {"type": "AggregationEvent", **TIME, **parent, "childEPCs": epcs}
    other = "outputEPCList" if member == "inputEPCList" else "inputEPCList"
    return {"type": "TransformationEvent", **TIME, member: epcs, other: [OTHER]}


def _xml_event(member: str, epcs: list[str], version: str) -> str:
    if member == "epcList":
        return (
            f"<ObjectEvent>{TIME_XML}{_epcs('epcList', epcs)}<action>OBSERVE</action></ObjectEvent>"
        )
    if member == "childEPCs":
        parent = "<parentID>urn:epc:id:sscc:0614141.0000000017</parentID>"
        children = _epcs("childEPCs", epcs)
        return (
            f"<AggregationEvent>{TIME_XML}{parent}{children}<action>ADD</action></AggregationEvent>"
        )
    lists = {member: epcs, "outputEPCList" if member == "inputEPCList" else "inputEPCList": [OTHER]}
    body = "".join(_epcs(tag, lists[tag]) for tag in ("inputEPCList", "outputEPCList"))
    event = f"<TransformationEvent>{TIME_XML}{body}</TransformationEvent>"
    return f"<extension>{event}</extension>" if version == "1.2" else event


def _parsed(syntax: str, member: str, epcs: list[str]) -> list[tuple[str, str]]:
    if syntax == "json":
        body, media_type = jsonld_document({"eventList": [_json_event(member, epcs)]}), JSON
    else:
        version = syntax.removeprefix("xml-")
        body, media_type = xml_events(_xml_event(member, epcs, version), version), XML
    (event,) = parse_document(io.BytesIO(body), media_type).events
    return [(error.field, error.message) for error in event.errors]


SYNTAXES = ["xml-2.0", "xml-1.2", "json"]
EPC_LISTS = ["epcList", "childEPCs", "inputEPCList", "outputEPCList"]


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("member", EPC_LISTS)
@pytest.mark.parametrize(
    ("epcs", "first", "second"),
    [
        ([SSCC_URN, SSCC_DL], 0, 1),  # one SSCC as a URN and as a Digital Link
        ([SGTIN_DL, OTHER, SGTIN_URN], 0, 2),
        ([SGTIN_URN, SGTIN_URN], 0, 1),  # the same text
        ([SSCC_DL, "https://example.com/00/106141412345678908"], 0, 1),  # another DL domain
    ],
    ids=["sscc urn and dl", "sgtin dl and urn", "same text", "dl on two domains"],
)
def test_a_list_naming_one_identifier_twice_is_refused_naming_both_positions(
    syntax: str, member: str, epcs: list[str], first: int, second: int
) -> None:
    assert _parsed(syntax, member, epcs) == [
        (
            member,
            f"{member} lists the same identifier more than once: {member}[{first}] "
            f"{epcs[first]!r} and {member}[{second}] {epcs[second]!r}",
        )
    ]


@pytest.mark.parametrize("syntax", SYNTAXES)
@pytest.mark.parametrize("member", EPC_LISTS)
def test_a_list_of_different_identifiers_is_accepted(syntax: str, member: str) -> None:
    assert _parsed(syntax, member, [SSCC_URN, SGTIN_DL, OTHER]) == []


LGTIN_URN = "urn:epc:class:lgtin:0614141.107346.LOT1"
LGTIN_DL = "https://id.gs1.org/01/10614141073464/10/LOT1"


@pytest.mark.parametrize("syntax", SYNTAXES)
def test_a_quantity_list_may_name_one_class_twice(syntax: str) -> None:
    # GS1 allows it (no uniqueItems on quantityList, no XSD or standard rule): kept as given.
    quantities = [(LGTIN_URN, 10, "EA"), (LGTIN_DL, 2.5, "KGM")]
    if syntax == "json":
        elements = [{"epcClass": c, "quantity": q, "uom": u} for c, q, u in quantities]
        event = {"type": "ObjectEvent", **TIME, "quantityList": elements, "action": "OBSERVE"}
        body, media_type = jsonld_document({"eventList": [event]}), JSON
    else:
        version = syntax.removeprefix("xml-")
        elements = "".join(
            f"<quantityElement><epcClass>{c}</epcClass><quantity>{q}</quantity><uom>{u}</uom>"
            "</quantityElement>"
            for c, q, u in quantities
        )
        listed = f"<quantityList>{elements}</quantityList>"
        where = f"<extension>{listed}</extension>" if version == "1.2" else listed
        xml = f"<ObjectEvent>{TIME_XML}<epcList/><action>OBSERVE</action>{where}</ObjectEvent>"
        body, media_type = xml_events(xml, version), XML
    (parsed,) = parse_document(io.BytesIO(body), media_type).events
    assert parsed.errors == []
    assert [element["epcClass"] for element in parsed.data["quantityList"]] == [
        LGTIN_URN,
        LGTIN_DL,
    ]
