from django.urls import path

from epcis.api.health import healthz
from epcis.api.views import TopLevelResourcesApi

urlpatterns = [
    path("", TopLevelResourcesApi.as_view(), name="top-level"),
    path("healthz", healthz, name="healthz"),
]
