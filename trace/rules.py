"""The lineage rules as pure functions of events: plain Python, no ORM, no SQL.

The rules read events through `EventFacts`: the attributes of `epcis.capture.hooks.
StoredEvent`, which the hook passes as they come (no copy on the hot path), and of `Fact`,
which `trace.lineage` builds from event rows when keys are recomputed from the stored
events. Both give the same values for the same event, and the rules give the same rows
for the same set of events whatever order they come in: they sort by (eventTime, eventID)
themselves and never look at capture order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol
from urllib.parse import quote

from epcis.identifiers import DL_BASE, IdentifierError, lgtin, matching_key

UNIT_PREFIX = f"{DL_BASE}01/"  # a canonical SGTIN is DL_BASE 01/<gtin>/21/<serial>
END_OF_LIFE_STEPS = frozenset({"decommissioning", "destroying"})
END_OF_LIFE_DISPOSITIONS = frozenset({"inactive", "destroyed"})
OBJECT, AGGREGATION, TRANSFORMATION = "ObjectEvent", "AggregationEvent", "TransformationEvent"


class Quantity(Protocol):
    @property
    def epc_class(self) -> str: ...
    @property
    def quantity(self) -> float | None: ...
    @property
    def uom(self) -> str: ...


class EventFacts(Protocol):
    """What the rules read of a stored event (identifiers in canonical form)."""

    @property
    def pk(self) -> int: ...
    @property
    def event_id(self) -> str: ...
    @property
    def event_time(self) -> datetime: ...
    @property
    def type(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def biz_step(self) -> str: ...
    @property
    def disposition(self) -> str: ...
    @property
    def parent(self) -> str: ...
    @property
    def epc_list(self) -> tuple[str, ...]: ...
    @property
    def children(self) -> tuple[str, ...]: ...
    @property
    def inputs(self) -> tuple[str, ...]: ...
    @property
    def outputs(self) -> tuple[str, ...]: ...
    @property
    def quantity_list(self) -> Sequence[Quantity]: ...
    @property
    def input_quantities(self) -> Sequence[Quantity]: ...
    @property
    def output_quantities(self) -> Sequence[Quantity]: ...
    @property
    def transformation_id(self) -> str: ...
    @property
    def lot(self) -> str: ...  # ILMD cbvmda:lotNumber, "" if none
    @property
    def doc(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class ClassQuantity:
    epc_class: str
    quantity: float | None
    uom: str


@dataclass(slots=True)
class Fact:
    """An event read back from the event tables, with StoredEvent's attribute names."""

    pk: int
    event_id: str
    event_time: datetime
    type: str
    action: str
    biz_step: str
    disposition: str
    parent: str
    epc_list: tuple[str, ...]
    children: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    quantity_list: tuple[ClassQuantity, ...]
    input_quantities: tuple[ClassQuantity, ...]
    output_quantities: tuple[ClassQuantity, ...]
    transformation_id: str
    lot: str
    doc: dict[str, Any]


def order(event: EventFacts) -> tuple[datetime, str]:
    return (event.event_time, event.event_id)


def group(event: EventFacts) -> str:
    """The transformation an event belongs to: its transformationID, or itself alone."""
    return event.transformation_id or f"event {event.event_id}"


# -- what an event does -----------------------------------------------------------------


def commissions(event: EventFacts) -> bool:
    """An ObjectEvent ADD, or a TransformationEvent whose outputs carry ILMD."""
    if event.type == OBJECT:
        return event.action == "ADD"
    return event.type == TRANSFORMATION and bool(event.doc.get("ilmd"))


def is_unit(key: str) -> bool:
    return key.startswith(UNIT_PREFIX) and "/21/" in key


def commissioned_units(event: EventFacts) -> list[str]:
    if not commissions(event):
        return []
    epcs = event.epc_list if event.type == OBJECT else event.outputs
    return [key for key in epcs if is_unit(key)]


def commissioned_quantities(event: EventFacts) -> Sequence[Quantity]:
    if not commissions(event):
        return ()
    return event.quantity_list if event.type == OBJECT else event.output_quantities


def ends_life(event: EventFacts) -> bool:
    """Decommissioning or destroying what the ObjectEvent's epcList names."""
    return event.type == OBJECT and (
        event.biz_step in END_OF_LIFE_STEPS or event.disposition in END_OF_LIFE_DISPOSITIONS
    )


def ended(event: EventFacts) -> tuple[str, ...]:
    return event.epc_list if ends_life(event) else ()


def aggregates(event: EventFacts) -> bool:
    return event.type == AGGREGATION and bool(event.parent)


def transforms(event: EventFacts) -> bool:
    return event.type == TRANSFORMATION and bool(
        event.inputs or event.outputs or event.input_quantities or event.output_quantities
    )


