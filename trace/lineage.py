"""Keeping the lineage tables as events are stored, and rebuilding them (DESIGN §3 step 5).

`derive_lineage` is the `EPCIS_AFTER_STORE` hook: it gets each stored batch inside the
storing transaction and updates the rows of the keys the batch touched, in a fixed number
of statements per batch (never one per event). What it writes equals recomputing those
keys from all stored events (`recompute_units`, `recompute_stays`, which the rebuild and
the rare paths use), by these rules:

* Lot membership is a minimum over a unit's commissioning events by (eventTime, eventID),
  so a new commissioning is merged into the stored row by an upsert that keeps the smaller
  one; no read of the unit's other events is needed. A retraction recomputes the unit.
* Containment is a fold over a parent's events in (eventTime, eventID) order. A parent
  whose every stored event is in this batch (the usual case: its packing is new) is folded
  from the batch; one with events stored before (a late event, an unpacking in a later
  document) is deleted and recomputed from all its stored events.
* Transformation members, class quantities and end-of-life rows are per event: the
  batch's events add theirs, a retraction deletes those of the event it retracts.
* An error declaration records the retracted eventID (`Retraction`): the event stops
  counting wherever it is, also when it is stored after its declaration; the keys of the
  event it retracts are recomputed.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from django.db import connection, transaction

from epcis.capture.hooks import StoredEvent
from epcis.identifiers import matching_key
from epcis.models import Event, EventIdentifier, ExtensionField, Role
from epcis.parsing.validation import time_or_none
from trace import rules
from trace.models import (
    Containment,
    EndOfLife,
    LotMembership,
    LotQuantity,
    PendingParent,
    Retraction,
    TransformationMember,
)
from trace.rules import ClassQuantity, EventFacts, Fact
from trace.sql import BIGINT, BOOL, FLOAT, SMALLINT, TEXT, TIME, Db

EVENT = Event._meta.db_table
IDENTIFIER = EventIdentifier._meta.db_table
EXTENSION = ExtensionField._meta.db_table
LOTS = LotMembership._meta.db_table
QUANTITIES = LotQuantity._meta.db_table
STAYS = Containment._meta.db_table
MEMBERS = TransformationMember._meta.db_table
ENDS = EndOfLife._meta.db_table
RETRACTIONS = Retraction._meta.db_table
PENDING = PendingParent._meta.db_table
CBV_MASTER_DATA = "urn:epcglobal:cbv:mda:"

# In rules.StayRow order, child first: rows sorted as tuples are in primary-key order, which
# costs the btree far fewer page reads and splits than the order parents come in (4x).
STAY_COLUMNS = ("child", "from_time", "parent", "from_event_id", "until_time", "until_event_id")
STAY_TYPES = (TEXT, TIME, TEXT, BIGINT, TIME, BIGINT)
LOT_COLUMNS = ("unit", "lot", "event_id", "event_time")
LOT_TYPES = (TEXT, TEXT, BIGINT, TIME)
MEMBER_COLUMNS = (
    "identifier",
    "side",
    "group",
    "event_id",
    "seq",
    "event_time",
    "is_class",
    "quantity",
    "uom",
)
MEMBER_TYPES = (TEXT, TEXT, TEXT, BIGINT, SMALLINT, TIME, BOOL, FLOAT, TEXT)
QUANTITY_COLUMNS = ("lot", "event_id", "seq", "event_time", "quantity", "uom")
QUANTITY_TYPES = (TEXT, BIGINT, SMALLINT, TIME, FLOAT, TEXT)
END_COLUMNS = ("identifier", "event_id", "event_time")
END_TYPES = (TEXT, BIGINT, TIME)

# The earlier commissioning wins: (eventTime, eventID), the eventIDs read by primary key
# only when two commissionings of one unit meet (rare).
KEEP_EARLIER_COMMISSIONING = (
    "ON CONFLICT (unit) DO UPDATE SET lot = excluded.lot, event_id = excluded.event_id,"
    " event_time = excluded.event_time"
    f' WHERE (excluded.event_time, (SELECT event_id FROM "{EVENT}" WHERE id = excluded.event_id))'
    f' < (old.event_time, (SELECT event_id FROM "{EVENT}" WHERE id = old.event_id))'
)
KEEP_EARLIEST_DECLARATION = (
    "ON CONFLICT (retracted) DO UPDATE SET declared_at = excluded.declared_at"
    " WHERE excluded.declared_at < old.declared_at"
)


# -- the hook ---------------------------------------------------------------------------


def derive_lineage(events: list[StoredEvent]) -> None:
    """EPCIS_AFTER_STORE hook: bring the lineage rows of the keys `events` touch up to date.
    The rules read the StoredEvents themselves (rules.EventFacts): no copy per event."""
    declarations = [e for e in events if e.retracts]
    counting = [e for e in events if not e.retracts and rules.matters(e)]
    if not declarations and not counting:
        return  # e.g. a document of shipping and receiving events: nothing to derive
    with connection.cursor() as cursor:
        db = Db(cursor)
        withdrawn = _record_retractions(db, declarations)
        if counting:
            retracted = _retracted_among(db, {e.event_id for e in counting})
            counting = [e for e in counting if e.event_id not in retracted]
        again = _forget(db, withdrawn)
        add_event_rows(db, counting)
        _merge_commissionings(db, counting, recompute=again.units)
        _update_stays(db, counting, recompute=again.parents)


class _Keys:
    """Keys to recompute from all stored events."""

    def __init__(self) -> None:
        self.units: set[str] = set()
        self.parents: set[str] = set()


def _record_retractions(db: Db, declarations: list[StoredEvent]) -> list[Fact]:
    """Record what the declarations retract; the facts of those events already stored."""
    if not declarations:
        return []
    earliest: dict[str, Any] = {}
    for d in declarations:
        declared = _declared_at(d)
        if d.retracts not in earliest or declared < earliest[d.retracts]:
            earliest[d.retracts] = declared
    rows = sorted(earliest.items())
    db.upsert(
        RETRACTIONS, ("retracted", "declared_at"), (TEXT, TIME), rows, KEEP_EARLIEST_DECLARATION
    )
    condition, params = db.any("e.dedupe_key", sorted(earliest))  # not the declarations
    return stored_facts(db, condition, params, counting=False)


def _declared_at(declaration: StoredEvent) -> datetime:
    text = (declaration.doc.get("errorDeclaration") or {}).get("declarationTime", "")
    return time_or_none(text) or declaration.event_time


# Retractions and ends of life are few: while a table holds at most this many rows, a
# batch reads them all (one small read) instead of sending its thousands of keys to be
# looked up one by one.
FEW_ROWS = 1000


def _retracted_among(db: Db, event_ids: Collection[str]) -> set[str]:
    """Which of these eventIDs are retracted (declarations stored before, or in, this batch)."""
    few = db.fetch(f'SELECT retracted FROM "{RETRACTIONS}" LIMIT %s', [FEW_ROWS + 1])
    if len(few) <= FEW_ROWS:
        return {row[0] for row in few}.intersection(event_ids)
    condition, params = db.any("retracted", sorted(event_ids))
    rows = db.fetch(f'SELECT retracted FROM "{RETRACTIONS}" WHERE {condition}', params)
    return {row[0] for row in rows}


def _forget(db: Db, withdrawn: Sequence[EventFacts]) -> _Keys:
    """Delete the per-event rows of retracted events; return the keys to recompute."""
    again = _Keys()
    if not withdrawn:
        return again
    pks = [f.pk for f in withdrawn]
    _delete_of_events(db, ENDS, "identifier", {k for f in withdrawn for k in rules.ended(f)}, pks)
    _delete_of_events(
        db, MEMBERS, "group", {rules.group(f) for f in withdrawn if rules.transforms(f)}, pks
    )
    lots = {q.epc_class for f in withdrawn for q in rules.commissioned_quantities(f)}
    _delete_of_events(db, QUANTITIES, "lot", lots, pks)
    again.units = {u for f in withdrawn for u in rules.commissioned_units(f)}
    again.parents = rules.parents_touched(withdrawn)
    return again


def _delete_of_events(db: Db, table: str, key: str, keys: Collection[str], pks: list[int]) -> None:
    if keys:
        by_key, key_params = db.any(f'"{key}"', sorted(keys))
        by_event, event_params = db.any("event_id", pks)
        db.execute(
            f'DELETE FROM "{table}" WHERE {by_key} AND {by_event}', key_params + event_params
        )


# -- per-event rows ---------------------------------------------------------------------


def add_event_rows(db: Db, events: Sequence[EventFacts]) -> None:
    """End-of-life, transformation and class-quantity rows of these (counting) events."""
    ends = [(k, e.pk, e.event_time) for e in events for k in dict.fromkeys(rules.ended(e))]
    db.insert(ENDS, END_COLUMNS, END_TYPES, ends)
    members = [row for e in events for row in rules.transformation_rows(e)]
    db.insert(MEMBERS, MEMBER_COLUMNS, MEMBER_TYPES, members)
    quantities = [
        (q.epc_class, e.pk, seq, e.event_time, q.quantity, q.uom)
        for e in events
        for seq, q in enumerate(rules.commissioned_quantities(e))
    ]
    db.insert(QUANTITIES, QUANTITY_COLUMNS, QUANTITY_TYPES, quantities)


# -- lot membership ---------------------------------------------------------------------


def _merge_commissionings(db: Db, facts: Sequence[EventFacts], *, recompute: set[str]) -> None:
    if recompute:
        recompute_units(db, recompute)
    best = rules.commissionings(facts)
    if recompute:
        best = {unit: row for unit, row in best.items() if unit not in recompute}
    rows = sorted(best.values())
    db.insert_or_upsert(LOTS, LOT_COLUMNS, LOT_TYPES, rows, KEEP_EARLIER_COMMISSIONING)


def recompute_units(db: Db, units: Collection[str]) -> None:
    """The lot rows of `units` again, from all their stored commissioning events."""
    if not units:
        return
    condition, params = db.any("unit", sorted(units))
    db.execute(f'DELETE FROM "{LOTS}" WHERE {condition}', params)
    by_key, key_params = db.any("i.canonical", sorted(units))
    facts = stored_facts(
        db,
        f'e.id IN (SELECT i.event_id FROM "{IDENTIFIER}" i WHERE {by_key} AND i.role IN (%s, %s))'
        " AND ((e.type = %s AND e.action = 'ADD') OR e.type = %s)",
        [*key_params, Role.EPC, Role.OUTPUT, rules.OBJECT, rules.TRANSFORMATION],
    )
    best = rules.commissionings(facts, set(units))
    # An upsert, not an insert: a concurrent capture may commission one of these units.
    db.upsert(LOTS, LOT_COLUMNS, LOT_TYPES, sorted(best.values()), KEEP_EARLIER_COMMISSIONING)


# -- containment ------------------------------------------------------------------------


def _update_stays(db: Db, facts: Sequence[EventFacts], *, recompute: set[str]) -> None:
    """Fold the parents whose events are all in this batch; recompute the others (and
    `recompute`) from all their stored events; leave contended ones for the repair."""
    touched = rules.parents_touched(facts) | recompute
    contended = claim_parents(db, touched)
    if contended:
        _leave_for_repair(db, contended)
    mine = touched - contended
    fold = mine - recompute
    again = (mine & recompute) | _stored_before(db, fold, {f.pk for f in facts})
    recompute_stays(db, again)
    by_parent = _facts_by_parent(facts)
    # Parents in order, so their children mostly come out in order too: a cheap sort.
    parents = sorted(fold - again)
    rows = [row for parent in parents for row in rules.stays(parent, by_parent[parent])]
    db.insert(STAYS, STAY_COLUMNS, STAY_TYPES, sorted(rows))


def _stored_before(db: Db, parents: set[str], batch: set[int]) -> set[str]:
    """Parents with an aggregation or end-of-life event stored outside this batch."""
    if not parents:
        return set()
    by_key, params = db.any("canonical", sorted(parents))
    aggregated = db.fetch(
        f'SELECT canonical, event_id FROM "{IDENTIFIER}" WHERE {by_key} AND role = %s',
        [*params, Role.PARENT],
    )
    ended = db.fetch(f'SELECT identifier, event_id FROM "{ENDS}" LIMIT %s', [FEW_ROWS + 1])
    if len(ended) > FEW_ROWS:  # else that was all of them (few things are destroyed)
        by_identifier, params = db.any("identifier", sorted(parents))
        ended = db.fetch(f'SELECT identifier, event_id FROM "{ENDS}" WHERE {by_identifier}', params)
    return {key for key, pk in [*aggregated, *ended] if pk not in batch and key in parents}


def _facts_by_parent(facts: Iterable[EventFacts]) -> defaultdict[str, list[EventFacts]]:
    found: defaultdict[str, list[EventFacts]] = defaultdict(list)
    for fact in facts:
        if rules.aggregates(fact):
            found[fact.parent].append(fact)
        for key in dict.fromkeys(rules.ended(fact)):
            if key != fact.parent:
                found[key].append(fact)
    return found


def recompute_stays(db: Db, parents: Collection[str]) -> None:
    """The containment rows of `parents` again, from all their stored events.

    Their rows are found by child: every child a parent can have a stay of is named by one
    of its aggregation events, retracted ones included (a stay of a retracted event is
    what a recompute removes), so those events' children are the rows' keys."""
    if not parents:
        return
    by_key, key_params = db.any("i.canonical", sorted(parents))
    by_identifier, identifier_params = db.any("l.identifier", sorted(parents))
    named = stored_facts(
        db,
        f'(e.id IN (SELECT i.event_id FROM "{IDENTIFIER}" i WHERE {by_key} AND i.role = %s)'
        f' AND e.type = %s) OR e.id IN (SELECT l.event_id FROM "{ENDS}" l WHERE {by_identifier})',
        [*key_params, Role.PARENT, rules.AGGREGATION, *identifier_params],
        counting=False,
    )
    children = {child for f in named if rules.aggregates(f) for child in f.children}
    if children:
        by_child, child_params = db.any("child", sorted(children))
        by_parent, parent_params = db.any("parent", sorted(parents))
        db.execute(
            f'DELETE FROM "{STAYS}" WHERE {by_child} AND {by_parent}', child_params + parent_params
        )
    retracted = _retracted_among(db, {f.event_id for f in named})
    by_parent_facts = _facts_by_parent(f for f in named if f.event_id not in retracted)
    rows = [row for parent in parents for row in rules.stays(parent, by_parent_facts[parent])]
    db.insert(STAYS, STAY_COLUMNS, STAY_TYPES, sorted(rows))


# -- concurrent captures (PostgreSQL) ----------------------------------------------------
#
# A capture cannot see the events of another capture that has not committed yet, so two
# captures folding the same container at once would each write its stays from part of its
# events. Containers are therefore claimed, by lock bucket, for the rest of the capture's
# transaction. The hook only *tries* the locks (it never waits, so it can never deadlock):
# a container whose bucket another capture holds is not computed but left in PendingParent,
# and recomputed after this capture commits by `repair_pending_parents`, which does wait for
# the bucket (that is, for the other capture to commit) and then sees both captures'
# events. Few buckets: each held lock is an entry of PostgreSQL's shared lock table.

LOCK_CLASS = 0x7ACE  # the first key of our advisory locks
LOCK_BUCKETS = 64


def _buckets(parents: Iterable[str]) -> dict[str, int]:
    return {parent: zlib.crc32(parent.encode()) % LOCK_BUCKETS for parent in parents}


def claim_parents(db: Db, parents: Collection[str]) -> set[str]:
    """Claim the parents' buckets for this transaction; return the parents not claimed."""
    if not db.postgres or not parents:
        return set()  # SQLite: one writer at a time
    buckets = _buckets(parents)
    rows = db.fetch(
        "SELECT b, pg_try_advisory_xact_lock(%s, b) FROM unnest(%s::int[]) AS b ORDER BY b",
        [LOCK_CLASS, sorted(set(buckets.values()))],
    )
    lost = {bucket for bucket, claimed in rows if not claimed}
    return {parent for parent, bucket in buckets.items() if bucket in lost}


