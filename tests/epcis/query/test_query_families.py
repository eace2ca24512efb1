"""GET /events: every SimpleEventQuery parameter family against a small hand-written
repository (fixtures/epcis/query/). The expected events of each row are written by hand
from the fixture documents, never computed by the code under test.

The repository, as Alice sees it (a3! is the error declaration stored beside a3):
  a1 ObjectEvent ADD commissioning active 03-01 08:00Z  epc sgtin 1001,1002  rp 00001.1
     bl PLANT  ilmd lotNumber=LOTA, acme:grade=A  acme:shift=early acme:line=3
  a2 AggregationEvent ADD packing in_progress 03-01 09:00Z  parent sscc1  children 1001,1002
     bl PLANT  po PO-1  acme:line=7
  a3 ObjectEvent OBSERVE shipping in_transit 03-02 10:00Z  epc sscc1  rp 00001.1  bl PLANT
     po PO-1, desadv DESADV-9  source/destination owning_party  persistent disposition
  a4 TransformationEvent creating_class_instance active 03-03 12:00Z  in 1002 + LOTA 10 KGM
     out 2001 + LOTB 500 GRM  bl PLANT (as Digital Link)  ilmd LOTB, acme:bestBefore  line=3
  a5 ObjectEvent OBSERVE sensor_reporting 03-04 06:00Z  epc sscc1 (DL)  bl WAREHOUSE
     sensor 4.5 CEL at 03-04 05:00Z, device LOGGER1
  a6 ObjectEvent OBSERVE storing sellable_accessible 03-05  LOTA 2500 GRM  bl WAREHOUSE
     sensor 30 CEL at 03-05 05:00Z
  a3! = a3 + errorDeclaration 03-06 incorrect_data, corrective a8, acme:ticket=T-42
  a8 ObjectEvent OBSERVE shipping in_transit 03-06 01:00Z  epc sscc2 (DL)  bl PLANT (DL)
     acme:shift=late  acme:carrier{acme:name=FastFreight}
Master data (Alice's): PLANT (name=Plant) has child WAREHOUSE (sst=201).
Bob: b1 ObjectEvent OBSERVE shipping 03-02 11:00Z  epc sgtin 1001  bl PLANT  po PO-1.
"""

from __future__ import annotations

import pytest

from tests.support.builders import ACME, ALL_ALICE, ID_PREFIX, expect, found, load_repository

pytestmark = pytest.mark.django_db


@pytest.fixture
def repository(partner_client, other_partner_client) -> None:
    """The fixture documents, captured by Alice (partner_client) and Bob."""
    load_repository()


A3 = f"{ID_PREFIX}a3"
A8 = f"{ID_PREFIX}a8"
SSCC1_DL = "https://id.gs1.org/00/040123450000000016"

