"""Seeded synthetic pharma supply chain, as EPCIS events (canonical EPCIS 2.0 JSON form).

Per pallet: units commissioned in case-sized events with ILMD lot and expiry, the case and
pallet SSCCs commissioned, units packed into cases and cases into the pallet, the pallet
shipped with a PO and despatch advice (owning party and location as source/destination)
and received by the distributor. That is 24 events for 100 units: the shape of a typical
US DSCSA document. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

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


def pallet_events(
    rng: random.Random, pallet: int, start: datetime, *, lot_of: tuple[str, str] | None = None
) -> list[dict[str, Any]]:
    """The 24 events of one pallet's life from the line to the distributor's dock.

    `lot_of` (item reference, lot number): the pallet's product and lot instead of its own
    random ones, so that many pallets make one big lot (the draws stay the same)."""
    item_ref = f"0{rng.randint(10000, 99999)}"
    lot = f"L{start:%y%m}{rng.randint(100, 999)}"
    if lot_of is not None:
        item_ref, lot = lot_of
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


# -- the whole chain: ingredients, transformation, distributors, pharmacies --------------

INGREDIENT_CP = "4098765"
INGREDIENT_REF = "090001"
PHARMACIES = [f"03{77000 + i:05d}" for i in range(20)]
LOTS_PER_INGREDIENT_LOT = 4
CASES_PER_ORDER = 2  # a distributor ships a pallet's cases to pharmacies, two per order
UNITS_DISPENSED_PER_ORDER = 3
ORDERS_PER_PALLET = CASES_PER_PALLET // CASES_PER_ORDER


def lgtin(cp: str, item_ref: str, lot: str) -> str:
    return f"urn:epc:class:lgtin:{cp}.{item_ref}.{lot}"


def chain_events(count: int, *, seed: int = 42, first_pallet: int = 0) -> Iterator[dict]:
    """At least `count` events of the whole chain (whole pallets), in supply-chain order.

    Per pallet (one product lot): every fourth lot an ingredient lot is commissioned at the
    ingredient maker (an LGTIN quantity); a TransformationEvent turns 2.5 kg of it into the
    product lot; then the 24 events of `pallet_events`; then the distributor unpacks the
    pallet (AggregationEvent DELETE) and ships its cases, two per order, to pharmacies (with
    a PO), which receive them and dispense three units of each order. About 51 events per
    pallet. Each pallet has its own seeded generator, so pallet k is the same whatever
    `first_pallet` is: loading in batches gives the same repository as one document.
    """
    produced = 0
    pallet = first_pallet
    start = datetime(2025, 1, 6, 6, 0, tzinfo=UTC)
    while produced < count:
        events = chain_pallet_events(random.Random(f"{seed}:{pallet}"), pallet, start)
        yield from events
        produced += len(events)
        pallet += 1


def chain_pallet_events(
    rng: random.Random, pallet: int, start: datetime, *, lot_of: tuple[str, str] | None = None
) -> list[dict]:
    when = start + timedelta(minutes=30 * pallet)
    middle = pallet_events(rng, pallet, when, lot_of=lot_of)
    item_ref = middle[0]["epcList"][0].split(":")[-1].split(".")[1]
    lot = middle[0]["ilmd"]["cbvmda:lotNumber"]
    expiry = middle[0]["ilmd"]["cbvmda:itemExpirationDate"]
    ingredient_lot = f"API{pallet // LOTS_PER_INGREDIENT_LOT:06d}"
    ingredient = lgtin(INGREDIENT_CP, INGREDIENT_REF, ingredient_lot)
    events: list[dict] = []
    if pallet % LOTS_PER_INGREDIENT_LOT == 0:
        events.append(_commission_ingredient(when - timedelta(days=2), ingredient, ingredient_lot))
    product = lgtin(MAKER_CP, item_ref, lot)
    events.append(_transform(when - timedelta(hours=2), ingredient, product, lot, expiry))
    events += middle
    receive = middle[-1]
    distributor = receive["bizLocation"]["id"].split(":")[-1].split(".")[0]
    pallet_id = receive["epcList"][0]
    cases = middle[-3]["childEPCs"]
    units = {pack["parentID"]: pack["childEPCs"] for pack in middle[11:21]}
    t = start + timedelta(minutes=30 * pallet + 5, days=1, hours=1)
    events.append(_unpack(t, pallet_id, cases, distributor))
    for order in range(ORDERS_PER_PALLET):
        pharmacy = rng.choice(PHARMACIES)
        shipped = cases[order * CASES_PER_ORDER : (order + 1) * CASES_PER_ORDER]
        po = f"urn:epcglobal:cbv:bt:{pharmacy}000001:PO{pallet:07d}{order}"
        sent = t + timedelta(hours=20 + order)
        events.append(_ship_to_pharmacy(sent, shipped, po, distributor, pharmacy))
        events.append(_receive_at_pharmacy(sent + timedelta(hours=18), shipped, po, pharmacy))
        dispensed = rng.sample(units[shipped[0]], UNITS_DISPENSED_PER_ORDER)
        for n, unit in enumerate(dispensed):
            events.append(_dispense(sent + timedelta(days=2 + n, hours=n), unit, pharmacy))
    return events


def _commission_ingredient(when: datetime, ingredient: str, lot: str) -> dict[str, Any]:
    site = sgln(INGREDIENT_CP, "00001")
    return event(
        "ObjectEvent",
        when,
        epcList=[],
        action="ADD",
        bizStep="commissioning",
        disposition="active",
        readPoint={"id": sgln(INGREDIENT_CP, "00001", "1")},
        bizLocation={"id": site},
        quantityList=[{"epcClass": ingredient, "quantity": 50.0, "uom": "KGM"}],
        ilmd={"cbvmda:lotNumber": lot},
    )


def _transform(when: datetime, ingredient: str, product: str, lot: str, expiry: str) -> dict:
    return event(
        "TransformationEvent",
        when,
        inputQuantityList=[{"epcClass": ingredient, "quantity": 2.5, "uom": "KGM"}],
        outputQuantityList=[{"epcClass": product, "quantity": 100.0}],
        bizStep="creating_class_instance",
        disposition="active",
        readPoint={"id": sgln(MAKER_CP, "00001", "4")},
        bizLocation={"id": sgln(MAKER_CP, "00001")},
        ilmd={"cbvmda:lotNumber": lot, "cbvmda:itemExpirationDate": expiry},
    )


def _unpack(when: datetime, pallet: str, cases: list[str], distributor: str) -> dict[str, Any]:
    return event(
        "AggregationEvent",
        when,
        parentID=pallet,
        childEPCs=cases,
        action="DELETE",
        bizStep="unpacking",
        disposition="in_progress",
        readPoint={"id": sgln(distributor, "00001", "2")},
        bizLocation={"id": sgln(distributor, "00001")},
    )


def _ship_to_pharmacy(
    when: datetime, cases: list[str], po: str, distributor: str, pharmacy: str
) -> dict[str, Any]:
    warehouse = sgln(distributor, "00001")
    return event(
        "ObjectEvent",
        when,
        epcList=cases,
        action="OBSERVE",
        bizStep="shipping",
        disposition="in_transit",
        readPoint={"id": sgln(distributor, "00001", "9")},
        bizLocation={"id": warehouse},
        bizTransactionList=[{"type": "po", "bizTransaction": po}],
        sourceList=[
            {"type": "owning_party", "source": pgln(distributor)},
            {"type": "location", "source": warehouse},
        ],
        destinationList=[
            {"type": "owning_party", "destination": pgln(pharmacy)},
            {"type": "location", "destination": sgln(pharmacy, "00001")},
        ],
    )


def _receive_at_pharmacy(when: datetime, cases: list[str], po: str, pharmacy: str) -> dict:
    return event(
        "ObjectEvent",
        when,
        epcList=cases,
        action="OBSERVE",
        bizStep="receiving",
        disposition="in_progress",
        readPoint={"id": sgln(pharmacy, "00001", "1")},
        bizLocation={"id": sgln(pharmacy, "00001")},
        bizTransactionList=[{"type": "po", "bizTransaction": po}],
    )


def _dispense(when: datetime, unit: str, pharmacy: str) -> dict[str, Any]:
    return event(
        "ObjectEvent",
        when,
        epcList=[unit],
        action="OBSERVE",
        bizStep="dispensing",
        disposition="dispensed",
        readPoint={"id": sgln(pharmacy, "00001", "3")},
        bizLocation={"id": sgln(pharmacy, "00001")},
    )


# -- EPCIS 1.2 XML (with SBDH) ----------------------------------------------------------

XML12_NAMESPACES = {
    "epcis": "urn:epcglobal:epcis:xsd:1",
    "sbdh": "http://www.unece.org/cefact/namespaces/StandardBusinessDocumentHeader",
    "cbvmda": "urn:epcglobal:cbv:mda",
}
CBV_URN = {
    "bizStep": "urn:epcglobal:cbv:bizstep:",
    "disposition": "urn:epcglobal:cbv:disp:",
    "btt": "urn:epcglobal:cbv:btt:",
    "sdt": "urn:epcglobal:cbv:sdt:",
    "reason": "urn:epcglobal:cbv:er:",
}


def gln(cp: str, ref: str = "") -> str:
    """A 13-digit GLN with its check digit."""
    digits = (cp + ref).ljust(12, "0")
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def xml12_document(events: list[dict[str, Any]], *, sbdh: bool = True) -> bytes:
    """The events (canonical EPCIS 2.0 JSON form, as the generators make them) as an EPCIS
    1.2 XML document: eventID/errorDeclaration in baseExtension; quantity, source,
    destination and ILMD lists in the event's `extension`; TransformationEvent inside
    `EventList/extension`. With `sbdh`, a StandardBusinessDocumentHeader from the maker to
    the first distributor."""
    xmlns = " ".join(f'xmlns:{p}="{ns}"' for p, ns in XML12_NAMESPACES.items())
    first = events[0]["eventTime"] if events else "2025-01-06T06:00:00.000Z"
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        f'<epcis:EPCISDocument {xmlns} schemaVersion="1.2" creationDate="{first}">\n',
    ]
    if sbdh:
        out.append(_sbdh(first, len(events)))
    out.append("<EPCISBody>\n<EventList>\n")
    for e in events:
        if e["type"] == "TransformationEvent":
            out += ["<extension>", _xml12_event(e), "</extension>\n"]
        else:
            out += [_xml12_event(e), "\n"]
    out.append("</EventList>\n</EPCISBody>\n</epcis:EPCISDocument>\n")
    return "".join(out).encode()


def _sbdh(when: str, count: int) -> str:
    instance = uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{when}:{count}")
    return (
        "<EPCISHeader>\n<sbdh:StandardBusinessDocumentHeader>\n"
        "<sbdh:HeaderVersion>1.0</sbdh:HeaderVersion>\n"
        f'<sbdh:Sender><sbdh:Identifier Authority="GLN">{gln(MAKER_CP)}</sbdh:Identifier>'
        "</sbdh:Sender>\n"
        f'<sbdh:Receiver><sbdh:Identifier Authority="GLN">{gln(DISTRIBUTORS[0])}'
        "</sbdh:Identifier></sbdh:Receiver>\n"
        "<sbdh:DocumentIdentification><sbdh:Standard>EPCglobal</sbdh:Standard>"
        "<sbdh:TypeVersion>1.0</sbdh:TypeVersion>"
        f"<sbdh:InstanceIdentifier>{instance}</sbdh:InstanceIdentifier>"
        "<sbdh:Type>Events</sbdh:Type>"
        f"<sbdh:CreationDateAndTime>{when}</sbdh:CreationDateAndTime>"
        "</sbdh:DocumentIdentification>\n"
        "</sbdh:StandardBusinessDocumentHeader>\n</EPCISHeader>\n"
    )


def _cbv(kind: str, value: str) -> str:
    return value if ":" in value else CBV_URN[kind] + value


def _text(tag: str, value: Any) -> str:
    return f"<{tag}>{escape(str(value))}</{tag}>"


def _epcs(tag: str, epcs: list[str]) -> str:
    return f"<{tag}>{''.join(_text('epc', epc) for epc in epcs)}</{tag}>"


def _quantities(tag: str, quantities: list[dict[str, Any]]) -> str:
    items = []
    for q in quantities:
        inner = _text("epcClass", q["epcClass"])
        if "quantity" in q:
            inner += _text("quantity", q["quantity"])
        if "uom" in q:
            inner += _text("uom", q["uom"])
        items.append(f"<quantityElement>{inner}</quantityElement>")
    return f"<{tag}>{''.join(items)}</{tag}>"


def _base_extension(e: dict[str, Any]) -> str:
    inner = _text("eventID", e["eventID"]) if "eventID" in e else ""
    declaration = e.get("errorDeclaration")
    if declaration:
        inner += "<errorDeclaration>" + _text("declarationTime", declaration["declarationTime"])
        if "reason" in declaration:
            inner += _text("reason", _cbv("reason", declaration["reason"]))
        if declaration.get("correctiveEventIDs"):
            ids = "".join(_text("correctiveEventID", i) for i in declaration["correctiveEventIDs"])
            inner += f"<correctiveEventIDs>{ids}</correctiveEventIDs>"
        inner += "</errorDeclaration>"
    return f"<baseExtension>{inner}</baseExtension>" if inner else ""


def _what_where_why(e: dict[str, Any], *, action: bool = True) -> str:
    out = _text("action", e["action"]) if action else ""
    if "bizStep" in e:
        out += _text("bizStep", _cbv("bizStep", e["bizStep"]))
    if "disposition" in e:
        out += _text("disposition", _cbv("disposition", e["disposition"]))
    if "readPoint" in e:
        out += f"<readPoint>{_text('id', e['readPoint']['id'])}</readPoint>"
    if "bizLocation" in e:
        out += f"<bizLocation>{_text('id', e['bizLocation']['id'])}</bizLocation>"
    return out


def _biz_transactions(e: dict[str, Any]) -> str:
    if not e.get("bizTransactionList"):
        return ""
    items = "".join(
        f'<bizTransaction type="{_cbv("btt", t["type"])}">{escape(t["bizTransaction"])}'
        "</bizTransaction>"
        if "type" in t
        else _text("bizTransaction", t["bizTransaction"])
        for t in e["bizTransactionList"]
    )
    return f"<bizTransactionList>{items}</bizTransactionList>"


def _sources_destinations(e: dict[str, Any]) -> str:
    out = ""
    for plural, single in (("sourceList", "source"), ("destinationList", "destination")):
        if e.get(plural):
            items = "".join(
                f'<{single} type="{_cbv("sdt", s["type"])}">{escape(s[single])}</{single}>'
                for s in e[plural]
            )
            out += f"<{plural}>{items}</{plural}>"
    return out


def _ilmd(e: dict[str, Any]) -> str:
    if not e.get("ilmd"):
        return ""
    return f"<ilmd>{''.join(_text(key, value) for key, value in e['ilmd'].items())}</ilmd>"


def _xml12_event(e: dict[str, Any]) -> str:
    kind = e["type"]
    if kind not in _XML12_BODIES:
        raise ValueError(f"EPCIS 1.2 has no {kind}")
    head = _text("eventTime", e["eventTime"])
    head += _text("eventTimeZoneOffset", e["eventTimeZoneOffset"]) + _base_extension(e)
    body, extension = _XML12_BODIES[kind](e)
    if extension:
        body += f"<extension>{extension}</extension>"
    return f"<{kind}>{head}{body}</{kind}>"


def _optional_quantities(tag: str, e: dict[str, Any]) -> str:
    return _quantities(tag, e[tag]) if e.get(tag) else ""


def _object_body(e: dict[str, Any]) -> tuple[str, str]:
    body = _epcs("epcList", e.get("epcList", [])) + _what_where_why(e) + _biz_transactions(e)
    extension = _optional_quantities("quantityList", e) + _sources_destinations(e) + _ilmd(e)
    return body, extension


def _aggregation_body(e: dict[str, Any]) -> tuple[str, str]:
    body = _text("parentID", e["parentID"]) if "parentID" in e else ""
    body += _epcs("childEPCs", e.get("childEPCs", [])) + _what_where_why(e)
    body += _biz_transactions(e)
    extension = _optional_quantities("childQuantityList", e) + _sources_destinations(e)
    return body, extension


def _transaction_body(e: dict[str, Any]) -> tuple[str, str]:
    body = _biz_transactions(e)
    body += _text("parentID", e["parentID"]) if "parentID" in e else ""
    body += _epcs("epcList", e.get("epcList", [])) + _what_where_why(e)
    extension = _optional_quantities("quantityList", e) + _sources_destinations(e)
    return body, extension


def _transformation_body(e: dict[str, Any]) -> tuple[str, str]:
    body = _epcs("inputEPCList", e["inputEPCList"]) if e.get("inputEPCList") else ""
    body += _optional_quantities("inputQuantityList", e)
    body += _epcs("outputEPCList", e["outputEPCList"]) if e.get("outputEPCList") else ""
    body += _optional_quantities("outputQuantityList", e)
    if "transformationID" in e:
        body += _text("transformationID", e["transformationID"])
    body += _what_where_why(e, action=False) + _biz_transactions(e)
    return body + _sources_destinations(e) + _ilmd(e), ""


_XML12_BODIES = {
    "ObjectEvent": _object_body,
    "AggregationEvent": _aggregation_body,
    "TransactionEvent": _transaction_body,
    "TransformationEvent": _transformation_body,
}
