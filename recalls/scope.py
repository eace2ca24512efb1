"""The scope of a recall (DESIGN §5): every lot, unit, container, location and shipment a
recall must reach, computed from the lineage graph by pure reads.

Set-based: each step is a few queries per level of the graph (a BFS over transformations,
over containment up and down), each over a whole frontier in IN lists of at most
`IN_CHUNK` keys, never a query per unit; the cost grows with the affected subgraph, not
with the repository. The per-unit state is `trace.selectors.state_of`, batched: the same
rules (the latest event with a business location, the latest disposition that applied to
the unit, its containers now), read once for every unit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Min
from django.utils import timezone

from epcis.identifiers import matching_key
from epcis.models import BizTransaction, Event, EventIdentifier, Role
from epcis.query.params import time_value
from epcis.rendering.times import rfc3339
from recalls.models import RecallJob
from recalls.services import key_kind, lot_number
from trace.models import Containment, EndOfLife, LotMembership
from trace.selectors import (
    IDENTIFIER_FIELDS,
    IN_CHUNK,
    MAX_DEPTH,
    QUANTITY_FIELDS,
    Window,
    counting_events,
    display_forms,
    is_known,
    transformation_closure,
    units_of_lot,
    windows_of,
)
from trace.traces import newer_events_touch

NOT_STOCK = {"dispensed", "destroyed", "retail_sold", "inactive", "decommissioned", "in_transit"}
Report = Callable[[float], None]


def chunks(keys: Collection[str]) -> Iterator[list[str]]:
    ordered = sorted(keys)
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


def bare(value: str) -> str:
    """A CBV value without its namespace: in_transit for urn:epcglobal:cbv:disp:in_transit
    or https://ref.gs1.org/cbv/Disp-in_transit."""
    tail = value.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removeprefix("Disp-").removeprefix("BizStep-")


def compute(job: RecallJob, report: Report) -> dict[str, Any]:
    """`run_job`'s work: the scope of the job's parameters."""
    params = job.parameters
    start = time_value(params["from"]) if params.get("from") else None
    end = time_value(params["until"]) if params.get("until") else None
    return recall_scope(params["lots"], params["epcs"], start, end, report)


# -- the graph --------------------------------------------------------------------------


@dataclass
class Touch:
    inside: bool


@dataclass
class Graph:
    lots: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)
    stays: dict[str, list[Containment]] = field(default_factory=dict)  # by child
    windows: dict[str, list[Window]] = field(default_factory=dict)  # by unit


def expand_lots(lots: set[str], units: set[str], report: Report) -> Graph:
    """The lots and their units, and every lot and unit made from them, transitively: a
    lot's units, then one transformation closure per round over what is new; a unit output
    brings its lot (and that lot's units) in."""
    graph = Graph(set(lots), set(units))
    pending_lots, pending_units = set(lots), set(units)
    expanded: set[str] = set()
    while pending_lots or pending_units:
        for lot in sorted(pending_lots):
            found = {m.unit for m in units_of_lot(lot)} - graph.units
            graph.units |= found
            pending_units |= found
        frontier = (pending_lots | pending_units) - expanded
        expanded |= frontier
        reached: set[str] = set()
        for chunk in chunks(frontier):
            reached |= transformation_closure(chunk, forward=True)
        reached -= expanded
        new_units = {k for k in reached if key_kind(k) == "sgtin"} - graph.units
        new_lots = {k for k in reached if key_kind(k) != "sgtin"} - graph.lots
        for chunk in chunks(new_units):
            memberships = LotMembership.objects.filter(unit__in=chunk).values_list("lot", flat=True)
            new_lots |= {lot for lot in memberships if lot} - graph.lots
        graph.lots |= new_lots
        graph.units |= new_units
        pending_lots, pending_units = new_lots, new_units
        report(0.05)
    return graph