FIXED_NAME_CASES = [
    # eventType
    ("eventType=ObjectEvent", "a1 a3 a3! a5 a6 a8"),
    ("eventType=AggregationEvent|TransformationEvent", "a2 a4"),
    ("eventType=AssociationEvent", ""),
    # event and record time
    ("GE_eventTime=2024-03-03T00:00:00Z", "a4 a5 a6 a8"),
    ("LT_eventTime=2024-03-02T00:00:00Z", "a1 a2"),
    ("GE_eventTime=2024-03-01T09:00:00Z&LT_eventTime=2024-03-02T10:00:00Z", "a2"),
    ("GE_eventTime=2024-03-01T10:00:00%2B01:00&LT_eventTime=2024-03-02T00:00:00Z", "a2"),
    ("GE_eventTime=2024-03-01T10:00:00+01:00&LT_eventTime=2024-03-02T00:00:00Z", "a2"),
    ("GE_recordTime=2000-01-01T00:00:00Z", ALL_ALICE),
    ("LT_recordTime=2000-01-01T00:00:00Z", ""),
    # action, bizStep, disposition (any CBV form)
    ("EQ_action=ADD", "a1 a2"),
    ("EQ_action=OBSERVE|DELETE", "a3 a3! a5 a6 a8"),
    ("EQ_bizStep=shipping", "a3 a3! a8"),
    ("EQ_bizStep=urn:epcglobal:cbv:bizstep:shipping", "a3 a3! a8"),
    ("EQ_bizStep=https://ref.gs1.org/cbv/BizStep-packing|commissioning", "a1 a2"),
    ("EQ_bizStep=https://example.com/steps/mine", ""),
    ("EQ_disposition=in_transit", "a3 a3! a8"),
    ("EQ_disposition=urn:epcglobal:cbv:disp:active", "a1 a4"),
    ("EQ_persistentDisposition_set=completeness_verified", "a3 a3!"),
    ("EQ_persistentDisposition_unset=cbv:Disp-completeness_inferred", "a3 a3!"),
    ("EQ_persistentDisposition_set=completeness_inferred", ""),
    # locations, URN or Digital Link
    ("EQ_readPoint=urn:epc:id:sgln:4012345.00001.1", "a1 a3 a3!"),
    ("EQ_readPoint=https://id.gs1.org/414/4012345000016/254/1", "a1 a3 a3!"),
    ("EQ_bizLocation=urn:epc:id:sgln:4012345.00001.0", "a1 a2 a3 a3! a4 a8"),
    ("EQ_bizLocation=https://id.gs1.org/414/4012345000023", "a5 a6"),
    ("WD_bizLocation=urn:epc:id:sgln:4012345.00001.0", ALL_ALICE),
    ("WD_bizLocation=urn:epc:id:sgln:4012345.00002.0", "a5 a6"),
    ("WD_readPoint=urn:epc:id:sgln:4012345.00001.1", "a1 a3 a3!"),
    ("EQ_transformationID=urn:uuid:5e0c0000-0000-4000-8000-0000000000f1", "a4"),
    # identifiers and patterns
    ("MATCH_epc=urn:epc:id:sgtin:4012345.011111.1001", "a1 a2"),
    ("MATCH_epc=https://id.gs1.org/01/04012345111118/21/1002", "a1 a2"),
    ("MATCH_epc=urn:epc:idpat:sgtin:4012345.011111.*", "a1 a2"),
    ("MATCH_epc=urn:epc:idpat:sgtin:4012345.*.*", "a1 a2"),
    ("MATCH_epc=urn:epc:idpat:sscc:4012345.*", "a3 a3! a5 a8"),
    (
        "MATCH_epc=urn:epc:id:sscc:4012345.0000000002|urn:epc:id:sgtin:4012345.011111.1001",
        "a1 a2 a8",
    ),
    ("MATCH_parentID=urn:epc:id:sscc:4012345.0000000001", "a2"),
    ("MATCH_inputEPC=urn:epc:id:sgtin:4012345.011111.1002", "a4"),
    ("MATCH_outputEPC=urn:epc:idpat:sgtin:4012345.022222.*", "a4"),
    ("MATCH_anyEPC=urn:epc:id:sscc:4012345.0000000001", "a2 a3 a3! a5"),
    ("MATCH_anyEPC=urn:epc:id:sgtin:4012345.011111.1002", "a1 a2 a4"),
    ("MATCH_epcClass=urn:epc:class:lgtin:4012345.011111.LOTA", "a6"),
    ("MATCH_inputEPCClass=urn:epc:class:lgtin:4012345.011111.LOTA", "a4"),
    ("MATCH_outputEPCClass=https://id.gs1.org/01/04012345222227/10/LOTB", "a4"),
    ("MATCH_anyEPCClass=urn:epc:class:lgtin:4012345.011111.LOTA", "a4 a6"),
    ("MATCH_anyEPCClass=urn:epc:idpat:sgtin:4012345.011111.*", "a4 a6"),
    ("MATCH_anyEPCClass=urn:epc:idpat:sgtin:4012345.*.*", "a4 a6"),
    ("MATCH_outputEPCClass=urn:epc:idpat:sgtin:4012345.011111.*", ""),
    ("MATCH_anyEPCClass=urn:epc:id:sgtin:4012345.011111.1001", ""),
    # quantities
    ("EQ_quantity=10", "a4"),
    ("GT_quantity=10", "a4 a6"),
    ("GE_quantity=500", "a4 a6"),
    ("LT_quantity=500", "a4"),
    ("LE_quantity=10", "a4"),
    # event ids and error declarations
    (f"EQ_eventID={A3}", "a3 a3!"),
    (f"EQ_eventID={ID_PREFIX}a1|{A8}", "a1 a8"),
    (f"EQ_eventID={ID_PREFIX}a", ""),  # a prefix of eventIDs is not an eventID
    (f"EQ_eventID={A3}%23errorDeclaration@", ""),  # nor the start of a declaration's key
    ("EXISTS_errorDeclaration", "a3!"),
    ("EXISTS_errorDeclaration=true", "a3!"),
    ("GE_errorDeclarationTime=2024-03-05T00:00:00Z", "a3!"),
    ("LT_errorDeclarationTime=2024-03-05T00:00:00Z", ""),
    ("EQ_errorReason=incorrect_data", "a3!"),
    ("EQ_errorReason=urn:epcglobal:cbv:er:incorrect_data", "a3!"),
    ("EQ_errorReason=did_not_occur", ""),
    (f"EQ_correctiveEventID={A8}", "a3!"),
    # sensor data
    ("EXISTS_sensorElementList", "a5 a6"),
    ("GE_time=2024-03-05T00:00:00Z", "a6"),
    ("LT_time=2024-03-05T00:00:00Z", "a5"),
    ("EQ_type=Temperature", "a5 a6"),
    ("EQ_type=gs1:Temperature", "a5 a6"),
    ("EQ_type=RelativeHumidity", ""),
    ("EQ_deviceID=urn:epc:id:giai:4012345.LOGGER1", "a5"),
]


