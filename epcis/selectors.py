"""Reads of stored events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import BooleanField, Exists, F, Func, OuterRef, Q, QuerySet, Subquery

from epcis.models import Event, EventCapture, EventIdentifier, NamedQuery
from epcis.query.pagination import PagePosition
from epcis.query.params import EventQuery
from epcis.query.resources import INSTANCE_ROLES, Resource


def stored_event(event: Event) -> tuple[dict[str, Any], dict[str, str]]:
    """The event as captured, plus the `eventID` and `recordTime` the repository gives it."""
    doc = dict(event.doc)
    doc.setdefault("eventID", event.event_id)
    doc["recordTime"] = format_time(event.record_time)
    return doc, event.namespaces


def stored_events(events: Iterable[Event]) -> list[tuple[dict[str, Any], dict[str, str]]]:
    return [stored_event(event) for event in events]


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with milliseconds, the form GS1's examples use."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    events = events_visible_to(user).filter(*query.conditions, *also)
    key = query.order_key
    if after is not None:
        events = events.filter(_after_position(key, after.pk, query.descending))
    order = (f"-{key}", "-pk") if query.descending else (key, "pk")
    return events.order_by(*order)[:limit]


def _after_position(key: str, pk: int, descending: bool) -> RowComparison:
    """Rows after the row `pk` in (key, pk) order, as one row comparison that the (key, id)
    btree serves as a range: each page starts where the last ended, however deep (an OR of
    "key beyond, or key equal and pk beyond" made the index walk every row served before).
    The key is compared with the stored key of that row (a primary-key subquery, evaluated
    once), not a value from the token, so ties compare exactly however times are stored."""
    stored = Subquery(Event.objects.filter(pk=pk).values(key, "pk"))
    return RowComparison(F(key), F("pk"), stored, operator="<" if descending else ">")


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
    events = events_visible_to(user).filter(event_id=event_id)
    return list(events.order_by(F("declaration_time").asc(nulls_first=True), "pk"))


def resource_values(user: Any, resource: Resource, *, after: str | None, limit: int) -> list[str]:
    """One page of the distinct values a resource takes in the caller's events, in code-point
    order (keyset on the value: each value column leads an index)."""
    values: QuerySet[Any, str]
    if resource.column is None:
        rows = EventIdentifier.objects.filter(role__in=INSTANCE_ROLES)
        if not user.is_staff:
            owned = EventCapture.objects.filter(event=OuterRef("event_id"), owner=user)
            rows = rows.filter(Exists(owned))
        values, column = rows.values_list("canonical", flat=True), "canonical"
    else:
        column = resource.column
        values = events_visible_to(user).exclude(**{column: ""}).values_list(column, flat=True)
    if after is not None:
        values = values.filter(**{f"{column}__gt": after})
    return list(values.order_by(column).distinct()[:limit])


def named_queries_of(user: Any, *, after: str | None, limit: int) -> list[NamedQuery]:
    queries = NamedQuery.objects.filter(owner=user)
    if after is not None:
        queries = queries.filter(name__gt=after)
    return list(queries.order_by("name")[:limit])


def named_query(user: Any, name: str) -> NamedQuery | None:
    return NamedQuery.objects.filter(owner=user, name=name).first()
