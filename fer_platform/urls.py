"""Top-level routes: admin, the REST API under /api/v1/, and the web pages."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/", admin.site.urls),
    # Whoever types the API's address gets its documentation.
    path("api/", RedirectView.as_view(pattern_name="api:docs")),
    path("api/v1/", include("studies.api.urls")),
    path("", include("studies.urls")),
]

# Says which of Django's request limits was broken (too many files, too large a body).
handler400 = "studies.error_views.bad_request"