@pytest.mark.parametrize(("query", "expected"), FIXED_NAME_CASES)
def test_fixed_name_parameter_finds_the_expected_events(
    partner_client, repository, query, expected
):
    assert found(partner_client, query) == expect(expected)


FLEXIBLE_NAME_CASES = [
    # business transactions, sources, destinations (type as a word or URI)
    ("EQ_bizTransaction_po=urn:epcglobal:cbv:bt:4012345000016:PO-1", "a2 a3 a3!"),
    ("EQ_bizTransaction_desadv=urn:epcglobal:cbv:bt:4012345000016:DESADV-9", "a3 a3!"),
    (
        "EQ_bizTransaction_urn:epcglobal:cbv:btt:po=urn:epcglobal:cbv:bt:4012345000016:PO-1",
        "a2 a3 a3!",
    ),
    ("EQ_bizTransaction_inv=urn:epcglobal:cbv:bt:4012345000016:PO-1", ""),
    ("EQ_source_owning_party=urn:epc:id:pgln:4012345.00000", "a3 a3!"),
    ("EQ_destination_owning_party=https://id.gs1.org/417/4098765000003", "a3 a3!"),
    ("EQ_source_possessing_party=urn:epc:id:pgln:4012345.00000", ""),
    # quantities by unit, converted
    ("EQ_quantity_KGM=2.5", "a6"),
    ("GE_quantity_KGM=5", "a4"),
    ("LT_quantity_GRM=1000", "a4"),
    # sensor values by unit, converted (TCR-53: KEL finds CEL)
    ("GE_value_CEL=10", "a6"),
    ("LT_value_CEL=10", "a5"),
    ("GE_value_KEL=283.15", "a6"),
    ("LT_value_KEL=283.15", "a5"),
    ("GT_value_FAH=50", "a6"),
    ("EQ_value_CEL=4.5", "a5"),
    ("EQ_value_KEL=277.65", "a5"),
    # extension fields: event level, ILMD, nested, error declaration
    ("EQ_acme:shift=early", "a1"),
    ("EQ_acme:shift=early|late", "a1 a8"),
    ("EQ_acme:line=3", "a1 a4"),
    ("GT_acme:line=3", "a2"),
    ("GE_acme:line=3", "a1 a2 a4"),
    ("LE_acme:line=3", "a1 a4"),
    ("EXISTS_acme:shift", "a1 a8"),
    ("EQ_https://pharma.acme.example/epcis/%23shift=late", "a8"),
    ("EQ_ILMD_cbvmda:lotNumber=LOTA", "a1"),
    ("EQ_ILMD_acme:grade=A", "a1"),
    ("EXISTS_ILMD_cbvmda:lotNumber", "a1 a4"),
    ("GE_ILMD_acme:bestBefore=2025-01-01T00:00:00Z", "a4"),
    ("LT_ILMD_acme:bestBefore=2025-01-01T00:00:00Z", ""),
    ("EQ_INNER_acme:name=FastFreight", "a8"),
    ("EQ_acme:name=FastFreight", ""),
    ("EXISTS_acme:carrier", "a8"),
    ("EQ_ERROR_DECLARATION_acme:ticket=T-42", "a3!"),
    ("EXISTS_ERROR_DECLARATION_acme:ticket", "a3!"),
    # master-data attributes
    ("HASATTR_bizLocation=urn:epcglobal:cbv:mda%23sst", "a5 a6"),
    ("HASATTR_bizLocation=urn:epcglobal:cbv:mda%23name", "a1 a2 a3 a3! a4 a8"),
    ("EQATTR_bizLocation_urn:epcglobal:cbv:mda%23sst=201", "a5 a6"),
    ("EQATTR_bizLocation_urn:epcglobal:cbv:mda%23sst=999", ""),
]


