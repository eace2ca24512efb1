"""How drf-spectacular describes the EPCIS HTTP interface at /api/schema/.

The views are plain APIViews without serializers, so every operation is described here:
its parameters (the fixed-name query parameters are read off the query language table, so
the schema cannot drift from what the server accepts), its media types and its RFC 7807
errors. Flexible-name families (`EQ_bizTransaction_{type}`, `GE_{ext:field}`, ...) cannot
be listed as OpenAPI parameters; the operation description names them instead.

Importing this module registers the extensions (Bearer authentication, and the capture
and top-level views, which live outside the query package).
"""

from __future__ import annotations

import re
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiViewExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from epcis.query import params as p

# -- schemas ------------------------------------------------------------------------------

OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}
QUERY_DOCUMENT: dict[str, Any] = {
    "type": "object",
    "description": "An EPCISQueryDocument (JSON-LD); with Accept: application/xml, the XML one.",
    "properties": {
        "@context": {},
        "type": {"type": "string", "enum": ["EPCISQueryDocument"]},
        "schemaVersion": {"type": "string"},
        "creationDate": {"type": "string", "format": "date-time"},
        "epcisBody": OBJECT,
    },
    "required": ["type", "epcisBody"],
}
COLLECTION: dict[str, Any] = {
    "type": "object",
    "properties": {
        "@context": {},
        "type": {"type": "string", "enum": ["Collection"]},
        "member": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["type", "member"],
}
NAMED_QUERY: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "query": {**OBJECT, "description": "Query-language parameters, as a JSON object."},
    },
    "required": ["name", "query"],
}
CAPTURE_JOB: dict[str, Any] = {
    "type": "object",
    "properties": {
        "captureID": {"type": "string"},
        "createdAt": {"type": "string", "format": "date-time"},
        "finishedAt": {"type": "string", "format": "date-time", "nullable": True},
        "running": {"type": "boolean"},
        "success": {"type": "boolean"},
        "captureErrorBehaviour": {"type": "string", "enum": ["rollback", "proceed"]},
        "errors": {"type": "array", "items": OBJECT},
        "eventCount": {"type": "integer"},
        "duplicateCount": {"type": "integer"},
    },
}


class ProblemSerializer(serializers.Serializer):
    """RFC 7807 problem details; `type` is the EPCIS exception (epcisException:...)."""

    type = serializers.CharField(help_text="e.g. epcisException:QueryParameterException")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()


PROBLEM_JSON = "application/problem+json"
PROBLEM_TEXT = {
    400: "The request is not valid (QueryParameterException, ValidationException, ...).",
    401: "No valid `Authorization: Bearer <key>` (SecurityException).",
    403: "Not allowed (SecurityException).",
    404: "No such resource (NoSuchResourceException / NoSuchNameException).",
    406: "None of the accepted media types can be produced (NotAcceptableException).",
    409: "It exists already (ResourceAlreadyExistsException).",
    413: (
        "Too large (QueryTooLargeException, CaptureLimitExceededException), or too many events"
        " to order by an extension field (QueryTooComplexException)."
    ),
    414: "The URI is too long (URITooLongException).",
    415: "The Content-Type is not accepted (UnsupportedMediaTypeException).",
    501: "Not implemented (ImplementationException).",
}


def problems(*statuses: int) -> dict[Any, OpenApiResponse]:
    """problem+json responses for the statuses given, plus the ones every call may answer."""
    every = sorted({401, 403, 406, *statuses})
    return {
        (status, PROBLEM_JSON): OpenApiResponse(ProblemSerializer, description=PROBLEM_TEXT[status])
        for status in every
    }


# -- parameters ---------------------------------------------------------------------------

PAGING = [
    OpenApiParameter(
        "perPage", int, description="Results per page (default 30, at most 1000).", required=False
    ),
    OpenApiParameter(
        "nextPageToken", str, description='The token of a `Link: <...>; rel="next"` header.'
    ),
]
EPC_FORMAT = OpenApiParameter(
    "GS1-EPC-Format",
    str,
    OpenApiParameter.HEADER,
    enum=["Always_GS1_Digital_Link", "Always_EPC_URN", "Never_Translates", "No_Preference"],
    description="How identifiers are written (default Always_GS1_Digital_Link).",
)
CBV_XML_FORMAT = OpenApiParameter(
    "GS1-CBV-XML-Format",
    str,
    OpenApiParameter.HEADER,
    enum=["No_Preference", "Always_Web_URI", "Always_URN", "Never_Translates"],
    description="How CBV values are written in XML output.",
)
EXTENSIONS = OpenApiParameter(
    "GS1-Extensions",
    str,
    OpenApiParameter.HEADER,
    description="Extension prefixes used in parameter names: `acme=https://acme.example/, ...`.",
)
OUTPUT_HEADERS = [EPC_FORMAT, CBV_XML_FORMAT]