def _leave_for_repair(db: Db, parents: set[str]) -> None:
    db.upsert(
        PENDING, ("parent",), (TEXT,), [(p,) for p in sorted(parents)], "ON CONFLICT DO NOTHING"
    )
    transaction.on_commit(repair_pending_parents, robust=True)


def repair_pending_parents(*, batch_size: int = 2000) -> int:
    """Recompute the stays of the pending parents, waiting for the captures that hold their
    buckets; return how many were recomputed. Safe to run at any time, any number of times."""
    done = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            db = Db(cursor)
            rows = db.fetch(
                f'SELECT parent FROM "{PENDING}" ORDER BY parent LIMIT %s', [batch_size]
            )
            parents = {row[0] for row in rows}
            if not parents:
                return done
            _wait_for_parents(db, parents)  # every lock first: then no capture waits on us
            recompute_stays(db, parents)
            condition, params = db.any("parent", sorted(parents))
            db.execute(f'DELETE FROM "{PENDING}" WHERE {condition}', params)
            done += len(parents)


def _wait_for_parents(db: Db, parents: Collection[str]) -> None:
    if db.postgres and parents:
        db.fetch(
            "SELECT pg_advisory_xact_lock(%s, b) FROM unnest(%s::int[]) AS b ORDER BY b",
            [LOCK_CLASS, sorted(set(_buckets(parents).values()))],
        )


