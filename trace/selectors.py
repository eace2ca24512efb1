"""Reads of the lineage graph: an identifier's state, hierarchy and timeline, its lot, its
stays in containers, and one hop of a transformation (DESIGN §5).

Everything is read from the lineage tables and from the event tables by index (an
identifier's own events through the EventIdentifier key, events by primary key): the cost
grows with the identifier's own subgraph (its events, its containers' events while it was
inside), never with the repository. Keys are canonical matching keys; `display_forms` gives
the text to show for them (the form first captured, DESIGN §10). Everything here is
derived from every partner's events: callers must be staff.

Time semantics: a stay is [from, until). At the exact time of the packing event the child
is inside; at the exact time of the unpacking (or decommissioning) it is out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from django.db.models import Exists, Min, OuterRef, Q, QuerySet

from epcis.identifiers import IdentifierError, lgtin, matching_key
from epcis.models import Event, EventIdentifier, ExtensionField, Role
from trace.models import (
    Containment,
    EndOfLife,
    LotMembership,
    LotQuantity,
    Retraction,
    TransformationMember,
)

IN_CHUNK = 5000  # identifiers per IN (...) list: SQLite allows 32,766 parameters
CBV_MASTER_DATA = "urn:epcglobal:cbv:mda:"
MAX_DEPTH = 16  # containers nested deeper than this are not followed (a cycle in bad data)
IDENTIFIER_FIELDS = ("parentID", "epcList", "childEPCs", "inputEPCList", "outputEPCList")
QUANTITY_FIELDS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


# -- which events count -----------------------------------------------------------------


def counting_events() -> QuerySet[Event]:
    """Events the lineage counts: not error declarations, and not retracted by one."""
    retracted = Retraction.objects.filter(retracted=OuterRef("event_id"))
    return Event.objects.filter(declaration_time__isnull=True).exclude(Exists(retracted))


def is_known(key: str) -> bool:
    """Whether any event names the identifier, or it is the lot of a unit."""
    return EventIdentifier.objects.filter(canonical=key).exists() or bool(units_of_lot(key))


# -- display ----------------------------------------------------------------------------


def display_forms(keys: Iterable[str]) -> dict[str, str]:
    """Each key as first captured: its text in the earliest stored event that names it (a
    URN stays a URN, a Digital Link on its own domain stays so). A lot no event names takes
    the form of its unit's. Keys found nowhere map to themselves."""
    wanted = {key for key in keys if key}
    if not wanted:
        return {}
    firsts = dict(
        EventIdentifier.objects.filter(canonical__in=wanted)
        .values("canonical")
        .annotate(first=Min("event_id"))
        .values_list("canonical", "first")
    )
    docs = dict(Event.objects.filter(pk__in=set(firsts.values())).values_list("pk", "doc"))
    forms = {key: _text_in(docs.get(pk) or {}, key) for key, pk in firsts.items()}
    for key in wanted - set(forms):
        forms[key] = _lot_form(key) or key
    return forms


def _text_in(doc: dict[str, Any], key: str) -> str:
    for name in IDENTIFIER_FIELDS:
        value = doc.get(name)
        for text in [value] if isinstance(value, str) else value or ():
            if matching_key(text) == key:
                return text
    for name in QUANTITY_FIELDS:
        for item in doc.get(name) or ():
            if matching_key(item.get("epcClass", "")) == key:
                return item["epcClass"]
    return key


def _lot_form(lot: str) -> str | None:
    """A lot in the form of (one of) its units' first capture: a URN lot for URN units."""
    units = sorted(m.unit for m in units_of_lot(lot))
    if not units:
        return None
    try:
        return lgtin(display_forms(units[:1])[units[0]], unquote(lot.rsplit("/10/", 1)[1]))
    except IdentifierError:
        return None


# -- lots, end of life, transformations -------------------------------------------------


def lot_of(unit: str) -> LotMembership | None:
    return LotMembership.objects.filter(unit=unit).first()


