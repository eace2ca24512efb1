"""GET /recalls/{id}/fsma204.xlsx: the FSMA 204 sortable spreadsheet of the recall scenario
(fixtures/scenarios/recall/README.md), every row written out by hand from the events there
and the key data elements of 21 CFR 1.1340 (shipping), 1.1345 (receiving) and 1.1350
(transformation)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from recalls.fsma204 import RECEIVING, SHIPPING, TRANSFORMATION
from tests.support.recall import NAMES, SCENARIO, capture_as, capture_recall_scenario

pytestmark = pytest.mark.django_db(transaction=True)

# The TLCs as GS1 Digital Links (GS1 US, FSMA 204 CTEs); GTIN check digits by hand.
LA = "https://id.gs1.org/01/04012345111118/10/A"
LB = "https://id.gs1.org/01/04012345111118/10/B"
LX = "https://id.gs1.org/01/04012345222227/10/X"
ING1 = "https://id.gs1.org/01/04098765900013/10/ING1"
GTIN_AB, GTIN_X, GTIN_ING = "04012345111118", "04012345222227", "04098765900013"
PLANT, DC1, DC2, PHARM = (NAMES[k] for k in ("PLANT", "DC1", "DC2", "PHARM"))
PO = "urn:epcglobal:cbv:bt:0614141000005:PO-"


def event(n: int) -> str:
    return f"urn:uuid:5ce0a000-0000-4000-8000-0000000001{n:02d}"


@pytest.fixture
def scenario() -> None:
    capture_recall_scenario()


def spreadsheet(client, **params) -> tuple[bytes, str]:
    response = client.post("/recalls", params, format="json")
    assert response.status_code == 202, response.content
    location = response["Location"]
    download = client.get(f"{location}/fsma204.xlsx")
    assert download.status_code == 200, download.content
    assert download["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "fsma204.xlsx" in download["Content-Disposition"]
    return download.content, location


def sheets(content: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def empty(value):
    return "" if value is None else value


def body(rows: list[tuple]) -> list[tuple]:
    return [tuple(empty(v) for v in row) for row in rows[1:]]


def test_sheets_headers_frozen_and_filtered(scenario, staff_client):
    content, _ = spreadsheet(staff_client, epcClasses=[NAMES["LA"]])
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Shipping", "Receiving", "Transformation"]
    for sheet, columns in zip(book.worksheets, (SHIPPING, RECEIVING, TRANSFORMATION), strict=True):
        assert [c.value for c in sheet[1]] == [title for title, _ in columns]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions  # sortable: every row and column
    # every KDE column names its paragraph of the rule
    assert {section[:6] for _, section in SHIPPING if section} == {"1.1340"}
    assert {section[:6] for _, section in RECEIVING if section} == {"1.1345"}
    assert {section[:6] for _, section in TRANSFORMATION if section} == {"1.1350"}
    assert "Traceability Lot Code (TLC)" in [t for t, _ in SHIPPING]


def test_lot_a_rows_by_hand(scenario, staff_client):
    content, _ = spreadsheet(staff_client, epcClasses=[NAMES["LA"]])
    found = sheets(content)
    # TLC, qty, uom, product, recipient, ship-from, date, TLC source, doc type, number, time, id
    assert body(found["Shipping"]) == [
        # R14: PAL1 (CASE1 A1 A2, CASE2 A4 A5; A3 had left CASE1, A6 never packed)
        (LA, 4, "EA", GTIN_AB, DC1, PLANT, "2024-04-01", PLANT, "po", PO + "1")
        + ("2024-04-01T10:00:00.000Z", event(14)),
        # R23: CASE1 (A1 A2) to the pharmacy; R24: CASE2 (A4 A5), never received
        (LA, 2, "EA", GTIN_AB, PHARM, DC1, "2024-04-03", PLANT, "po", PO + "3")
        + ("2024-04-03T08:00:00.000Z", event(23)),
        (LA, 2, "EA", GTIN_AB, PHARM, DC1, "2024-04-05", PLANT, "po", PO + "4")
        + ("2024-04-05T08:00:00.000Z", event(24)),
    ]
    # TLC, qty, uom, product, previous source, received at, date, TLC source, type, number...
    assert body(found["Receiving"]) == [
        (LA, 4, "EA", GTIN_AB, PLANT, DC1, "2024-04-02", PLANT, "po", PO + "1")
        + ("2024-04-02T08:00:00.000Z", event(20)),
        (LA, 2, "EA", GTIN_AB, DC1, PHARM, "2024-04-04", PLANT, "po", PO + "3")
        + ("2024-04-04T08:00:00.000Z", event(30)),
    ]
    # R02: ING1 2 KGM -> lot A 6 (a quantity without uom is a count: EA); no business documents
    assert body(found["Transformation"]) == [
        (ING1, GTIN_ING, 2, "KGM", LA, PLANT, "2024-04-01", GTIN_AB, 6, "EA", "", "")
        + ("2024-04-01T07:00:00.000Z", event(2)),
    ]


def test_ingredient_lot_reaches_both_product_lots_and_the_wrong_location(scenario, staff_client):
    content, _ = spreadsheet(staff_client, epcClasses=[NAMES["ING1"]])
    found = sheets(content)
    shipping = [(r[0], r[1], r[4], r[11]) for r in body(found["Shipping"])]
    assert shipping == [
        (LA, 4, DC1, event(14)),
        (LB, 3, DC1, event(16)),  # CASE3, B1-B3, shipped to DC1...
        (LA, 2, PHARM, event(23)),
        (LA, 2, PHARM, event(24)),
    ]
    receiving = [(r[0], r[1], r[4], r[5], r[6], r[11]) for r in body(found["Receiving"])]
    assert receiving == [
        (LA, 4, PLANT, DC1, "2024-04-02", event(20)),
        (LB, 3, PLANT, DC2, "2024-04-02", event(22)),  # ...received at DC2: as it happened
        (LA, 2, DC1, PHARM, "2024-04-04", event(30)),
    ]
    # one row per input lot; R17's output is a unit (X1), counted in its lot X
    assert body(found["Transformation"]) == [
        (ING1, GTIN_ING, 2, "KGM", LA, PLANT, "2024-04-01", GTIN_AB, 6, "EA", "", "")
        + ("2024-04-01T07:00:00.000Z", event(2)),
        (ING1, GTIN_ING, 1, "KGM", LB, PLANT, "2024-04-01", GTIN_AB, 3, "EA", "", "")
        + ("2024-04-01T07:00:00.000Z", event(3)),
        (LB, GTIN_AB, 1, "EA", LX, PLANT, "2024-04-01", GTIN_X, 1, "EA", "", "")
        + ("2024-04-01T11:00:00.000Z", event(17)),
    ]


def test_master_data_names_locations_and_products(scenario, staff_client):
    document = json.loads((SCENARIO / "pharmacy.jsonld").read_text())
    document["epcisBody"]["eventList"] = document["epcisBody"]["eventList"][:1]  # a duplicate
    document["epcisHeader"] = {
        "epcisMasterData": {
            "vocabularyList": [
                {
                    "type": "urn:epcglobal:epcis:vtype:BusinessLocation",
                    "vocabularyElementList": [
                        {
                            "id": PHARM,
                            "attributes": [
                                {
                                    "id": "urn:epcglobal:cbv:mda#name",
                                    "attribute": "Corner Pharmacy",
                                },
                                {"id": "urn:epcglobal:cbv:mda#city", "attribute": "Springfield"},
                            ],
                        }
                    ],
                },
                {
                    "type": "urn:epcglobal:epcis:vtype:EPCClass",
                    "vocabularyElementList": [
                        {
                            "id": "urn:epc:idpat:sgtin:4012345.011111.*",
                            "attributes": [
                                {
                                    "id": "urn:epcglobal:cbv:mda#descriptionShort",
                                    "attribute": "Amoxil 500 mg, 20 capsules",
                                }
                            ],
                        }
                    ],
                },
            ]
        }
    }
    capture_as("dave", json.dumps(document).encode())
    content, _ = spreadsheet(staff_client, epcClasses=[NAMES["LA"]])
    row = body(sheets(content)["Shipping"])[1]
    assert row[3] == "Amoxil 500 mg, 20 capsules"
    assert row[4] == f"Corner Pharmacy, Springfield ({PHARM})"


def test_same_bytes_on_a_second_download(scenario, staff_client):
    content, location = spreadsheet(staff_client, epcClasses=[NAMES["ING1"]])
    assert staff_client.get(f"{location}/fsma204.xlsx").content == content
    # nothing in it says when it was made: the times are the recall's horizon and fixed ones
    horizon = staff_client.get(location).json()["horizon"][:19]
    properties = load_workbook(io.BytesIO(content)).properties
    assert properties.created.isoformat() == properties.modified.isoformat() == horizon
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_empty_recall_has_headers_only(scenario, staff_client):
    content, _ = spreadsheet(staff_client, epcClasses=["urn:epc:class:lgtin:4012345.011111.NOPE"])
    assert {title: len(rows) for title, rows in sheets(content).items()} == {
        "Shipping": 1,
        "Receiving": 1,
        "Transformation": 1,
    }


def test_partner_key_gets_403(scenario, staff_client, partner_client):
    location = staff_client.post("/recalls", {"epcClasses": [NAMES["LA"]]}, format="json")[
        "Location"
    ]
    assert partner_client.get(f"{location}/fsma204.xlsx").status_code == 403
