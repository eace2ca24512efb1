"""The lineage graph: tables derived from the stored events (DESIGN §3 step 5).

Every row here is a pure function of the stored, non-retracted events about the key it
concerns, so the same events in any order, any split into documents and from any partners
give the same rows. `trace.lineage` keeps them as batches are stored (`EPCIS_AFTER_STORE`),
and `manage.py rebuild_lineage` computes them again from the events: nothing here is the
only copy of anything.

Identifiers are canonical matching keys (`epcis.identifiers.matching_key`, the GS1 Digital
Link form); events are referred to by their row id in `epcis_event` (a foreign key without
a database constraint, as the per-event tables of `epcis` have). Row ids are
capture order, so rows never *order* by them: ties are broken by eventID.

Indexes: every index is paid by each ingested event that writes a row (a unit-level pharma
document writes about four lineage rows per event: a lot row per unit, a stay per packed
unit and case), so each table has one index, its primary key, chosen for the reads that
must be fast; the reverse lookups go through the event tables' own indexes.
"""

from __future__ import annotations

from django.db import models

from epcis.jobs import BackgroundJob
from epcis.models import CodePointCharField


def event_ref(**kwargs: object) -> models.ForeignKey:
    """A reference to an `epcis.Event` row without a database constraint or an index of its
    own (the table's keys serve the reads; a constraint would cost a check per row)."""
    return models.ForeignKey(
        "epcis.Event",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        **kwargs,  # type: ignore[arg-type]
    )


class LotMembership(models.Model):
    """The lot of a unit (SGTIN): the GTIN of the unit with the ILMD lotNumber of the event
    that commissioned it (an ObjectEvent ADD, or a TransformationEvent with ILMD naming it
    as an output). Several commissioning events: the earliest by (eventTime, eventID) wins.
    `lot` is "" when that event carried no lotNumber."""

    # The primary key is the only index: one btree insert per unit ingested. A lot's units
    # are found from its commissioning events instead (the ILMD lotNumber index of
    # epcis_extensionfield), each confirmed here by this key (trace.selectors.units_of_lot).
    unit = CodePointCharField(max_length=300, primary_key=True)
    lot = CodePointCharField(max_length=300)  # canonical LGTIN
    event = event_ref()  # the commissioning event
    event_time = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.unit} in {self.lot or 'no lot'}"


class LotQuantity(models.Model):
    """A class-level quantity commissioned: a quantityList member of an ObjectEvent ADD, or
    an outputQuantityList member of a TransformationEvent with ILMD. One row per member, so
    a lot's commissioned quantity is the sum of its rows (per uom)."""

    pk = models.CompositePrimaryKey("lot", "event_id", "seq")
    lot = CodePointCharField(max_length=300)  # the epcClass, canonical (an LGTIN, usually)
    event = event_ref()
    seq = models.SmallIntegerField()  # position among the event's commissioned quantities
    event_time = models.DateTimeField()
    quantity = models.FloatField(null=True)
    uom = models.CharField(max_length=4, blank=True)

    def __str__(self) -> str:
        return f"{self.quantity} {self.uom} of {self.lot}".strip()


class Containment(models.Model):
    """One stay of `child` directly inside `parent`: [from_time, until_time), until_time
    None while it is still inside. Computed per parent from all its events in (eventTime,
    eventID) order: an AggregationEvent ADD or OBSERVE opens the children not open yet; a
    DELETE closes those it lists, or every open one when it lists none; decommissioning or
    destroying the parent closes every open one."""

    # The primary key is the only index (one btree insert per stay): a child's parents at a
    # time (hierarchy, state) and its stays (timeline) are a range of it, a child's few
    # rows. (child, from_event) is unique: an event has one parent and opens a child once;
    # and narrow, so more of it fits a page. The other way, a parent's stays are found
    # through the parent's own aggregation events (the epcis_eventidentifier key), whose
    # children are the only ones it can have had: the children of a container, and the
    # per-batch recompute of a container, read those.
    pk = models.CompositePrimaryKey("child", "from_event_id")
    parent = CodePointCharField(max_length=300)
    child = CodePointCharField(max_length=300)
    from_time = models.DateTimeField()
    from_event = event_ref()
    until_time = models.DateTimeField(null=True)
    until_event = event_ref(null=True)

    def __str__(self) -> str:
        return f"{self.child} in {self.parent} from {self.from_time}"


class TransformationMember(models.Model):
    """An input or output of a transformation. A transformation (`group`) is the set of
    TransformationEvents that share a transformationID, or one event without one; its
    edges are every input of the group to every output of the group. Kept as members, not
    as edges: n inputs and m outputs are n + m rows here, n x m as edges
    (`trace.selectors.transformation_edges` gives the edges)."""

    class Side(models.TextChoices):
        INPUT = "i"
        OUTPUT = "o"

    # Leads with the identifier: the transformations a lot or unit went into or came out
    # of, one hop of a trace.
    pk = models.CompositePrimaryKey("identifier", "side", "group", "event_id", "seq")
    identifier = CodePointCharField(max_length=300)
    side = models.CharField(max_length=1, choices=Side.choices)
    group = CodePointCharField(max_length=320)  # transformationID, or "event " + eventID
    event = event_ref()
    seq = models.SmallIntegerField()  # position among the event's members of that side
    event_time = models.DateTimeField()
    is_class = models.BooleanField()  # from a quantity list (a class), else an instance
    quantity = models.FloatField(null=True)
    uom = models.CharField(max_length=4, blank=True)

    class Meta:
        # The other side of a transformation: its members, by group.
        indexes = [models.Index(fields=["group", "side"], name="trace_transformation_group")]

    def __str__(self) -> str:
        return f"{self.get_side_display()} {self.identifier} of {self.group}"


class EndOfLife(models.Model):
    """An identifier decommissioned or destroyed: an ObjectEvent naming it in its epcList
    with bizStep decommissioning or destroying, or disposition inactive or destroyed. It
    closes a container's stays, and answers `decommissioned` without reading its events.
    Such events are few, so the containment recompute finds them here at little cost."""

    pk = models.CompositePrimaryKey("identifier", "event_id")
    identifier = CodePointCharField(max_length=300)
    event = event_ref()
    event_time = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.identifier} ended at {self.event_time}"


class Retraction(models.Model):
    """An eventID retracted by an error declaration (the earliest declaration's time when
    there are several). The event stops counting for the lineage wherever it is, also when
    it arrives after its declaration; its corrective events count as any other event."""

    retracted = CodePointCharField(max_length=300, primary_key=True)  # the eventID
    declared_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.retracted} retracted at {self.declared_at}"


class PendingParent(models.Model):
    """A container whose stays a capture could not recompute because a concurrent capture
    was recomputing containers of the same lock bucket (PostgreSQL; see
    trace.lineage.claim_parents). Recomputed once that capture has committed
    (`repair_pending_parents`, run after the capture's commit), then deleted."""

    parent = CodePointCharField(max_length=300, primary_key=True)

    def __str__(self) -> str:
        return f"{self.parent} to recompute"


class TraceJob(BackgroundJob):
    """A trace (DESIGN §5 "Trace and recall jobs"), on the template of `epcis.jobs`.
    `parameters`: the validated request (`trace.services.validate`); `result`: the answer
    (`trace.traces.compute`), stored once and never changed."""

    class Meta(BackgroundJob.Meta):
        pass

    def __str__(self) -> str:
        return f"trace {self.pk} ({self.status})"