def contents_of(containers: set[str]) -> tuple[set[str], set[str]]:
    """Every unit and container that was ever inside the containers, at any depth: per
    level, the children their aggregation events name, confirmed by Containment."""
    units: set[str] = set()
    seen = set(containers)
    level = set(containers)
    for _ in range(MAX_DEPTH):
        if not level:
            break
        candidates: set[str] = set()
        for chunk in chunks(level):
            named = EventIdentifier.objects.filter(canonical__in=chunk, role=Role.PARENT)
            lists = Event.objects.filter(
                pk__in=named.values("event_id"), type="AggregationEvent"
            ).values_list("doc__childEPCs", flat=True)
            candidates |= {matching_key(c) for children in lists for c in children or ()}
        children: set[str] = set()
        for chunk in chunks(candidates):
            children |= set(
                Containment.objects.filter(child__in=chunk, parent__in=level).values_list(
                    "child", flat=True
                )
            )
        units |= {c for c in children if key_kind(c) == "sgtin"}
        level = {c for c in children if key_kind(c) != "sgtin"} - seen
        seen |= level
    return units, seen


def stays_upward(graph: Graph) -> None:
    """Every stay of the units, of their containers, of those containers' containers..."""
    level = set(graph.units)
    for _ in range(MAX_DEPTH + 1):
        level -= set(graph.stays)
        if not level:
            break
        for item in level:
            graph.stays[item] = []
        for chunk in chunks(level):
            for stay in Containment.objects.filter(child__in=chunk):
                graph.stays[stay.child].append(stay)
        level = {s.parent for item in level for s in graph.stays[item]}


def parents_now(graph: Graph, unit: str, now: datetime) -> list[str]:
    """trace.selectors.parents_at(unit, now), from the stays already read."""
    chain: list[str] = []
    current = unit
    while len(chain) < MAX_DEPTH:
        open_stays = [
            s
            for s in graph.stays.get(current, ())
            if s.from_time <= now and (s.until_time is None or s.until_time > now)
        ]
        latest = max(open_stays, key=lambda s: (s.from_time, s.from_event_id), default=None)
        if latest is None or latest.parent == unit or latest.parent in chain:
            break
        chain.append(latest.parent)
        current = latest.parent
    return chain


# -- events -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    pk: int
    event_id: str
    time: datetime
    biz_step: str
    disposition: str
    location: str  # canonical key, "" if none
    location_text: str  # as written
    kind: str = ""  # the event type: ObjectEvent, TransformationEvent...


def naming(keys: Collection[str]) -> dict[str, dict[int, datetime]]:
    found: dict[str, dict[int, datetime]] = defaultdict(dict)
    for chunk in chunks(keys):
        rows = EventIdentifier.objects.filter(canonical__in=chunk).values_list(
            "canonical", "event_id", "event__event_time"
        )
        for key, pk, moment in rows:
            found[key][pk] = moment
    return found


def touches_of(graph: Graph, names: dict[str, dict[int, datetime]]) -> dict[str, dict[int, Touch]]:
    """trace.selectors.touching_events of every unit, batched."""
    touches: dict[str, dict[int, Touch]] = {}
    for unit in graph.units:
        mine = {pk: Touch(True) for pk in names.get(unit, {})}
        for window in graph.windows[unit]:
            if window.began is not None:
                mine.setdefault(window.began, Touch(True)).inside = True
            if window.ended is not None:
                mine.setdefault(window.ended, Touch(False))
            for pk, moment in names.get(window.container, {}).items():
                if moment >= window.start and (window.end is None or moment < window.end):
                    mine.setdefault(pk, Touch(True)).inside = True
        touches[unit] = mine
    return touches


