"""A job's files are saved under the name the upload had: holiday_annotated.jpg, ad_timeline.csv."""

import pytest
from django.core.files.base import ContentFile

from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db

VIDEO_BYTES = bytes(range(256)) * 8
TIMELINE_CSV = b"time_s,frame,track_id\n0.0,0,1\n"


def _session_key(client) -> str:
    session = client.session
    session.save()
    return session.session_key


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def finished_photo(client, make_job, sample_bytes):
    def make(original_filename, **viewer):
        viewer = viewer or {"session_key": _session_key(client)}
        job = make_job(original_filename=original_filename, status=AnalysisJob.Status.SUCCEEDED, progress=100,
                       result={"faces": []}, **viewer)
        job.annotated_file.save("annotated.jpg", ContentFile(sample_bytes("single_face.jpg")), save=True)
        return job

    return make


@pytest.fixture
def finished_video(client, make_video_job):
    def make(original_filename, **viewer):
        viewer = viewer or {"session_key": _session_key(client)}
        job = make_video_job(original_filename=original_filename, status=AnalysisJob.Status.SUCCEEDED, progress=100,
                             result={"tracks": [], "chart": [], "info": {}}, **viewer)
        job.annotated_file.save("annotated.mp4", ContentFile(VIDEO_BYTES), save=False)
        job.timeline_csv.save("timeline.csv", ContentFile(TIMELINE_CSV), save=False)
        job.timeline_json.save("timeline.json", ContentFile(b'{"frames": []}'), save=False)
        job.save()
        return job

    return make