# The OpenAPI type of each value parser of the query language table.
PARSER_TYPES: dict[Any, Any] = {
    p.time_value: OpenApiTypes.DATETIME,
    p.number_value: OpenApiTypes.DOUBLE,
    p.count_value: OpenApiTypes.INT,
    p.boolean_value: OpenApiTypes.BOOL,
}
CONTROL_ENUMS = {"orderDirection": ["ASC", "DESC"]}
DESCRIPTIONS = {
    "orderBy": (
        "`eventTime`, `recordTime`, or a top-level extension field written as for"
        " `EQ_{field}` (`prefix:name` with the prefix in GS1-Extensions, or `namespace#name`):"
        " numbers, then times, then strings by code point; events without the field last."
    ),
}
_LITERALS = r"[A-Za-z0-9_|]+"
_GROUP = re.compile(rf"\((?:\?P<\w+>|\?:)?({_LITERALS})\)(\?)?|(\w)\?")
_META = re.compile(r"[\\()\[\]{}.*+?^$|]")


def expand_names(pattern: str) -> list[str]:
    """Every name a pattern made of literals and literal alternatives matches; [] for a
    family (a pattern with an open part such as `.+` or a unit)."""
    match = _GROUP.search(pattern)
    if match is None:
        return [] if _META.search(pattern) else [pattern]
    head, tail = pattern[: match.start()], pattern[match.end() :]
    if match[3] is not None:  # `x?`: one optional character
        choices = [match[3], ""]
    else:
        choices = match[1].split("|") + ([""] if match[2] else [])
    return [name for choice in choices for name in expand_names(head + choice + tail)]


def query_language_parameters() -> list[OpenApiParameter]:
    """The fixed-name parameters of the query language (paging ones aside), by name."""
    found: dict[str, OpenApiParameter] = {}
    for row in p.PARAMETERS:
        for name in expand_names(row.pattern.pattern):
            if name in p.PAGING or name in found:
                continue
            found[name] = OpenApiParameter(
                name,
                PARSER_TYPES.get(row.parse, OpenApiTypes.STR),
                enum=CONTROL_ENUMS.get(name),
                description=DESCRIPTIONS.get(name, _list_note(row)),
            )
    return [found[name] for name in sorted(found)]


def _list_note(row: p.Param) -> str:
    return "List values are separated by `|`." if _is_list(row) else ""


def _is_list(row: p.Param) -> bool:
    return row.parse not in PARSER_TYPES and row.parse not in (p.ignored, str, str.strip)


FAMILIES = (
    "Flexible-name parameters are accepted too: `EQ_bizTransaction_{type}`, "
    "`EQ_source_{type}`, `EQ_destination_{type}`, `{EQ|GT|GE|LT|LE}_quantity_{uom}`, "
    "`{EQ|GT|GE|LT|LE}_{value|minValue|...}_{uom}`, `HASATTR_{field}`, "
    "`EQATTR_{field}_{attr}` and, on extension fields, `EQ_|GT_|GE_|LT_|LE_|EXISTS_` "
    "`[INNER_][ILMD_|ERROR_DECLARATION_|SENSORELEMENT_|...]{prefix:field}` "
    "(prefixes declared in `GS1-Extensions`). An unknown parameter is a 400."
)


# -- operations ---------------------------------------------------------------------------

QUERY_MEDIA = ("application/json", "application/ld+json", "application/xml", "text/xml")


def query_document_responses(*more: int) -> dict[Any, Any]:
    ok = {(200, media): OpenApiResponse(QUERY_DOCUMENT) for media in QUERY_MEDIA[:2]}
    xml = {(200, media): OpenApiResponse(OpenApiTypes.STR) for media in QUERY_MEDIA[2:]}
    return {**ok, **xml, **problems(400, 414, *more)}


def describe_events_query(operation_id: str, summary: str, *, resource: str = "") -> Any:
    """GET .../events: the query language, paging and the output headers."""
    path_value = [_path_value("value", resource)] if resource else []
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=FAMILIES,
        parameters=[
            *path_value,
            *query_language_parameters(),
            *PAGING,
            *OUTPUT_HEADERS,
            EXTENSIONS,
        ],
        responses=query_document_responses(413),
        tags=["Events"] if not resource else ["Top-level"],
    )


def describe_listing(operation_id: str, summary: str, *, identifiers: bool = False) -> Any:
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        parameters=[*PAGING, *([EPC_FORMAT] if identifiers else [])],
        responses={200: OpenApiResponse(COLLECTION), **problems(400)},
        tags=["Top-level"],
    )


def describe_sub_resources(operation_id: str, resource: str) -> Any:
    return extend_schema(
        operation_id=operation_id,
        summary=f"The sub-resources of one of {resource} (`events`).",
        parameters=[_path_value("value", resource)],
        responses={200: OpenApiResponse(COLLECTION), **problems(400)},
        tags=["Top-level"],
    )


def _path_value(name: str, resource: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, str, OpenApiParameter.PATH, description=f"A value of {resource} (URL-encoded)."
    )


EVENT_ID = OpenApiParameter(
    "event_id", str, OpenApiParameter.PATH, description="The eventID (URL-encoded)."
)
QUERY_NAME = OpenApiParameter("name", str, OpenApiParameter.PATH, description="The query name.")
TOKEN = OpenApiParameter("token", str, OpenApiParameter.PATH, description="A nextPageToken.")

