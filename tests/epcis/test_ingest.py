"""Ingest: every format into one faithful model, stored once, in bulk, all or nothing."""

from __future__ import annotations

import io
import itertools
from urllib.parse import quote

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction

from epcis.capture.worker import event_problem
from epcis.ingest import TooManyEvents
from epcis.models import (
    BizTransaction,
    Event,
    EventCapture,
    EventIdentifier,
    ExtensionField,
    Role,
    SourceDestination,
)
from epcis.normalise import event_record
from epcis.parsing import DocumentError, parse_document
from epcis.storage import BatchWriter
from tests.support.builders import (
    FIXTURES,
    HASH_DOCUMENTS,
    capture,
    event_list,
    fixture,
    hash_document,
    json_document,
    media_type_of,
    object_event,
    reference_hashes,
)

pytestmark = pytest.mark.django_db
SCENARIO = ["object_event", "aggregation_event", "transaction_event", "transformation_event"]
FORMATS = [("json", ".jsonld", "application/ld+json"), ("xml", ".xml", "application/xml")]
FORMATS.append(("xml12", ".xml", "application/xml"))

SGTIN_1001 = "https://id.gs1.org/01/04012345111118/21/1001"
SGTIN_1002 = "https://id.gs1.org/01/04012345111118/21/1002"
SSCC_1 = "https://id.gs1.org/00/040123450000000016"
PLANT = "https://id.gs1.org/414/4012345000016"


def test_commissioning_event_is_stored_with_canonical_identifiers_and_ilmd():
    job, result = capture(fixture("json", "object_event.jsonld"), "application/ld+json")
    assert (result.event_count, result.stored_count, result.duplicate_count) == (1, 1, 0)
    event = Event.objects.get()
    assert event.event_id == "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a1001"
    assert (event.type, event.action, event.biz_step, event.disposition) == (
        "ObjectEvent",
        "ADD",
        "commissioning",
        "active",
    )
    assert event.event_time.isoformat() == "2024-03-04T06:30:00+00:00"
    assert event.biz_location == PLANT
    assert event.read_point == "https://id.gs1.org/414/4012345000016/254/1"
    assert event.capture_id == job.pk
    assert event.doc["epcList"] == [
        "urn:epc:id:sgtin:4012345.011111.1001",
        "urn:epc:id:sgtin:4012345.011111.1002",
    ]
    identifiers = set(EventIdentifier.objects.values_list("role", "canonical"))
    assert identifiers == {(Role.EPC, SGTIN_1001), (Role.EPC, SGTIN_1002)}
    ilmd = set(ExtensionField.objects.values_list("scope", "namespace", "name", "text"))
    assert ilmd == {
        ("ilmd", "urn:epcglobal:cbv:mda:", "lotNumber", "LOT2024A"),
        ("ilmd", "urn:epcglobal:cbv:mda:", "itemExpirationDate", "2026-02-28"),
    }


def test_packing_event_stores_parent_and_children_by_role():
    capture(fixture("json", "aggregation_event.jsonld"), "application/ld+json")
    rows = set(EventIdentifier.objects.values_list("role", "canonical"))
    assert rows == {(Role.PARENT, SSCC_1), (Role.CHILD, SGTIN_1001), (Role.CHILD, SGTIN_1002)}


@pytest.mark.parametrize("name", [*SCENARIO, "association_event"])
def test_the_same_event_in_every_format_is_one_stored_event(name):
    """JSON-LD, 2.0 XML and 1.2 XML copies hash alike, so the later ones are duplicates."""
    results = [
        capture(fixture(folder, name + suffix), media_type, owner=folder)[1]
        for folder, suffix, media_type in FORMATS
    ]
    assert [(r.stored_count, r.duplicate_count, r.errors) for r in results] == [
        (1, 0, []),
        (0, 1, []),
        (0, 1, []),
    ]
    assert Event.objects.count() == 1
    assert EventCapture.objects.count() == 3


