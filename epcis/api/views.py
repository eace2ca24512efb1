from __future__ import annotations

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from epcis.gs1 import EPCIS_CONTEXT

TOP_LEVEL_RESOURCES = [
    "events",
    "eventTypes",
    "epcs",
    "bizSteps",
    "bizLocations",
    "readPoints",
    "dispositions",
    "capture",
    "queries",
]


class TopLevelResourcesApi(APIView):
    """`GET /`: the EPCIS top-level resources, as GS1's OpenAPI lists them."""

    def get(self, request: Request) -> Response:
        return Response(
            {"@context": EPCIS_CONTEXT, "type": "Collection", "member": TOP_LEVEL_RESOURCES}
        )
