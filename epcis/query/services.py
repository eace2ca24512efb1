"""Named queries: saved SimpleEventQuery objects (`POST /queries`)."""

from __future__ import annotations

from typing import Any

import orjson
from django.db import IntegrityError, transaction

from epcis.models import NamedQuery
from epcis.query.filters import QueryContext
from epcis.query.params import QueryParameterError, parse_query

NOT_STORABLE = frozenset({"perPage", "nextPageToken"})


class NamedQueryExists(Exception):
    pass


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
    """Validate the query as GET /events would, then save it under the owner's `name`."""
    if "\\u0000" in orjson.dumps(query).decode():
        raise QueryParameterError("The query holds a NUL character.")
    stored = [key for key in query if key in NOT_STORABLE]
    if stored:
        raise QueryParameterError(f"{stored[0]} is a paging parameter, not part of a query.")
    context = QueryContext(user=owner, prefixes=query_prefixes(query))
    parse_query(query_parameters(query), context)
    try:
        with transaction.atomic():
            return NamedQuery.objects.create(owner=owner, name=name, query=query)
    except IntegrityError:
        raise NamedQueryExists(f"There is already a query named {name!r}.") from None


def delete_named_query(named: NamedQuery) -> None:
    named.delete()
