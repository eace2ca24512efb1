"""The GS1 query interface: GET /events, GET /events/{eventID}, the top-level resources
(/eventTypes, /epcs, ... and their /{value}/events) and named queries (/queries), with OPTIONS.

Views stay thin: read the request's headers, ask `epcis.query.pages` for a page (or a
selector for a listing), render an EPCISQueryDocument as JSON-LD or XML. Domain errors
(QueryParameterError, QueryTooLarge ...) are answered by the API's exception handler.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, cast
from urllib.parse import quote, urlencode

from django.db.models import Q
from django.http import HttpResponse
from django.urls import URLPattern, path, register_converter
from drf_spectacular.utils import extend_schema_view
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from epcis.api.capture import EventCaptureApi, XMLRenderer
from epcis.api.paging import listing_request, next_link
from epcis.api.problems import EPCISProblem
from epcis.gs1 import (
    CBV_XML_FORMATS,
    DEFAULT_EPC_FORMAT,
    EPC_FORMATS,
    EPCIS_CONTEXT,
    SUPPORTED_VERSION_HEADERS,
    VERSION_HEADERS,
)
from epcis.models import Event, NamedQuery
from epcis.query import openapi as doc
from epcis.query.named import (
    create_named_query,
    delete_named_query,
    query_parameters,
    query_prefixes,
)
from epcis.query.pages import event_page
from epcis.query.pagination import LISTING_PARAMETERS, refuse_unknown, token_expiry
from epcis.query.params import QueryParameterError
from epcis.query.resources import RESOURCES, Resource
from epcis.query.selectors import (
    event_with_declarations,
    named_queries_of,
    named_query,
    resource_values,
    stored_events,
)
from epcis.rendering.jsonld import identifier_translator, render_query_document
from epcis.rendering.times import rfc3339
from epcis.rendering.xml import render_xml_document

CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
# Longer query strings are refused before any parsing (GS1: 414 URITooLongException).
MAX_URI_LENGTH = 8192
DISCOVERY_HEADERS = {
    **VERSION_HEADERS,
    **SUPPORTED_VERSION_HEADERS,
    "GS1-EPC-Format": ", ".join(EPC_FORMATS),
    "GS1-CBV-XML-Format": ", ".join(CBV_XML_FORMATS),
}


class LDJSONRenderer(JSONRenderer):
    media_type = "application/ld+json"


class TextXMLRenderer(XMLRenderer):
    media_type = "text/xml"


QUERY_RENDERERS = [JSONRenderer, LDJSONRenderer, XMLRenderer, TextXMLRenderer]
# Listings and named-query definitions are JSON only in GS1's OpenAPI (and have no XML form).
LISTING_RENDERERS: list[type[BaseRenderer]] = [JSONRenderer, LDJSONRenderer]


class BoundedJSONParser(JSONParser):
    """JSON whose nesting exhausts the stack is a 400, not a RecursionError (a 500)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("The JSON body nests too deeply.") from None


def plain_path_value(value: str) -> str:
    """A value from the URL path; PostgreSQL refuses NUL in text, and no id holds controls."""
    if CONTROL_CHARACTER.search(value):
        raise QueryParameterError("The path holds a control character.")
    return value


# -- the response of every .../events endpoint --------------------------------------------


def query_response(
    request: Request,
    *,
    params: dict[str, list[str]] | None = None,
    prefixes: dict[str, str] | None = None,
    also: tuple[Q, ...] = (),
    query_name: str = "SimpleEventQuery",
) -> Response:
    """One page of a query's events as a query document. The parameters are the query
    string's unless given (a named query's), ANDed with `also` (a resource's value)."""
    _refuse_long_uri(request)
    formats = _output_formats(request)
    page = event_page(
        request.user,
        dict(request.query_params.lists()) if params is None else params,
        path=request.path,
        prefixes={**(prefixes or {}), **_declared_prefixes(request)},
        also=also,
    )
    headers = dict(VERSION_HEADERS)
    if page.next_page_token is not None:
        headers["Link"] = _next_link(request, page.next_page_token)
        headers["GS1-Next-Page-Token-Expires"] = token_expiry()
    return Response(_document(request, page.events, query_name, formats), headers=headers)


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
        raise QueryParameterError(f"GS1-EPC-Format {epc_format!r}: use {', '.join(EPC_FORMATS)}.")
    if cbv_format not in CBV_XML_FORMATS:
        raise QueryParameterError(
            f"GS1-CBV-XML-Format {cbv_format!r}: use {', '.join(CBV_XML_FORMATS)}."
        )
    return epc_format, cbv_format


