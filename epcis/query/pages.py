"""One page of a query's events: parameters, bounds, keyset position and selection.

The HTTP views (`epcis.api.query`) read the request's headers, call `event_page`, and
render what it returns; everything about which events a page holds is decided here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Q

from epcis.models import Event
from epcis.problems import EPCISError
from epcis.query.filters import QueryContext
from epcis.query.pagination import PagePosition, page_position, page_token, per_page
from epcis.query.params import EventQuery, parse_query
from epcis.query.selectors import events_matching, matching_count_exceeds


class QueryTooLarge(EPCISError):
    status = 413
    exception = "QueryTooLargeException"


class QueryTooComplex(EPCISError):
    status = 413
    exception = "QueryTooComplexException"


@dataclass(frozen=True)
class EventPage:
    events: list[Event]
    next_page_token: str | None  # None on the last page


def event_page(
    user: Any,
    params: dict[str, list[str]],
    *,
    path: str,
    prefixes: dict[str, str],
    also: Sequence[Q] = (),
) -> EventPage:
    """The page of events that `params` (query-string form) ask for, ANDed with `also`
    (a resource's value). Raises QueryParameterError, QueryTooLarge or QueryTooComplex."""
    query = parse_query(params, QueryContext(user=user, prefixes=prefixes))
    bound_to = _bound_to(user, path, query)
    after = page_position(query.next_page_token, bound_to)
    size = _page_size(query, after)
    _refuse_too_large(user, query, also)
    _refuse_too_complex(user, query, also)
    events = events_matching(user, query, also=also, after=after, limit=size + 1)
    page, more = events[:size], len(events) > size
    served = (after.served if after else 0) + len(page)
    if query.event_count_limit is not None and served >= query.event_count_limit:
        more = False
    token = page_token(PagePosition(page[-1].pk, served), bound_to) if more and page else None
    return EventPage(page, token)


def _bound_to(user: Any, path: str, query: EventQuery) -> str:
    """A page token works only for the same user, resource and parameters."""
    text = f"{user.pk}|{path}|{query.fingerprint}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _page_size(query: EventQuery, after: PagePosition | None) -> int:
    size = per_page(query.per_page)
    if query.event_count_limit is None:
        return size
    served = after.served if after else 0
    return max(0, min(size, query.event_count_limit - served))


def _refuse_too_large(user: Any, query: EventQuery, also: Sequence[Q]) -> None:
    maximum = query.max_event_count
    if maximum is not None and matching_count_exceeds(user, query, maximum, also=also):
        raise QueryTooLarge(f"More than maxEventCount={maximum} events match: narrow the query.")


def _refuse_too_complex(user: Any, query: EventQuery, also: Sequence[Q]) -> None:
    """orderBy on an extension field has no index to walk: each page computes the key of
    every matching event, so the matching set is bounded (GS1's QueryTooComplexException)."""
    limit = settings.EPCIS_FIELD_ORDER_MAX_EVENTS
    if query.order_field is not None and matching_count_exceeds(user, query, limit, also=also):
        raise QueryTooComplex(
            f"orderBy on an extension field sorts every matching event, and more than {limit}"
            " match: narrow the query (an eventTime window, bizStep, bizLocation ...), or"
            " order by eventTime or recordTime."
        )
