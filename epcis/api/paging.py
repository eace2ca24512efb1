"""Paging of the listings (/capture, /eventTypes, /epcs ..., /queries): one reading of
`perPage` and `nextPageToken`, and one form of the `Link: <...>; rel="next"` header."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from rest_framework.request import Request

from epcis.query.pagination import listing_position, value_token


def listing_request(request: Request) -> tuple[int, Any, str]:
    """perPage, the position the page starts after, and what its tokens are bound to (the
    caller and the path: a token cannot be replayed by someone else or on another list)."""
    bound = f"{request.user.pk}|{request.path}"
    size, after = listing_position(request.query_params, bound)
    return size, after, bound


def next_link(request: Request, last: Any, size: int, bound: str) -> str:
    query_string = urlencode({"perPage": size, "nextPageToken": value_token(last, bound)})
    return f'<{request.build_absolute_uri(request.path)}?{query_string}>; rel="next"'
