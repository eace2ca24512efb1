"""Reads of stored events: query pages, single events, listings, named queries."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery

from epcis.models import Event, EventCapture, EventIdentifier, ListedValue, NamedQuery
from epcis.query.filters import event_id_is
from epcis.query.ordering import field_sort_keys
from epcis.query.pagination import PagePosition
from epcis.query.params import EventQuery
from epcis.query.resources import INSTANCE_ROLES, Resource
from epcis.rendering.times import rfc3339


def stored_event(event: Event) -> tuple[dict[str, Any], dict[str, str]]:
    """The event as captured, plus the `eventID` and `recordTime` the repository gives it."""
    doc = dict(event.doc)
    doc.setdefault("eventID", event.event_id)
    doc["recordTime"] = rfc3339(event.record_time)
    return doc, event.namespaces


def stored_events(events: Iterable[Event]) -> list[tuple[dict[str, Any], dict[str, str]]]:
    return [stored_event(event) for event in events]


# -- the query interface ----------------------------------------------------------------


def events_visible_to(user: Any) -> QuerySet[Event]:
    """Staff read every event; a partner only the events it captured (first or again)."""
    events = Event.objects.all()
    if user.is_staff:
        return events
    return events.filter(Exists(EventCapture.objects.filter(event=OuterRef("pk"), owner=user)))


def events_matching(
    user: Any,
    query: EventQuery,
    *,
    also: Sequence[Q] = (),
    after: PagePosition | None = None,
    limit: int,
) -> list[Event]:
    """One page of the query's events, in its order, starting after the event `after` names
    (keyset paging: always a LIMIT over an indexed sort key, never an OFFSET)."""
    return list(page_of_events(user, query, also=also, after=after, limit=limit))


def page_of_events(
    user: Any,
    query: EventQuery,
    *,
    also: Sequence[Q] = (),
    after: PagePosition | None = None,
    limit: int,
) -> QuerySet[Event]:
    """The SQL of `events_matching`, unevaluated (for EXPLAIN)."""
    keys = field_sort_keys(query)
    names = list(keys) or [query.order_key]
    events = events_visible_to(user).filter(*query.conditions, *also).annotate(**keys)
    if after is not None:
        events = events.filter(_after_position(names, keys, after.pk, query.descending))
    order = [*names, "pk"]
    return events.order_by(*(f"-{name}" if query.descending else name for name in order))[:limit]


def _after_position(
    names: list[str], keys: dict[str, Any], pk: int, descending: bool
) -> RowComparison:
    """Rows after the row `pk` in (keys..., pk) order, as one row comparison: with a column
    key, the (key, id) btree serves it as a range, so each page starts where the last ended,
    however deep (an OR of "key beyond, or key equal and pk beyond" made the index walk
    every row served before). The keys are compared with the stored keys of that row (a
    primary-key subquery, evaluated once), not values from the token, so ties compare
    exactly however times are stored."""
    stored = Event.objects.filter(pk=pk).annotate(**keys).values(*names, "pk")
    columns = [F(name) for name in names]
    return RowComparison(*columns, F("pk"), Subquery(stored), operator="<" if descending else ">")


class RowComparison(Func):
    """`(a, b) < (subquery)`: SQL row-value comparison, which PostgreSQL and SQLite share."""

    output_field = BooleanField()

    def __init__(self, *expressions: Any, operator: str) -> None:
        super().__init__(*expressions)
        self.operator = operator

    def as_sql(
        self, compiler: Any, connection: Any, *args: Any, **extra: Any
    ) -> tuple[str, tuple[Any, ...]]:
        *columns, (other, other_params) = [
            compiler.compile(expression) for expression in self.get_source_expressions()
        ]
        row = ", ".join(sql for sql, _ in columns)
        params = [param for _, column_params in columns for param in column_params]
        return f"({row}) {self.operator} {other}", (*params, *other_params)


def matching_count_exceeds(
    user: Any, query: EventQuery, maximum: int, *, also: Sequence[Q] = ()
) -> bool:
    """Whether more than `maximum` events match (counts at most maximum + 1 rows)."""
    events = events_visible_to(user).filter(*query.conditions, *also).order_by()
    return events[: maximum + 1].count() > maximum


def event_with_declarations(user: Any, event_id: str) -> list[Event]:
    """The event with this eventID and the error declarations later stored beside it."""
    events = events_visible_to(user).filter(event_id_is([event_id]))
    return list(events.order_by(F("declaration_time").asc(nulls_first=True), "pk"))


@dataclass(frozen=True)
class ValuePage:
    values: list[str]
    # Where the next page starts when this one ended early, at the end of the bounded
    # stretch of identifiers it examined (a partner's EPC listing), else None.
    resume_after: str | None = None


def resource_values(user: Any, resource: Resource, *, after: str | None, limit: int) -> ValuePage:
    """One page of the distinct values a resource takes in the caller's events, in code-point
    order, after the value `after` (keyset: every read below is an index range)."""
    if resource.column is None:
        return _epc_values(user, after=after, limit=limit)
    values = ListedValue.objects.filter(resource=resource.name)
    if not user.is_staff:
        values = values.filter(owner=user)
    if after is not None:
        values = values.filter(value__gt=after)
    # Staff: the distinct values over every owner's rows, read in (resource, value) order.
    listed = values.order_by("value").values_list("value", flat=True).distinct()
    return ValuePage(list(listed[:limit]))


# A partner's EPC listing examines at most this many identifier rows per request.
EPC_SCAN_BUDGET = 10_000


def _epc_values(user: Any, *, after: str | None, limit: int) -> ValuePage:
    """EPCs, read in the (canonical, ...) primary key. Identifiers are too many to list per
    owner at ingest, so a partner's are found by checking who may read each row: a stretch of
    other partners' EPCs would make that unbounded, so one request examines at most
    EPC_SCAN_BUDGET rows, and a page cut short says where the next one resumes."""
    rows = EventIdentifier.objects.filter(role__in=INSTANCE_ROLES)
    if after is not None:
        rows = rows.filter(canonical__gt=after)
    if user.is_staff:
        return ValuePage(_distinct_canonicals(rows, limit))
    boundary = _canonical_at(rows, EPC_SCAN_BUDGET)
    if boundary is not None:
        # Whole values only: every row of the boundary EPC is examined.
        rows = rows.filter(canonical__lte=boundary)
    owned = EventCapture.objects.filter(event=OuterRef("event_id"), owner=user)
    values = _distinct_canonicals(rows.filter(Exists(owned)), limit)
    return ValuePage(values, boundary if len(values) < limit else None)


def _distinct_canonicals(rows: QuerySet[EventIdentifier], limit: int) -> list[str]:
    canonicals = rows.order_by("canonical").values_list("canonical", flat=True).distinct()
    return list(canonicals[:limit])


def _canonical_at(rows: QuerySet[EventIdentifier], position: int) -> str | None:
    """The canonical of the position-th row in order, or None when there are fewer rows."""
    found = rows.order_by("canonical").values_list("canonical", flat=True)[position - 1 : position]
    return next(iter(found), None)


def named_queries_of(user: Any, *, after: str | None, limit: int) -> list[NamedQuery]:
    queries = NamedQuery.objects.filter(owner=user)
    if after is not None:
        queries = queries.filter(name__gt=after)
    return list(queries.order_by("name")[:limit])


def named_query(user: Any, name: str) -> NamedQuery | None:
    return NamedQuery.objects.filter(owner=user, name=name).first()
