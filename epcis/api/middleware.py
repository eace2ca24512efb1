"""Turn errors raised outside DRF views into RFC 7807 answers: never an HTML page, never a 500
for a dependency that is merely down."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse

from epcis.api.problems import problem_response

logger = logging.getLogger(__name__)


class ProblemResponseMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OperationalError | InterfaceError):
            logger.warning("database unavailable: %s", exception)
            return problem_response(503, "The database is unavailable; try again shortly.")
        if isinstance(exception, DatabaseError):
            logger.exception("database error on %s", request.path)
        return None