def units_of_lot(lot: str) -> list[LotMembership]:
    """The serialized units commissioned into the lot. Read from the lot's commissioning
    events (the ILMD lotNumber index of epcis_extensionfield), each unit they name then
    confirmed by LotMembership's key (its lot is its earliest commissioning's)."""
    if "/10/" not in lot:
        return []
    number = unquote(lot.rsplit("/10/", 1)[1])
    events = ExtensionField.objects.filter(
        text=number, name="lotNumber", scope="ilmd", inner=False, namespace=CBV_MASTER_DATA
    ).values("event_id")
    lists = Event.objects.filter(pk__in=events).values_list("doc__epcList", "doc__outputEPCList")
    candidates = sorted(
        {matching_key(epc) for epcs, outputs in lists for epc in (epcs or []) + (outputs or [])}
    )
    return [
        membership
        for start in range(0, len(candidates), IN_CHUNK)
        for membership in LotMembership.objects.filter(
            unit__in=candidates[start : start + IN_CHUNK], lot=lot
        )
    ]


def lot_quantities(lots: Collection[str]) -> QuerySet[LotQuantity]:
    """Class-level quantities commissioned for these lots (sum them per uom)."""
    return LotQuantity.objects.filter(lot__in=lots)


def ended(key: str) -> bool:
    """Whether the identifier was decommissioned or destroyed."""
    return EndOfLife.objects.filter(identifier=key).exists()


@dataclass(frozen=True)
class Edge:
    """input -> output of one transformation, with each side's quantity for a class."""

    group: str
    input: str
    output: str
    input_quantity: float | None
    input_uom: str
    output_quantity: float | None
    output_uom: str


def transformation_edges(keys: Collection[str], *, forward: bool) -> list[Edge]:
    """One hop: the transformations `keys` went into (forward: to their outputs) or came out
    of (backward: to their inputs). Index reads: the keys' members, then their groups'."""
    side, other = ("i", "o") if forward else ("o", "i")
    mine = list(
        TransformationMember.objects.filter(identifier__in=keys, side=side).values_list(
            "group", "identifier", "quantity", "uom"
        )
    )
    groups = {group for group, _, _, _ in mine}
    theirs = TransformationMember.objects.filter(group__in=groups, side=other).values_list(
        "group", "identifier", "quantity", "uom"
    )
    by_group: dict[str, list[tuple]] = {}
    for group, identifier, quantity, uom in theirs:
        by_group.setdefault(group, []).append((identifier, quantity, uom))
    edges = set()
    for group, key, quantity, uom in mine:
        for other_key, other_quantity, other_uom in by_group.get(group, ()):
            ends = (key, quantity, uom, other_key, other_quantity, other_uom)
            i, iq, iu, o, oq, ou = ends if forward else (*ends[3:], *ends[:3])
            edges.add(Edge(group, i, o, iq, iu, oq, ou))
    return sorted(edges, key=lambda e: (e.group, e.input, e.output))


def transformation_closure(keys: Collection[str], *, forward: bool) -> set[str]:
    """Every identifier reached from `keys` through transformations, any depth (cycle-safe:
    each identifier is expanded once). One query pair per depth, not per identifier."""
    seen: set[str] = set(keys)
    frontier = set(keys)
    while frontier:
        edges = transformation_edges(frontier, forward=forward)
        reached = {e.output if forward else e.input for e in edges}
        frontier = reached - seen
        seen |= frontier
    return seen - set(keys)


# -- containment ------------------------------------------------------------------------


def _inside_at(at: datetime) -> Q:
    return Q(from_time__lte=at) & (Q(until_time__isnull=True) | Q(until_time__gt=at))


def parents_at(key: str, at: datetime) -> list[str]:
    """The direct parent at `at`, its parent, ... (one indexed read per level). Should the
    data put a child in two containers at once, the one it entered last is its parent."""
    chain: list[str] = []
    current = key
    while len(chain) < MAX_DEPTH:
        stays = Containment.objects.filter(_inside_at(at), child=current).values_list(
            "parent", "from_time", "from_event__event_id"
        )
        latest = max(stays, key=lambda s: (s[1], s[2]), default=None)
        if latest is None or latest[0] == key or latest[0] in chain:
            break
        chain.append(latest[0])
        current = latest[0]
    return chain


def children_named_by(parent: str) -> set[str]:
    """Every child the container's aggregation events name: the only children it can have
    stays of (Containment is keyed by child; this is the way in from the parent)."""
    named_parent = EventIdentifier.objects.filter(canonical=parent, role=Role.PARENT)
    lists = Event.objects.filter(
        pk__in=named_parent.values("event_id"), type="AggregationEvent"
    ).values_list("doc__childEPCs", flat=True)
    return {matching_key(child) for children in lists for child in children or ()}


