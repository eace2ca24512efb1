"""The GS1 capture interface: POST/GET /capture, GET /capture/{captureID}, POST /events."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote, urlencode

import orjson
from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.http import HttpResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from epcis.api.problems import EPCISProblem, problem_response
from epcis.capture_selectors import capture_job_document, capture_job_for, capture_jobs_page
from epcis.models import CaptureJob
from epcis.parsing import JSON_MEDIA_TYPES, XML_MEDIA_TYPES, DocumentError
from epcis.rendering.xml import render_xml_capture_job
from epcis.services import (
    CaptureTooLarge,
    EventAlreadyStored,
    EventRejected,
    capture_document,
    capture_single_event,
)

GS1_VERSIONS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}
ERROR_BEHAVIOURS = tuple(CaptureJob.ErrorBehaviour.values)
PER_PAGE_DEFAULT, PER_PAGE_MAX = 30, 1000
PAGE_TOKEN_SALT = "epcis.capture-list"


class XMLRenderer(BaseRenderer):
    """`Accept: application/xml`: views hand it ready XML bytes; problems stay JSON (their
    response carries the problem+json content type)."""

    media_type = "application/xml"
    format = "xml"
    charset = None  # the XML declaration names the encoding

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        return data if isinstance(data, bytes) else orjson.dumps(data)


def _discovery_headers() -> dict[str, str]:
    # `Allow` is set by DRF from the view's methods.
    return {
        **GS1_VERSIONS,
        "GS1-EPCIS-Min": "1.2.0",
        "GS1-EPCIS-Max": "2.0.0",
        "GS1-CBV-Min": "1.2.0",
        "GS1-CBV-Max": "2.0.0",
        "GS1-EPCIS-Capture-Limit": str(settings.EPCIS_CAPTURE_LIMIT),
        "GS1-EPCIS-Capture-File-Size-Limit": str(settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT),
    }


def _media_type(request: Request, accepted: set[str]) -> str:
    media_type = (request.content_type or "").split(";")[0].strip().lower()
    if media_type not in accepted:
        given = media_type or "none"
        raise EPCISProblem(
            415,
            "UnsupportedMediaTypeException",
            f"Content-Type {given} is not accepted; use one of {', '.join(sorted(accepted))}.",
        )
    return media_type


def _user(request: Request) -> User:
    return cast(User, request.user)  # IsAuthenticated: never anonymous here


def _content_length(request: Request) -> int | None:
    try:
        return int(request.META["CONTENT_LENGTH"])
    except (KeyError, ValueError):
        return None


def _refuse_chunked(request: Request) -> None:
    # Django reads a WSGI body only up to Content-Length: a chunked body would look empty.
    if "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        raise EPCISProblem(
            411,
            "ValidationException",
            "Send the document with a Content-Length header; chunked uploads are not supported.",
        )


def _too_large(exc: CaptureTooLarge) -> HttpResponse:
    response = problem_response(413, str(exc), "CaptureLimitExceededException")
    response["GS1-EPCIS-Capture-File-Size-Limit"] = str(exc.limit)
    return response


def _document_problem(exc: DocumentError) -> EPCISProblem:
    where = {"line": exc.line, "column": exc.column} if exc.line else {}
    position = f" (line {exc.line}, column {exc.column})" if exc.line else ""
    return EPCISProblem(400, "ValidationException", f"{exc.message}{position}", **where)


class CaptureApi(APIView):
    """POST /capture (asynchronous capture), GET /capture (the caller's jobs)."""

    def post(self, request: Request) -> HttpResponse:
        _refuse_chunked(request)
        media_type = _media_type(request, JSON_MEDIA_TYPES | XML_MEDIA_TYPES)
        behaviour = request.headers.get("GS1-Capture-Error-Behaviour", "rollback").strip()
        if behaviour not in ERROR_BEHAVIOURS:
            raise EPCISProblem(
                400,
                "ValidationException",
                f"GS1-Capture-Error-Behaviour {behaviour!r} is not supported: use rollback "
                "or proceed.",
            )
        try:
            job = capture_document(
                owner=_user(request),
                media_type=media_type,
                error_behaviour=behaviour,
                body_stream=request.stream or io.BytesIO(),
                content_length=_content_length(request),
            )
        except CaptureTooLarge as exc:
            return _too_large(exc)
        except DocumentError as exc:
            raise _document_problem(exc) from None
        headers = {"Location": f"/capture/{job.pk}", **GS1_VERSIONS}
        return Response({"captureID": str(job.pk)}, status=202, headers=headers)

    def get(self, request: Request) -> Response:
        _only_parameters(request, {"perPage", "nextPageToken"})
        per_page = _per_page(request)
        after = _page_position(request.query_params.get("nextPageToken"))
        jobs, more = capture_jobs_page(_user(request), after=after, per_page=per_page)
        headers = {"GS1-EPCIS-Version": "2.0.0"}
        if more:
            headers["Link"] = f'<{_next_page_url(request, jobs[-1], per_page)}>; rel="next"'
        return Response([capture_job_document(job) for job in jobs], headers=headers)

    def options(  # type: ignore[override]  # Django's View types the request as HttpRequest
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response:
        headers = _discovery_headers()
        headers["GS1-Capture-Error-Behaviour"] = "rollback, proceed"
        return Response(status=204, headers=headers)


class CaptureJobApi(APIView):
    """GET /capture/{captureID}: the job's state, as JSON or GS1 XML (EPCISCaptureJob)."""

    renderer_classes = [JSONRenderer, XMLRenderer]

    def get(self, request: Request, capture_id: str) -> Response:
        job = capture_job_for(_user(request), capture_id)
        if job is None:
            raise EPCISProblem(
                404, "NoSuchResourceException", f"There is no capture job {capture_id}."
            )
        document = capture_job_document(job)
        if request.accepted_renderer.format == "xml":
            body = render_xml_capture_job({"success": False, **document})
            return Response(body, headers={"GS1-EPCIS-Version": "2.0.0"})
        return Response(document, headers={"GS1-EPCIS-Version": "2.0.0"})

    def options(  # type: ignore[override]  # Django's View types the request as HttpRequest
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response:
        return Response(status=204, headers=_discovery_headers())


class EventCaptureApi(APIView):
    """POST /events: one bare event, captured synchronously."""

    def post(self, request: Request) -> HttpResponse:
        _media_type(request, JSON_MEDIA_TYPES)
        length = _content_length(request)
        if length is not None and length > settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT:
            return _too_large(CaptureTooLarge(settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT))
        try:
            event_id = capture_single_event(owner=_user(request), body=request.body)
        except DocumentError as exc:
            raise _document_problem(exc) from None
        except EventRejected as exc:
            raise EPCISProblem(400, "ValidationException", str(exc), errors=_fields(exc)) from None
        except EventAlreadyStored as exc:
            raise EPCISProblem(409, "ResourceAlreadyExistsException", str(exc)) from None
        headers = {"Location": f"/events/{quote(event_id, safe='')}", **GS1_VERSIONS}
        return Response({"eventID": event_id}, status=201, headers=headers)

    def options(  # type: ignore[override]  # Django's View types the request as HttpRequest
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response:
        return Response(status=204, headers=_discovery_headers())


def _fields(exc: EventRejected) -> list[dict[str, str]]:
    return [{"field": error.field, "message": error.message} for error in exc.errors]


# -- pagination of GET /capture ---------------------------------------------------------


def _only_parameters(request: Request, allowed: set[str]) -> None:
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise EPCISProblem(
            400, "QueryParameterException", f"Unknown query parameter(s): {', '.join(unknown)}."
        )


def _per_page(request: Request) -> int:
    raw = request.query_params.get("perPage", str(PER_PAGE_DEFAULT))
    if not raw.isdigit() or not 1 <= int(raw) <= PER_PAGE_MAX:
        raise EPCISProblem(
            400,
            "QueryParameterException",
            f"perPage must be an integer from 1 to {PER_PAGE_MAX}, not {raw!r}.",
        )
    return int(raw)


def _page_position(token: str | None) -> tuple[datetime, int] | None:
    """The keyset position in a signed token: stateless, and a client cannot forge one."""
    if token is None:
        return None
    try:
        created_at, pk = signing.loads(token, salt=PAGE_TOKEN_SALT)
        return datetime.fromisoformat(created_at), int(pk)
    except (signing.BadSignature, ValueError, TypeError):
        raise EPCISProblem(
            400,
            "QueryParameterException",
            "nextPageToken is not valid: take it from a Link header.",
        ) from None


def _next_page_url(request: Request, last: CaptureJob, per_page: int) -> str:
    token = signing.dumps([last.created_at.isoformat(), last.pk], salt=PAGE_TOKEN_SALT)
    query = urlencode({"perPage": per_page, "nextPageToken": token})
    return request.build_absolute_uri(f"{request.path}?{query}")