@pytest.mark.parametrize(("folder", "suffix", "media_type"), FORMATS)
def test_each_format_stores_the_same_facts(folder, suffix, media_type):
    capture(fixture(folder, "transaction_event" + suffix), media_type)
    event = Event.objects.get()
    assert (event.event_id, event.biz_step, event.disposition, event.action) == (
        "urn:uuid:6c0e4a9e-0b1a-4c47-9d3e-2f1f6b0a1003",
        "shipping",
        "in_transit",
        "ADD",
    )
    assert sorted(EventIdentifier.objects.values_list("role", "canonical")) == [
        (Role.EPC, SGTIN_1001),
        (Role.EPC, SGTIN_1002),
        (Role.PARENT, SSCC_1),
    ]
    assert list(BizTransaction.objects.values_list("type", "value")) == [
        ("po", "urn:epc:id:gdti:0614141.00001.PO4711"),
    ]
    assert sorted(SourceDestination.objects.values_list("kind", "type", "value")) == [
        ("d", "owning_party", "https://id.gs1.org/417/0614141000005"),
        ("s", "owning_party", "https://id.gs1.org/417/4012345000009"),
    ]


def test_reposting_a_document_stores_nothing_new_and_counts_duplicates():
    body = fixture("json", "object_event.jsonld")
    capture(body, "application/ld+json")
    _, again = capture(body, "application/ld+json")
    assert (again.event_count, again.stored_count, again.duplicate_count) == (1, 0, 1)
    assert again.success
    assert Event.objects.count() == 1
    assert EventCapture.objects.count() == 1


def test_an_event_without_event_id_gets_its_hash_and_is_deduplicated_by_it():
    body = json_document(object_event("7"))
    capture(body, "application/json")
    _, again = capture(body, "application/json")
    event = Event.objects.get()
    assert event.event_id.startswith("ni:///sha-256;")
    assert event.event_id.endswith("?ver=CBV2.0")
    assert event.event_id == event.content_hash
    assert "eventID" not in event.doc
    assert again.duplicate_count == 1


def test_a_duplicate_from_another_partner_makes_the_event_readable_to_it():
    body = fixture("json", "object_event.jsonld")
    capture(body, "application/ld+json", owner="alice")
    _, result = capture(body, "application/ld+json", owner="bob")
    assert result.duplicate_count == 1
    owners = set(EventCapture.objects.values_list("owner__username", flat=True))
    assert owners == {"alice", "bob"}
    assert Event.objects.count() == 1


def test_an_error_declaration_is_stored_beside_the_event_it_corrects():
    original = object_event("9", event_id="urn:uuid:00000000-0000-4000-8000-000000000009")
    declared = object_event(
        "9",
        event_id="urn:uuid:00000000-0000-4000-8000-000000000009",
        extra=', "errorDeclaration": {"declarationTime": "2024-01-02T00:00:00Z",'
        ' "reason": "incorrect_data"}',
    )
    capture(json_document(original), "application/json")
    _, result = capture(json_document(declared), "application/json")
    assert result.stored_count == 1
    rows = Event.objects.order_by("id").values_list("event_id", "error_reason")
    assert list(rows) == [
        ("urn:uuid:00000000-0000-4000-8000-000000000009", ""),
        ("urn:uuid:00000000-0000-4000-8000-000000000009", "incorrect_data"),
    ]
    # The original stands as captured; the declaration is a second, whole event.
    first, second = Event.objects.order_by("id")
    assert "errorDeclaration" not in first.doc
    assert second.doc["errorDeclaration"] == {
        "declarationTime": "2024-01-02T00:00:00Z",
        "reason": "incorrect_data",
    }
    assert first.doc["epcList"] == second.doc["epcList"] == ["urn:epc:id:sgtin:4012345.011111.9"]


def test_reusing_an_event_id_for_a_different_event_is_an_error():
    eid = "urn:uuid:00000000-0000-4000-8000-0000000000aa"
    capture(json_document(object_event("1", event_id=eid)), "application/json")
    _, result = capture(json_document(object_event("2", event_id=eid)), "application/json")
    assert result.stored_count == 0
    assert [(e.index, e.event_id, e.field) for e in result.errors] == [(0, eid, "eventID")]
    assert "already stored for a different event" in result.errors[0].message


