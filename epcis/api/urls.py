from django.urls import path

from epcis.api.capture import CaptureApi, CaptureJobApi
from epcis.api.health import healthz
from epcis.api.query import EventApi, EventsApi, query_urlpatterns
from epcis.api.views import TopLevelResourcesApi

urlpatterns = [
    path("", TopLevelResourcesApi.as_view(), name="top-level"),
    path("healthz", healthz, name="healthz"),
    path("capture", CaptureApi.as_view(), name="capture"),
    path("capture/<str:capture_id>", CaptureJobApi.as_view(), name="capture-job"),
    # One view for /events: GET (query) extends the capture view's POST and OPTIONS.
    path("events", EventsApi.as_view(), name="events"),
    # <path:>: an eventID such as ni:///sha-256;... holds slashes once URL-decoded.
    path("events/<path:event_id>", EventApi.as_view(), name="event"),
    # /eventTypes, /epcs, /bizSteps, /bizLocations, /readPoints, /dispositions (each with
    # /{value} and /{value}/events) and /queries. Each family ends with a catch-all that
    # answers 404 for an unknown sub-resource (/epcs/{epc}/anything), so another
    # sub-resource of a value is a route that comes first: listed before this line, or in a
    # urlconf included before this one (config/urls.py includes trace.api.urls so, for
    # /epcs/{epc}/state, /hierarchy and /timeline). Django takes the first route that
    # matches: an identifier never swallows them.
    *query_urlpatterns,
]
