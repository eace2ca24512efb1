"""The recall routes (included before `epcis.api.urls`, config/urls.py)."""

from django.urls import path

from recalls.api.views import (
    RecallApi,
    RecallFsma204Api,
    RecallLocationsCsvApi,
    RecallsApi,
    RecallUnitsApi,
    RecallUnitsCsvApi,
)

urlpatterns = [
    path("recalls", RecallsApi.as_view(), name="recalls"),
    path("recalls/<str:job_id>", RecallApi.as_view(), name="recall"),
    path("recalls/<str:job_id>/units", RecallUnitsApi.as_view(), name="recall-units"),
    path("recalls/<str:job_id>/units.csv", RecallUnitsCsvApi.as_view(), name="recall-units-csv"),
    path(
        "recalls/<str:job_id>/locations.csv",
        RecallLocationsCsvApi.as_view(),
        name="recall-locations-csv",
    ),
    path("recalls/<str:job_id>/fsma204.xlsx", RecallFsma204Api.as_view(), name="recall-fsma204"),
]
