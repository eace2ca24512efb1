"""MATCH_* prefixes as an index-friendly range: the same rows as a case-sensitive
`startswith`, on tricky values (LIKE wildcards, case, the last code points)."""

from __future__ import annotations

import pytest
from django.db import connection

from epcis.models import EventIdentifier, Role
from epcis.query.filters import starts_with, successor

SERIAL = "https://id.gs1.org/01/04012345000016/21/"
VALUES = [
    f"{SERIAL}1",
    f"{SERIAL}10",
    SERIAL,
    SERIAL.removesuffix("/"),
    f"{SERIAL.removesuffix('/')}0",
    f"{SERIAL}\uffff",
    f"{SERIAL}\U0010ffff",
    "https://id.gs1.org/414/4012345000016",
    "https://id.gs1.org/414/40123450",
    "https://id.gs1.org/4140",
    "ab",
    "aB",
    "AB",
    "a%b",
    "a_b",
    "axb",
    "a\\b",
    "a-z",
    "a.",
    "a\ud7ff",
    "a\ud7ffz",
    "a\ue000",
    "\U0010ffff",
    "\U0010ffffa",
    "ä",
]


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("abc", "abd"),
        ("a/", "a0"),
        ("a\U0010ffff", "b"),
        ("a\U0010ffff\U0010ffff", "b"),
        ("\U0010ffff", None),
        ("", None),
        # the code point after U+D7FF is a surrogate, which no text can hold
        ("x\ud7ff", "x\ue000"),
    ],
)
def test_successor_is_the_least_string_above_the_prefix(prefix, expected):
    assert successor(prefix) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "prefix",
    [
        SERIAL,
        SERIAL.removesuffix("/"),
        "https://id.gs1.org/414/4012345",
        "a",
        "a%",
        "a_",
        "a\\",
        "ab",
        "A",
        "a\ud7ff",
        "\U0010ffff",
        "a-",
        "",
        "zzz",
    ],
)
def test_prefix_range_selects_exactly_the_strings_starting_with_it(prefix):
    EventIdentifier.objects.bulk_create(
        EventIdentifier(event_id=1, seq=seq, role=Role.EPC, canonical=value)
        for seq, value in enumerate(VALUES)
    )
    found = EventIdentifier.objects.filter(starts_with("canonical", prefix))
    assert sorted(found.values_list("canonical", flat=True)) == sorted(
        value for value in VALUES if value.startswith(prefix)
    )


@pytest.mark.django_db
def test_identifier_and_value_columns_sort_by_code_point_whatever_the_database_default():
    """The range above is exactly the prefix only under code-point order ('a-z' < 'a.' in a
    linguistic collation), so these columns carry collation "C" on PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite compares text with BINARY: code-point order for UTF-8")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns"
            " WHERE (table_name, column_name) IN (('epcis_eventidentifier', 'canonical'),"
            " ('epcis_event', 'biz_location'), ('epcis_event', 'event_id'),"
            " ('epcis_extensionfield', 'text'))"
        )
        collations = {(table, column): collation for table, column, collation in cursor}
    assert collations == {
        ("epcis_eventidentifier", "canonical"): "C",
        ("epcis_event", "biz_location"): "C",
        ("epcis_event", "event_id"): "C",
        ("epcis_extensionfield", "text"): "C",
    }
