"""From a validated event to the rows stored for it."""

from datetime import UTC, datetime
from typing import Any

import pytest

from epcis.models import Role
from epcis.normalise import event_record
from epcis.parsing.validation import validated_event

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
