"""RFC 7807 problem details for every error the application produces.

The `type` is the EPCIS exception name (`epcisException:ValidationException`), as GS1's
OpenAPI does, so partners' clients can branch on it.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_JSON = "application/problem+json"

EXCEPTION_BY_STATUS = {
    400: "ValidationException",
    401: "SecurityException",
    403: "SecurityException",
    404: "NoSuchResourceException",
    405: "ImplementationException",
    406: "NotAcceptableException",
    409: "ResourceAlreadyExistsException",
    411: "ValidationException",
    413: "CaptureLimitExceededException",
    414: "URITooLongException",
    415: "UnsupportedMediaTypeException",
    500: "ImplementationException",
    501: "ImplementationException",
    503: "ImplementationException",
}
TITLES = {
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    411: "Length required",
    415: "Unsupported media type",
    500: "Internal error",
    503: "Service unavailable",
}


class EPCISProblem(exceptions.APIException):
    """An error to answer with a given status and EPCIS exception name."""

    def __init__(self, status_code: int, exception: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.exception = exception
        self.extra = extra


def problem_body(status_code: int, detail: str, exception: str | None = None, **extra: Any) -> dict:
    name = exception or EXCEPTION_BY_STATUS.get(status_code, "ImplementationException")
    body = {
        "type": f"epcisException:{name}",
        "title": TITLES.get(status_code, _title_from(name)),
        "status": status_code,
        "detail": detail,
    }
    body.update(extra)
    return body


def problem_response(status_code: int, detail: str, exception: str | None = None, **extra: Any):
    """A plain Django response, for code paths outside DRF (middleware, handlers, healthz)."""
    body = orjson.dumps(problem_body(status_code, detail, exception, **extra))
    return HttpResponse(body, status=status_code, content_type=PROBLEM_JSON)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, answering every APIException as problem+json."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    exception = getattr(exc, "exception", None)
    extra = getattr(exc, "extra", {})
    detail = _detail_text(getattr(exc, "detail", response.data))
    response.data = problem_body(response.status_code, detail, exception, **extra)
    response.content_type = PROBLEM_JSON
    if response.status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="epcis"'
    return response


def _detail_text(detail: Any) -> str:
    if isinstance(detail, list):
        return "; ".join(_detail_text(item) for item in detail)
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {_detail_text(value)}" for key, value in detail.items())
    return str(detail)


def _title_from(exception: str) -> str:
    words = exception.removesuffix("Exception")
    return "".join(f" {c}" if c.isupper() else c for c in words).strip() or "Error"
