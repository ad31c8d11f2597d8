"""Top-level routes: admin, the REST API under /api/v1/, and the web pages."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("studies.api.urls")),
    path("", include("studies.urls")),
]
