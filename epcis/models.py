"""Storage of captured EPCIS data.

An event is stored once (`Event`, with its full JSON for faithful output) plus one row
per queryable fact: identifiers by role, business transactions, sources/destinations,
extension and ILMD fields, sensor reports, persistent dispositions and corrective event
ids. Rows are written in bulk by `epcis.storage`, never one ORM save per event, and are
never updated or deleted afterwards.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper


class _CodePointCollation:
    """Identifiers and vocabulary values compare and sort by code point, as EPCIS asks
    (orderBy, listings), whatever the database's default collation: "C" on PostgreSQL;
    SQLite's default (BINARY over UTF-8) already does. A prefix is then a string range that
    the column's btree serves, and comparisons are memcmp, not locale rules."""

    def db_parameters(self, connection: BaseDatabaseWrapper) -> dict[str, Any]:
        params: dict[str, Any] = super().db_parameters(connection)  # type: ignore[misc]
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class CodePointCharField(_CodePointCollation, models.CharField):
    pass


class CodePointTextField(_CodePointCollation, models.TextField):
    pass


class TextHashIndex(models.Index):
    """A hash index on PostgreSQL (equality only, any length: a btree entry holds at most
    about 2.7 kB, and a longer value would fail its whole capture); a btree on SQLite."""

    def create_sql(self, model: Any, schema_editor: Any, using: str = "", **kwargs: Any) -> Any:
        if schema_editor.connection.vendor == "postgresql":
            using = " USING hash"
        return super().create_sql(model, schema_editor, using=using, **kwargs)


class ApiKey(models.Model):
    """The one API key of a user. Only its SHA-256 is kept; re-issuing replaces it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_key"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"API key of {self.user}"


class PartnerPolicy(models.Model):
    """How the repository treats one partner's documents where a choice is the operator's.

    `identifier_defects`: an identifier-level defect GS1's schemas do not catch (a wrong
    check digit, a 15-digit SSCC, a misspelled CBV word) refuses the event by default; on
    "warn" the event is stored exactly as sent, matched by its text as given, and the
    capture job lists a warning per defect (seed data for a traceability system is often
    imperfect, and refusing a whole file for one malformed SSCC loses the other events).
    A partner without a row is strict.
    """

    class IdentifierDefects(models.TextChoices):
        REFUSE = "refuse", "refuse the event (strict)"
        WARN = "warn", "store as sent and warn"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_policy"
    )
    identifier_defects = models.CharField(
        max_length=8, choices=IdentifierDefects.choices, default=IdentifierDefects.REFUSE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "partner policy"
        verbose_name_plural = "partner policies"

    def __str__(self) -> str:
        return f"policy of {self.user}"


class CaptureJob(models.Model):
    """One captured document: its bytes, who sent it, and how processing went."""

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        SUCCEEDED = "succeeded"
        FAILED = "failed"

    class ErrorBehaviour(models.TextChoices):
        ROLLBACK = "rollback"
        PROCEED = "proceed"

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    media_type = models.CharField(max_length=64)
    error_behaviour = models.CharField(
        max_length=8, choices=ErrorBehaviour.choices, default=ErrorBehaviour.ROLLBACK
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When recovery last enqueued the job again (None: only when it was received), so a
    # job whose message waits in a long queue is not enqueued again at every sweep.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    event_count = models.IntegerField(default=0)
    stored_count = models.IntegerField(default=0)
    duplicate_count = models.IntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # SBDH, header extensions (e.g. the DSCSA transaction statement) and document metadata.
    header = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"]),
            models.Index(fields=["status", "heartbeat_at"]),
        ]

    def __str__(self) -> str:
        return f"capture {self.pk} ({self.status})"


class DocumentChunk(models.Model):
    """The captured document's raw bytes, in order, so large bodies stream in and out."""

    capture = models.ForeignKey(CaptureJob, on_delete=models.CASCADE, related_name="chunks")
    seq = models.IntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["capture", "seq"], name="document_chunk_order"),
        ]

    def __str__(self) -> str:
        return f"chunk {self.seq} of capture {self.capture_id}"


# The dispositions of goods moving normally (CBV), which most events carry; the others
# (destroyed, recalled, expired, damaged, stolen, returned ...) are exceptions, and indexed.
FLOW_DISPOSITIONS = (
    "",
    "active",
    "container_closed",
    "dispensed",
    "in_progress",
    "in_transit",
    "retail_sold",
    "sellable_accessible",
    "sellable_not_accessible",
)


