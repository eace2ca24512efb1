"""POST /traces, GET /traces/{id} (DESIGN §5 "Trace and recall jobs").

Thin views over `trace.services` and the stored result. Staff only (the lineage spans
every partner's events, DESIGN §10): a partner key gets 403.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from epcis.api.authentication import IsStaff
from epcis.api.problems import EPCISProblem
from epcis.jobs import job_document
from epcis.query.pagination import refuse_unknown
from trace.models import TraceJob
from trace.services import request_trace
from trace.tasks import enqueue_trace
from trace.traces import HIDDEN, newer_data


class TraceView(APIView):
    permission_classes = [IsAuthenticated, IsStaff]


def trace_document(job: TraceJob) -> dict[str, Any]:
    document = job_document(job)
    document["direction"] = job.parameters.get("direction")
    if job.result is not None:
        document["result"] = {k: v for k, v in job.result.items() if k not in HIDDEN}
    document["newerData"] = newer_data(job)
    return document


class TracesApi(TraceView):
    def post(self, request: Request) -> Response:
        job = request_trace(request.user, request.data)  # type: ignore[arg-type]
        enqueue_trace(job.pk)
        return Response(trace_document(job), status=202, headers={"Location": f"/traces/{job.pk}"})


class TraceApi(TraceView):
    def get(self, request: Request, job_id: str) -> Response:
        refuse_unknown(request.query_params, ())
        job = TraceJob.objects.filter(pk=int(job_id)).first() if job_id.isdigit() else None
        if job is None:
            raise EPCISProblem(404, "NoSuchResourceException", f"There is no trace {job_id}.")
        return Response(trace_document(job))
