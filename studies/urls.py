"""Web routes (the REST API and WebSocket routes live in studies/api/ and the ASGI router)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from studies import file_views, views

app_name = "studies"

urlpatterns = [
    path("", views.home, name="home"),
    path("analyze/image/", views.image_analyze, name="image_analyze"),
    path("analyze/video/", views.video_analyze, name="video_analyze"),
    path("live/", views.live_camera, name="live_camera"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/status.json", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/annotated.jpg", file_views.job_annotated_image, name="job_annotated_image"),
    path(
        "jobs/<uuid:job_id>/annotated.mp4", file_views.job_file, {"file_name": "annotated_video"},
        name="job_annotated_video",
    ),
    path(
        "jobs/<uuid:job_id>/timeline.csv", file_views.job_file, {"file_name": "timeline_csv"},
        name="job_timeline_csv",
    ),
    path(
        "jobs/<uuid:job_id>/timeline.json", file_views.job_file, {"file_name": "timeline_json"},
        name="job_timeline_json",
    ),
    path("batches/<uuid:batch_id>/", file_views.batch_detail, name="batch_detail"),
    path("batches/<uuid:batch_id>/status.json", file_views.batch_status, name="batch_status"),
    path("batches/<uuid:batch_id>/download.zip", file_views.batch_download, name="batch_download"),
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="studies:home"), name="logout"),
]
