"""Builders for the trace-job tests: POST /traces and read the job, and a later event."""

from __future__ import annotations

from typing import Any

from tests.support.lineage import NAMES, document


def run_trace(client: Any, **params: Any) -> dict[str, Any]:
    """POST /traces (eager Celery: done by the time it answers), then GET its Location."""
    response = client.post("/traces", params, format="json")
    assert response.status_code == 202, response.content
    assert response["Location"] == f"/traces/{response.json()['id']}"
    found = client.get(response["Location"])
    assert found.status_code == 200, found.content
    return found.json()


def later_event(epc: str, *, time: str = "2024-03-06T08:00:00.000Z") -> bytes:
    """A cycle count of `epc` at the distributor, after every scenario event."""
    event = {
        "type": "ObjectEvent",
        "eventTime": time,
        "eventTimeZoneOffset": "+00:00",
        "epcList": [epc],
        "action": "OBSERVE",
        "bizStep": "cycle_counting",
        "bizLocation": {"id": NAMES["DC"]},
    }
    return document([event])
