"""On PostgreSQL, the first page of each typical query is served by an index on the filter's
column, not by scanning: EXPLAIN (FORMAT JSON) of the very SQL `events_matching` runs.

A few hundred events make a small table, where the planner may rightly prefer a sequential
scan; `enable_seqscan = off` (for this test's transaction only) then proves that an index
path exists, which is what matters at scale."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from epcis.models import Event
from epcis.query.filters import QueryContext
from epcis.query.pagination import PagePosition
from epcis.query.params import parse_query
from epcis.query.resources import RESOURCES
from epcis.query.selectors import page_of_events, resource_values
from tests.support.builders import capture, json_document

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]
EVENTS = 400
SGLN = "urn:epc:id:sgln:4012345.{:05d}.0"


def event(n: int) -> str:
    # One event in 80 is `receiving`, at the same place: selective filters, as in life.
    step = "receiving" if n % 80 == 0 else "shipping"
    return (
        f'{{"type": "ObjectEvent", "eventID": "urn:uuid:00000000-0000-4000-8000-{n:012d}",'
        f' "eventTime": "2024-01-{1 + n % 28:02d}T{n % 24:02d}:00:00.000Z",'
        f' "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "{step}",'
        f' "disposition": "{"destroyed" if n % 80 == 0 else "in_transit"}",'
        f' "readPoint": {{"id": "{SGLN.format(n % 50)}"}},'
        f' "bizLocation": {{"id": "{SGLN.format(n % 50)}"}},'
        f' "bizTransactionList": [{{"type": "po", "bizTransaction": "urn:po:{n}"}}],'
        f' "epcList": ["urn:epc:id:sgtin:4012345.011111.{n}",'
        f' "urn:epc:id:sgtin:{4012345 + n}.011111.1"],'
        f' "quantityList": [{{"epcClass": "urn:epc:class:lgtin:4012345.011111.L{n}",'
        f' "quantity": {n}, "uom": "KGM"}}],'
        f' "ex:lot": "L{n}", "ex:grade": {n}, "ex:bestBefore": "2025-01-{1 + n % 28:02d}T00:00:00Z"'
        "}"
    )


def document(start: int) -> bytes:
    body = json_document(*(event(n) for n in range(start, start + 100)))
    return body.replace(
        b'"@context": ["https://ref.gs1.org',
        b'"@context": [{"ex": "https://example.com/ex/"}, "https://ref.gs1.org',
    )


@pytest.fixture
def staff() -> Any:
    for start in range(0, EVENTS, 100):
        _, result = capture(document(start), "application/json")
        assert not result.errors, result.errors
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SET LOCAL enable_seqscan = off")
    return get_user_model().objects.create(username="carol", is_staff=True)


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def index_conditions(
    params: dict[str, str],
    user: Any,
    after: PagePosition | None = None,
    prefixes: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """(index name, index condition) of every index the page's plan reads."""
    context = QueryContext(user=user, prefixes=prefixes or {})
    query = parse_query({k: [v] for k, v in params.items()}, context)
    sql = page_of_events(user, query, after=after, limit=31)
    (root,) = json.loads(sql.explain(format="json"))
    return [
        (node["Index Name"], node.get("Index Cond", ""))
        for node in plan_nodes(root["Plan"])
        if "Index Name" in node
    ]


