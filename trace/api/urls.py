"""The lineage routes. Included before `epcis.api.urls` (config/urls.py), so that
/epcs/{epc}/state, /hierarchy and /timeline win over the standard /epcs/{epc}/... family.
`<path:>`: a Digital Link holds slashes; the suffix is matched last, so a serial that is
itself "state" (.../21/state/state) still works."""

from django.urls import path

from trace.api.trace_views import TraceApi, TracesApi
from trace.api.views import EpcHierarchyApi, EpcStateApi, EpcTimelineApi

urlpatterns = [
    path("epcs/<path:epc>/state", EpcStateApi.as_view(), name="epc-state"),
    path("epcs/<path:epc>/hierarchy", EpcHierarchyApi.as_view(), name="epc-hierarchy"),
    path("epcs/<path:epc>/timeline", EpcTimelineApi.as_view(), name="epc-timeline"),
    path("traces", TracesApi.as_view(), name="traces"),
    path("traces/<str:job_id>", TraceApi.as_view(), name="trace"),
]
