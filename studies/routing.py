"""WebSocket routes, mounted by fer_platform/asgi.py."""

from channels.security.websocket import WebsocketDenier
from django.urls import path, re_path

from studies.consumers import JobProgressConsumer, LiveCameraConsumer, ViewerCaptureConsumer

websocket_urlpatterns = [
    path("ws/jobs/<uuid:job_id>/", JobProgressConsumer.as_asgi()),
    path("ws/live/", LiveCameraConsumer.as_asgi()),
    path("ws/viewer/<uuid:session_id>/", ViewerCaptureConsumer.as_asgi()),
    # Any other path is refused at the handshake (403), not left to the router's "No route found" error.
    re_path(r"", WebsocketDenier.as_asgi()),
]
