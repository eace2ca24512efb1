"""Named queries: saved SimpleEventQuery objects (`POST /queries`)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from epcis.models import NamedQuery
from epcis.problems import EPCISError
from epcis.query.filters import QueryContext
from epcis.query.params import QueryParameterError, parse_query

NOT_STORABLE = frozenset({"perPage", "nextPageToken"})
MAX_QUERY_DEPTH = 8


class NamedQueryExists(EPCISError):
    status = 409
    exception = "ResourceAlreadyExistsException"


class InvalidNamedQuery(EPCISError):
    exception = "QueryValidationException"


def query_parameters(query: dict[str, Any]) -> dict[str, list[str]]:
    """The query language's JSON object as query-string parameters: lists become
    `|`-separated values, `@context` is left out (it only declares prefixes)."""
    return {name: [_parameter_text(value)] for name, value in query.items() if name != "@context"}


def _parameter_text(value: Any) -> str:
    if isinstance(value, list):
        return "|".join(_parameter_text(item) for item in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def query_prefixes(query: dict[str, Any]) -> dict[str, str]:
    """CURIE prefixes a saved query declares in its `@context` (objects within it)."""
    context = query.get("@context", [])
    entries = context if isinstance(context, list) else [context]
    return {
        prefix: namespace
        for entry in entries
        if isinstance(entry, dict)
        for prefix, namespace in entry.items()
        if isinstance(namespace, str)
    }


def create_named_query(*, owner: Any, name: str, query: dict[str, Any]) -> NamedQuery:
    """Validate the query as GET /events would, then save it under the owner's `name`.
    Raises InvalidNamedQuery or NamedQueryExists."""
    try:
        _check_storable(owner, query)
    except QueryParameterError as exc:
        raise InvalidNamedQuery(str(exc)) from None
    try:
        with transaction.atomic():
            return NamedQuery.objects.create(owner=owner, name=name, query=query)
    except IntegrityError:
        raise NamedQueryExists(f"There is already a query named {name!r}.") from None


def _check_storable(owner: Any, query: dict[str, Any]) -> None:
    _refuse_unstorable(query)
    stored = [key for key in query if key in NOT_STORABLE]
    if stored:
        raise QueryParameterError(f"{stored[0]} is a paging parameter, not part of a query.")
    context = QueryContext(user=owner, prefixes=query_prefixes(query))
    parse_query(query_parameters(query), context)


def _refuse_unstorable(query: dict[str, Any]) -> None:
    """A query object nests a few levels at most (lists, an @context). Walked without
    recursion, so a hostile nesting cannot exhaust the stack; PostgreSQL refuses NUL in
    jsonb. (Not serialised to look: orjson refuses integers beyond 64 bits.)"""
    pending: list[tuple[Any, int]] = [(query, 0)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_QUERY_DEPTH:
            raise QueryParameterError(f"The query nests more than {MAX_QUERY_DEPTH} levels.")
        if isinstance(value, str) and "\x00" in value:
            raise QueryParameterError("The query holds a NUL character.")
        if isinstance(value, dict):
            pending.extend((item, depth + 1) for pair in value.items() for item in pair)
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)


def delete_named_query(named: NamedQuery) -> None:
    named.delete()