# An eventID that is a hash of the event (CBV's `ni:///sha-256;...`): given none, the event
# gets one; a sender may stamp one in. Two events with the same content and eventIDs that
# are not hashes are two events; otherwise one (see epcis.storage._Stored).
HASH_ID_PREFIX = "ni:"


class Event(models.Model):
    """One stored EPCIS event. `doc` is the event as captured (EPCIS 2.0 JSON form)."""

    # A plain event is stored once per eventID. An error declaration shares the eventID of
    # the event it corrects and is stored beside it, so the unique key adds its time.
    dedupe_key = CodePointCharField(max_length=400)
    event_id = CodePointCharField(max_length=300)
    # The content key: the event hash over normalised namespaces (the same for the JSON-LD,
    # 2.0 XML and 1.2 XML copies of an event, whatever their eventIDs), plus the time of an
    # error declaration as in dedupe_key; for a later event with the same content under
    # another explicit eventID, plus its dedupe key (see epcis.storage._Stored).
    content_hash = CodePointCharField(max_length=600)
    type = CodePointCharField(max_length=200)
    action = models.CharField(max_length=8, blank=True)
    event_time = models.DateTimeField()
    event_time_zone_offset = models.CharField(max_length=6)
    record_time = models.DateTimeField()
    biz_step = CodePointCharField(max_length=300, blank=True)
    disposition = CodePointCharField(max_length=300, blank=True)
    read_point = CodePointCharField(max_length=300, blank=True)
    biz_location = CodePointCharField(max_length=300, blank=True)
    transformation_id = CodePointCharField(max_length=300, blank=True)
    declaration_time = models.DateTimeField(null=True, blank=True)
    error_reason = models.CharField(max_length=300, blank=True)
    # No database constraint: see the note above EventCapture.
    capture = models.ForeignKey(
        CaptureJob,
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )
    doc = models.JSONField()
    namespaces = models.JSONField(default=dict)

    class Meta:
        # Every index costs each ingested event a btree insert, so only selective filters
        # get one: common values (an ObjectEvent, disposition in_transit, any readPoint) are
        # answered by walking the event_time index in query order and filtering as it goes.
        # Declared here rather than with unique=/db_index= on the fields: on PostgreSQL those
        # add a second, LIKE-only index per column, never used.
        # Both unique: capture finds an event's copies by either key in one query
        # (BatchWriter._classify), and concurrent captures of one event cannot both store it.
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="event_dedupe_key"),
            models.UniqueConstraint(fields=["content_hash"], name="event_content_hash"),
        ]
        # Queries page in (time, id) order by row comparison (keyset), so the time indexes
        # end with id: a page starts at its position in the index, however deep.
        indexes = [
            # No index on event_id: eventID lookups use dedupe_key's (see event_id_is).
            models.Index(fields=["event_time", "id"], name="epcis_event_time_id"),
            models.Index(fields=["record_time", "id"], name="epcis_event_record_time_id"),
            models.Index(
                fields=["biz_step", "event_time", "id"], name="epcis_event_biz_step_time_id"
            ),
            models.Index(
                fields=["biz_location", "event_time", "id"], name="epcis_event_biz_loc_time_id"
            ),
            models.Index(
                fields=["transformation_id"],
                condition=~models.Q(transformation_id=""),
                name="event_transformation_id",
            ),
            # A rare value of a common column (disposition=destroyed, an AssociationEvent, a
            # read point seen a few times) made the time walk read every event to find a page.
            # Values most events carry are left out of the partial ones: their pages are
            # found by that walk at once, and leaving them out spares most events a btree
            # insert (a filter on a value no event has is answered by ListedValue first).
            models.Index(
                fields=["disposition", "event_time", "id"],
                condition=~models.Q(disposition__in=FLOW_DISPOSITIONS),
                name="epcis_event_disp_time_id",
            ),
            models.Index(
                fields=["type", "event_time", "id"],
                condition=~models.Q(type="ObjectEvent"),
                name="epcis_event_type_time_id",
            ),
            models.Index(
                fields=["read_point", "event_time", "id"], name="epcis_event_read_pt_time_id"
            ),
            # Error declarations are few: a partial index costs the other events nothing.
            models.Index(
                fields=["declaration_time"],
                condition=models.Q(declaration_time__isnull=False),
                name="event_declared",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


# Fact rows (below) are written only by `epcis.storage`, in the transaction that writes their
# event, and never deleted; `seq` numbers them within their event, so no sequence is drawn
# per row. Where queries always look a fact up by its value, the primary key leads with the
# value and is the table's only index; the others are keyed (event, seq) plus a value index.
# Every index is paid on every ingested row. PostgreSQL would also check each row's foreign
# key at commit (Django's are deferred), costing about as much as writing the row, so the
# per-event tables (events included) have `db_constraint=False`; `on_delete=PROTECT` still
# guards deletes made through Django.


class EventCapture(models.Model):
    """Each partner that delivered an event (first or as a duplicate): who may read it."""

    pk = models.CompositePrimaryKey("owner_id", "event_id")
    # The primary key leads with owner_id: a second index on it would be pure cost.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    event = models.ForeignKey(Event, on_delete=models.PROTECT, db_index=False, db_constraint=False)
    capture = models.ForeignKey(
        CaptureJob, on_delete=models.PROTECT, db_index=False, db_constraint=False
    )

    def __str__(self) -> str:
        return f"event {self.event_id} readable by {self.owner_id}"


class Role(models.IntegerChoices):
    EPC = 1, "epcList"
    PARENT = 2, "parentID"
    CHILD = 3, "childEPCs"
    INPUT = 4, "inputEPCList"
    OUTPUT = 5, "outputEPCList"
    QUANTITY = 11, "quantityList"
    CHILD_QUANTITY = 12, "childQuantityList"
    INPUT_QUANTITY = 13, "inputQuantityList"
    OUTPUT_QUANTITY = 14, "outputQuantityList"


class EventFact(models.Model):
    event = models.ForeignKey(Event, on_delete=models.PROTECT, db_index=False, db_constraint=False)
    seq = models.SmallIntegerField()

    class Meta:
        abstract = True


class EventIdentifier(EventFact):
    """One identifier of an event in one role; `canonical` is the form used for matching."""

    pk = models.CompositePrimaryKey("canonical", "role", "event_id", "seq")
    role = models.SmallIntegerField(choices=Role.choices)
    canonical = CodePointCharField(max_length=300)
    quantity = models.FloatField(null=True, blank=True)
    uom = models.CharField(max_length=4, blank=True)

    class Meta:
        # Quantity comparisons (GT_quantity ...) go event by event; only class-level rows
        # carry quantities, so this partial index costs nothing for serialized EPCs.
        indexes = [
            models.Index(
                fields=["event", "role"],
                condition=models.Q(role__gte=Role.QUANTITY),
                name="eventidentifier_quantity",
            ),
            models.Index(
                fields=["quantity"],
                condition=models.Q(role__gte=Role.QUANTITY),
                name="eventidentifier_quantity_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.canonical}"


class BizTransaction(EventFact):
    pk = models.CompositePrimaryKey("value", "type", "event_id", "seq")
    type = models.CharField(max_length=300, blank=True)
    value = CodePointCharField(max_length=300)

    def __str__(self) -> str:
        return f"{self.type} {self.value}".strip()


class SourceDestination(EventFact):
    class Kind(models.TextChoices):
        SOURCE = "s"
        DESTINATION = "d"

    pk = models.CompositePrimaryKey("value", "kind", "type", "event_id", "seq")
    kind = models.CharField(max_length=1, choices=Kind.choices)
    type = models.CharField(max_length=300)
    value = CodePointCharField(max_length=300)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.type} {self.value}"


class ExtensionField(EventFact):
    """A user extension or ILMD field, flattened: `scope` says where it sits in the event and
    `inner` whether it is nested below the top level of that scope (the `INNER_` queries)."""

    pk = models.CompositePrimaryKey("event_id", "seq")
    scope = models.CharField(max_length=16)
    inner = models.BooleanField(default=False)
    namespace = models.CharField(max_length=300)
    name = models.CharField(max_length=200)
    text = CodePointTextField(blank=True)
    number = models.FloatField(null=True, blank=True)
    time = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["name", "namespace", "scope"]),
            # EQ_ILMD_lotNumber=L and the like: the rows holding the value, not every row of
            # the field. Texts may be longer than a btree entry allows, so hashed.
            TextHashIndex(fields=["text"], name="extensionfield_text"),
            models.Index(
                fields=["name", "number"],
                condition=models.Q(number__isnull=False),
                name="extensionfield_number",
            ),
            models.Index(
                fields=["name", "time"],
                condition=models.Q(time__isnull=False),
                name="extensionfield_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{{{self.namespace}}}{self.name}={self.text}"


class SensorReport(EventFact):
    """One sensorReport with the metadata of its sensorElement folded in."""

    pk = models.CompositePrimaryKey("event_id", "seq")
    element = models.SmallIntegerField()
    type = models.CharField(max_length=300, blank=True)
    device_id = models.CharField(max_length=300, blank=True)
    data_processing_method = models.CharField(max_length=300, blank=True)
    biz_rules = models.CharField(max_length=300, blank=True)
    microorganism = models.CharField(max_length=300, blank=True)
    chemical_substance = models.CharField(max_length=300, blank=True)
    exception = models.CharField(max_length=20, blank=True)
    component = models.CharField(max_length=50, blank=True)
    time = models.DateTimeField(null=True, blank=True)
    start_time = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    uom = models.CharField(max_length=4, blank=True)
    value = models.FloatField(null=True, blank=True)
    min_value = models.FloatField(null=True, blank=True)
    max_value = models.FloatField(null=True, blank=True)
    mean_value = models.FloatField(null=True, blank=True)
    s_dev = models.FloatField(null=True, blank=True)
    perc_rank = models.FloatField(null=True, blank=True)
    perc_value = models.FloatField(null=True, blank=True)
    string_value = models.TextField(blank=True)
    boolean_value = models.BooleanField(null=True, blank=True)
    hex_binary_value = models.TextField(blank=True)
    uri_value = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["type", "uom"])]

    def __str__(self) -> str:
        return f"{self.type} {self.value} {self.uom}".strip()


class EventVocabularyValue(EventFact):
    """Small multi-valued facts: persistent disposition set/unset and corrective event ids."""

    class Kind(models.TextChoices):
        DISPOSITION_SET = "pds"
        DISPOSITION_UNSET = "pdu"
        CORRECTIVE_EVENT = "cor"
        CERTIFICATION = "cert"

    pk = models.CompositePrimaryKey("value", "kind", "event_id", "seq")
    kind = models.CharField(max_length=4, choices=Kind.choices)
    value = CodePointCharField(max_length=300)

    def __str__(self) -> str:
        return f"{self.kind} {self.value}"


# The listed resources and the Event column each is read from.
LISTED_COLUMNS = {
    "eventTypes": "type",
    "bizSteps": "biz_step",
    "bizLocations": "biz_location",
    "readPoints": "read_point",
    "dispositions": "disposition",
}


class ListedValue(models.Model):
    """A value of a listed resource (/eventTypes, /bizSteps, ...) found in the events an
    owner may read. The listings read this small table: read from the events, a handful of
    distinct values costs a pass over millions of rows, and a partner's values would be
    found by checking other partners' events one by one. Written by `epcis.storage` with
    each batch (a duplicate from another partner adds that partner's row), never deleted."""

    pk = models.CompositePrimaryKey("owner_id", "resource", "value")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False, db_constraint=False
    )
    resource = models.CharField(max_length=20)
    value = CodePointCharField(max_length=300)

    class Meta:
        # Staff listings: every owner's values, in order.
        indexes = [models.Index(fields=["resource", "value"], name="listed_value_per_resource")]

    def __str__(self) -> str:
        return f"{self.resource} {self.value}"


class VocabularyElement(models.Model):
    """Master data (EPCClass, Location, ...) from document headers or master-data documents."""

    type = models.CharField(max_length=300)
    element_id = models.CharField(max_length=300)
    canonical = CodePointCharField(max_length=300)
    attributes = models.JSONField(default=list)
    children = models.JSONField(default=list)
    capture = models.ForeignKey(CaptureJob, on_delete=models.PROTECT)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["canonical", "type"])]

    def __str__(self) -> str:
        return f"{self.type} {self.element_id}"


class NamedQuery(models.Model):
    """A saved SimpleEventQuery (`POST /queries`): its parameters as the query language's
    JSON object. Names are per owner: a partner neither sees nor collides with another's."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    name = models.CharField(max_length=200)
    query = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="named_query_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name