# -- facts from the event tables --------------------------------------------------------

FACT_COLUMNS = (
    "e.id, e.event_id, e.event_time, e.type, e.action, e.biz_step, e.disposition,"
    " e.transformation_id, e.doc,"
    f' (SELECT x.text FROM "{EXTENSION}" x WHERE x.event_id = e.id AND x.scope = %s'
    ' AND x."inner" = %s AND x.name = %s AND x.namespace = %s ORDER BY x.seq LIMIT 1)'
)
FACT_PARAMS = ["ilmd", False, "lotNumber", CBV_MASTER_DATA]


def stored_facts(
    db: Db, condition: str, params: Sequence[Any], *, counting: bool = True
) -> list[Fact]:
    """The events matching `condition` (on `e`, the event table) that are not error
    declarations, and with `counting` not retracted either, as Facts: the same Fact that
    `fact_of` gives for the stored event."""
    sql = (
        f'SELECT {FACT_COLUMNS} FROM "{EVENT}" e WHERE ({condition}) AND e.declaration_time IS NULL'
    )
    if counting:
        sql += f' AND NOT EXISTS (SELECT 1 FROM "{RETRACTIONS}" r WHERE r.retracted = e.event_id)'
    rows = db.fetch(sql, [*FACT_PARAMS, *params])
    return [_fact_of_row(db, row) for row in rows]