def test_the_annotated_image_is_shown_inline_under_the_photos_name(client, finished_photo, sample_bytes):
    job = finished_photo("holiday.png")

    response = client.get(f"/jobs/{job.id}/annotated.jpg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'inline; filename="holiday_annotated.jpg"'
    assert _body(response) == sample_bytes("single_face.jpg")


def test_a_videos_files_are_named_after_the_upload(client, finished_video):
    job = finished_video("ad.mp4")

    video = client.get(f"/jobs/{job.id}/annotated.mp4")
    csv_file = client.get(f"/jobs/{job.id}/timeline.csv")
    json_file = client.get(f"/jobs/{job.id}/timeline.json")

    # inline, so the <video> element still plays it; the name is for "save video as" and the download link
    assert video["Content-Disposition"] == 'inline; filename="ad_annotated.mp4"'
    assert _body(video) == VIDEO_BYTES
    assert csv_file["Content-Disposition"] == 'attachment; filename="ad_timeline.csv"'
    assert _body(csv_file) == TIMELINE_CSV
    assert json_file["Content-Disposition"] == 'attachment; filename="ad_timeline.json"'


def test_a_range_of_the_video_carries_the_same_name(client, finished_video):
    job = finished_video("ad.mp4")

    response = client.get(f"/jobs/{job.id}/annotated.mp4", HTTP_RANGE="bytes=0-99")

    assert response.status_code == 206
    assert response["Content-Disposition"] == 'inline; filename="ad_annotated.mp4"'
    assert _body(response) == VIDEO_BYTES[:100]


def test_a_name_beyond_ascii_is_sent_as_utf8_filename_star(client, finished_photo, finished_video):
    photo = finished_photo("Fête d'été.jpg")
    video = finished_video("Рекламный ролик.mp4")

    image = client.get(f"/jobs/{photo.id}/annotated.jpg")
    timeline = client.get(f"/jobs/{video.id}/timeline.csv")

    assert image["Content-Disposition"] == "inline; filename*=utf-8''F%C3%AAte%20d%27%C3%A9t%C3%A9_annotated.jpg"
    assert timeline["Content-Disposition"] == (
        "attachment; filename*=utf-8''%D0%A0%D0%B5%D0%BA%D0%BB%D0%B0%D0%BC%D0%BD%D1%8B%D0%B9%20"
        "%D1%80%D0%BE%D0%BB%D0%B8%D0%BA_timeline.csv"
    )


def test_a_hostile_upload_name_cannot_break_out_of_the_header(client, finished_video):
    # A quote would end the filename, a line break would start a header of its own.
    job = finished_video('C:\\fakepath\\"ad"\r\nSet-Cookie: x=1.mp4')

    response = client.get(f"/jobs/{job.id}/timeline.csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ad_ Set-Cookie_ x=1_timeline.csv"'
    assert "Set-Cookie" not in {name for name, _ in response.items()}


def test_a_job_without_a_file_name_keeps_the_names_it_had(client, finished_photo, finished_video):
    photo = finished_photo("")
    video = finished_video("")

    assert client.get(f"/jobs/{photo.id}/annotated.jpg")["Content-Disposition"] == 'inline; filename="annotated.jpg"'
    assert client.get(f"/jobs/{video.id}/annotated.mp4")["Content-Disposition"] == (
        f'inline; filename="{video.id}-annotated.mp4"'
    )
    assert client.get(f"/jobs/{video.id}/timeline.json")["Content-Disposition"] == (
        f'attachment; filename="{video.id}-timeline.json"'
    )


def test_the_api_serves_a_videos_files_under_the_same_names(user, user_api_client, finished_video):
    job = finished_video("ad.mp4", owner=user)

    for path, disposition in [("annotated.mp4", 'inline; filename="ad_annotated.mp4"'),
                              ("timeline.csv", 'attachment; filename="ad_timeline.csv"'),
                              ("timeline.json", 'attachment; filename="ad_timeline.json"')]:
        response = user_api_client.get(f"/api/v1/jobs/{job.id}/{path}")
        assert response.status_code == 200, path
        assert response["Content-Disposition"] == disposition


def test_a_file_missing_from_storage_is_a_404_that_says_so(client, finished_photo, finished_video):
    photo, video = finished_photo("holiday.jpg"), finished_video("ad.mp4")
    photo.annotated_file.storage.delete(photo.annotated_file.name)
    video.annotated_file.storage.delete(video.annotated_file.name)

    image = client.get(f"/jobs/{photo.id}/annotated.jpg")
    assert image.status_code == 404 and "missing from the server" in image.content.decode()
    player = client.get(f"/jobs/{video.id}/annotated.mp4")
    assert player.status_code == 404 and "missing from the server" in player.content.decode()


def _fetch_over_asgi(user, path, **headers):
    """The response Daphne would send, read part by part as it streams (Django's ASGI handler)."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    async def fetch():
        client = AsyncClient()
        await client.aforce_login(user)
        response = await client.get(path, headers=headers)
        return response, [part async for part in response.streaming_content]

    return async_to_sync(fetch)()


def test_under_asgi_a_video_streams_a_chunk_at_a_time_instead_of_being_read_whole_first(user, make_video_job):
    from studies.file_responses import CHUNK_BYTES

    data = bytes(range(256)) * (CHUNK_BYTES * 3 // 256 + 7)  # three chunks and a bit
    job = make_video_job(owner=user, status=AnalysisJob.Status.SUCCEEDED, progress=100, result={"tracks": []})
    job.annotated_file.save("annotated.mp4", ContentFile(data), save=True)

    for path in (f"/jobs/{job.id}/annotated.mp4", f"/api/v1/jobs/{job.id}/annotated.mp4"):
        response, parts = _fetch_over_asgi(user, path, Range="bytes=0-")

        assert response.status_code == 206 and response.is_async, path  # a sync body is read whole into memory
        assert len(parts) == 4 and b"".join(parts) == data


def test_under_asgi_a_batch_zip_goes_out_as_it_is_written(user, make_job, sample_bytes):
    import io
    import uuid
    import zipfile

    batch_id = uuid.uuid4()
    for name in ("a.jpg", "b.jpg"):
        job = make_job(owner=user, batch_id=batch_id, original_filename=name, status=AnalysisJob.Status.SUCCEEDED,
                       progress=100, result={"faces": []})
        job.annotated_file.save("annotated.jpg", ContentFile(sample_bytes("single_face.jpg")), save=True)

    response, parts = _fetch_over_asgi(user, f"/batches/{batch_id}/download.zip")

    assert response.status_code == 200 and response.is_async
    assert response["Content-Disposition"] == f'attachment; filename="batch-{batch_id}.zip"'
    assert len([part for part in parts if part]) >= 3 and parts[0].startswith(b"PK\x03\x04")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(parts)))
    assert archive.testzip() is None
    assert sorted(archive.namelist()) == ["01_a/annotated.jpg", "01_a/result.json", "02_b/annotated.jpg",
                                          "02_b/result.json", "combined.csv"]