def test_rollback_stores_nothing_when_one_event_is_invalid_and_reports_each_error():
    bad_time = object_event("2").replace("2024-01-01T10:00:00.000Z", "yesterday")
    body = json_document(object_event("1"), bad_time, object_event("3", extra=', "action": "X"'))
    _, result = capture(body, "application/json")
    assert Event.objects.count() == 0
    assert (result.event_count, result.stored_count) == (3, 0)
    assert [(e.index, e.field) for e in result.errors] == [(1, "eventTime"), (2, "action")]
    assert not result.success


def test_proceed_stores_the_valid_events_and_lists_the_invalid_ones():
    bad_time = object_event("2").replace("2024-01-01T10:00:00.000Z", "yesterday")
    body = json_document(object_event("1"), bad_time, object_event("3"))
    _, result = capture(body, "application/json", behaviour="proceed")
    assert (result.event_count, result.stored_count) == (3, 2)
    assert [(e.index, e.field) for e in result.errors] == [(1, "eventTime")]
    stored = set(EventIdentifier.objects.values_list("canonical", flat=True))
    assert stored == {SGTIN_1001.replace("1001", "1"), SGTIN_1001.replace("1001", "3")}


def test_a_document_over_the_capture_limit_stores_nothing(settings):
    settings.EPCIS_CAPTURE_LIMIT = 2
    body = json_document(object_event("1"), object_event("2"), object_event("3"))
    with pytest.raises(TooManyEvents, match="more than 2 events"):
        capture(body, "application/json")
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "media_type", "kind"),
    [
        (b'{"type": "EPCISDocument", "epcisBody": ', "application/json", "malformed"),
        (
            b'<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2"><EPCISBody>'
            b"</epcis:EPCISDocument>",
            "application/xml",
            "malformed",
        ),
        (b"<a><b/></a>", "application/xml", "not_epcis"),
        (b'{"hello": "world"}', "application/json", "not_epcis"),
    ],
)
def test_an_unreadable_document_raises_and_stores_nothing(body, media_type, kind):
    with pytest.raises(DocumentError) as raised:
        capture(body, media_type)
    assert raised.value.kind == kind
    assert Event.objects.count() == 0


def test_dscsa_header_and_master_data_are_kept_with_the_capture():
    files = sorted((FIXTURES / "xml12").glob("*dscsa*.xml"))
    if not files:
        pytest.skip("no DSCSA fixture yet")
    job, result = capture(files[0].read_bytes(), "application/xml")
    assert result.success, result.errors
    assert result.header["sbdh"]["sender"]
    assert job.vocabularyelement_set.filter(type__endswith="EPCClass").exists()


def test_a_long_document_is_written_in_batches_that_start_small(monkeypatch):
    sizes: list[int] = []
    store = BatchWriter.store

    def recording_store(self, records):
        sizes.append(len(records))
        return store(self, records)

    monkeypatch.setattr(BatchWriter, "store", recording_store)
    events = [object_event(str(serial)) for serial in range(1, 1601)]
    _, result = capture(json_document(*events), "application/ld+json")
    assert (result.stored_count, sizes) == (1600, [500, 1000, 100])


# -- eventID and duplicates (DESIGN §10), against the reference implementation's hashes ---

FORMAT_KINDS = ["jsonld", "xml20", "xml12"]  # the same two ILMD events, no eventIDs
UUIDS = [f"urn:uuid:1d0c0000-0000-4000-8000-00000000000{n}" for n in (1, 2)]
OTHER_UUIDS = [u.replace("1d0c", "2e0c") for u in UUIDS]


def capture_hash_fixture(kind: str, event_ids: list[str] | None = None, owner: str = "alice"):
    name = HASH_DOCUMENTS[kind]
    return capture(hash_document(name, event_ids), media_type_of(name), owner=owner)[1]