def _fact_of_row(db: Db, row: tuple) -> Fact:
    pk, event_id, time, kind, action, biz_step, disposition, transformation_id, doc, lot = row
    doc = db.json(doc)
    parent = doc.get("parentID")
    return Fact(
        pk=pk,
        event_id=event_id,
        event_time=db.time(time),
        type=kind,
        action=action,
        biz_step=biz_step,
        disposition=disposition,
        parent=matching_key(parent) if parent else "",
        epc_list=_keys(doc, "epcList"),
        children=_keys(doc, "childEPCs"),
        inputs=_keys(doc, "inputEPCList"),
        outputs=_keys(doc, "outputEPCList"),
        quantity_list=_classes(doc, "quantityList"),
        input_quantities=_classes(doc, "inputQuantityList"),
        output_quantities=_classes(doc, "outputQuantityList"),
        transformation_id=transformation_id,
        lot=lot or "",
        doc=doc,
    )


def _keys(doc: dict[str, Any], name: str) -> tuple[str, ...]:
    return tuple(matching_key(epc) for epc in doc.get(name) or ())


def _classes(doc: dict[str, Any], name: str) -> tuple[ClassQuantity, ...]:
    return tuple(
        ClassQuantity(matching_key(q["epcClass"]), q.get("quantity"), q.get("uom", ""))
        for q in doc.get(name) or ()
    )