def stays_in(parent: str) -> list[Containment]:
    """Every stay of a child directly inside the container, oldest first."""
    children = sorted(children_named_by(parent))
    stays = [
        stay
        for start in range(0, len(children), IN_CHUNK)
        for stay in Containment.objects.filter(
            parent=parent, child__in=children[start : start + IN_CHUNK]
        )
    ]
    return sorted(stays, key=lambda s: (s.from_time, s.child))


def children_at(key: str, at: datetime) -> list[str]:
    """The container's direct children at `at`."""
    return sorted(
        {
            stay.child
            for stay in stays_in(key)
            if stay.from_time <= at and (stay.until_time is None or at < stay.until_time)
        }
    )


def stays_of(child: str) -> list[Containment]:
    """Every stay of the identifier directly inside a container, oldest first."""
    return list(Containment.objects.filter(child=child).order_by("from_time", "parent"))


# -- timeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The identifier was inside `container` (at `depth`: 1 directly) over [start, end)."""

    container: str
    depth: int
    start: datetime
    end: datetime | None
    began: int | None  # the event that put it (or its container) in, if it began here
    ended: int | None  # the event that took it out (at `end`, when it is out again)


# (identifier, window start, window end, the containers on the way there)
_Level = tuple[str, datetime | None, datetime | None, frozenset[str]]


def windows_of(key: str, known: Mapping[str, Sequence[Containment]] | None = None) -> list[Window]:
    """When the identifier was inside each container, directly or through others: a stay
    of the identifier, then its container's stays cut to it, level by level. `known`: the
    stays already read, by child (a recall reads them for all its units at once); else
    each level is one query."""
    found: list[Window] = []
    level: list[_Level] = [(key, None, None, frozenset({key}))]
    for depth in range(1, MAX_DEPTH + 1):
        if not level:
            break
        by_child = known if known is not None else _stays_by_child({i for i, *_ in level})
        following: list[_Level] = []
        for item, start, end, path in level:
            for stay in by_child.get(item, ()):
                window = _cut(stay, start, end, depth)
                if window is not None and stay.parent not in path:
                    found.append(window)
                    following.append((stay.parent, window.start, window.end, path | {stay.parent}))
        level = following
    return found


def _stays_by_child(children: set[str]) -> dict[str, list[Containment]]:
    by_child: dict[str, list[Containment]] = {}
    for stay in Containment.objects.filter(child__in=children):
        by_child.setdefault(stay.child, []).append(stay)
    return by_child


def _cut(
    stay: Containment, start: datetime | None, end: datetime | None, depth: int
) -> Window | None:
    begin = stay.from_time if start is None else max(start, stay.from_time)
    until = stay.until_time
    if end is not None and (until is None or end < until):
        until = end
    if until is not None and until <= begin:
        return None
    began = stay.from_event_id if begin == stay.from_time else None
    ended = stay.until_event_id if until is not None and until == stay.until_time else None
    return Window(stay.parent, depth, begin, until, began, ended)


@dataclass
class Touch:
    """Why an event is in a timeline: `via` None when it names the identifier itself;
    `inside` False for an event that only ended a stay (the identifier is out at its
    time: a decommissioned case's disposition is not its former contents')."""

    depth: int
    via: str | None
    inside: bool = True


@dataclass(frozen=True)
class TimelineEntry:
    pk: int
    event_id: str
    event_time: datetime
    type: str
    action: str
    biz_step: str
    disposition: str
    biz_location: str  # as written in the event
    via: str | None  # a key; display_forms gives its text


def touching_events(key: str) -> dict[int, Touch]:
    """Every event that touched the identifier: naming it, naming a container while it was
    inside (at that time), or beginning or ending one of its stays (a DELETE that names no
    child too). The innermost container names the `via`."""
    touches: dict[int, Touch] = {pk: Touch(0, None) for pk in _events_naming([key]).get(key, {})}
    windows = windows_of(key)
    naming = _events_naming({w.container for w in windows})
    for window in windows:
        if window.began is not None:
            _touch(touches, window.began, Touch(window.depth, window.container))
        if window.ended is not None:
            _touch(touches, window.ended, Touch(window.depth, window.container, inside=False))
        for pk, moment in naming.get(window.container, {}).items():
            if moment >= window.start and (window.end is None or moment < window.end):
                _touch(touches, pk, Touch(window.depth, window.container))
    return touches