def matters(event: EventFacts) -> bool:
    """Whether the event can change any lineage row (shipping, receiving ... cannot)."""
    if event.type == OBJECT:
        return event.action == "ADD" or ends_life(event)
    return aggregates(event) or transforms(event)


# -- lot membership ---------------------------------------------------------------------


def lot_key(unit: str, lot_number: str) -> str:
    """The canonical LGTIN of a unit's lot (as matching_key of urn:epc:class:lgtin:...)."""
    if not lot_number:
        return ""
    return _lot_of_gtin(unit[: unit.index("/21/")], lot_number)


@lru_cache(maxsize=4096)
def _lot_of_gtin(gtin: str, lot_number: str) -> str:
    """A lot depends on the GTIN only: the units of one commissioning share it (cached)."""
    try:
        return matching_key(lgtin(gtin, lot_number))
    except IdentifierError:  # a lot number AI (10) refuses: keep it, percent-encoded
        return f"{gtin}/10/{quote(lot_number, safe='')}"


# A unit's lot row: (unit, lot, event pk, eventTime).
LotRow = tuple[str, str, int, datetime]


def commissionings(
    events: Iterable[EventFacts], units: set[str] | None = None
) -> dict[str, LotRow]:
    """Per unit, the lot row of the winning commissioning: the earliest by (eventTime,
    eventID). Plain tuples and one lot lookup per GTIN run: this runs for every unit."""
    best: dict[str, LotRow] = {}
    ranks: dict[str, tuple[datetime, str]] = {}
    for event in events:
        if not commissions(event):
            continue
        rank, pk, time, number = order(event), event.pk, event.event_time, event.lot
        gtin, lot = "", ""
        for unit in event.epc_list if event.type == OBJECT else event.outputs:
            serial = unit.find("/21/")
            if serial < 0 or not unit.startswith(UNIT_PREFIX):
                continue  # not an SGTIN: a container, or an identifier kept as sent
            if units is not None and unit not in units:
                continue
            known = ranks.get(unit)
            if known is None or rank < known:
                if unit[:serial] != gtin:
                    gtin = unit[:serial]
                    lot = _lot_of_gtin(gtin, number) if number else ""
                ranks[unit] = rank
                best[unit] = (unit, lot, pk, time)
    return best


# -- containment ------------------------------------------------------------------------

# A row of trace.Containment, child first (its primary key is (child, from event)): (child,
# from_time, parent, from event pk, until_time, until event pk), until None while inside.
StayRow = tuple[str, datetime, str, int, datetime | None, int | None]


def stays(parent: str, events: Iterable[EventFacts]) -> list[StayRow]:
    """The containment intervals of `parent` from all its events (any order given)."""
    opened: dict[str, tuple[datetime, int]] = {}
    rows: list[StayRow] = []
    unique = {event.pk: event for event in events}.values()
    for event in sorted(unique, key=order):
        if event.type == AGGREGATION and event.parent == parent:
            if event.action != "DELETE":  # ADD, or OBSERVE: the children seen are inside
                for child in event.children:
                    if child not in opened and child != parent:
                        opened[child] = (event.event_time, event.pk)
                continue
            leaving = event.children or list(opened)
        elif parent in ended(event):
            leaving = list(opened)
        else:
            continue
        for child in leaving:
            if child in opened:
                since, by = opened.pop(child)
                rows.append((child, since, parent, by, event.event_time, event.pk))
    rows += [(child, t, parent, pk, None, None) for child, (t, pk) in opened.items()]
    return rows


def parents_touched(events: Iterable[EventFacts]) -> set[str]:
    """Containers whose stays these events may change."""
    found: set[str] = set()
    for event in events:
        if aggregates(event):
            found.add(event.parent)
        found.update(ended(event))
    return found


# -- transformations --------------------------------------------------------------------

# A row of trace.TransformationMember: (identifier, side, group, event pk, seq, eventTime,
# is_class, quantity, uom).
MemberRow = tuple[str, str, str, int, int, datetime, bool, float | None, str]


def transformation_rows(event: EventFacts) -> list[MemberRow]:
    """The event's members of its transformation (its group): instances, then classes."""
    if not transforms(event):
        return []
    rows: list[MemberRow] = []
    where = (group(event), event.pk)
    for side, epcs, classes in (
        ("i", event.inputs, event.input_quantities),
        ("o", event.outputs, event.output_quantities),
    ):
        members: list[tuple[str, bool, float | None, str]] = [(k, False, None, "") for k in epcs]
        members += [(q.epc_class, True, q.quantity, q.uom) for q in classes]
        for seq, (key, is_class, quantity, uom) in enumerate(members):
            rows.append((key, side, *where, seq, event.event_time, is_class, quantity, uom))
    return rows