# -- rebuild ----------------------------------------------------------------------------

LINEAGE_TABLES = (LOTS, QUANTITIES, STAYS, MEMBERS, ENDS, RETRACTIONS, PENDING)
# The events that can matter (see rules.matters), as SQL on `e`: most ObjectEvents do not.
MAY_MATTER = (
    "(e.type IN (%s, %s) OR (e.type = %s AND (e.action = 'ADD'"
    " OR e.biz_step IN (%s, %s) OR e.disposition IN (%s, %s))))"
)
MAY_MATTER_PARAMS = [
    rules.AGGREGATION,
    rules.TRANSFORMATION,
    rules.OBJECT,
    *sorted(rules.END_OF_LIFE_STEPS),
    *sorted(rules.END_OF_LIFE_DISPOSITIONS),
]


def rebuild_lineage(
    *, batch_size: int = 5000, progress: Callable[[int, int], None] | None = None
) -> int:
    """Compute every lineage row again from the stored events; return the events read.

    The tables are emptied first, then the events are read in id order, one transaction
    per batch: each batch adds its events' per-event rows and recomputes the units and
    parents they name from all stored events, so once the last batch that names a key is
    done, that key's rows are final. Run it while nothing is being captured (a capture
    running meanwhile is not lost: its keys are recomputed when it touches them again).
    """
    with transaction.atomic(), connection.cursor() as cursor:
        db = Db(cursor)
        for table in LINEAGE_TABLES:
            db.execute(f'TRUNCATE "{table}"' if db.postgres else f'DELETE FROM "{table}"')
        _rebuild_retractions(db)
        total = db.fetch(f'SELECT COUNT(*) FROM "{EVENT}"')[0][0]
    done, after = 0, 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            read, after = _rebuild_batch(Db(cursor), after, batch_size)
        if not read:
            return done
        done += read
        if progress is not None:
            progress(done, total)