def event_rows(pks: Collection[int]) -> dict[int, Row]:
    rows: dict[int, Row] = {}
    ordered = sorted(pks)
    for start in range(0, len(ordered), IN_CHUNK):
        values = (
            counting_events()
            .filter(pk__in=ordered[start : start + IN_CHUNK])
            .values_list(
                "pk",
                "event_id",
                "event_time",
                "biz_step",
                "disposition",
                "doc__bizLocation__id",
                "type",
            )
        )
        for pk, event_id, moment, step, disposition, text, kind in values:
            location = matching_key(text) if text else ""
            rows[pk] = Row(
                pk, event_id, moment, bare(step), bare(disposition), location, text or "", kind
            )
    return rows


@dataclass
class UnitState:
    key: str
    lot: str
    location: str
    disposition: str
    parent: str
    top_parent: str
    last_event_time: datetime | None
    decommissioned: bool
    locations_ever: set[str]

    @property
    def stock(self) -> bool:
        return not self.decommissioned and self.disposition not in NOT_STOCK


def states(
    graph: Graph,
    touches: dict[str, dict[int, Touch]],
    rows: dict[int, Row],
    now: datetime,
) -> dict[str, UnitState]:
    lot_of: dict[str, str] = {}
    ended: set[str] = set()
    for chunk in chunks(graph.units):
        lot_of.update(LotMembership.objects.filter(unit__in=chunk).values_list("unit", "lot"))
        ended |= set(
            EndOfLife.objects.filter(identifier__in=chunk).values_list("identifier", flat=True)
        )
    result = {}
    for unit in graph.units:
        mine = touches[unit]
        latest = sorted(
            (rows[pk] for pk in mine if pk in rows),
            key=lambda r: (r.time, r.event_id),
            reverse=True,
        )
        location = next((r.location for r in latest if r.location), "")
        disposition = next(
            (r.disposition for r in latest if r.disposition and mine[r.pk].inside), ""
        )
        parents = parents_now(graph, unit, now)
        result[unit] = UnitState(
            key=unit,
            lot=lot_of.get(unit, ""),
            location=location,
            disposition=disposition,
            parent=parents[0] if parents else "",
            top_parent=parents[-1] if parents else "",
            last_event_time=latest[0].time if latest else None,
            decommissioned=unit in ended,
            locations_ever={r.location for r in latest if r.location},
        )
    return result


# -- shipments --------------------------------------------------------------------------


def _party(entries: list[dict[str, str]], name: str, kind: str) -> str:
    for entry in entries or ():
        if bare(entry.get("type", "")) == kind:
            return entry.get(name, "")
    return ""


def _named(doc: dict[str, Any]) -> set[str]:
    texts: list[str] = []
    for name in ("parentID", "epcList", "childEPCs"):
        value = doc.get(name)
        texts += [value] if isinstance(value, str) else value or []
    return {matching_key(t) for t in texts}


def _transactions(doc: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"type": bare(t.get("type", "")), "bizTransaction": t.get("bizTransaction", "")}
        for t in doc.get("bizTransactionList") or ()
    ]


def _rank(
    item: tuple[datetime, str, dict[str, Any]], destination: str
) -> tuple[bool, datetime, str]:
    """A receipt at the shipment's destination first, then the earliest."""
    at = (item[2].get("bizLocation") or {}).get("id", "")
    return (not (destination and at and matching_key(at) == destination), item[0], item[1])


