"""WebSocket routes, mounted by fer_platform/asgi.py."""

from django.urls import path

from studies.consumers import JobProgressConsumer, LiveCameraConsumer, ViewerCaptureConsumer

websocket_urlpatterns = [
    path("ws/jobs/<uuid:job_id>/", JobProgressConsumer.as_asgi()),
    path("ws/live/", LiveCameraConsumer.as_asgi()),
    path("ws/viewer/<uuid:session_id>/", ViewerCaptureConsumer.as_asgi()),
]