def counts(result) -> tuple:
    return (result.event_count, result.stored_count, result.duplicate_count, result.errors)


def stored_event_ids() -> list[str]:
    return sorted(Event.objects.values_list("event_id", flat=True))


def records_of(name: str) -> list:
    document = parse_document(io.BytesIO(hash_document(name)), media_type_of(name))
    return [event_record(event) for event in document.events]


@pytest.mark.parametrize("kind", HASH_DOCUMENTS)
def test_an_event_stored_without_event_id_is_found_by_its_reference_hash(partner_client, kind):
    assert counts(capture_hash_fixture(kind)) == (2, 2, 0, [])
    for event_id in reference_hashes(HASH_DOCUMENTS[kind]):
        response = partner_client.get(f"/events/{quote(event_id, safe='')}")
        assert response.status_code == 200, response.content
        assert [event["eventID"] for event in event_list(response)] == [event_id]
        response = partner_client.get(f"/events?EQ_eventID={quote(event_id, safe='')}")
        assert [event["eventID"] for event in event_list(response)] == [event_id]


@pytest.mark.parametrize("kind", HASH_DOCUMENTS)
def test_resending_with_the_reference_hash_stamped_in_stores_nothing(kind):
    """What EPCPyYes does: it stamps the reference hash in as the eventID."""
    name = HASH_DOCUMENTS[kind]
    capture_hash_fixture(kind)
    again = capture_hash_fixture(kind, reference_hashes(name))
    assert counts(again) == (2, 0, 2, [])
    assert again.success
    assert stored_event_ids() == sorted(reference_hashes(name))


@pytest.mark.parametrize("order", list(itertools.permutations(FORMAT_KINDS)), ids="-".join)
def test_the_same_events_in_every_format_in_any_order_are_stored_once(order):
    results = [capture_hash_fixture(kind, owner=kind) for kind in order]
    assert [counts(r) for r in results] == [(2, 2, 0, []), (2, 0, 2, []), (2, 0, 2, [])]
    # The eventIDs are the reference hashes of the copy stored, the first one.
    assert stored_event_ids() == sorted(reference_hashes(HASH_DOCUMENTS[order[0]]))
    assert EventCapture.objects.count() == 6  # every sender may read both events


# (document, eventIDs stamped in): "hash" = the reference's hashes of that document.
SEQUENCES = {
    "without-id-first": [
        ("jsonld", None),
        ("xml12", None),
        ("xml12", "hash"),
        ("xml20", "uuid"),
        ("jsonld_inline_cbvmda", "hash"),
    ],
    "uuid-first": [
        ("xml20", "uuid"),
        ("jsonld", None),
        ("xml12", "hash"),
        ("xml12", "uuid"),
        ("jsonld_inline_cbvmda", None),
    ],
}


@pytest.mark.parametrize("sequence", SEQUENCES.values(), ids=list(SEQUENCES))
def test_the_same_events_with_or_without_event_ids_are_stored_once(sequence):
    results = []
    for position, (kind, stamp) in enumerate(sequence):
        hashes = reference_hashes(HASH_DOCUMENTS[kind])
        event_ids = {"hash": hashes, "uuid": UUIDS}.get(stamp)
        results.append(capture_hash_fixture(kind, event_ids, owner=f"partner{position}"))
    assert [counts(r) for r in results] == [(2, 2, 0, [])] + [(2, 0, 2, [])] * (len(sequence) - 1)
    first_kind, first_stamp = sequence[0]
    first = UUIDS if first_stamp == "uuid" else reference_hashes(HASH_DOCUMENTS[first_kind])
    assert stored_event_ids() == sorted(first)
    assert EventCapture.objects.count() == 2 * len(sequence)