def shipments(
    touches: dict[str, dict[int, Touch]], rows: dict[int, Row], forms: dict[str, str]
) -> list[dict[str, Any]]:
    """Every shipping event that moved affected units (inside at its time), with the
    receiving event that matches it: a receipt after it that names what it shipped or one
    of its business transactions, one at its destination location first."""
    moved: dict[int, set[str]] = defaultdict(set)
    for unit, mine in touches.items():
        for pk, touch in mine.items():
            if touch.inside and pk in rows and rows[pk].biz_step == "shipping":
                moved[pk].add(unit)
    if not moved:
        return []
    docs = dict(Event.objects.filter(pk__in=moved).values_list("pk", "doc"))
    shipped_ids = {key for doc in docs.values() for key in _named(doc)}
    values = {t["bizTransaction"] for doc in docs.values() for t in _transactions(doc)}
    candidates: set[int] = set()
    for chunk in chunks(shipped_ids):
        candidates |= set(
            EventIdentifier.objects.filter(canonical__in=chunk).values_list("event_id", flat=True)
        )
    for chunk in chunks(values):
        candidates |= set(
            BizTransaction.objects.filter(value__in=chunk).values_list("event_id", flat=True)
        )
    receipts = [
        (moment, event_id, doc)
        for moment, event_id, step, doc in counting_events()
        .filter(pk__in=candidates)
        .values_list("event_time", "event_id", "biz_step", "doc")
        if bare(step) == "receiving"
    ]
    found = []
    for pk, units in moved.items():
        doc, row = docs[pk], rows[pk]
        transactions = _transactions(doc)
        own = {t["bizTransaction"] for t in transactions}
        named = _named(doc)
        destination = _party(doc.get("destinationList"), "destination", "location")
        dest_key = matching_key(destination) if destination else ""
        matching = [
            (moment, event_id, receipt)
            for moment, event_id, receipt in receipts
            if moment >= row.time
            and (
                own & {t["bizTransaction"] for t in _transactions(receipt)}
                or named & _named(receipt)
            )
        ]

        receipt = min(matching, key=lambda item: _rank(item, dest_key), default=None)
        received_at = (receipt[2].get("bizLocation") or {}).get("id", "") if receipt else ""
        found.append(
            {
                "eventID": row.event_id,
                "bizTransactions": transactions,
                "source": _party(doc.get("sourceList"), "source", "owning_party") or None,
                "sourceLocation": _party(doc.get("sourceList"), "source", "location") or None,
                "destination": _party(doc.get("destinationList"), "destination", "owning_party")
                or None,
                "destinationLocation": destination or None,
                "shipped": rfc3339(row.time),
                "received": rfc3339(receipt[0]) if receipt else None,
                "receivedAt": received_at or None,
                "receivedBy": _party(
                    receipt[2].get("destinationList"), "destination", "owning_party"
                )
                or None
                if receipt
                else None,
                "receivedElsewhere": bool(
                    receipt and dest_key and received_at and matching_key(received_at) != dest_key
                ),
                "units": len(units),
            }
        )
    return sorted(found, key=lambda s: (s["shipped"], s["eventID"]))


# -- critical tracking events (FSMA 204) -----------------------------------------------

CTE_STEPS = ("shipping", "receiving")
LOT_ROLES = (Role.QUANTITY, Role.CHILD_QUANTITY, Role.INPUT_QUANTITY, Role.OUTPUT_QUANTITY)


def _is_cte(kind: str, step: str) -> bool:
    return kind == "TransformationEvent" or step in CTE_STEPS