@pytest.mark.parametrize(("query", "expected"), FLEXIBLE_NAME_CASES)
def test_flexible_name_family_finds_the_expected_events(
    partner_client, repository, query, expected
):
    assert found(partner_client, query, **ACME) == expect(expected)


def test_parameters_are_anded(partner_client, repository):
    query = "EQ_bizStep=shipping&MATCH_epc=urn:epc:idpat:sscc:4012345.*&EQ_acme:shift=late"
    assert found(partner_client, query, **ACME) == ["a8"]


def test_undeclared_extension_prefix_is_a_parameter_error(partner_client, repository):
    response = partner_client.get("/events?EQ_nope:field=1")
    assert response.status_code == 400
    assert response.json()["type"] == "epcisException:QueryParameterException"
    assert "GS1-Extensions" in response.json()["detail"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("EQ_ILMD_acme:bestBefore=2025-06-30T00:00:00Z", "a4"),
        ("LE_ILMD_acme:bestBefore=2025-06-30T00:00:00Z", "a4"),
        ("GT_ILMD_acme:bestBefore=2025-06-30T00:00:00Z", ""),
    ],
)
def test_extension_time_compared_at_its_exact_value(partner_client, repository, query, expected):
    assert found(partner_client, query, **ACME) == expect(expected)


