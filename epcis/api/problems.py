"""RFC 7807 answers for every error the application produces (bodies: `epcis.problems`).

One exception handler answers DRF's errors, the API's own `EPCISProblem`s and every domain
`EPCISError` a service raises (each knows its status and EPCIS exception), so views do not
translate errors by hand.
"""

from __future__ import annotations

from typing import Any

import orjson
from django.http import HttpResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from epcis.problems import EPCISError, problem

PROBLEM_JSON = "application/problem+json"


class EPCISProblem(exceptions.APIException):
    """An error of the HTTP layer (a header, a parameter) with its status and EPCIS exception."""

    def __init__(self, status_code: int, exception: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status_code = status_code
        self.exception = exception
        self.extra = extra


def problem_response(status_code: int, detail: str, exception: str | None = None, **extra: Any):
    """A plain Django response, for code paths outside DRF (middleware, handlers, healthz)."""
    body = orjson.dumps(problem(status_code, detail, exception, **extra))
    return HttpResponse(body, status=status_code, content_type=PROBLEM_JSON)


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's exception handler, answering every APIException and EPCISError as problem+json."""
    if isinstance(exc, EPCISError):
        body = exc.problem()
        return Response(body, status=exc.status, headers=exc.headers(), content_type=PROBLEM_JSON)
    response = exception_handler(exc, context)
    if response is None:
        return None
    exception = getattr(exc, "exception", None)
    extra = getattr(exc, "extra", {})
    detail = _detail_text(getattr(exc, "detail", response.data))
    response.data = problem(response.status_code, detail, exception, **extra)
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
