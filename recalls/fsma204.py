"""The FDA FSMA 204 electronic sortable spreadsheet of a recall (21 CFR 1.1455(c)(3)(ii)):
`GET /recalls/{id}/fsma204.xlsx`.

One sheet per critical tracking event (Shipping, Receiving, Transformation), one row per
event and traceability lot (a transformation: one row per input lot and output lot, as
FDA's template fans it out), the key data elements of 21 CFR 1.1340 (shipping), 1.1345
(receiving) and 1.1350 (transformation) as columns. The events are the ones the stored
recall result lists (`cteEvents`, `recalls.scope.cte_events`), read as they were stored
and never changed; master data (names, addresses, product descriptions) is joined in when
the repository has it. Same result and data, same bytes: the workbook's timestamps are
the recall's horizon and the zip entries carry fixed times.

Field mapping (GS1 US, EPCIS Recommendations for FSMA 204 CTEs, as domain.md §3.4 has it):
the TLC is the LGTIN as a GS1 Digital Link (https://id.gs1.org/01/{GTIN}/10/{lot});
locations are bizLocation, sourceList and destinationList (type location), readPoint when
nothing else says; reference documents are the bizTransactionList (type and identifier).
"""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from epcis.identifiers import matching_key
from epcis.models import Event, EventIdentifier, Role, VocabularyElement
from recalls.models import RecallJob
from recalls.scope import bare, chunks
from trace.models import LotMembership

# (column header, the KDE's paragraph of 21 CFR; "" for our own columns that are no KDE)
SHIPPING = (
    ("Traceability Lot Code (TLC)", "1.1340(a)(1)"),
    ("Quantity", "1.1340(a)(2)"),
    ("Unit of Measure", "1.1340(a)(2)"),
    ("Product Description", "1.1340(a)(3)"),
    ("Immediate Subsequent Recipient Location Description", "1.1340(a)(4)"),
    ("Ship-From Location Description", "1.1340(a)(5)"),
    ("Ship Date", "1.1340(a)(6)"),
    ("TLC Source Location Description", "1.1340(a)(7)"),
    ("Reference Document Type", "1.1340(a)(8)"),
    ("Reference Document Number", "1.1340(a)(8)"),
    ("Event Time", ""),
    ("EPCIS Event ID", ""),
)
RECEIVING = (
    ("Traceability Lot Code (TLC)", "1.1345(a)(1)"),
    ("Quantity", "1.1345(a)(2)"),
    ("Unit of Measure", "1.1345(a)(2)"),
    ("Product Description", "1.1345(a)(3)"),
    ("Immediate Previous Source Location Description", "1.1345(a)(4)"),
    ("Receiving Location Description", "1.1345(a)(5)"),
    ("Receive Date", "1.1345(a)(6)"),
    ("TLC Source Location Description", "1.1345(a)(7)"),
    ("Reference Document Type", "1.1345(a)(8)"),
    ("Reference Document Number", "1.1345(a)(8)"),
    ("Event Time", ""),
    ("EPCIS Event ID", ""),
)
TRANSFORMATION = (
    ("Input Traceability Lot Code (TLC)", "1.1350(a)(1)(i)"),
    ("Input Product Description", "1.1350(a)(1)(ii)"),
    ("Input Quantity Used", "1.1350(a)(1)(iii)"),
    ("Input Unit of Measure", "1.1350(a)(1)(iii)"),
    ("New Traceability Lot Code (TLC)", "1.1350(a)(2)(i)"),
    ("Transformation Location Description (TLC Source)", "1.1350(a)(2)(ii)"),
    ("Date Transformation Completed", "1.1350(a)(2)(iii)"),
    ("Output Product Description", "1.1350(a)(2)(iv)"),
    ("Output Quantity", "1.1350(a)(2)(v)"),
    ("Output Unit of Measure", "1.1350(a)(2)(v)"),
    ("Reference Document Type", "1.1350(a)(2)(vi)"),
    ("Reference Document Number", "1.1350(a)(2)(vi)"),
    ("Event Time", ""),
    ("EPCIS Event ID", ""),
)
SHEETS = (("Shipping", SHIPPING), ("Receiving", RECEIVING), ("Transformation", TRANSFORMATION))

