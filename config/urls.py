from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    # Before the epcis routes: /epcs/{epc}/state, /hierarchy, /timeline win over /epcs/{epc}/...
    path("", include("trace.api.urls")),
    path("", include("recalls.api.urls")),
    path("", include("epcis.api.urls")),
]

handler400 = "epcis.api.handlers.bad_request"
handler403 = "epcis.api.handlers.permission_denied"
handler404 = "epcis.api.handlers.not_found"
handler500 = "epcis.api.handlers.server_error"
