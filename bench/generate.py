"""Seeded synthetic pharma supply chain, as EPCIS events (canonical EPCIS 2.0 JSON form).

Per pallet: units commissioned in case-sized events with ILMD lot and expiry, the case and
pallet SSCCs commissioned, units packed into cases and cases into the pallet, the pallet
shipped with a PO and despatch advice (owning party and location as source/destination)
and received by the distributor. That is 24 events for 100 units: the shape of a typical
US DSCSA document. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

MAKER_CP = "4012345"
DISTRIBUTORS = ["0614141", "0614142", "0614143"]
UNITS_PER_CASE = 10
CASES_PER_PALLET = 10
EVENTS_PER_PALLET = CASES_PER_PALLET + 1 + CASES_PER_PALLET + 1 + 1 + 1
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


def sgtin(item_ref: str, serial: int) -> str:
    return f"urn:epc:id:sgtin:{MAKER_CP}.{item_ref}.{serial}"


def sscc(serial: int) -> str:
    return f"urn:epc:id:sscc:{MAKER_CP}.{serial:010d}"


def sgln(cp: str, ref: str, ext: str = "0") -> str:
    return f"urn:epc:id:sgln:{cp}.{ref}.{ext}"


def pgln(cp: str) -> str:
    return f"urn:epc:id:pgln:{cp}.00000"


def event(kind: str, when: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "eventTime": when.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "eventTimeZoneOffset": "+00:00",
        **fields,
    }


def pallet_events(rng: random.Random, pallet: int, start: datetime) -> list[dict[str, Any]]:
    """The 24 events of one pallet's life from the line to the distributor's dock."""
    item_ref = f"0{rng.randint(10000, 99999)}"
    lot = f"L{start:%y%m}{rng.randint(100, 999)}"
    expiry = (start + timedelta(days=730)).date().isoformat()
    plant, line = sgln(MAKER_CP, "00001"), sgln(MAKER_CP, "00001", "1")
    base = pallet * UNITS_PER_CASE * CASES_PER_PALLET
    cases = [sscc(pallet * 100 + c + 1) for c in range(CASES_PER_PALLET)]
    pallet_id = sscc(pallet * 100)
    units = [
        [sgtin(item_ref, base + c * UNITS_PER_CASE + u) for u in range(UNITS_PER_CASE)]
        for c in range(CASES_PER_PALLET)
    ]
    events = [_commission(start, case_units, plant, line, lot, expiry) for case_units in units]
    events.append(_commission_containers(start, [*cases, pallet_id], plant, line))
    t = start + timedelta(minutes=5)
    events += [
        _pack(t, case, case_units, plant) for case, case_units in zip(cases, units, strict=True)
    ]
    events.append(_pack(t + timedelta(minutes=1), pallet_id, cases, plant))
    distributor = rng.choice(DISTRIBUTORS)
    po = f"urn:epcglobal:cbv:bt:{distributor}000001:PO{pallet:07d}"
    events.append(_ship(t + timedelta(hours=2), pallet_id, po, distributor, plant))
    events.append(_receive(t + timedelta(days=1), pallet_id, po, distributor))
    return events


def _commission(
    when: datetime, epcs: list[str], plant: str, line: str, lot: str, expiry: str
) -> dict[str, Any]:
    return event(
        "ObjectEvent",
        when,
        epcList=epcs,
        action="ADD",
        bizStep="commissioning",
        disposition="active",
        readPoint={"id": line},
        bizLocation={"id": plant},
        ilmd={"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": expiry},
    )


def _commission_containers(when: datetime, ids: list[str], plant: str, line: str) -> dict:
    return event(
        "ObjectEvent",
        when,
        epcList=ids,
        action="ADD",
        bizStep="commissioning",
        disposition="active",
        readPoint={"id": line},
        bizLocation={"id": plant},
    )


def _pack(when: datetime, parent: str, children: list[str], plant: str) -> dict[str, Any]:
    return event(
        "AggregationEvent",
        when,
        parentID=parent,
        childEPCs=children,
        action="ADD",
        bizStep="packing",
        disposition="in_progress",
        readPoint={"id": sgln(MAKER_CP, "00001", "2")},
        bizLocation={"id": plant},
    )


def _ship(when: datetime, pallet: str, po: str, distributor: str, plant: str) -> dict:
    return event(
        "ObjectEvent",
        when,
        epcList=[pallet],
        action="OBSERVE",
        bizStep="shipping",
        disposition="in_transit",
        readPoint={"id": sgln(MAKER_CP, "00001", "9")},
        bizLocation={"id": plant},
        bizTransactionList=[
            {"type": "po", "bizTransaction": po},
            {"type": "desadv", "bizTransaction": po.replace(":PO", ":ASN")},
        ],
        sourceList=[
            {"type": "owning_party", "source": pgln(MAKER_CP)},
            {"type": "location", "source": plant},
        ],
        destinationList=[
            {"type": "owning_party", "destination": pgln(distributor)},
            {"type": "location", "destination": sgln(distributor, "00001")},
        ],
    )


def _receive(when: datetime, pallet: str, po: str, distributor: str) -> dict[str, Any]:
    dock = sgln(distributor, "00001")
    return event(
        "ObjectEvent",
        when,
        epcList=[pallet],
        action="OBSERVE",
        bizStep="receiving",
        disposition="in_progress",
        readPoint={"id": sgln(distributor, "00001", "1")},
        bizLocation={"id": dock},
        bizTransactionList=[{"type": "po", "bizTransaction": po}],
    )


def pharma_events(count: int, *, seed: int = 42, first_pallet: int = 0) -> Iterator[dict]:
    """At least `count` events (whole pallets), in supply-chain order."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
    pallet = first_pallet
    produced = 0
    while produced < count:
        when = start + timedelta(minutes=30 * pallet)
        yield from pallet_events(rng, pallet, when)
        produced += EVENTS_PER_PALLET
        pallet += 1


def jsonld_document(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "@context": CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-06T06:00:00.000Z",
        "epcisBody": {"eventList": events},
    }
