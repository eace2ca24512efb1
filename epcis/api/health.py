from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from epcis.api.problems import problem_response
from epcis.health import broker_status, database_status


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    parts = {"database": database_status(), "broker": broker_status()}
    down = [name for name, state in parts.items() if state not in ("ok", "eager")]
    if not down:
        return JsonResponse(parts)
    detail = "; ".join(f"{name} {parts[name]}" for name in down)
    return problem_response(503, detail, "ImplementationException", **parts)
