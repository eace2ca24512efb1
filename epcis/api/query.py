"""The GS1 query interface: GET /events, GET /events/{eventID}, OPTIONS.

Views stay thin: parse the parameters (epcis.query.params), read a page
(epcis.selectors), render an EPCISQueryDocument as JSON-LD or XML.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from epcis.api.capture import EventCaptureApi, XMLRenderer
from epcis.api.problems import EPCISProblem
from epcis.models import Event
from epcis.query.filters import QueryContext
from epcis.query.pagination import (
    PagePosition,
    page_position,
    page_token,
    per_page,
    token_expiry,
)
from epcis.query.params import EventQuery, QueryParameterError, parse_query
from epcis.rendering.jsonld import DEFAULT_EPC_FORMAT, EPC_FORMATS, render_query_document
from epcis.rendering.xml import render_xml_document
from epcis.selectors import (
    event_with_declarations,
    events_matching,
    format_time,
    matching_count_exceeds,
    stored_events,
)

# Longer query strings are refused before any parsing (GS1: 414 URITooLongException).
MAX_URI_LENGTH = 8192
CBV_XML_FORMATS = ("No_Preference", "Always_Web_URI", "Always_URN", "Never_Translates")
QUERY_HEADERS = {
    "GS1-EPCIS-Version": "2.0.0",
    "GS1-CBV-Version": "2.0.0",
}
DISCOVERY_HEADERS = {
    **QUERY_HEADERS,
    "GS1-EPCIS-Min": "1.2.0",
    "GS1-EPCIS-Max": "2.0.0",
    "GS1-CBV-Min": "1.2.0",
    "GS1-CBV-Max": "2.0.0",
    "GS1-EPC-Format": ", ".join(EPC_FORMATS),
    "GS1-CBV-XML-Format": ", ".join(CBV_XML_FORMATS),
}


class LDJSONRenderer(JSONRenderer):
    media_type = "application/ld+json"


class TextXMLRenderer(XMLRenderer):
    media_type = "text/xml"


QUERY_RENDERERS = [JSONRenderer, LDJSONRenderer, XMLRenderer, TextXMLRenderer]


def parameter_problem(detail: str) -> EPCISProblem:
    return EPCISProblem(400, "QueryParameterException", detail)


# -- the response of every .../events endpoint --------------------------------------------


def query_response(
    request: Request, *, also: tuple[Q, ...] = (), query_name: str = "SimpleEventQuery"
) -> Response:
    """One page of a query's events (the query string, ANDed with `also`) as a query doc."""
    _refuse_long_uri(request)
    formats = _output_formats(request)
    try:
        query = parse_query(dict(request.query_params.lists()), _context(request))
        bound_to = _bound_to(request, query)
        after = page_position(query.next_page_token, bound_to)
        size = _page_size(query, after)
    except QueryParameterError as exc:
        raise parameter_problem(str(exc)) from None
    _refuse_too_large(request, query, also)
    events = events_matching(request.user, query, also=also, after=after, limit=size + 1)
    page, more = events[:size], len(events) > size
    served = (after.served if after else 0) + len(page)
    if query.event_count_limit is not None and served >= query.event_count_limit:
        more = False
    headers = dict(QUERY_HEADERS)
    if more and page:
        headers["Link"] = _next_link(request, page[-1], served, bound_to)
        headers["GS1-Next-Page-Token-Expires"] = token_expiry()
    return Response(_document(request, page, query_name, formats), headers=headers)


def _refuse_long_uri(request: Request) -> None:
    if len(request.get_full_path()) > MAX_URI_LENGTH:
        raise EPCISProblem(
            414,
            "URITooLongException",
            f"The request URI is longer than {MAX_URI_LENGTH} characters: "
            "save the query with POST /queries and read /queries/{name}/events.",
        )


