"""POST /recalls, GET /recalls/{id}, /units, /units.csv, /locations.csv (DESIGN §5).

Thin views over `recalls.services` and the stored result. Staff only (the lineage spans
every partner's events, DESIGN §10): a partner key gets 403.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from epcis.api.authentication import IsStaff
from epcis.api.paging import listing_request, next_link
from epcis.api.problems import EPCISProblem
from epcis.jobs import job_document
from epcis.query.pagination import refuse_unknown
from epcis.query.params import QueryParameterError
from recalls.fsma204 import workbook_bytes
from recalls.models import RecallJob
from recalls.scope import newer_data
from recalls.services import request_recall
from recalls.tasks import enqueue_recall

HIDDEN = ("units", "scopeKeys", "cteEvents")  # served at /units; newerData; fsma204.xlsx
UNIT_COLUMNS = ("epc", "lot", "location", "disposition", "parent", "topParent", "lastEventTime")
LOCATION_COLUMNS = (
    ("location", "location"),
    ("owningParty", "owning party"),
    ("unitsNow", "units now"),
    ("unitsEver", "units ever"),
    ("lastReceipt", "last receipt"),
    ("purchaseOrders", "POs"),
)


class RecallView(APIView):
    permission_classes = [IsAuthenticated, IsStaff]


def recall_document(job: RecallJob) -> dict[str, Any]:
    document = job_document(job)
    if job.result is not None:
        document["result"] = {k: v for k, v in job.result.items() if k not in HIDDEN}
    document["newerData"] = newer_data(job)
    return document


def _job(job_id: str, *, finished: bool = False) -> RecallJob:
    job = RecallJob.objects.filter(pk=int(job_id)).first() if job_id.isdigit() else None
    if job is None:
        raise EPCISProblem(404, "NoSuchResourceException", f"There is no recall {job_id}.")
    if finished and job.status != RecallJob.Status.SUCCEEDED:
        raise EPCISProblem(
            404,
            "NoSuchResourceException",
            f"Recall {job_id} has no result ({job.status}): GET /recalls/{job_id} until it "
            "has succeeded.",
        )
    return job


class RecallsApi(RecallView):
    def post(self, request: Request) -> Response:
        job = request_recall(request.user, request.data)  # type: ignore[arg-type]
        enqueue_recall(job.pk)
        return Response(
            recall_document(job), status=202, headers={"Location": f"/recalls/{job.pk}"}
        )


class RecallApi(RecallView):
    def get(self, request: Request, job_id: str) -> Response:
        refuse_unknown(request.query_params, ())
        return Response(recall_document(_job(job_id)))


class RecallUnitsApi(RecallView):
    def get(self, request: Request, job_id: str) -> Response:
        size, after, bound = listing_request(request)
        units = (_job(job_id, finished=True).result or {}).get("units", [])
        if after is not None and not isinstance(after, int):
            raise QueryParameterError("nextPageToken is not valid: take it from a Link header.")
        start = after or 0
        page = units[start : start + size]
        headers = {}
        if start + size < len(units):
            headers["Link"] = next_link(request, start + size, size, bound)
        return Response(page, headers=headers)


def _csv(rows: list[list[Any]], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(rows)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return value


class RecallUnitsCsvApi(RecallView):
    def get(self, request: Request, job_id: str) -> HttpResponse:
        refuse_unknown(request.query_params, ())
        units = (_job(job_id, finished=True).result or {}).get("units", [])
        rows = [list(UNIT_COLUMNS)] + [[_cell(u[c]) for c in UNIT_COLUMNS] for u in units]
        return _csv(rows, f"recall-{job_id}-units.csv")


class RecallLocationsCsvApi(RecallView):
    def get(self, request: Request, job_id: str) -> HttpResponse:
        refuse_unknown(request.query_params, ())
        locations = (_job(job_id, finished=True).result or {}).get("locations", [])
        rows = [[title for _, title in LOCATION_COLUMNS]]
        rows += [[_cell(place.get(key)) for key, _ in LOCATION_COLUMNS] for place in locations]
        return _csv(rows, f"recall-{job_id}-locations.csv")


class RecallFsma204Api(RecallView):
    """The FSMA 204 electronic sortable spreadsheet of the recall's lots (recalls.fsma204)."""

    def get(self, request: Request, job_id: str) -> HttpResponse:
        refuse_unknown(request.query_params, ())
        response = HttpResponse(
            workbook_bytes(_job(job_id, finished=True)),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="recall-{job_id}-fsma204.xlsx"'
        return response