@pytest.mark.parametrize(
    ("params", "table", "column"),
    [
        (
            {"MATCH_epc": "urn:epc:idpat:sgtin:4012345.011111.*"},
            "epcis_eventidentifier",
            "canonical",
        ),
        ({"MATCH_epc": "urn:epc:id:sgtin:4012345.011111.7"}, "epcis_eventidentifier", "canonical"),
        (
            {
                "EQ_bizLocation": SGLN.format(7),
                "GE_eventTime": "2024-01-05T00:00:00Z",
                "LT_eventTime": "2024-01-20T00:00:00Z",
            },
            "epcis_event",
            "biz_location",
        ),
        ({"EQ_bizTransaction_po": "urn:po:42"}, "epcis_biztransaction", "value"),
        ({"EQ_bizStep": "receiving"}, "epcis_event", "biz_step"),
        (
            {"EQ_eventID": "urn:uuid:00000000-0000-4000-8000-000000000042"},
            "event_dedupe_key",
            "dedupe_key",
        ),
    ],
)
def test_first_page_reads_an_index_on_the_filtered_column(staff, params, table, column):
    used = index_conditions(params, staff)
    column_used = re.compile(rf"\b{column}\b")
    assert any(name.startswith(table) and column_used.search(cond) for name, cond in used), used


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({"EQ_disposition": "destroyed"}, "epcis_event_disp_time_id"),
        ({"eventType": "AssociationEvent"}, "epcis_event_type_time_id"),
        ({"EQ_readPoint": SGLN.format(7)}, "epcis_event_read_pt_time_id"),
        ({"EXISTS_errorDeclaration": ""}, "event_declared"),
        ({"EQ_errorReason": "incorrect_data"}, "event_declared"),
        ({"GT_quantity": "390"}, "eventidentifier_quantity_value"),
        ({"EQ_quantity_KGM": "7"}, "eventidentifier_quantity_value"),
        ({"EQ_ex:lot": "L7"}, "extensionfield_text"),
        ({"GE_ex:grade": "390"}, "extensionfield_number"),
        ({"LT_ex:bestBefore": "2025-01-02T00:00:00Z"}, "extensionfield_time"),
    ],
)
def test_a_filter_on_a_rare_value_reads_its_own_index(staff, params, index):
    """Without these, a value found in few events (or none) walked every event's time."""
    used = index_conditions(params, staff, prefixes={"ex": "https://example.com/ex/"})
    assert index in [name for name, _ in used], used


@pytest.mark.parametrize(
    ("order_by", "column", "index"),
    [
        ("recordTime", "record_time", "epcis_event_record_time_id"),
        ("eventTime", "event_time", "epcis_event_time_id"),
    ],
)
def test_a_later_page_starts_at_its_position_in_the_index(staff, order_by, column, index):
    """Keyset paging as one row comparison: the index range starts after the last event
    served, so page 1,000 costs what page 2 does (no rows re-read and filtered out)."""
    middle = Event.objects.order_by("pk")[EVENTS // 2]
    used = index_conditions({"orderBy": order_by}, staff, PagePosition(middle.pk, 30))
    assert any(name == index and f"ROW({column}, id) <" in cond for name, cond in used), used


def indexes_read_by(run: Any) -> set[str]:
    """The indexes that the plans of every query `run()` makes read (and any table scanned)."""
    with CaptureQueriesContext(connection) as queries:
        run()
    read = set()
    with connection.cursor() as cursor:
        for query in queries.captured_queries:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {query['sql']}")
            (root,) = cursor.fetchone()[0]
            for node in plan_nodes(root["Plan"]):
                if "Index Name" in node:
                    read.add(node["Index Name"])
                elif node["Node Type"] == "Seq Scan":
                    read.add(f"Seq Scan {node['Relation Name']}")
    return read


@pytest.mark.parametrize("as_partner", [False, True])
def test_listings_read_the_listed_values_not_the_events(staff, as_partner):
    reader = Event.objects.first().capture.owner if as_partner else staff
    read = indexes_read_by(
        lambda: resource_values(reader, RESOURCES["bizSteps"], after="a", limit=31)
    )
    assert read
    assert read <= {"listed_value_per_resource", "epcis_listedvalue_pkey"}, read


@pytest.mark.parametrize(
    "params",
    [
        {"EQ_disposition": "retail_sold"},  # a flow disposition: not in the partial index
        # A custom business step (a URI) that no event has.
        {"eventType": "ObjectEvent", "EQ_bizStep": "urn:acme:bizstep:never-used"},
        {"EQ_readPoint": SGLN.format(99)},
    ],
)
def test_a_value_no_readable_event_has_is_answered_before_reading_events(staff, params):
    query = parse_query({k: [v] for k, v in params.items()}, QueryContext(user=staff))
    sql, sql_params = page_of_events(staff, query, limit=31).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", sql_params)
        (root,) = cursor.fetchone()[0]
    on_events = [
        node for node in plan_nodes(root["Plan"]) if node.get("Relation Name") == "epcis_event"
    ]
    assert on_events
    assert all(node["Actual Loops"] == 0 for node in on_events), on_events