def _output_formats(request: Request) -> tuple[str, str]:
    epc_format = request.headers.get("GS1-EPC-Format", DEFAULT_EPC_FORMAT).strip()
    cbv_format = request.headers.get("GS1-CBV-XML-Format", "No_Preference").strip()
    if epc_format not in EPC_FORMATS:
        raise parameter_problem(f"GS1-EPC-Format {epc_format!r}: use {', '.join(EPC_FORMATS)}.")
    if cbv_format not in CBV_XML_FORMATS:
        raise parameter_problem(
            f"GS1-CBV-XML-Format {cbv_format!r}: use {', '.join(CBV_XML_FORMATS)}."
        )
    return epc_format, cbv_format


def _context(request: Request) -> QueryContext:
    """Extension prefixes declared in `GS1-Extensions: acme=https://acme.example/epcis/, ...`."""
    prefixes = {}
    for declaration in request.headers.get("GS1-Extensions", "").split(","):
        prefix, sep, namespace = declaration.partition("=")
        if sep and prefix.strip() and namespace.strip():
            prefixes[prefix.strip()] = namespace.strip()
    return QueryContext(user=request.user, prefixes=prefixes)


def _bound_to(request: Request, query: EventQuery) -> str:
    """A page token works only for the same user, resource and parameters."""
    text = f"{request.user.pk}|{request.path}|{query.fingerprint}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _page_size(query: EventQuery, after: PagePosition | None) -> int:
    size = per_page(query.per_page)
    if query.event_count_limit is None:
        return size
    served = after.served if after else 0
    return max(0, min(size, query.event_count_limit - served))


def _refuse_too_large(request: Request, query: EventQuery, also: tuple[Q, ...]) -> None:
    maximum = query.max_event_count
    if maximum is not None and matching_count_exceeds(request.user, query, maximum, also=also):
        raise EPCISProblem(
            413,
            "QueryTooLargeException",
            f"More than maxEventCount={maximum} events match: narrow the query.",
        )


def _next_link(request: Request, last: Event, served: int, bound: str) -> str:
    token = page_token(PagePosition(last.pk, served), bound)
    params = [(k, v) for k, v in request.query_params.lists() if k != "nextPageToken"]
    pairs = [(k, value) for k, values in params for value in values]
    query_string = urlencode([*pairs, ("nextPageToken", token)])
    return f'<{request.build_absolute_uri(request.path)}?{query_string}>; rel="next"'


def _document(
    request: Request, events: list[Event], query_name: str, formats: tuple[str, str]
) -> Any:
    epc_format, cbv_format = formats
    created = format_time(datetime.now(UTC))
    if request.accepted_renderer.format == "xml":
        return render_xml_document(
            stored_events(events),
            kind="EPCISQueryDocument",
            query_name=query_name,
            epc_format=epc_format,
            cbv_format=cbv_format,
            creation_date=created,
        )
    return render_query_document(
        stored_events(events), query_name=query_name, epc_format=epc_format, creation_date=created
    )


# -- views ------------------------------------------------------------------------------


class EventsApi(EventCaptureApi):
    """/events: GET runs a query; POST (single-event capture) and OPTIONS come from capture."""

    renderer_classes = QUERY_RENDERERS

    def get(self, request: Request) -> Response:
        return query_response(request)

    def options(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().options(request, *args, **kwargs)
        for name, value in DISCOVERY_HEADERS.items():
            response[name] = value
        return response


class EventApi(APIView):
    """GET /events/{eventID}: the event and its error declarations, as one query page."""

    renderer_classes = QUERY_RENDERERS

    def get(self, request: Request, event_id: str) -> Response:
        _refuse_long_uri(request)
        if request.query_params:
            raise parameter_problem(
                f"{', '.join(sorted(request.query_params))}: /events/{{eventID}} takes no "
                "query parameters."
            )
        formats = _output_formats(request)
        events = event_with_declarations(request.user, event_id)
        if not events:
            raise EPCISProblem(404, "NoSuchResourceException", f"There is no event {event_id}.")
        document = _document(request, events, "SimpleEventQuery", formats)
        return Response(document, headers=dict(QUERY_HEADERS))

    def options(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        return HttpResponse(status=204, headers=DISCOVERY_HEADERS)