def _declared_prefixes(request: Request) -> dict[str, str]:
    """Extension prefixes declared in `GS1-Extensions: acme=https://acme.example/epcis/, ...`
    (beside those of a named query's @context)."""
    prefixes = {}
    for declaration in request.headers.get("GS1-Extensions", "").split(","):
        prefix, sep, namespace = declaration.partition("=")
        if sep and prefix.strip() and namespace.strip():
            prefixes[prefix.strip()] = namespace.strip()
    return prefixes


def _next_link(request: Request, token: str) -> str:
    params = [(k, v) for k, v in request.query_params.lists() if k != "nextPageToken"]
    pairs = [(k, value) for k, values in params for value in values]
    query_string = urlencode([*pairs, ("nextPageToken", token)])
    return f'<{request.build_absolute_uri(request.path)}?{query_string}>; rel="next"'


def _document(
    request: Request, events: list[Event], query_name: str, formats: tuple[str, str]
) -> Any:
    epc_format, cbv_format = formats
    created = rfc3339(datetime.now(UTC))
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


@extend_schema_view(
    get=doc.describe_events_query("events", "Events matching the query-string parameters."),
    post=doc.describe_single_event_capture,
)
class EventsApi(EventCaptureApi):
    """/events: GET runs a query; POST (single-event capture) and OPTIONS come from capture."""

    renderer_classes = QUERY_RENDERERS

    def get(self, request: Request) -> Response:
        return query_response(request)

    def options(  # type: ignore[override]  # Django's View types the request as HttpRequest
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        response = super().options(request, *args, **kwargs)
        for name, value in DISCOVERY_HEADERS.items():
            response[name] = value
        return response


class DiscoveryView(APIView):
    """A query resource: JSON-LD/XML renderers, and OPTIONS answering GS1's discovery headers."""

    renderer_classes = QUERY_RENDERERS

    def options(  # type: ignore[override]  # Django's View types the request as HttpRequest
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        return HttpResponse(status=204, headers=DISCOVERY_HEADERS)


class EventApi(DiscoveryView):
    """GET /events/{eventID}: the event and its error declarations, as one query page."""

    @doc.describe_event
    def get(self, request: Request, event_id: str) -> Response:
        _refuse_long_uri(request)
        _refuse_query_parameters(request, event_id)
        formats = _output_formats(request)
        events = event_with_declarations(request.user, plain_path_value(event_id))
        if not events:
            raise EPCISProblem(404, "NoSuchResourceException", f"There is no event {event_id}.")
        document = _document(request, events, "SimpleEventQuery", formats)
        return Response(document, headers=dict(VERSION_HEADERS))


def _refuse_query_parameters(request: Request, event_id: str) -> None:
    if not request.query_params:
        return
    query = request.META.get("QUERY_STRING", "")
    if event_id.startswith("ni:") and "ver" in request.query_params:
        # A CBV 2.0 hash ID (ni:///sha-256;...?ver=CBV2.0) sent as it is: its `?` began
        # the query string.
        whole = f"{event_id}?{query}"
        raise QueryParameterError(
            f"The eventID {whole} was sent unencoded, so its '?{query}' became a query "
            "string. Percent-encode the eventID in the path: "
            f"/events/{quote(whole, safe='')}"
        )
    raise QueryParameterError(
        f"{', '.join(sorted(request.query_params))}: /events/{{eventID}} takes no query "
        "parameters (an eventID holding '?' or '#' must be percent-encoded in the path)."
    )


# -- top-level resources ------------------------------------------------------------------


def collection(members: list[str]) -> dict[str, Any]:
    return {"@context": EPCIS_CONTEXT, "type": "Collection", "member": members}


def _resource(name: str) -> Resource:
    return RESOURCES[name]


def _resource_value(resource: Resource, value: str) -> str:
    try:
        return resource.parse(plain_path_value(value))
    except ValueError as exc:
        raise QueryParameterError(
            f"{value!r} is not a valid {resource.name} value: {exc}"
        ) from None


class ResourceListApi(DiscoveryView):
    """GET /eventTypes, /epcs, /bizSteps, ...: the values found in the caller's events."""

    renderer_classes = LISTING_RENDERERS
    resource_name = ""

    def get(self, request: Request) -> Response:
        resource = _resource(self.resource_name)
        translate = identifier_translator(_output_formats(request)[0])
        size, after, bound = listing_request(request)
        found = resource_values(request.user, resource, after=after, limit=size + 1)
        page = found.values[:size]
        members = [translate(value) for value in page] if resource.identifier else page
        headers = dict(VERSION_HEADERS)
        # A page cut short by the scan budget still links on, from where the scan stopped.
        resume = page[-1] if len(found.values) > size else found.resume_after
        if resume is not None:
            headers["Link"] = next_link(request, resume, size, bound)
        return Response(collection(members), headers=headers)


SUB_RESOURCES = ["events"]


class ResourceApi(DiscoveryView):
    """GET /bizSteps/{bizStep} etc.: the sub-resources of one value (just `events`)."""

    renderer_classes = LISTING_RENDERERS
    resource_name = ""

    def get(self, request: Request, value: str) -> Response:
        _resource_value(_resource(self.resource_name), value)
        return Response(collection(SUB_RESOURCES), headers=dict(VERSION_HEADERS))


class ResourceEventsApi(DiscoveryView):
    """GET /bizSteps/{bizStep}/events etc.: the events with that value, plus any filters."""

    resource_name = ""

    def get(self, request: Request, value: str) -> Response:
        resource = _resource(self.resource_name)
        condition = resource.condition(_resource_value(resource, value))
        return query_response(request, also=(condition,))


class ResourcePathApi(APIView):
    """Any other path under /bizSteps/, /epcs/ ...: neither one value nor a value's
    sub-resource. An unknown sub-resource of a value is a 404; a path holding no value is a
    400 saying why the value is malformed. Every method answers so (OPTIONS too)."""

    resource_name = ""

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)  # a 404, not a 406

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # authenticated first, as everywhere
        raise _path_problem(_resource(self.resource_name), plain_path_value(kwargs["rest"]))


SUB_RESOURCE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def _path_problem(resource: Resource, rest: str) -> Exception:
    if rest.endswith("/") and resource.path_problem(rest.rstrip("/")) is None:
        return EPCISProblem(
            404,
            "NoSuchResourceException",
            f"No resource at /{resource.name}/{rest}: drop the trailing '/'.",
        )
    segments = rest.split("/")
    # The value is the longest head that is one, followed by a segment or two that read as
    # names (not the rest of a malformed Digital Link: /01/04012345111113/21/7).
    for cut in range(len(segments) - 1, max(0, len(segments) - 3), -1):
        value, tail = "/".join(segments[:cut]), "/".join(segments[cut:])
        if not all(SUB_RESOURCE_NAME.fullmatch(name) for name in segments[cut:]):
            break
        if value and resource.path_problem(value) is None:
            return EPCISProblem(
                404,
                "NoSuchResourceException",
                f"/{resource.name}/{value} has no sub-resource {tail!r}: its sub-resources "
                f"are {', '.join(SUB_RESOURCES)}.",
            )
    meant = rest.removesuffix("/events") or rest
    return QueryParameterError(
        f"{meant!r} is not a valid {resource.name} value: {resource.path_problem(meant)}."
    )


# -- named queries ------------------------------------------------------------------------


def _named_or_404(request: Request, name: str) -> NamedQuery:
    named = named_query(request.user, plain_path_value(name))
    if named is None:
        raise EPCISProblem(404, "NoSuchNameException", f"There is no query named {name!r}.")
    return named


MAX_QUERY_NAME = NamedQuery._meta.get_field("name").max_length or 200


def _valid_query_name(name: str) -> bool:
    # Too long a name is a 400 here: PostgreSQL would refuse the row (a 500).
    return (
        0 < len(name) <= MAX_QUERY_NAME and "/" not in name and not CONTROL_CHARACTER.search(name)
    )


def _named_document(named: NamedQuery) -> dict[str, Any]:
    return {"name": named.name, "query": named.query}


class NamedQueriesApi(DiscoveryView):
    """POST /queries (save a query), GET /queries (the caller's queries, by name)."""

    renderer_classes = LISTING_RENDERERS
    parser_classes = [BoundedJSONParser]

    @doc.describe_create_named_query
    def post(self, request: Request) -> Response:
        body = request.data
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise EPCISProblem(400, "QueryValidationException", 'Send {"name": ..., "query": {}}.')
        name, query = body["name"].strip(), body.get("query", {})
        if not _valid_query_name(name) or not isinstance(query, dict):
            raise EPCISProblem(
                400,
                "QueryValidationException",
                f"name must be a non-empty string of at most {MAX_QUERY_NAME} characters "
                "without '/', and query an object of query parameters.",
            )
        named = create_named_query(owner=request.user, name=name, query=query)
        headers = {"Location": f"/queries/{quote(named.name, safe='')}", **VERSION_HEADERS}
        return Response(_named_document(named), status=201, headers=headers)

    @doc.describe_named_queries
    def get(self, request: Request) -> Response:
        size, after, bound = listing_request(request)
        queries = named_queries_of(request.user, after=after, limit=size + 1)
        headers = dict(VERSION_HEADERS)
        if len(queries) > size:
            headers["Link"] = next_link(request, queries[size - 1].name, size, bound)
        return Response([_named_document(q) for q in queries[:size]], headers=headers)


class NamedQueryApi(DiscoveryView):
    """GET /queries/{name} (its definition), DELETE /queries/{name}."""

    renderer_classes = LISTING_RENDERERS

    @doc.describe_named_query
    def get(self, request: Request, name: str) -> Response:
        named = _named_or_404(request, name)
        return Response(_named_document(named), headers=dict(VERSION_HEADERS))

    @doc.describe_delete_named_query
    def delete(self, request: Request, name: str) -> HttpResponse:
        delete_named_query(_named_or_404(request, name))
        return HttpResponse(status=204)


class NamedQueryEventsApi(DiscoveryView):
    """GET /queries/{name}/events: the saved query's results, paged like GET /events."""

    @doc.describe_named_query_events
    def get(self, request: Request, name: str) -> Response:
        named = _named_or_404(request, name)
        refuse_unknown(request.query_params, LISTING_PARAMETERS)
        params = {**query_parameters(named.query), **dict(request.query_params.lists())}
        return query_response(
            request, params=params, prefixes=query_prefixes(named.query), query_name=named.name
        )


# -- paging ------------------------------------------------------------------------------


class NextPageTokenApi(APIView):
    """DELETE /nextPageToken/{token}: optional in the standard. Our tokens are stateless (a
    signed position, see epcis.query.pagination): nothing is held to release, so 501."""

    @doc.describe_release_token
    def delete(self, request: Request, token: str) -> HttpResponse:
        raise EPCISProblem(
            501,
            "ImplementationException",
            "Page tokens are stateless here: nothing is held for them, and they expire "
            "on their own (see GS1-Next-Page-Token-Expires).",
        )

    def options(  # type: ignore[override]  # Django's View types the request as HttpRequest
        self, request: Request, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        return HttpResponse(status=204, headers=VERSION_HEADERS)


# -- routes -------------------------------------------------------------------------------


def _resource_view(base: type[APIView], name: str, description: Any) -> type[APIView]:
    """`base` for one resource, in a class of its own so its description is its own."""
    view = type(f"{name}{base.__name__}", (base,), {"resource_name": name})
    return cast(type[APIView], extend_schema_view(get=description)(view))


class ResourceValueConverter:
    """`<epcs:value>` etc.: one value of the resource, which may hold '/' (a Digital Link)
    but is never a value followed by a sub-resource (see Resource.path_problem). A path that
    is not one value makes the route not match (Django tries the next one)."""

    regex = ".+"
    resource: Resource

    def to_python(self, value: str) -> str:
        if self.resource.path_problem(value) is not None:
            raise ValueError(value)
        return value

    def to_url(self, value: str) -> str:
        return value


for _name, _resource_definition in RESOURCES.items():
    register_converter(
        type(f"{_name}Converter", (ResourceValueConverter,), {"resource": _resource_definition}),
        _name,
    )


def _resource_routes(name: str) -> list[URLPattern]:
    """/{name}, /{name}/{value}/events, /{name}/{value}, and the catch-all for the rest.

    To give a value another sub-resource (the lineage's /epcs/{epc}/state, /hierarchy and
    /timeline), put its route before these: before `query_urlpatterns` in epcis/api/urls.py,
    or in a urlconf that config/urls.py includes first (as trace.api.urls is). Django takes
    the first route that matches, and this family's catch-all answers 404 for any
    sub-resource it does not know.
    """
    listing = doc.describe_listing(
        name, f"The {name} found in the caller's events.", identifiers=RESOURCES[name].identifier
    )
    events = doc.describe_events_query(
        f"{name}Events", f"Events of one of {name}, plus any filters.", resource=name
    )
    sub_resources = doc.describe_sub_resources(f"{name}Value", name)
    return [
        path(name, _resource_view(ResourceListApi, name, listing).as_view(), name=f"{name}"),
        path(
            f"{name}/<{name}:value>/events",
            _resource_view(ResourceEventsApi, name, events).as_view(),
        ),
        path(f"{name}/<{name}:value>", _resource_view(ResourceApi, name, sub_resources).as_view()),
        path(f"{name}/<path:rest>", ResourcePathApi.as_view(resource_name=name)),
    ]


query_urlpatterns: list[URLPattern] = [
    *(route for name in RESOURCES for route in _resource_routes(name)),
    path("queries", NamedQueriesApi.as_view(), name="queries"),
    path("queries/<str:name>/events", NamedQueryEventsApi.as_view(), name="query-events"),
    path("queries/<str:name>", NamedQueryApi.as_view(), name="query"),
    path("nextPageToken/<path:token>", NextPageTokenApi.as_view(), name="next-page-token"),
]
