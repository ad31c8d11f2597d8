"""The jobs API with videos: kind by content, progress detail, output URLs, bad input, who sees what."""

import csv
import io

import pytest
from django.core.files.base import ContentFile

from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db

JOBS_URL = "/api/v1/jobs/"
SINGLE_FACE_FRAMES = 72


def _post_file(client, upload_file):
    return client.post(JOBS_URL, {"file": upload_file}, format="multipart")


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.slow
def test_create_poll_and_read_a_video_result(user_api_client, video_upload, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = _post_file(user_api_client, video_upload("single_face.mp4", filename="ad-take-3.mp4"))

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "video"
    assert body["progress_detail"] == {"frames_done": 0, "frames_total": SINGLE_FACE_FRAMES}
    assert body["annotated_video_url"] is None, "nothing is offered before the job succeeded"

    job = user_api_client.get(body["url"]).json()
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == 100
    assert job["progress_detail"]["frames_done"] == SINGLE_FACE_FRAMES
    assert job["face_count"] == 1
    assert job["original_filename"] == "ad-take-3.mp4"
    assert job["annotated_image_url"] is None
    assert len(job["result"]["tracks"]) == 1
    assert job["result"]["info"]["frame_count"] == SINGLE_FACE_FRAMES

    video = user_api_client.get(job["annotated_video_url"], HTTP_RANGE="bytes=0-99")
    assert video.status_code == 206
    assert video["Content-Type"] == "video/mp4"
    first_bytes = _body(video)
    assert len(first_bytes) == 100
    assert first_bytes[4:8] == b"ftyp"

    timeline = user_api_client.get(job["timeline_csv_url"])
    assert timeline.status_code == 200
    rows = list(csv.reader(io.StringIO(_body(timeline).decode())))
    assert rows[0][:3] == ["time_s", "frame", "track_id"]
    assert len(rows) > 1
    timeline_json = user_api_client.get(job["timeline_json_url"])
    assert timeline_json.status_code == 200
    assert timeline_json["Content-Type"] == "application/json"


@pytest.mark.slow
def test_video_without_faces_is_a_success_with_an_empty_timeline(
    user_api_client, video_upload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = _post_file(user_api_client, video_upload("no_face.mp4"))

    job = user_api_client.get(created.json()["url"]).json()
    assert job["status"] == "succeeded", job["error"]
    assert job["face_count"] == 0
    assert job["result"]["tracks"] == []
    timeline = _body(user_api_client.get(job["timeline_csv_url"])).decode()
    assert timeline.strip().count("\n") == 0, "only the header"


@pytest.mark.parametrize("case", ["audio_only", "mp3", "truncated", "truncated_after_index", "corrupt", "text"])
def test_bad_video_gets_400_with_a_clear_detail_and_nothing_stored(
    case, user_api_client, video_upload, bad_videos, settings
):
    path, phrase = bad_videos[case]

    response = _post_file(user_api_client, video_upload(path))

    assert response.status_code == 400, response.content
    assert phrase in response.json()["detail"]
    assert AnalysisJob.objects.count() == 0
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


@pytest.mark.parametrize(
    ("setting", "value", "phrase"),
    [
        ("FER_MAX_VIDEO_SECONDS", 1, "The video lasts 0:02 (min:s); the limit is 0:01 (min:s)."),
        ("FER_MAX_VIDEO_BYTES", 100_000, "The video is 0.2 MB; the limit is 0.1 MB."),
        ("FER_MAX_VIDEO_PIXELS", 320 * 180, "the limit"),
    ],
)
def test_video_over_a_configured_limit_gets_400(setting, value, phrase, user_api_client, video_upload, settings):
    setattr(settings, setting, value)

    response = _post_file(user_api_client, video_upload("single_face.mp4"))

    assert response.status_code == 400
    assert phrase in response.json()["detail"]
    assert AnalysisJob.objects.count() == 0


def _finished_video_job(owner, make_video_job):
    job = make_video_job(owner=owner, status=AnalysisJob.Status.SUCCEEDED, progress=100, result={"tracks": []})
    job.annotated_file.save("annotated.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42 video"), save=False)
    job.timeline_csv.save("timeline.csv", ContentFile(b"time_s,frame\n"), save=False)
    job.timeline_json.save("timeline.json", ContentFile(b"{}"), save=False)
    job.save()
    return job


def test_another_users_video_and_its_files_are_404(other_user, user_api_client, make_video_job):
    theirs = _finished_video_job(other_user, make_video_job)

    for suffix in ("", "annotated.mp4", "timeline.csv", "timeline.json"):
        response = user_api_client.get(f"{JOBS_URL}{theirs.id}/{suffix}")
        assert response.status_code == 404, suffix


def test_own_files_are_served_and_unfinished_jobs_offer_none(user, user_api_client, make_video_job):
    mine = _finished_video_job(user, make_video_job)
    for suffix in ("annotated.mp4", "timeline.csv", "timeline.json"):
        assert user_api_client.get(f"{JOBS_URL}{mine.id}/{suffix}").status_code == 200, suffix

    running = make_video_job(owner=user, status=AnalysisJob.Status.RUNNING, progress=40)
    # Even a file left by a killed attempt is not served while the job is unfinished.
    running.annotated_file.save("annotated.mp4", ContentFile(b"half a video"), save=True)
    body = user_api_client.get(f"{JOBS_URL}{running.id}/").json()
    assert (body["annotated_video_url"], body["timeline_csv_url"], body["timeline_json_url"]) == (None, None, None)
    assert user_api_client.get(f"{JOBS_URL}{running.id}/annotated.mp4").status_code == 404


def test_schema_documents_video_outputs(client):
    text = client.get("/api/v1/schema/").content.decode()
    for path in ("/api/v1/jobs/{job_id}/annotated.mp4", "/api/v1/jobs/{job_id}/timeline.csv",
                 "/api/v1/jobs/{job_id}/timeline.json"):
        assert path in text
    for field in ("progress_detail", "annotated_video_url", "timeline_csv_url", "frames_per_s", "seconds_left"):
        assert field in text