def test_the_same_content_under_two_explicit_event_ids_is_two_events():
    """By EPCIS an eventID names one event: two non-hash eventIDs are two events, even
    with equal content (two identical readings). A copy without one joins the first."""
    first = capture_hash_fixture("xml20", UUIDS)
    second = capture_hash_fixture("jsonld", OTHER_UUIDS)
    third = capture_hash_fixture("xml12")
    assert [counts(r) for r in (first, second, third)] == [
        (2, 2, 0, []),
        (2, 2, 0, []),
        (2, 0, 2, []),
    ]
    assert stored_event_ids() == sorted(UUIDS + OTHER_UUIDS)
    later = Event.objects.get(event_id=OTHER_UUIDS[0])
    assert later.content_hash == Event.objects.get(event_id=UUIDS[0]).content_hash + (
        f"#event:{OTHER_UUIDS[0]}"
    )


def test_two_copies_of_one_event_cannot_both_be_stored():
    """What keeps concurrent captures of one event without eventID (in two formats, so
    with two reference hashes) from both storing it: the content key is unique."""
    job, _ = capture(hash_document(HASH_DOCUMENTS["jsonld"]), "application/ld+json")
    (copy, _) = records_of(HASH_DOCUMENTS["xml12"])
    with connection.cursor() as cursor:
        raw = cursor.cursor if connection.vendor == "postgresql" else cursor
        writer = BatchWriter(raw, capture=job, record_time=job.created_at)
        (pk,) = writer._reserve_ids(1)
        # PostgreSQL: the writer's raw psycopg cursor raises psycopg's own error.
        with pytest.raises((IntegrityError, psycopg.IntegrityError)), transaction.atomic():
            writer._write_events([(pk, copy)])  # what a concurrent capture would write
    assert Event.objects.count() == 2


def test_a_different_event_under_a_stored_event_id_is_refused_and_the_stored_one_stands():
    capture_hash_fixture("xml12")
    taken = reference_hashes(HASH_DOCUMENTS["xml12"])[0]
    stored = Event.objects.get(event_id=taken)
    _, result = capture(json_document(object_event("5", event_id=taken)), "application/json")
    assert (result.stored_count, result.duplicate_count) == (0, 0)
    (error,) = result.errors
    assert (error.index, error.event_id, error.field) == (0, taken, "eventID")
    problem = event_problem(error)
    assert (problem["field"], problem["code"], problem["eventID"]) == (
        "eventID",
        "eventid-conflict",
        taken,
    )
    assert f"eventID {taken} is already stored for a different event" in problem["detail"]
    assert Event.objects.count() == 2
    after = Event.objects.get(event_id=taken)
    assert (after.pk, after.doc, after.content_hash) == (stored.pk, stored.doc, stored.content_hash)


def test_an_error_declaration_is_a_copy_only_of_the_same_declaration():
    eid = "urn:uuid:00000000-0000-4000-8000-0000000000d1"
    original = object_event("11", event_id=eid)
    declaration = object_event(
        "11",
        event_id=eid,
        extra=', "errorDeclaration": {"declarationTime": "2024-01-02T00:00:00Z"}',
    )
    later = declaration.replace("2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z")
    _, first = capture(json_document(original, declaration), "application/json")
    _, again = capture(json_document(declaration, later, original), "application/json")
    assert (first.stored_count, first.duplicate_count) == (2, 0)
    assert (again.stored_count, again.duplicate_count, again.errors) == (1, 2, [])
    assert Event.objects.filter(event_id=eid).count() == 3


@pytest.mark.postgres
def test_a_batchs_stored_copies_are_found_through_both_unique_indexes():
    job, _ = capture(hash_document(HASH_DOCUMENTS["xml12"]), "application/xml")
    record = records_of(HASH_DOCUMENTS["jsonld"])[0]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        writer = BatchWriter(cursor.cursor, capture=job, record_time=job.created_at)
        sql, params = writer.stored_query([record])
        cursor.cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.cursor.fetchone()[0]
    indexes, nodes = set(), [plan["Plan"]]
    while nodes:
        node = nodes.pop()
        indexes.add(node.get("Index Name"))
        nodes += node.get("Plans", [])
    assert {"event_dedupe_key", "event_content_hash"} <= indexes, plan
