"""Django's error handlers, answering RFC 7807 instead of HTML pages."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from epcis.api.problems import problem_response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(404, f"No resource at {request.path}.", "NoSuchResourceException")


def server_error(request: HttpRequest) -> HttpResponse:
    return problem_response(500, "An internal error occurred; it has been logged.")


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(400, "The request could not be understood.")


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return problem_response(403, "You are not allowed to do this.", "SecurityException")