def _rebuild_retractions(db: Db) -> None:
    rows = db.fetch(
        f'SELECT event_id, MIN(declaration_time) FROM "{EVENT}"'
        " WHERE declaration_time IS NOT NULL GROUP BY event_id"
    )
    declared = [(event_id, db.time(moment)) for event_id, moment in rows]
    db.insert(RETRACTIONS, ("retracted", "declared_at"), (TEXT, TIME), declared)


def _rebuild_batch(db: Db, after: int, size: int) -> tuple[int, int]:
    """One batch of events after id `after`: (events read, the last id read)."""
    ids = [
        row[0]
        for row in db.fetch(
            f'SELECT id FROM "{EVENT}" WHERE id > %s ORDER BY id LIMIT %s', [after, size]
        )
    ]
    if not ids:
        return 0, after
    facts = stored_facts(
        db, f"e.id BETWEEN %s AND %s AND {MAY_MATTER}", [ids[0], ids[-1], *MAY_MATTER_PARAMS]
    )
    facts = [f for f in facts if rules.matters(f)]
    add_event_rows(db, facts)
    recompute_units(db, {u for f in facts for u in rules.commissioned_units(f)})
    parents = rules.parents_touched(facts)
    _wait_for_parents(db, parents)
    recompute_stays(db, parents)
    return len(ids), ids[-1]
