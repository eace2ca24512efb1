"""Trace jobs (DESIGN §5 "Trace and recall jobs"): backward and forward answers computed
from the lineage graph by pure reads, `run_job`'s work (`compute`).

Set-based, as `recalls.scope`: each step is a fixed number of queries per level of the
graph (a BFS over transformations, over containment upward), each over a whole frontier
in IN lists of at most `IN_CHUNK` keys, never a query per unit; the cost grows with the
affected subgraph, not with the repository.

- Backward from a unit: its lot; `inputs`: every identifier consumed, transitively, by the
  transformations that made the unit or its lot (a unit input brings its lot in; a lot
  input its units, whose own transformations count too), cycle-safe; `visits` from the
  unit's timeline (directly or inside a container); `containment`: its direct stays;
  `current`: its state. From a container: the same, without a lot. From a lot (epcClass):
  the lot and its units are the start.
- Forward from a lot: the lot and every lot made from it, transitively (a lot brings its
  units in; a unit output its lot), the instance count and the class quantities per uom,
  every container that held those units (at any depth) and every business location they
  (or those containers, while holding them) reached. From a unit or container: what was
  made from it, plus itself.
- An identifier no event names: the job succeeds with an empty answer and a note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from django.utils import timezone

from epcis.identifiers import matching_key
from epcis.models import Event, EventIdentifier, ExtensionField
from epcis.rendering.times import rfc3339
from trace.models import Containment, LotMembership, TraceJob, TransformationMember
from trace.selectors import (
    CBV_MASTER_DATA,
    IN_CHUNK,
    MAX_DEPTH,
    counting_events,
    display_forms,
    is_known,
    lot_quantities,
    state_of,
    stays_of,
    timeline_of,
    transformation_edges,
)
from trace.services import key_kind

Report = Callable[[float], None]
HIDDEN = ("scopeKeys",)  # kept for newerData, not served


def chunks(keys: Collection[Any]) -> Iterator[list[Any]]:
    ordered = sorted(keys)
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


def lot_number(key: str) -> str:
    return unquote(key.rsplit("/10/", 1)[1]) if "/10/" in key else ""


def compute(job: TraceJob, report: Report) -> dict[str, Any]:
    """`run_job`'s work: the answer to the job's parameters."""
    params = job.parameters
    key, given, kind = params["key"], params["given"], params["kind"]
    if params["direction"] == "backward":
        return backward(key, given, kind, report)
    return forward(key, given, kind, report)


# -- batched reads of the graph ---------------------------------------------------------


def lots_of_units(units: Collection[str]) -> dict[str, str]:
    """unit -> its lot ("" lots left out)."""
    found: dict[str, str] = {}
    for chunk in chunks(units):
        found.update(LotMembership.objects.filter(unit__in=chunk).values_list("unit", "lot"))
    return {unit: lot for unit, lot in found.items() if lot}


def units_of_lots(lots: Collection[str]) -> dict[str, str]:
    """unit -> lot for every serialized unit of the lots: `trace.selectors.units_of_lot` for
    a whole frontier (the ILMD lotNumber index, then LotMembership's key), chunked."""
    numbers = {lot_number(lot) for lot in lots} - {""}
    candidates: set[str] = set()
    for chunk in chunks(numbers):
        events = ExtensionField.objects.filter(
            text__in=chunk, name="lotNumber", scope="ilmd", inner=False, namespace=CBV_MASTER_DATA
        ).values("event_id")
        lists = Event.objects.filter(pk__in=events).values_list(
            "doc__epcList", "doc__outputEPCList"
        )
        candidates |= {matching_key(e) for a, b in lists for e in (a or []) + (b or [])}
    wanted = set(lots)
    found: dict[str, str] = {}
    for chunk in chunks(candidates):
        rows = LotMembership.objects.filter(unit__in=chunk).values_list("unit", "lot")
        found.update((unit, lot) for unit, lot in rows if lot in wanted)
    return found


def forms_of(keys: Iterable[str]) -> dict[str, str]:
    """display_forms, chunked."""
    forms: dict[str, str] = {}
    for chunk in chunks({k for k in keys if k}):
        forms.update(display_forms(chunk))
    return forms


# -- backward ---------------------------------------------------------------------------


@dataclass
class Upstream:
    depth: int
    groups: set[str]


def upstream(start: set[str], report: Report) -> tuple[dict[str, Upstream], set[str]]:
    """Every identifier consumed upstream of `start` (with the transformations that consumed
    it, and its depth), and every identifier expanded. One edges query pair per level, plus
    the lots of new units and the units of new lots (chunked)."""
    found: dict[str, Upstream] = {}
    seen = set(start)
    frontier = set(start)
    depth = 0
    while frontier:
        depth += 1
        reached: set[str] = set()
        for chunk in chunks(frontier):
            for edge in transformation_edges(chunk, forward=False):
                entry = found.setdefault(edge.input, Upstream(depth, set()))
                entry.groups.add(edge.group)
                reached.add(edge.input)
        new = reached - seen
        units = {k for k in new if key_kind(k) == "sgtin"}
        their_lots = set(lots_of_units(units).values()) - seen
        for lot in their_lots:  # the lot of a consumed unit is upstream too
            found.setdefault(lot, Upstream(depth, set()))
        new |= their_lots
        lots = {k for k in new if key_kind(k) != "sgtin"}
        new |= set(units_of_lots(lots)) - seen
        seen |= new
        frontier = new
        report(min(0.1 * depth, 0.4))
    for key in start:
        found.pop(key, None)
    return found, seen


def consuming_events(found: dict[str, Upstream]) -> dict[str, list[dict[str, Any]]]:
    """Per input, the transformation events that consumed it, with quantity and uom."""
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in chunks(found):
        rows = TransformationMember.objects.filter(identifier__in=chunk, side="i").values_list(
            "identifier", "group", "event__event_id", "event_time", "quantity", "uom"
        )
        for key, group, event_id, moment, quantity, uom in rows:
            if group in found[key].groups:
                events[key].append(
                    {
                        "eventID": event_id,
                        "eventTime": rfc3339(moment),
                        "quantity": quantity,
                        "uom": uom or None,
                    }
                )
    for entries in events.values():
        entries.sort(key=lambda e: (e["eventTime"], e["eventID"] or ""))
    return events


def visits_of(key: str) -> tuple[list[dict[str, Any]], set[str]]:
    """The business locations of the identifier's timeline in time order, consecutive
    repeats merged: from its first event there until the event that moved it away (one at
    another location, or a shipping event, with or without a location: it left then),
    `until` null while it is (last known to be) there. Also the containers it was in."""
    visits: list[dict[str, Any]] = []
    containers: set[str] = set()
    current: dict[str, Any] | None = None
    for entry in timeline_of(key):
        if entry.via:
            containers.add(entry.via)
        here = matching_key(entry.biz_location) if entry.biz_location else ""
        if current is not None and here and here != current["key"]:
            current["until"] = rfc3339(entry.event_time)
            current = None
        if here and current is None:
            current = {"key": here, "location": entry.biz_location, "from": entry.event_time}
            visits.append(current)
        if current is not None and entry.biz_step.rsplit("/", 1)[-1].endswith("shipping"):
            current["until"] = rfc3339(entry.event_time)
            current = None
    return [
        {"location": v["location"], "from": rfc3339(v["from"]), "until": v.get("until")}
        for v in visits
    ], containers


def current_of(key: str, forms: dict[str, str]) -> dict[str, Any]:
    state = state_of(key, timezone.now())
    return {
        "epc": forms.get(key, key),
        "lot": forms.get(state.lot) if state.lot else None,
        "location": state.location or None,
        "disposition": state.disposition or None,
        "parent": forms.get(state.parent) if state.parent else None,
        "topParent": forms.get(state.top_parent) if state.top_parent else None,
        "lastEventTime": rfc3339(state.last_event_time) if state.last_event_time else None,
        "decommissioned": state.decommissioned,
    }


def _unknown(key: str, given: str, kind: str) -> dict[str, Any]:
    return {
        "notes": [f"{given} was never seen: no stored event names it (or any unit of it)."],
        "scopeKeys": {
            "identifiers": [key],
            "lotNumbers": [lot_number(key)] if kind == "lot" else [],
        },
    }


def backward(key: str, given: str, kind: str, report: Report) -> dict[str, Any]:
    field = "epc" if kind == "epc" else "epcClass"
    if not is_known(key):
        empty: dict[str, Any] = {field: given, "lot": None, "inputs": [], "visits": []}
        return {**empty, "containment": [], "current": None, **_unknown(key, given, kind)}
    lot = key if kind == "lot" else lots_of_units([key]).get(key, "")
    start = {key, lot} - {""}
    if kind == "lot":
        start |= set(units_of_lots([key]))
    found, seen = upstream(start, report)
    events = consuming_events(found)
    report(0.5)
    visits, containers = visits_of(key)
    stays = stays_of(key)
    report(0.7)
    forms = forms_of({key, lot, *found, *(s.parent for s in stays)})
    current = current_of(key, forms)
    forms.update(forms_of(k for k in (current["parent"], current["topParent"]) if k))
    inputs = [
        {
            "identifier": forms.get(k, k),
            "kind": "lot" if key_kind(k) == "lgtin" else key_kind(k),
            "depth": found[k].depth,
            "events": events.get(k, []),
        }
        for k in found
    ]
    inputs.sort(key=lambda i: (i["depth"], i["identifier"]))
    containment = [
        {
            "parent": forms.get(s.parent, s.parent),
            "from": rfc3339(s.from_time),
            "until": rfc3339(s.until_time) if s.until_time else None,
        }
        for s in stays
    ]
    return {
        field: forms.get(key, given),
        "lot": forms.get(lot) if lot else None,
        "inputs": inputs,
        "visits": visits,
        "containment": containment,
        "current": current,
        "notes": [],
        "scopeKeys": {
            "identifiers": sorted(seen | set(found) | containers | {key}),
            "lotNumbers": sorted({lot_number(lot)} - {""}),
        },
    }


# -- forward ----------------------------------------------------------------------------


def downstream(lots: set[str], units: set[str], report: Report) -> tuple[set[str], set[str]]:
    """The lots and units, and every lot and unit made from them, transitively: per round,
    the units of the new lots, one transformation hop over what is new, the lots of new
    units. A fixed number of queries per round, chunked."""
    all_lots, all_units = set(lots), set(units)
    pending_lots, pending_units = set(lots), set(units)
    expanded: set[str] = set()
    rounds = 0
    while pending_lots or pending_units:
        rounds += 1
        found = set(units_of_lots(pending_lots)) - all_units
        all_units |= found
        frontier = (pending_lots | pending_units | found) - expanded
        expanded |= frontier
        reached: set[str] = set()
        for chunk in chunks(frontier):
            reached |= {e.output for e in transformation_edges(chunk, forward=True)}
        reached -= expanded
        new_units = {k for k in reached if key_kind(k) == "sgtin"} - all_units
        new_lots = {k for k in reached if key_kind(k) != "sgtin"} - all_lots
        new_lots |= set(lots_of_units(new_units).values()) - all_lots
        all_lots |= new_lots
        all_units |= new_units
        pending_lots, pending_units = new_lots, new_units
        report(min(0.1 * rounds, 0.3))
    return all_lots, all_units


@dataclass(frozen=True)
class Held:
    container: str
    start: datetime
    end: datetime | None
    began: int
    ended: int | None


def stays_upward(units: set[str]) -> dict[str, list[Containment]]:
    """Every stay of the units, of their containers, of those containers' containers..."""
    stays: dict[str, list[Containment]] = {}
    level = set(units)
    for _ in range(MAX_DEPTH + 1):
        level -= set(stays)
        if not level:
            break
        for item in level:
            stays[item] = []
        for chunk in chunks(level):
            for stay in Containment.objects.filter(child__in=chunk):
                stays[stay.child].append(stay)
        level = {s.parent for item in level for s in stays[item]}
    return stays


# (identifier, window start, window end, the containers on the way there)
_Level = tuple[str, datetime | None, datetime | None, frozenset[str]]


def held_windows(stays: dict[str, list[Containment]], unit: str) -> list[Held]:
    """When each container held the unit, directly or through others (from stays read)."""
    found: list[Held] = []
    level: list[_Level] = [(unit, None, None, frozenset({unit}))]
    for _ in range(MAX_DEPTH):
        following: list[_Level] = []
        for item, start, end, path in level:
            for stay in stays.get(item, ()):
                begin = stay.from_time if start is None else max(start, stay.from_time)
                until = stay.until_time
                if end is not None and (until is None or end < until):
                    until = end
                if stay.parent in path or (until is not None and until <= begin):
                    continue
                ended = (
                    stay.until_event_id if until is not None and until == stay.until_time else None
                )
                found.append(Held(stay.parent, begin, until, stay.from_event_id, ended))
                following.append((stay.parent, begin, until, path | {stay.parent}))
        if not following:
            break
        level = following
    return found


def reached_events(keys: set[str], windows: dict[str, list[Held]]) -> set[int]:
    """Events that name the keys, or a container while it held one of them, or that began
    or ended such a hold."""
    pks = {w.began for ws in windows.values() for w in ws}
    pks |= {w.ended for ws in windows.values() for w in ws if w.ended is not None}
    for chunk in chunks(keys):
        pks |= set(
            EventIdentifier.objects.filter(canonical__in=chunk).values_list("event_id", flat=True)
        )
    for chunk in chunks(windows):
        rows = EventIdentifier.objects.filter(canonical__in=chunk).values_list(
            "canonical", "event_id", "event__event_time"
        )
        for container, pk, moment in rows:
            if any(
                w.start <= moment and (w.end is None or moment < w.end) for w in windows[container]
            ):
                pks.add(pk)
    return pks


def locations_of(pks: set[int]) -> list[str]:
    """The business locations of the events (counting ones), in the order first reached."""
    first: dict[str, tuple[datetime, str, str]] = {}
    for chunk in chunks(pks):
        rows = (
            counting_events()
            .filter(pk__in=chunk)
            .values_list("event_time", "event_id", "doc__bizLocation__id")
        )
        for moment, event_id, text in rows:
            if text:
                here = matching_key(text)
                first[here] = min(
                    first.get(here, (moment, event_id, text)), (moment, event_id, text)
                )
    return [text for _, _, text in sorted(first.values())]


def merge(windows: list[Held]) -> list[Held]:
    """A container's hold windows, overlapping ones merged (they only bound events)."""
    merged: list[Held] = []
    for w in sorted(windows, key=lambda w: w.start):
        last = merged[-1] if merged else None
        if last is not None and (last.end is None or w.start <= last.end):
            end = None if last.end is None or w.end is None else max(last.end, w.end)
            merged[-1] = Held(last.container, last.start, end, last.began, last.ended)
        else:
            merged.append(w)
    return merged


def forward(key: str, given: str, kind: str, report: Report) -> dict[str, Any]:
    field = "epc" if kind == "epc" else "epcClass"
    if not is_known(key):
        empty = {field: given, "lots": [], "units": 0, "quantities": [], "containers": []}
        return {**empty, "locations": [], **_unknown(key, given, kind)}
    if kind == "lot":
        lots, units = downstream({key}, set(), report)
    else:  # a unit or container: what was made from it, and itself
        lots, units = downstream(set(), {key}, report)
    units = {u for u in units if key_kind(u) == "sgtin"}
    held = units | ({key} if kind == "epc" else set())
    report(0.4)
    stays = stays_upward(held)
    holds: dict[str, list[Held]] = defaultdict(list)
    for unit in held:
        for window in held_windows(stays, unit):
            holds[window.container].append(window)
    windows = {container: merge(ws) for container, ws in holds.items()}
    report(0.6)
    locations = locations_of(reached_events(lots | units | {key}, windows))
    report(0.8)
    totals: dict[tuple[str, str], float] = defaultdict(float)
    for chunk in chunks(lots):
        for q in lot_quantities(chunk):
            totals[(q.lot, q.uom)] += q.quantity or 0.0
    forms = forms_of(lots | set(windows) | {key})
    result: dict[str, Any] = {field: forms.get(key, given)}
    if kind == "epc":
        own = lots_of_units([key]).get(key)
        result["lot"] = forms_of([own]).get(own) if own else None
    return {
        **result,
        "lots": sorted(forms.get(k, k) for k in lots),
        "units": len(units),
        "quantities": [
            {"epcClass": forms.get(lot, lot), "quantity": quantity, "uom": uom or None}
            for (lot, uom), quantity in sorted(totals.items())
        ],
        "containers": sorted(forms.get(k, k) for k in windows),
        "locations": locations,
        "notes": [],
        "scopeKeys": {
            "identifiers": sorted(lots | units | set(windows) | {key}),
            "lotNumbers": sorted({lot_number(lot) for lot in lots} - {""}),
        },
    }


# -- newer data -------------------------------------------------------------------------


def newer_data(job: TraceJob) -> bool:
    """Whether an event recorded after the job's horizon names an identifier the answer
    rests on or commissions units into one of its lots."""
    if job.status != TraceJob.Status.SUCCEEDED or not job.result:
        return False
    return newer_events_touch(job.horizon, job.result.get("scopeKeys") or {})


def newer_events_touch(horizon: Any, keys: dict[str, list[str]]) -> bool:
    """Whether an event recorded after `horizon` names one of `keys["identifiers"]` or
    commissions units into a lot numbered one of `keys["lotNumbers"]` (index reads: the
    identifier key, the ILMD lotNumber key). Shared by traces and recalls."""
    later = (
        Event.objects.all() if horizon is None else Event.objects.filter(record_time__gt=horizon)
    )
    if not later.exists():
        return False
    for chunk in chunks(keys.get("identifiers", [])):
        if EventIdentifier.objects.filter(
            canonical__in=chunk, event_id__in=later.values("pk")
        ).exists():
            return True
    for chunk in chunks(keys.get("lotNumbers", [])):
        if ExtensionField.objects.filter(
            text__in=chunk,
            name="lotNumber",
            scope="ilmd",
            inner=False,
            namespace=CBV_MASTER_DATA,
            event_id__in=later.values("pk"),
        ).exists():
            return True
    return False