def _touch(touches: dict[int, Touch], pk: int, touch: Touch) -> None:
    """Keep the innermost container as the `via`; inside if any reason says so."""
    known = touches.get(pk)
    if known is None:
        touches[pk] = touch
        return
    inside = known.inside or touch.inside
    if touch.depth < known.depth:
        known = touch
    touches[pk] = Touch(known.depth, known.via, inside)


def _events_naming(keys: Collection[str]) -> dict[str, dict[int, datetime]]:
    """Per key, the events that name it in any role, with their times."""
    found: dict[str, dict[int, datetime]] = {}
    if not keys:
        return found
    rows = EventIdentifier.objects.filter(canonical__in=keys).values_list(
        "canonical", "event_id", "event__event_time"
    )
    for key, pk, moment in rows:
        found.setdefault(key, {})[pk] = moment
    return found


def timeline_of(key: str) -> list[TimelineEntry]:
    """The identifier's timeline, oldest first by (eventTime, eventID)."""
    touches = touching_events(key)
    rows = (
        counting_events()
        .filter(pk__in=touches)
        .values_list(
            "pk",
            "event_id",
            "event_time",
            "type",
            "action",
            "biz_step",
            "disposition",
            "doc__bizLocation__id",
        )
    )
    entries = [
        TimelineEntry(*row[:7], biz_location=row[7] or "", via=touches[row[0]].via) for row in rows
    ]
    return sorted(entries, key=lambda e: (e.event_time, e.event_id))


def timeline_after(entries: list[TimelineEntry], pk: int | None) -> list[TimelineEntry]:
    """The entries after the event `pk` in timeline order (a page token's position). An
    event no longer in the timeline (retracted meanwhile) still marks its place."""
    if pk is None:
        return entries
    for index, entry in enumerate(entries):
        if entry.pk == pk:
            return entries[index + 1 :]
    place = Event.objects.filter(pk=pk).values_list("event_time", "event_id").first()
    if place is None:
        return entries
    return [e for e in entries if (e.event_time, e.event_id) > place]


# -- state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    key: str
    lot: str  # a key, "" if none
    location: str  # as written in the event, "" if none
    disposition: str
    parent: str  # a key, "" if none
    top_parent: str
    last_event_time: datetime | None
    decommissioned: bool


def state_of(key: str, now: datetime) -> State:
    """Where the identifier is and in what state, from its timeline's latest events: the
    location of the latest event with a business location, the disposition of the latest
    with a disposition that applied to it (not one that only took it out of a container),
    its containers now."""
    touches = touching_events(key)
    latest = (
        counting_events()
        .filter(pk__in=touches)
        .order_by("-event_time", "-event_id")
        .values_list("event_time", "biz_location", "disposition", "pk")
    )
    last_time, location_pk, disposition = None, None, ""
    for moment, biz_location, event_disposition, pk in latest:
        last_time = last_time or moment
        if location_pk is None and biz_location:
            location_pk = pk
        if not disposition and touches[pk].inside:
            disposition = event_disposition
        if location_pk is not None and disposition:
            break
    location = ""
    if location_pk is not None:
        location = Event.objects.filter(pk=location_pk).values_list(
            "doc__bizLocation__id", flat=True
        )[0]
    membership = lot_of(key)
    parents = parents_at(key, now)
    return State(
        key=key,
        lot=membership.lot if membership else "",
        location=location or "",
        disposition=disposition,
        parent=parents[0] if parents else "",
        top_parent=parents[-1] if parents else "",
        last_event_time=last_time,
        decommissioned=ended(key),
    )


# -- custody ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Handover:
    """A timeline event with sources or destinations (shipping, receiving): who and where
    the goods came from and went to, with its business transactions (as captured)."""

    event_id: str
    event_time: datetime
    biz_step: str
    sources: list[dict[str, str]]
    destinations: list[dict[str, str]]
    biz_transactions: list[dict[str, str]]


def custody_of(key: str) -> list[Handover]:
    touches = touching_events(key)
    rows = (
        counting_events()
        .filter(pk__in=touches)
        .values_list("event_id", "event_time", "biz_step", "doc")
    )
    handovers = [
        Handover(
            event_id,
            moment,
            biz_step,
            doc.get("sourceList") or [],
            doc.get("destinationList") or [],
            doc.get("bizTransactionList") or [],
        )
        for event_id, moment, biz_step, doc in rows
        if doc.get("sourceList") or doc.get("destinationList")
    ]
    return sorted(handovers, key=lambda h: (h.event_time, h.event_id))
