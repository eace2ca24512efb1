"""The parameter table recognises every SimpleEventQuery name of reference §3.1 and each
flexible-name family of §3.2, and refuses anything else."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from epcis.query.filters import QueryContext
from epcis.query.params import QueryParameterError, parse_query

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
