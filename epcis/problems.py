"""RFC 7807 problem details, and the domain errors that carry their EPCIS exception name.

One builder (`problem`) makes every problem body the application produces: the HTTP
answers (`epcis.api.problems`) and the `errors[]` of a capture job. The `type` is the
EPCIS exception name (`epcisException:ValidationException`), as GS1's OpenAPI does, so
partners' clients can branch on it. Pure Python: no Django, no DRF.
"""

from __future__ import annotations

from typing import Any

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
EXCEPTION_TITLES = {
    "ValidationException": "Validation error",
    "CaptureLimitExceededException": "Capture limit exceeded",
    "ImplementationException": "Internal error",
}


def problem(status: int, detail: str, exception: str | None = None, **extra: Any) -> dict:
    """A problem body: `exception` defaults to the EPCIS exception of `status`."""
    name = exception or EXCEPTION_BY_STATUS.get(status, "ImplementationException")
    body = {
        "type": f"epcisException:{name}",
        "title": TITLES.get(status) or EXCEPTION_TITLES.get(name) or _title_from(name),
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    return body


def _title_from(exception: str) -> str:
    words = exception.removesuffix("Exception")
    return "".join(f" {c}" if c.isupper() else c for c in words).strip() or "Error"


class EPCISError(Exception):
    """A domain error that knows how it is answered: HTTP status, EPCIS exception, extras.

    Services raise subclasses; the API's one exception handler turns any of them into a
    problem response, so no view translates errors by hand.
    """

    status = 400
    exception = "ValidationException"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self) -> dict:
        return problem(self.status, self.detail, self.exception, **self.extra)

    def headers(self) -> dict[str, str]:
        """Response headers that go with the problem (none by default)."""
        return {}
