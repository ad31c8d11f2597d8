"""The live camera page, and a recorded live session on the web pages and the REST API."""

import pytest

from studies import services
from tests.studies.services.test_live_recordings import live_frame, received

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_job(user):
    recording = services.live_recording_start(owner=user, session_key=None)
    for i in range(6):
        received(recording, live_frame(i * 0.25, label="surprise"))
    return services.live_recording_finish(recording)


def test_the_page_offers_the_camera_and_gives_an_anonymous_visitor_a_session(client):
    response = client.get("/live/")
    assert response.status_code == 200
    html = response.content.decode()
    for needle in ("Start camera", 'id="camera-video"', 'id="rolling-chart"', 'data-ws-path="/ws/live/"',
                   'id="live-emotions"', "never stored"):
        assert needle in html, needle
    assert client.session.session_key  # an anonymous recording needs an owner


def test_the_page_can_require_login(client, user, settings):
    settings.FER_LIVE_REQUIRE_LOGIN = True
    response = client.get("/live/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/live/")
    client.force_login(user)
    assert client.get("/live/").status_code == 200


def test_home_and_menu_link_to_the_live_camera(client):
    html = client.get("/").content.decode()
    assert html.count('href="/live/"') >= 2


def test_a_recorded_session_shows_its_timeline_without_a_video(client, user, live_job):
    client.force_login(user)
    html = client.get(f"/jobs/{live_job.id}/").content.decode()
    assert "Recorded from the live camera" in html and "video-timeline-chart" in html
    assert "<video" not in html and "annotated.mp4" not in html
    assert 'data-track="1"' in html
    response = client.get(f"/jobs/{live_job.id}/timeline.csv")
    assert response.status_code == 200 and b"".join(response.streaming_content).count(b"\n") == 7
    assert client.get(f"/jobs/{live_job.id}/annotated.mp4").status_code == 404


def test_the_api_offers_the_timeline_of_a_recording_to_its_owner_only(user_api_client, live_job, other_user):
    from rest_framework.test import APIClient

    data = user_api_client.get(f"/api/v1/jobs/{live_job.id}/").json()
    assert data["kind"] == "live" and data["status"] == "succeeded" and data["face_count"] == 1
    assert data["timeline_csv_url"].endswith(f"/api/v1/jobs/{live_job.id}/timeline.csv")
    assert data["annotated_video_url"] is None and data["annotated_image_url"] is None
    assert user_api_client.get(f"/api/v1/jobs/{live_job.id}/timeline.json").status_code == 200

    stranger = APIClient()
    stranger.force_authenticate(user=other_user)
    assert stranger.get(f"/api/v1/jobs/{live_job.id}/").status_code == 404
    assert stranger.get(f"/api/v1/jobs/{live_job.id}/timeline.csv").status_code == 404
