"""Web routes (the REST API and WebSocket routes live in studies/api/ and the ASGI router)."""

from django.contrib.auth import views as auth_views
from django.urls import path

from studies import views

app_name = "studies"

urlpatterns = [
    path("", views.home, name="home"),
    path("analyze/image/", views.image_analyze, name="image_analyze"),
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job_detail"),
    path("jobs/<uuid:job_id>/status.json", views.job_status, name="job_status"),
    path("jobs/<uuid:job_id>/annotated.jpg", views.job_annotated_image, name="job_annotated_image"),
    path("accounts/signup/", views.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True, next_page="studies:job_list"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(next_page="studies:home"), name="logout"),
]
