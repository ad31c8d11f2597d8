"""REST API routes, mounted at /api/v1/."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import ObtainAuthToken

from studies.api import views

app_name = "api"

urlpatterns = [
    path("jobs/", views.JobListCreateApi.as_view(), name="job_list"),
    path("jobs/<uuid:job_id>/", views.JobDetailApi.as_view(), name="job_detail"),
    path("jobs/<uuid:job_id>/annotated.jpg", views.JobAnnotatedImageApi.as_view(), name="job_annotated_image"),
    path(
        "jobs/<uuid:job_id>/annotated.mp4", views.JobAnnotatedVideoApi.as_view(),
        name="job_annotated_video",
    ),
    path("jobs/<uuid:job_id>/timeline.csv", views.JobTimelineCsvApi.as_view(), name="job_timeline_csv"),
    path(
        "jobs/<uuid:job_id>/timeline.json", views.JobTimelineJsonApi.as_view(),
        name="job_timeline_json",
    ),
    path("auth/token/", ObtainAuthToken.as_view(), name="auth_token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
