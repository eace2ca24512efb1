"""From a validated event to the rows stored for it."""

import io
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from epcis import normalise
from epcis.models import Role
from epcis.normalise import EventRecord, event_record
from epcis.parsing import parse_document
from epcis.parsing.validation import validated_event
from tests.support.builders import (
    HASH_DOCUMENTS,
    fixture,
    hash_document,
    media_type_of,
    reference_hashes,
)

NAMESPACES = {"acme": "https://pharma.acme.example/epcis/"}
EVENT: dict[str, Any] = {
    "type": "AggregationEvent",
    "eventTime": "2024-03-04T08:15:00+01:00",
    "eventTimeZoneOffset": "+01:00",
    "parentID": "urn:epc:id:sscc:4012345.0000000001",
    "childEPCs": ["urn:epc:id:sgtin:4012345.011111.1001"],
    "action": "ADD",
    "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
    "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:4012345.00000"}],
}


def record_of(event: dict[str, Any]):
    return event_record(validated_event(event, NAMESPACES, 0))


def test_identifiers_are_stored_by_their_digital_link_key_and_role() -> None:
    record = record_of({**EVENT})
    assert record.identifiers == [
        (Role.PARENT, "https://id.gs1.org/00/040123450000000016", None, ""),
        (Role.CHILD, "https://id.gs1.org/01/04012345111118/21/1001", None, ""),
    ]
    assert record.biz_location == "https://id.gs1.org/414/4012345000016"
    assert record.sources_destinations == [
        ("s", "owning_party", "https://id.gs1.org/417/4012345000009")
    ]
    assert record.event_time == datetime(2024, 3, 4, 7, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "text", "number", "time"),
    [
        ("12.5", "12.5", 12.5, None),
        ("-3", "-3", -3.0, None),
        ("1e3", "1e3", 1000.0, None),
        (7, "7", 7.0, None),
        (2.5, "2.5", 2.5, None),
        ("LOT-T1", "LOT-T1", None, None),
        ("2026-12-31", "2026-12-31", None, None),
        ("nan", "nan", None, None),
        (
            "2024-03-04T07:30:00+01:00",
            "2024-03-04T07:30:00+01:00",
            None,
            datetime(2024, 3, 4, 6, 30, tzinfo=UTC),
        ),
        ("2024-13-04T07:30:00Z", "2024-13-04T07:30:00Z", None, None),
        (True, "true", None, None),
    ],
)
def test_extension_values_are_also_kept_as_numbers_and_times_for_range_queries(
    value: Any, text: str, number: float | None, time: datetime | None
) -> None:
    record = record_of({**EVENT, "acme:reading": value})
    assert record.extension_fields == [
        ("event", False, "https://pharma.acme.example/epcis/", "reading", text, number, time)
    ]


# -- eventID and content key (DESIGN §10) ---------------------------------------------


def records_of(body: bytes, media_type: str) -> list[EventRecord]:
    document = parse_document(io.BytesIO(body), media_type)
    return [event_record(event) for event in document.events]


def hash_fixture_records(name: str) -> list[EventRecord]:
    return records_of(hash_document(name), media_type_of(name))


@pytest.mark.parametrize("name", HASH_DOCUMENTS.values())
def test_an_event_without_event_id_gets_the_reference_implementations_hash(name: str) -> None:
    """As written: 1.2's cbvmda without its colon, a JSON-LD cbvmda: left undefined."""
    assert [r.event_id for r in hash_fixture_records(name)] == reference_hashes(name)
    assert [r.dedupe_key for r in hash_fixture_records(name)] == reference_hashes(name)


def test_every_copy_of_an_event_has_one_content_key_whatever_its_event_hash() -> None:
    keys = {
        kind: [r.content_hash for r in hash_fixture_records(name)]
        for kind, name in HASH_DOCUMENTS.items()
    }
    assert len({tuple(value) for value in keys.values()}) == 1, keys
    assert len(set(keys["xml12"])) == 2


def test_an_error_declarations_content_key_adds_its_declaration_time() -> None:
    declared = {**EVENT, "errorDeclaration": {"declarationTime": "2024-03-05T10:00:00+01:00"}}
    original, declaration = record_of({**EVENT}), record_of(declared)
    assert declaration.content_hash == (
        original.content_hash + "#errorDeclaration@2024-03-05T09:00:00+00:00"
    )


def without_event_id(body: bytes) -> bytes:
    return re.sub(rb"<baseExtension>\s*<eventID>[^<]*</eventID>\s*</baseExtension>", b"", body)


@pytest.mark.parametrize(
    ("body", "media_type", "hashes"),
    [
        # 1.2 XML declaring cbvmda, an event not using it: its namespaces need no normalising.
        (without_event_id(fixture("xml12", "aggregation_event.xml")), "application/xml", 1),
        (fixture("xml12", "object_event.xml"), "application/xml", 1),  # an eventID: no hash ID
        (hash_document(HASH_DOCUMENTS["xml12"]), "application/xml", 2),
        (hash_document(HASH_DOCUMENTS["jsonld"]), "application/ld+json", 2),
        (hash_document(HASH_DOCUMENTS["jsonld_inline_cbvmda"]), "application/ld+json", 1),
    ],
    ids=["xml12-no-ilmd", "xml12-event-id", "xml12-ilmd", "jsonld-ilmd", "jsonld-inline"],
)
def test_the_event_is_hashed_a_second_time_only_when_its_hash_id_can_differ(
    monkeypatch, body: bytes, media_type: str, hashes: int
) -> None:
    calls: list[dict[str, str]] = []
    real = normalise.event_hash_id

    def counting(data: dict[str, Any], namespaces: dict[str, str], **kwargs: Any) -> str:
        calls.append(namespaces)
        return real(data, namespaces, **kwargs)

    monkeypatch.setattr(normalise, "event_hash_id", counting)
    records = records_of(body, media_type)
    assert len(calls) == hashes * len(records)