EACH = "EA"  # units counted, or an EPCIS quantity without uom (a count of instances)
MDA = "urn:epcglobal:cbv:mda#"
PRODUCT_NAMES = ("descriptionShort", "regulatedProductName", "tradeItemDescription", "name")
ADDRESS = ("streetAddressOne", "streetAddressTwo", "city", "state", "postalCode", "countryCode")
FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Item:
    lot: str  # canonical LGTIN, "" if unknown
    quantity: float
    uom: str


def gtin_of(key: str) -> str:
    parts = urlsplit(key).path.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "01" else ""


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _attributes(element: list[dict[str, Any]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for attribute in element or ():
        name = str(attribute.get("id", "")).removeprefix(MDA).rsplit("#", 1)[-1]
        value = attribute.get("attribute")
        if isinstance(value, (str, int, float)) and name not in found:
            found[name] = str(value)
    return found


class MasterData:
    """Names and addresses of locations and descriptions of products, from the master data
    of the repository (the earliest element recorded for an identifier wins)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.attributes: dict[str, dict[str, str]] = {}
        for chunk in chunks({k for k in keys if k}):
            for canonical, attributes in (
                VocabularyElement.objects.filter(canonical__in=chunk)
                .order_by("recorded_at", "pk")
                .values_list("canonical", "attributes")
            ):
                known = self.attributes.setdefault(canonical, {})
                for name, value in _attributes(attributes).items():
                    known.setdefault(name, value)

    def location(self, text: str) -> str:
        if not text:
            return ""
        found = self.attributes.get(matching_key(text), {})
        described = ", ".join(found[n] for n in ("name", *ADDRESS, "telephone") if found.get(n))
        return f"{described} ({text})" if described else text

    def product(self, lot: str) -> str:
        for key in (lot, f"https://id.gs1.org/01/{gtin_of(lot)}"):
            found = self.attributes.get(key, {})
            for name in PRODUCT_NAMES:
                if found.get(name):
                    return found[name]
        return gtin_of(lot)


def _party(entries: Any, name: str) -> str:
    for entry in entries or ():
        if isinstance(entry, dict) and bare(entry.get("type", "")) == "location":
            return str(entry.get(name, ""))
    return ""


def _where(doc: dict[str, Any]) -> str:
    return str(
        (doc.get("bizLocation") or {}).get("id") or (doc.get("readPoint") or {}).get("id") or ""
    )


def _documents(doc: dict[str, Any]) -> tuple[str, str]:
    entries = [t for t in doc.get("bizTransactionList") or () if isinstance(t, dict)]
    return (
        "; ".join(bare(t.get("type", "")) or "unspecified" for t in entries),
        "; ".join(str(t.get("bizTransaction", "")) for t in entries),
    )


def _local(moment: datetime, doc: dict[str, Any]) -> datetime:
    """The event's time at its own offset (the date a person there would write)."""
    offset = str(doc.get("eventTimeZoneOffset") or "+00:00")
    try:
        sign = -1 if offset.startswith("-") else 1
        hours, minutes = offset.lstrip("+-").split(":")
        delta = timedelta(hours=int(hours), minutes=int(minutes)) * sign
    except ValueError:
        delta = timedelta(0)
    return moment.astimezone(UTC) + delta


def _date(moment: datetime, doc: dict[str, Any]) -> str:
    return _local(moment, doc).date().isoformat()


def _time(moment: datetime, doc: dict[str, Any]) -> str:
    return str(doc.get("eventTime") or moment.isoformat())


def _quantities(doc: dict[str, Any], fields: tuple[str, ...]) -> list[Item]:
    items = []
    for name in fields:
        for entry in doc.get(name) or ():
            if isinstance(entry, dict) and entry.get("epcClass"):
                quantity = entry.get("quantity")
                items.append(
                    Item(
                        matching_key(entry["epcClass"]),
                        float(quantity) if isinstance(quantity, (int, float)) else 1.0,
                        str(entry.get("uom") or EACH),
                    )
                )
    return items


def _units(texts: Any, lot_of: dict[str, str]) -> list[Item]:
    counts: dict[str, int] = defaultdict(int)
    for text in texts or ():
        counts[lot_of.get(matching_key(text), "")] += 1
    return [Item(lot, n, EACH) for lot, n in sorted(counts.items())]


def _merged(items: list[Item]) -> list[Item]:
    total: dict[tuple[str, str], float] = defaultdict(float)
    for item in items:
        total[(item.lot, item.uom)] += item.quantity
    return [Item(lot, q, uom) for (lot, uom), q in sorted(total.items())]


def tlc_sources(
    lots: set[str], unit_of_lot: dict[str, str], before: datetime | None
) -> dict[str, str]:
    """Where each lot got its TLC: the location of the earliest event that made it (a
    TransformationEvent output, an ADD naming the lot in a quantity list, or the event that
    commissioned a unit of it)."""
    makers: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    events = (
        Event.objects.all() if before is None else Event.objects.filter(record_time__lte=before)
    )
    for chunk in chunks(lots):
        named = EventIdentifier.objects.filter(
            canonical__in=chunk, role__in=(Role.OUTPUT_QUANTITY, Role.QUANTITY)
        ).values_list("canonical", "event_id", "role")
        by_event: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for key, pk, role in named:
            by_event[pk].append((key, role))
        for pk, moment, event_id, kind, doc in events.filter(pk__in=list(by_event)).values_list(
            "pk", "event_time", "event_id", "type", "doc"
        ):
            for key, role in by_event[pk]:
                if role == Role.OUTPUT_QUANTITY or (
                    kind == "ObjectEvent" and doc.get("action") == "ADD"
                ):
                    makers[key].append((moment, event_id, _where(doc)))
    members = dict(
        LotMembership.objects.filter(
            unit__in=[unit_of_lot[k] for k in lots if k in unit_of_lot]
        ).values_list("lot", "event_id")
    )
    for pk, lot in {v: k for k, v in members.items()}.items():
        for moment, event_id, doc in events.filter(pk=pk).values_list(
            "event_time", "event_id", "doc"
        ):
            makers[lot].append((moment, event_id, _where(doc)))
    return {lot: min(found)[2] for lot, found in makers.items() if found}


def rows_of(job: RecallJob) -> dict[str, list[list[Any]]]:
    """The rows of each sheet, in (eventTime, eventID) order, then by lot."""
    result = job.result or {}
    listed = {int(pk): counts for pk, counts in result.get("cteEvents") or ()}
    scope = set((result.get("scopeKeys") or {}).get("identifiers") or ())
    events = list(
        Event.objects.filter(pk__in=sorted(listed))
        .order_by("event_time", "event_id")
        .values_list("pk", "event_id", "event_time", "type", "biz_step", "doc")
    )
    # the lots of the units transformations name, and a unit of each affected lot
    unit_texts = [
        t
        for *_, kind, _, doc in events
        if kind == "TransformationEvent"
        for name in ("inputEPCList", "outputEPCList")
        for t in doc.get(name) or ()
    ]
    lot_of: dict[str, str] = {}
    for chunk in chunks({matching_key(t) for t in unit_texts}):
        lot_of.update(LotMembership.objects.filter(unit__in=chunk).values_list("unit", "lot"))
    unit_of_lot: dict[str, str] = {}
    for unit in result.get("units") or ():
        if unit.get("lot"):
            unit_of_lot.setdefault(matching_key(unit["lot"]), matching_key(unit["epc"]))
    unit_of_lot.update({lot: unit for unit, lot in sorted(lot_of.items(), reverse=True) if lot})

    plan = _plan(events, listed, scope, lot_of)
    lots = {i.lot for step in plan for i in step.items + step.outputs} - {""}
    sources = tlc_sources(lots, unit_of_lot, job.horizon)
    places = {
        matching_key(t)
        for step in plan
        for t in (
            _where(step.doc),
            _party(step.doc.get("sourceList"), "source"),
            _party(step.doc.get("destinationList"), "destination"),
        )
        if t
    } | {matching_key(t) for t in sources.values() if t}
    master = MasterData(places | lots | {f"https://id.gs1.org/01/{gtin_of(k)}" for k in lots})

    return _sheets(plan, master, sources)


@dataclass(frozen=True)
class Step:
    sheet: str
    event_id: str
    moment: datetime
    doc: dict[str, Any]
    items: list[Item]  # the lots shipped or received; a transformation's inputs
    outputs: list[Item]


def _plan(
    events: list[tuple[int, str, datetime, str, str, dict[str, Any]]],
    listed: dict[int, dict[str, int]],
    scope: set[str],
    lot_of: dict[str, str],
) -> list[Step]:
    plan: list[Step] = []
    for pk, event_id, moment, kind, step, doc in events:
        if kind == "TransformationEvent":
            inputs = _merged(
                _quantities(doc, ("inputQuantityList",)) + _units(doc.get("inputEPCList"), lot_of)
            )
            outputs = _merged(
                _quantities(doc, ("outputQuantityList",)) + _units(doc.get("outputEPCList"), lot_of)
            )
            plan.append(Step("Transformation", event_id, moment, doc, inputs, outputs))
        elif bare(step) in ("shipping", "receiving"):
            counted = [Item(lot, n, EACH) for lot, n in listed[pk].items()]
            named = [
                i for i in _quantities(doc, ("quantityList", "childQuantityList")) if i.lot in scope
            ]
            items = _merged(counted + named)
            plan.append(Step(bare(step).title(), event_id, moment, doc, items, []))
    return plan


def _sheets(
    plan: list[Step], master: MasterData, sources: dict[str, str]
) -> dict[str, list[list[Any]]]:
    sheets: dict[str, list[list[Any]]] = {name: [] for name, _ in SHEETS}
    for step in plan:
        sheet, event_id, moment, doc = step.sheet, step.event_id, step.moment, step.doc
        items, outputs = step.items, step.outputs
        kinds, numbers = _documents(doc)
        when, at = _date(moment, doc), _time(moment, doc)
        if sheet == "Transformation":
            place = master.location(_where(doc))
            for given in items or [Item("", 0, "")]:
                for made in outputs or [Item("", 0, "")]:
                    sheets[sheet].append(
                        [
                            given.lot,
                            master.product(given.lot) if given.lot else "",
                            _number(given.quantity) if given.uom else None,
                            given.uom,
                            made.lot,
                            place,
                            when,
                            master.product(made.lot) if made.lot else "",
                            _number(made.quantity) if made.uom else None,
                            made.uom,
                            kinds,
                            numbers,
                            at,
                            event_id,
                        ]
                    )
            continue
        source = _party(doc.get("sourceList"), "source")
        destination = _party(doc.get("destinationList"), "destination")
        here = _where(doc)
        if sheet == "Shipping":
            other, own = destination, source or here
        else:
            other, own = source, here or destination
        for item in items:
            sheets[sheet].append(
                [
                    item.lot,
                    _number(item.quantity),
                    item.uom,
                    master.product(item.lot) if item.lot else "",
                    master.location(other),
                    master.location(own),
                    when,
                    master.location(sources.get(item.lot, "")),
                    kinds,
                    numbers,
                    at,
                    event_id,
                ]
            )
    return sheets


def workbook_bytes(job: RecallJob) -> bytes:
    """The .xlsx: frozen header row, an autofilter over each sheet, the same bytes for the
    same result and data."""
    book = Workbook()
    book.remove(book.active)
    rows = rows_of(job)
    for name, columns in SHEETS:
        sheet = book.create_sheet(name)
        sheet.append([title for title, _ in columns])
        for row in rows[name]:
            sheet.append(row)
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions
        for index, (title, _) in enumerate(columns):
            width = max([len(title), *(len(str(r[index] or "")) for r in rows[name])])
            sheet.column_dimensions[sheet.cell(1, index + 1).column_letter].width = min(
                width + 2, 80
            )
    stamp = (job.horizon or job.created_at).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.creator = "epcis-server"
    book.properties.title = f"FSMA 204 sortable spreadsheet, recall {job.pk}"
    buffer = io.BytesIO()
    # ExcelWriter, not Workbook.save: save stamps `modified` with the time of saving
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return _fixed_zip(buffer.getvalue())


def _fixed_zip(data: bytes) -> bytes:
    """openpyxl stamps each zip entry with the time of saving: the same entries at a fixed
    time instead."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
