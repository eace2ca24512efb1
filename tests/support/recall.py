"""Builders for the recall tests: the hand-checked scenario (fixtures/scenarios/recall/,
its expected answers in the README there), captured through the real capture path."""

from __future__ import annotations

from typing import Any

from epcis.models import CaptureJob
from tests.support.builders import captured
from tests.support.processes import REPO

SCENARIO = REPO / "fixtures" / "scenarios" / "recall"
DOCUMENTS = [("maker.jsonld", "alice"), ("distributor.jsonld", "bob"), ("pharmacy.jsonld", "dave")]

# The README's names of the scenario's identifiers, as first captured.
NAMES = {
    **{f"A{n}": f"urn:epc:id:sgtin:4012345.011111.100{n}" for n in range(1, 7)},
    **{f"B{n}": f"urn:epc:id:sgtin:4012345.011111.200{n}" for n in range(1, 4)},
    "X1": "urn:epc:id:sgtin:4012345.022222.3001",
    "Z1": "urn:epc:id:sgtin:4012345.011111.9001",
    "CASE1": "urn:epc:id:sscc:4012345.0000000011",
    "CASE2": "urn:epc:id:sscc:4012345.0000000012",
    "CASE3": "urn:epc:id:sscc:4012345.0000000013",
    "PAL1": "urn:epc:id:sscc:4012345.0000000010",
    "ING1": "urn:epc:class:lgtin:4098765.090001.ING1",
    "LA": "urn:epc:class:lgtin:4012345.011111.A",
    "LB": "urn:epc:class:lgtin:4012345.011111.B",
    "LX": "urn:epc:class:lgtin:4012345.022222.X",
    "PLANT": "urn:epc:id:sgln:4012345.00001.0",
    "DC1": "urn:epc:id:sgln:0614141.00001.0",
    "DC2": "urn:epc:id:sgln:0614141.00002.0",
    "PHARM": "urn:epc:id:sgln:0377001.00001.0",
    "MAKER": "urn:epc:id:pgln:4012345.00000",
    "DIST": "urn:epc:id:pgln:0614141.00000",
    "PHARMA": "urn:epc:id:pgln:0377001.00000",
}
NAME_OF = {text: name for name, text in NAMES.items()}
PO = "urn:epcglobal:cbv:bt:0614141000005:PO-"


def name(text: Any) -> Any:
    """The README's name of an identifier (as first captured); anything else unchanged."""
    if isinstance(text, list):
        return [name(t) for t in text]
    return NAME_OF.get(text, text)


def capture_as(owner: str, body: bytes) -> CaptureJob:
    """POST /capture then the worker, as a partner's document goes (without HTTP)."""
    job = captured(body, owner=owner)
    assert job.status == CaptureJob.Status.SUCCEEDED, job.errors
    return job


def capture_recall_scenario() -> None:
    for filename, owner in DOCUMENTS:
        capture_as(owner, (SCENARIO / filename).read_bytes())