# Barcode data where identifiers are taken (architecture §4): each finds exactly what the
# identifier as captured finds, and the events written by hand (check digits worked out in
# tests/epcis/test_identifiers.py). %1D is the GS separator of a raw scan.
ELEMENT_STRING_CASES = [
    (
        "MATCH_epc=(01)04012345111118(21)1001",
        "MATCH_epc=urn:epc:id:sgtin:4012345.011111.1001",
        "a1 a2",
    ),
    ("MATCH_epc=0104012345111118211002", "MATCH_epc=urn:epc:id:sgtin:4012345.011111.1002", "a1 a2"),
    (
        "MATCH_anyEPC=]d2010401234511111810LOTA%1D211002",
        "MATCH_anyEPC=urn:epc:id:sgtin:4012345.011111.1002",
        "a1 a2 a4",
    ),
    (
        "MATCH_epc=(00)040123450000000016",
        "MATCH_epc=urn:epc:id:sscc:4012345.0000000001",
        "a3 a3! a5",
    ),
    (
        "MATCH_parentID=]C100040123450000000016",
        "MATCH_parentID=urn:epc:id:sscc:4012345.0000000001",
        "a2",
    ),
    (
        "MATCH_epc=(00)040123450000000023|(01)04012345111118(21)1001",
        "MATCH_epc=urn:epc:id:sscc:4012345.0000000002|urn:epc:id:sgtin:4012345.011111.1001",
        "a1 a2 a8",
    ),
    (
        "MATCH_epcClass=(01)04012345111118(10)LOTA",
        "MATCH_epcClass=urn:epc:class:lgtin:4012345.011111.LOTA",
        "a6",
    ),
    # A unit's full scan, for a class parameter: its lot.
    (
        "MATCH_anyEPCClass=(01)04012345111118(21)1001(10)LOTA",
        "MATCH_anyEPCClass=urn:epc:class:lgtin:4012345.011111.LOTA",
        "a4 a6",
    ),
    (
        "MATCH_outputEPCClass=(01)04012345222227(10)LOTB",
        "MATCH_outputEPCClass=https://id.gs1.org/01/04012345222227/10/LOTB",
        "a4",
    ),
    (
        "EQ_readPoint=(414)4012345000016(254)1",
        "EQ_readPoint=urn:epc:id:sgln:4012345.00001.1",
        "a1 a3 a3!",
    ),
    (
        "EQ_bizLocation=(414)4012345000016",
        "EQ_bizLocation=urn:epc:id:sgln:4012345.00001.0",
        "a1 a2 a3 a3! a4 a8",
    ),
    (
        "EQ_bizLocation=(414)4012345000023(254)0",
        "EQ_bizLocation=https://id.gs1.org/414/4012345000023",
        "a5 a6",
    ),
    (
        "WD_bizLocation=(414)4012345000016",
        "WD_bizLocation=urn:epc:id:sgln:4012345.00001.0",
        ALL_ALICE,
    ),
    (
        "EQ_source_owning_party=(417)4012345000009",
        "EQ_source_owning_party=urn:epc:id:pgln:4012345.00000",
        "a3 a3!",
    ),
    (
        "EQ_destination_owning_party=(417)4098765000003",
        "EQ_destination_owning_party=https://id.gs1.org/417/4098765000003",
        "a3 a3!",
    ),
]


@pytest.mark.parametrize(("query", "as_captured", "expected"), ELEMENT_STRING_CASES)
def test_an_element_string_finds_what_the_identifier_finds(
    partner_client, repository, query, as_captured, expected
):
    assert found(partner_client, query) == found(partner_client, as_captured) == expect(expected)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("EQ_bizStep=shiping", "Did you mean shipping?"),
        ("EQ_bizStep=shipping,receiving", "(shipping|receiving)"),
        ("eventType=objectEvent", "Did you mean ObjectEvent?"),
        ("MATCH_epc=04012345111118", "urn:epc:idpat:sgtin:4012345.011111.*"),
        ("MATCH_epc=(01)04012345111117(21)1001", "wrong check digit (expected 8)"),
        ("EQ_bizTransaction_purchaseorder=urn:x:1", "business transaction type"),
    ],
)
def test_a_value_that_cannot_match_is_a_400_naming_the_valid_forms(
    partner_client, repository, query, words
):
    response = partner_client.get(f"/events?{query}")
    assert response.status_code == 400, response.content
    assert response.json()["type"] == "epcisException:QueryParameterException"
    assert words in response.json()["detail"]
