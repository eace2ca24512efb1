"""Ingest: every format into one faithful model, stored once, in bulk, all or nothing."""

from __future__ import annotations

import pytest

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
from epcis.parsing import DocumentError
from epcis.storage import BatchWriter
from tests.support.builders import FIXTURES, capture, fixture, json_document, object_event

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
