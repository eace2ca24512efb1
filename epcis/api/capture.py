"""The GS1 capture interface: POST/GET /capture, GET /capture/{captureID}, POST /events.

Views are thin: check the request's headers, call one service, answer. Domain errors
(DocumentError, CaptureTooLarge, EventRejected ...) are answered by the API's exception
handler, from the EPCIS exception each carries.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any, cast
from urllib.parse import quote

import orjson
from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpResponse
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from epcis.api.paging import listing_request, next_link
from epcis.api.problems import EPCISProblem
from epcis.capture.events import capture_single_event
from epcis.capture.receive import CaptureTooLarge, receive_document
from epcis.capture.selectors import capture_job_document, capture_job_for, capture_jobs_page
from epcis.capture.tasks import enqueue_capture
from epcis.gs1 import SUPPORTED_VERSION_HEADERS, VERSION_HEADERS
from epcis.models import CaptureJob
from epcis.parsing import JSON_MEDIA_TYPES, XML_MEDIA_TYPES
from epcis.query.params import QueryParameterError
from epcis.rendering.xml import render_xml_capture_job

ERROR_BEHAVIOURS = tuple(CaptureJob.ErrorBehaviour.values)


class XMLRenderer(BaseRenderer):
    """`Accept: application/xml`: views hand it ready XML bytes; problems stay JSON (their
    response carries the problem+json content type)."""

    media_type = "application/xml"
    format = "xml"
    charset = None  # the XML declaration names the encoding

    def render(self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None):
        return data if isinstance(data, bytes) else orjson.dumps(data)


def capture_discovery_headers() -> dict[str, str]:
    # `Allow` is set by DRF from the view's methods.
    return {
        **VERSION_HEADERS,
        **SUPPORTED_VERSION_HEADERS,
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


def _error_behaviour(request: Request) -> str:
    behaviour = request.headers.get("GS1-Capture-Error-Behaviour", "rollback").strip()
    if behaviour not in ERROR_BEHAVIOURS:
        raise EPCISProblem(
            400,
            "ValidationException",
            f"GS1-Capture-Error-Behaviour {behaviour!r} is not supported: use rollback or proceed.",
        )
    return behaviour


class CaptureApi(APIView):
    """POST /capture (asynchronous capture), GET /capture (the caller's jobs)."""

    def post(self, request: Request) -> HttpResponse:
        _refuse_chunked(request)
        media_type = _media_type(request, JSON_MEDIA_TYPES | XML_MEDIA_TYPES)
        job = receive_document(
            owner=_user(request),
            media_type=media_type,
            error_behaviour=_error_behaviour(request),
            body_stream=request.stream or io.BytesIO(),
            content_length=_content_length(request),
        )
        enqueue_capture(job.pk)
        headers = {"Location": f"/capture/{job.pk}", **VERSION_HEADERS}
        return Response({"captureID": str(job.pk)}, status=202, headers=headers)

    def get(self, request: Request) -> Response:
        size, after, bound = listing_request(request)
        jobs, more = capture_jobs_page(_user(request), after=_job_position(after), per_page=size)
        headers = {"GS1-EPCIS-Version": VERSION_HEADERS["GS1-EPCIS-Version"]}
        if more:
            last = [jobs[-1].created_at.isoformat(), jobs[-1].pk]
            headers["Link"] = next_link(request, last, size, bound)
        return Response([capture_job_document(job) for job in jobs], headers=headers)

    def options(  # type: ignore[override]  # Django's View types the request as HttpRequest
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response:
        headers = capture_discovery_headers()
        headers["GS1-Capture-Error-Behaviour"] = "rollback, proceed"
        return Response(status=204, headers=headers)


def _job_position(after: Any) -> tuple[datetime, int] | None:
    """The keyset (createdAt, id) a /capture page token carries."""
    if after is None:
        return None
    try:
        created_at, pk = after
        return datetime.fromisoformat(created_at), int(pk)
    except (ValueError, TypeError):
        raise QueryParameterError(
            "nextPageToken is not valid: take it from a Link header."
        ) from None


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
        headers = {"GS1-EPCIS-Version": VERSION_HEADERS["GS1-EPCIS-Version"]}
        if request.accepted_renderer.format == "xml":
            body = render_xml_capture_job({"success": False, **document})
            return Response(body, headers=headers)
        return Response(document, headers=headers)

    def options(  # type: ignore[override]  # Django's View types the request as HttpRequest
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response:
        return Response(status=204, headers=capture_discovery_headers())


class EventCaptureApi(APIView):
    """POST /events: one bare event, captured synchronously."""

    def post(self, request: Request) -> HttpResponse:
        _media_type(request, JSON_MEDIA_TYPES)
        length = _content_length(request)
        if length is not None and length > settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT:
            raise CaptureTooLarge(settings.EPCIS_CAPTURE_FILE_SIZE_LIMIT)
        event_id = capture_single_event(owner=_user(request), body=request.body)
        headers = {"Location": f"/events/{quote(event_id, safe='')}", **VERSION_HEADERS}
        return Response({"eventID": event_id}, status=201, headers=headers)

    def options(  # type: ignore[override]  # Django's View types the request as HttpRequest
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response:
        return Response(status=204, headers=capture_discovery_headers())