def cte_events(
    lots: Collection[str],
    touches: dict[str, dict[int, Touch]],
    rows: dict[int, Row],
    state: dict[str, UnitState],
    start: datetime | None,
    end: datetime | None,
) -> list[list[Any]]:
    """The critical tracking events of the scope, for `recalls.fsma204`: `[pk, {lot: units}]`
    per shipping, receiving or transformation event that moved affected units (inside at
    its time: counted per lot) or names an affected lot in a quantity list (`{}`: its
    quantities are in the event)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for unit, mine in touches.items():
        lot = state[unit].lot if unit in state else ""
        for pk, touch in mine.items():
            row = rows.get(pk)
            if touch.inside and row is not None and _is_cte(row.kind, row.biz_step):
                counts[pk][lot] = counts[pk].get(lot, 0) + 1
    for chunk in chunks(lots):
        named = EventIdentifier.objects.filter(canonical__in=chunk, role__in=LOT_ROLES)
        for pk, step, kind, moment in (
            counting_events()
            .filter(pk__in=named.values("event_id"))
            .values_list("pk", "biz_step", "type", "event_time")
        ):
            if _is_cte(kind, bare(step)):
                rows.setdefault(pk, Row(pk, "", moment, bare(step), "", "", "", kind))
                counts.setdefault(pk, {})
    return [
        [pk, dict(sorted(found.items()))]
        for pk, found in sorted(counts.items())
        if (start is None or rows[pk].time >= start) and (end is None or rows[pk].time < end)
    ]


# -- display ----------------------------------------------------------------------------


def display(keys: Iterable[str]) -> dict[str, str]:
    """trace.selectors.display_forms for many keys: each first event's identifiers are
    matched once per event, not once per key (a commissioning names thousands)."""
    wanted = {k for k in keys if k}
    firsts: dict[str, int] = {}
    for chunk in chunks(wanted):
        firsts.update(
            EventIdentifier.objects.filter(canonical__in=chunk)
            .values("canonical")
            .annotate(first=Min("event_id"))
            .values_list("canonical", "first")
        )
    by_event: dict[int, dict[str, str]] = {}
    pks = sorted(set(firsts.values()))
    for start in range(0, len(pks), IN_CHUNK):
        for pk, doc in Event.objects.filter(pk__in=pks[start : start + IN_CHUNK]).values_list(
            "pk", "doc"
        ):
            texts: dict[str, str] = {}
            for name in IDENTIFIER_FIELDS:
                value = doc.get(name)
                for text in [value] if isinstance(value, str) else value or ():
                    texts.setdefault(matching_key(text), text)
            for name in QUANTITY_FIELDS:
                for item in doc.get(name) or ():
                    texts.setdefault(matching_key(item.get("epcClass", "")), item["epcClass"])
            by_event[pk] = texts
    forms = {key: by_event.get(pk, {}).get(key, key) for key, pk in firsts.items()}
    forms.update(display_forms(wanted - set(forms)))  # lots no event names: few
    return forms


# -- the scope --------------------------------------------------------------------------


def recall_scope(
    lots: dict[str, str],
    epcs: dict[str, str],
    start: datetime | None,
    end: datetime | None,
    report: Report,
) -> dict[str, Any]:
    """The result of a recall of `lots` and `epcs` (key -> the text it was given as)."""
    notes = [
        f"{text} was never seen: no stored event names it (or any unit of it)."
        for key, text in {**lots, **epcs}.items()
        if not is_known(key)
    ]
    given_units = {k for k in epcs if key_kind(k) == "sgtin"}
    given_containers = {k for k in epcs if key_kind(k) != "sgtin"}
    inside, held = contents_of(given_containers)
    graph = expand_lots(set(lots), given_units | inside, report)
    report(0.2)
    stays_upward(graph)
    for unit in graph.units:
        graph.windows[unit] = windows_of(unit, graph.stays)
    report(0.35)
    containers = held | {w.container for ws in graph.windows.values() for w in ws}
    names = naming(graph.units | containers)
    report(0.5)
    touches = touches_of(graph, names)
    rows = event_rows({pk for mine in touches.values() for pk in mine})
    report(0.65)
    now = timezone.now()
    state = states(graph, touches, rows, now)
    if start is not None or end is not None:
        kept = {
            unit
            for unit, mine in touches.items()
            if any(
                pk in rows
                and (start is None or rows[pk].time >= start)
                and (end is None or rows[pk].time < end)
                for pk in mine
            )
        }
        graph.units = kept
        touches = {u: t for u, t in touches.items() if u in kept}
        state = {u: s for u, s in state.items() if u in kept}
        containers = {w.container for u in kept for w in graph.windows[u]} | (
            held & {w.container for ws in graph.windows.values() for w in ws}
        )
        notes.append(
            f"Only units with an event from {rfc3339(start) if start else 'the start'} "
            f"until {rfc3339(end) if end else 'now'}."
        )
    report(0.75)
    forms = display(
        graph.lots
        | graph.units
        | containers
        | {s.lot for s in state.values()}
        | {s.parent for s in state.values()}
        | {s.top_parent for s in state.values()}
    )
    for key, text in {**lots, **epcs}.items():  # never captured: as given, if a URN or URL
        if forms.get(key, key) == key and text[:4].lower() in ("urn:", "http"):
            forms[key] = text
    moves = shipments(touches, rows, forms)
    report(0.85)
    location_text = {}
    for row in sorted(rows.values(), key=lambda r: (r.time, r.event_id), reverse=True):
        if row.location:
            location_text[row.location] = row.location_text or row.location
    locations = _locations(state, moves, location_text)
    units = sorted(
        (
            {
                "epc": forms.get(s.key, s.key),
                "lot": forms.get(s.lot, s.lot) or None,
                "location": location_text.get(s.location) or None,
                "disposition": (
                    "decommissioned" if s.decommissioned and not s.disposition else s.disposition
                )
                or None,
                "parent": forms.get(s.parent) if s.parent else None,
                "topParent": forms.get(s.top_parent) if s.top_parent else None,
                "lastEventTime": rfc3339(s.last_event_time) if s.last_event_time else None,
            }
            for s in state.values()
        ),
        key=lambda u: u["epc"] or "",
    )
    summary = {
        "units": len(state),
        "containers": len(containers),
        "locations": len(locations),
        "dispensed": sum(1 for s in state.values() if s.disposition == "dispensed"),
        "inTransit": sum(1 for s in state.values() if s.disposition == "in_transit"),
    }
    scoped = graph.lots | set(state) | containers
    ctes = cte_events(graph.lots, touches, rows, state, start, end)
    return {
        "lots": sorted(forms.get(k, k) for k in graph.lots),
        "summary": summary,
        "locations": locations,
        "containers": sorted(forms.get(k, k) for k in containers),
        "shipments": moves,
        "notes": notes,
        "units": units,
        "cteEvents": ctes,
        "scopeKeys": {
            "identifiers": sorted(scoped),
            "lotNumbers": sorted({lot_number(k) for k in graph.lots} - {""}),
        },
    }


def _locations(
    state: dict[str, UnitState], moves: list[dict[str, Any]], text: dict[str, str]
) -> list[dict[str, Any]]:
    ever: dict[str, int] = defaultdict(int)
    now: dict[str, int] = defaultdict(int)
    for s in state.values():
        for location in s.locations_ever:
            ever[location] += 1
        if s.location and s.stock:
            now[s.location] += 1
    party: dict[str, str] = {}
    receipt: dict[str, str] = {}
    orders: dict[str, set[str]] = defaultdict(set)
    for move in moves:
        for where, who in (
            (move["sourceLocation"], move["source"]),
            (move["destinationLocation"], move["destination"]),
        ):
            if where and who:
                party.setdefault(matching_key(where), who)
        if move["receivedAt"]:
            at = matching_key(move["receivedAt"])
            receipt[at] = max(receipt.get(at, ""), move["received"])
            if move["receivedBy"]:
                party.setdefault(at, move["receivedBy"])
            orders[at] |= {
                t["bizTransaction"] for t in move["bizTransactions"] if t["type"] == "po"
            }
    return [
        {
            "location": text.get(key, key),
            "unitsEver": ever[key],
            "unitsNow": now.get(key, 0),
            "owningParty": party.get(key),
            "lastReceipt": receipt.get(key),
            "purchaseOrders": sorted(orders.get(key, ())),
        }
        for key in sorted(ever, key=lambda k: text.get(k, k))
    ]


# -- newer data -------------------------------------------------------------------------


def newer_data(job: RecallJob) -> bool:
    """Whether an event recorded after the job's horizon names an identifier of its scope
    or commissions units into one of its lots (`trace.traces.newer_events_touch`)."""
    if job.status != RecallJob.Status.SUCCEEDED or not job.result:
        return False
    return newer_events_touch(job.horizon, job.result.get("scopeKeys") or {})
