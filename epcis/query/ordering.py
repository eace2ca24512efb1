"""Sort keys of `orderBy`: an event column, or a top-level extension field.

An extension field may hold a number, a time or a string, and may be missing or repeated.
Its key is a tuple that sorts, in either direction: events that carry the field first
(the standard lets events without it sit anywhere), then by number, then by time, then
by string in code-point order; a repeated field sorts by its extreme value in the
direction asked (the least ascending, the greatest descending). Every member is non-null,
so a page can start after the last event served by one row comparison.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.db.models import (
    Case,
    DateTimeField,
    Exists,
    FloatField,
    IntegerField,
    OuterRef,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from epcis.models import ExtensionField
from epcis.query.params import EventQuery

# Stand-ins for a kind of value the field does not hold: past every real value in the
# direction of the sort, so that kind sorts after the kinds the field does hold.
EARLIEST, LATEST = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)


def field_sort_keys(query: EventQuery) -> dict[str, Any]:
    """The annotations to order by, in order, when orderBy names an extension field (none for
    a column, which is its own key); the event id is always the last tie-break."""
    if query.order_field is None:
        return {}
    rows = ExtensionField.objects.filter(query.order_field, event_id=OuterRef("pk"))
    descending = query.descending
    first, last = (1, 0) if descending else (0, 1)
    return {
        "sort_has_field": Case(
            When(Exists(rows), then=Value(first)), default=Value(last), output_field=IntegerField()
        ),
        "sort_number": Coalesce(
            _extreme(rows, "number", descending),
            Value(float("-inf") if descending else float("inf")),
            output_field=FloatField(),
        ),
        "sort_time": Coalesce(
            _extreme(rows, "time", descending),
            Value(EARLIEST if descending else LATEST),
            output_field=DateTimeField(),
        ),
        "sort_text": Coalesce(
            _extreme(rows, "text", descending), Value(""), output_field=TextField()
        ),
    }


def _extreme(rows: Any, column: str, descending: bool) -> Subquery:
    present = rows.filter(**{f"{column}__isnull": False})
    ordered = present.order_by(f"-{column}" if descending else column)
    return Subquery(ordered.values(column)[:1])
