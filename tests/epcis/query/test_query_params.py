"""The parameter table recognises every SimpleEventQuery name of reference §3.1 and each
flexible-name family of §3.2, and refuses anything else."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from epcis.models import Event, EventIdentifier, ListedValue
from epcis.query.filters import QueryContext
from epcis.query.params import QueryParameterError, parse_query
from tests.support.builders import capture, json_document, object_event

pytestmark = pytest.mark.django_db
T = "2024-01-01T00:00:00Z"
SGTIN = "urn:epc:id:sgtin:4012345.011111.1001"
SGLN = "urn:epc:id:sgln:4012345.00001.0"

# The 60 fixed names in query-schema order (reference §3.1), each with a valid value;
# the control parameters orderBy ... maxEventCount are checked together below.
FIXED = {
    "eventType": "ObjectEvent",
    "GE_eventTime": T,
    "LT_eventTime": T,
    "GE_recordTime": T,
    "LT_recordTime": T,
    "EQ_action": "ADD",
    "EQ_bizStep": "shipping",
    "EQ_disposition": "in_transit",
    "EQ_persistentDisposition_set": "completeness_verified",
    "EQ_persistentDisposition_unset": "completeness_verified",
    "EQ_quantity": "1",
    "GT_quantity": "1",
    "GE_quantity": "1",
    "LT_quantity": "1",
    "LE_quantity": "1",
    "EQ_readPoint": SGLN,
    "WD_readPoint": SGLN,
    "EQ_bizLocation": SGLN,
    "WD_bizLocation": SGLN,
    "EQ_transformationID": "urn:uuid:1",
    "MATCH_epc": SGTIN,
    "MATCH_parentID": SGTIN,
    "MATCH_inputEPC": SGTIN,
    "MATCH_outputEPC": SGTIN,
    "MATCH_anyEPC": SGTIN,
    "MATCH_epcClass": "urn:epc:class:lgtin:4012345.011111.L1",
    "MATCH_inputEPCClass": "urn:epc:class:lgtin:4012345.011111.L1",
    "MATCH_outputEPCClass": "urn:epc:class:lgtin:4012345.011111.L1",
    "MATCH_anyEPCClass": "urn:epc:class:lgtin:4012345.011111.L1",
    "EQ_eventID": "urn:uuid:1",
    "EXISTS_errorDeclaration": "",
    "GE_errorDeclarationTime": T,
    "LT_errorDeclarationTime": T,
    "EQ_errorReason": "did_not_occur",
    "EQ_correctiveEventID": "urn:uuid:1",
    "EXISTS_sensorElementList": "",
    "GE_time": T,
    "LT_time": T,
    "GE_startTime": T,
    "LT_startTime": T,
    "GE_endTime": T,
    "LT_endTime": T,
    "EQ_type": "Temperature",
    "EQ_deviceID": "urn:epc:id:giai:4012345.1",
    "EQ_dataProcessingMethod": "https://example.com/m",
    "EQ_microorganism": "https://example.com/m",
    "EQ_chemicalSubstance": "https://example.com/c",
    "EQ_bizRules": "https://example.com/r",
    "EQ_stringValue": "x",
    "EQ_booleanValue": "true",
    "EQ_hexBinaryValue": "0AFF",
    "EQ_uriValue": "https://example.com/u",
    "GE_percRank": "1",
    "LT_percRank": "1",
    "GT_percRank": "1",
    "LE_percRank": "1",
    # spellings of GS1's query-schema.json
    "GE_errorDeclaration_Time": T,
    "LT_errorDeclaration_Time": T,
}
FLEXIBLE = {
    "EQ_bizTransaction_po": "urn:x:1",
    "EQ_source_owning_party": SGLN,
    "EQ_destination_location": SGLN,
    "EQ_ex:f": "1",
    "GT_ex:f": "1",
    "GE_ex:f": T,
    "LT_ex:f": "1",
    "LE_ex:f": "1",
    "EQ_ILMD_ex:f": "1",
    "LT_ILMD_ex:f": "1",
    "EQ_INNER_ex:f": "1",
    "GE_INNER_ILMD_ex:f": "1",
    "EXISTS_ex:f": "",
    "EXISTS_INNER_ex:f": "",
    "EXISTS_ILMD_ex:f": "",
    "EXISTS_INNER_ILMD_ex:f": "",
    "HASATTR_bizLocation": "urn:epcglobal:cbv:mda#sst",
    "EQATTR_bizLocation_urn:epcglobal:cbv:mda#sst": "201",
    "EQ_ERROR_DECLARATION_ex:f": "1",
    "EQ_INNER_ERROR_DECLARATION_ex:f": "1",
    "EXISTS_ERROR_DECLARATION_ex:f": "",
    "EXISTS_INNER_ERROR_DECLARATION_ex:f": "",
    "EQ_value_CEL": "1",
    "GE_minValue_KEL": "1",
    "LT_maxValue_FAH": "1",
    "GT_meanValue_CEL": "1",
    "LE_sDev_CEL": "1",
    "GE_percValue_P1": "1",
    "EQ_quantity_KGM": "1",
    "LE_quantity_GRM": "1",
    "EQ_readPoint_ex:f": "1",
    "EQ_INNER_readPoint_ex:f": "1",
    "EQ_bizLocation_ex:f": "1",
    "EQ_INNER_bizLocation_ex:f": "1",
    "EQ_SENSORELEMENT_ex:f": "1",
    "GT_SENSORMETADATA_ex:f": "1",
    "LE_INNER_SENSORREPORT_ex:f": "1",
    "EXISTS_SENSORREPORT_ex:f": "",
    "EQ_https://ex.example/ns#f": "1",
}


@pytest.fixture
def context() -> QueryContext:
    user, _ = get_user_model().objects.get_or_create(username="alice")
    return QueryContext(user=user, prefixes={"ex": "https://ex.example/ns/"})


@pytest.mark.parametrize(("name", "value"), [*FIXED.items(), *FLEXIBLE.items()])
def test_every_standard_name_is_one_condition(context, name, value):
    assert len(parse_query({name: [value]}, context).conditions) == 1


def test_controls_are_not_conditions(context):
    query = parse_query(
        {"orderBy": ["eventTime"], "orderDirection": ["ASC"], "eventCountLimit": ["5"]}, context
    )
    assert (query.conditions, query.order_key, query.descending) == ([], "event_time", False)
    assert query.event_count_limit == 5


@pytest.mark.parametrize(
    "name",
    [
        "EQ_bizstep",
        "eq_action",
        "EQ_ATTR_bizLocation_x",
        "MATCH_epcs",
        "EQ_value_celsius",
        "EXISTS_",
        "EQ_",
        "HASATTR_ex:f",
        "WD_disposition",
        "GE_eventTime_x",
    ],
)
def test_other_names_are_refused(context, name):
    with pytest.raises(QueryParameterError, match="not a query parameter"):
        parse_query({name: ["1"]}, context)


def test_fingerprint_ignores_paging_but_not_filters(context):
    base = parse_query({"EQ_action": ["ADD"]}, context).fingerprint
    paged = parse_query({"EQ_action": ["ADD"], "perPage": ["5"]}, context).fingerprint
    other = parse_query({"EQ_action": ["OBSERVE"]}, context).fingerprint
    assert base == paged != other


# A value that no captured event can hold is refused, saying what would be valid.
REFUSED_VALUES = [
    ("EQ_bizStep", "shiping", ["not a CBV business step", "Did you mean shipping?", "URI"]),
    ("EQ_bizStep", "urn:epcglobal:cbv:bizstep:shiping", ["CBV namespace", "Did you mean shipping"]),
    ("EQ_bizStep", "shipping|recieving", ["Did you mean receiving?"]),
    ("EQ_bizStep", "shipping,receiving", ["separate the values of a list with '|'"]),
    ("EQ_disposition", "intransit", ["Did you mean in_transit?", "urn:epcglobal:cbv:disp:"]),
    ("EQ_persistentDisposition_set", "Active", ["Did you mean active?"]),
    ("EQ_errorReason", "incorrect", ["Did you mean incorrect_data?"]),
    ("EQ_type", "temprature", ["Did you mean Temperature?", "https://gs1.org/voc/Temperature"]),
    ("eventType", "objectEvent", ["Did you mean ObjectEvent?", "AssociationEvent"]),
    ("eventType", "ObjectEvent|Aggregation", ["Did you mean AggregationEvent?"]),
    (
        "MATCH_epc",
        "04012345111118",
        [
            "a bare number is not an identifier",
            "GTIN",
            "urn:epc:idpat:sgtin:4012345.011111.*",
            "MATCH_epcClass or MATCH_anyEPCClass",
            "https://id.gs1.org/01/04012345111118/21/<serial>",
            "EPC URN",
            "GS1 Digital Link",
            "element string",
        ],
    ),
    (
        "MATCH_anyEPCClass",
        "04012345111118",
        ["the GTIN and each of its lots are urn:epc:idpat:sgtin:4012345.011111.*"],
    ),
    ("MATCH_epc", "040123450000000016", ["As an SSCC: (00)040123450000000016"]),
    ("EQ_bizLocation", "4012345000016", ["As a GLN: (414)4012345000016"]),
    ("MATCH_epc", "sscc1", ["'sscc1' is not an identifier", "EPC URN", "element string"]),
    ("MATCH_epc", "4012345.011111.1001", ["urn:epc:id:sgtin:4012345.011111.1001"]),
    (
        "MATCH_epc",
        f"{SGTIN},urn:epc:id:sgtin:4012345.011111.1002",
        [f"separate the values of a list with '|', not ',' ({SGTIN}|urn:epc"],
    ),
    ("MATCH_epc", "(01)04012345111118(10)LOTA", ["names a lot", "MATCH_epcClass"]),
    ("MATCH_epcClass", "(01)04012345111118(21)1001", ["names a unit", "(01)<GTIN>(10)<lot>"]),
    ("MATCH_epc", "(01)04012345111117(21)1001", ["wrong check digit (expected 8)"]),
    ("MATCH_epc", "(23)1001", ["(23) is not a GS1 Application Identifier"]),
    ("EQ_readPoint", "(01)04012345111118(21)1001", ["names a unit", "not a location"]),
]


@pytest.mark.parametrize(("name", "value", "words"), REFUSED_VALUES)
def test_a_value_that_cannot_match_says_what_would(context, name, value, words):
    with pytest.raises(QueryParameterError) as excinfo:
        parse_query({name: [value]}, context)
    for word in words:
        assert word in str(excinfo.value)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("EQ_bizTransaction_purchase_order", ["business transaction type", "po, poc"]),
        ("EQ_bizTransaction_PO", ["Did you mean EQ_bizTransaction_po?"]),
        ("EQ_source_owning-party", ["Did you mean EQ_source_owning_party?"]),
        ("EQ_destination_urn:epcglobal:cbv:sdt:owner", ["CBV namespace"]),
    ],
)
def test_a_type_in_the_name_is_a_cbv_value_too(context, name, words):
    with pytest.raises(QueryParameterError) as excinfo:
        parse_query({name: [SGLN]}, context)
    for word in words:
        assert word in str(excinfo.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EQ_bizStep", "https://example.com/steps/x"),
        ("EQ_bizStep", "urn:acme:step:x"),
        ("EQ_disposition", "urn:acme:disp:quarantined"),
        ("EQ_type", "gs1:Molar_concentration"),
        ("EQ_bizTransaction_urn:acme:btt:x", "urn:x:1"),
        ("EQ_source_https://example.com/sdt/x", SGLN),
        ("MATCH_epc", "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8"),
        ("EQ_bizLocation", "geo:52.5,13.4"),
        ("MATCH_epc", "(01)04012345111118(21)A,B"),  # a comma in a serial is a comma
    ],
)
def test_custom_uris_and_odd_but_valid_values_are_accepted(context, name, value):
    assert len(parse_query({name: [value]}, context).conditions) == 1


def test_the_raw_scan_may_hold_gs_separators_where_identifiers_are_taken(context):
    raw = "]d2010401234511111810LOTA\x1d211001"
    assert len(parse_query({"MATCH_epc": [raw]}, context).conditions) == 1
    with pytest.raises(QueryParameterError, match="control character"):
        parse_query({"EQ_bizStep": ["ship\x1dping"]}, context)


# An event stored as sent (a "store and warn" partner's) may hold what no valid event can:
# such a value is taken as given when an event the caller may read has it, and only then.
BAD_CHECK = "https://id.gs1.org/01/04012345111113/21/7"  # the check digit is 8, not 3


def stored_as_sent(owner: str) -> None:
    """Alice's (or Bob's) one event, made to look as a store-and-warn partner's is stored."""
    _, result = capture(json_document(object_event("7")), "application/json", owner=owner)
    assert not result.errors, result.errors
    user = get_user_model().objects.get(username=owner)
    Event.objects.update(biz_step="shiping")
    ListedValue.objects.create(owner=user, resource="bizSteps", value="shiping")
    EventIdentifier.objects.update(canonical=BAD_CHECK)


@pytest.mark.parametrize(("name", "value"), [("EQ_bizStep", "shiping"), ("MATCH_epc", BAD_CHECK)])
def test_a_value_stored_as_sent_is_taken_as_given(context, name, value):
    with pytest.raises(QueryParameterError):
        parse_query({name: [value]}, context)
    stored_as_sent("alice")
    assert len(parse_query({name: [value]}, context).conditions) == 1


@pytest.mark.parametrize(("name", "value"), [("EQ_bizStep", "shiping"), ("MATCH_epc", BAD_CHECK)])
def test_another_partners_value_stored_as_sent_is_still_refused(context, name, value):
    stored_as_sent("bob")
    with pytest.raises(QueryParameterError):
        parse_query({name: [value]}, context)


def test_the_event_stored_as_sent_is_found_by_its_text(partner_client):
    stored_as_sent("alice")
    for query in ("EQ_bizStep=shiping", f"MATCH_epc={BAD_CHECK}"):
        response = partner_client.get(f"/events?{query}")
        assert response.status_code == 200, response.content
        assert len(response.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1