describe_event = extend_schema(
    operation_id="event",
    summary="One event and its error declarations, as a single-page query document.",
    parameters=[EVENT_ID, *OUTPUT_HEADERS],
    responses=query_document_responses(404),
    tags=["Events"],
)
describe_create_named_query = extend_schema(
    operation_id="createNamedQuery",
    summary="Save a query under a name.",
    request={"application/json": NAMED_QUERY},
    responses={201: OpenApiResponse(NAMED_QUERY), **problems(400, 409, 415)},
    tags=["Queries"],
)
describe_named_queries = extend_schema(
    operation_id="namedQueries",
    summary="The caller's named queries, by name.",
    parameters=PAGING,
    responses={200: OpenApiResponse({"type": "array", "items": NAMED_QUERY}), **problems(400)},
    tags=["Queries"],
)
describe_named_query = extend_schema(
    operation_id="namedQuery",
    summary="A named query's definition.",
    parameters=[QUERY_NAME],
    responses={200: OpenApiResponse(NAMED_QUERY), **problems(404)},
    tags=["Queries"],
)
describe_delete_named_query = extend_schema(
    operation_id="deleteNamedQuery",
    summary="Delete a named query.",
    parameters=[QUERY_NAME],
    responses={204: None, **problems(404)},
    tags=["Queries"],
)
describe_named_query_events = extend_schema(
    operation_id="namedQueryEvents",
    summary="The results of a named query, paged like GET /events.",
    parameters=[QUERY_NAME, *PAGING, *OUTPUT_HEADERS],
    responses=query_document_responses(404, 413),
    tags=["Queries"],
)
describe_release_token = extend_schema(
    operation_id="releaseNextPageToken",
    summary="Release a nextPageToken: not needed here (tokens are stateless), so 501.",
    parameters=[TOKEN],
    responses=problems(501),
    tags=["Queries"],
)
describe_single_event_capture = extend_schema(
    operation_id="captureEvent",
    summary="Capture one bare event synchronously.",
    request={"application/json": OBJECT, "application/ld+json": OBJECT},
    responses={
        201: OpenApiResponse({"type": "object", "properties": {"eventID": {"type": "string"}}}),
        **problems(400, 409, 413, 415),
    },
    tags=["Capture"],
)


# -- views outside the query package ------------------------------------------------------


class BearerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "epcis.api.authentication.BearerKeyAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An API key from issue_token."}


class CaptureDescription(OpenApiViewExtension):
    target_class = "epcis.api.capture.CaptureApi"

    def view_replacement(self) -> type:
        class Described(self.target_class):  # type: ignore[name-defined,misc]
            @extend_schema(
                operation_id="capture",
                summary="Capture an EPCISDocument or EPCISQueryDocument asynchronously.",
                parameters=[
                    OpenApiParameter(
                        "GS1-Capture-Error-Behaviour",
                        str,
                        OpenApiParameter.HEADER,
                        enum=["rollback", "proceed"],
                    )
                ],
                request={
                    "application/json": OBJECT,
                    "application/ld+json": OBJECT,
                    "application/xml": OpenApiTypes.STR,
                },
                responses={
                    202: OpenApiResponse(
                        {"type": "object", "properties": {"captureID": {"type": "string"}}}
                    ),
                    **problems(400, 413, 415),
                },
                tags=["Capture"],
            )
            def post(self, *args: Any, **kwargs: Any) -> Any:
                return super().post(*args, **kwargs)

            @extend_schema(
                operation_id="captureJobs",
                summary="The caller's capture jobs, newest first.",
                parameters=PAGING,
                responses={200: OpenApiResponse({"type": "array", "items": CAPTURE_JOB})}
                | problems(400),
                tags=["Capture"],
            )
            def get(self, *args: Any, **kwargs: Any) -> Any:
                return super().get(*args, **kwargs)

        return Described


class CaptureJobDescription(OpenApiViewExtension):
    target_class = "epcis.api.capture.CaptureJobApi"

    def view_replacement(self) -> type:
        class Described(self.target_class):  # type: ignore[name-defined,misc]
            @extend_schema(
                operation_id="captureJob",
                summary="A capture job's state.",
                parameters=[OpenApiParameter("capture_id", str, OpenApiParameter.PATH)],
                responses={
                    (200, "application/json"): OpenApiResponse(CAPTURE_JOB),
                    (200, "application/xml"): OpenApiResponse(OpenApiTypes.STR),
                    **problems(404),
                },
                tags=["Capture"],
            )
            def get(self, *args: Any, **kwargs: Any) -> Any:
                return super().get(*args, **kwargs)

        return Described


class TopLevelDescription(OpenApiViewExtension):
    target_class = "epcis.api.views.TopLevelResourcesApi"

    def view_replacement(self) -> type:
        class Described(self.target_class):  # type: ignore[name-defined,misc]
            @extend_schema(
                operation_id="topLevelResources",
                summary="The EPCIS top-level resources.",
                responses={200: OpenApiResponse(COLLECTION), **problems()},
                tags=["Top-level"],
            )
            def get(self, *args: Any, **kwargs: Any) -> Any:
                return super().get(*args, **kwargs)

        return Described
