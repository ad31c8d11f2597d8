"""Deleting an analysis, or a whole batch, from its page."""

from pathlib import Path

import pytest
from django.contrib.messages import get_messages

from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db

BATCH = "3f0f6bb4-8f4c-4a43-9b39-1d6c1cda0f6e"


def _session_key(client) -> str:
    session = client.session
    session.save()
    return session.session_key


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_result_page_offers_delete_and_deleting_goes_back_to_the_list(
        client, make_job, settings, django_capture_on_commit_callbacks):
    job = make_job(session_key=_session_key(client), original_filename="team photo.jpg")
    page = client.get(f"/jobs/{job.id}/").content.decode()
    assert f'action="/jobs/{job.id}/delete/"' in page and ">Delete</button>" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/jobs/{job.id}/delete/")

    assert response.status_code == 302 and response["Location"] == "/jobs/"
    assert _messages(response) == ["“team photo.jpg” was deleted, with its upload and results."]
    assert not AnalysisJob.objects.exists()
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]
    assert client.get(f"/jobs/{job.id}/").status_code == 404


def test_someone_elses_analysis_cannot_be_deleted(client, user, make_job):
    theirs, other_browsers = make_job(owner=user), make_job(session_key="another-browser")
    _session_key(client)
    for job in (theirs, other_browsers):
        assert client.post(f"/jobs/{job.id}/delete/").status_code == 404
    assert AnalysisJob.objects.count() == 2


def test_delete_takes_post_only(client, make_job):
    job = make_job(session_key=_session_key(client))
    assert client.get(f"/jobs/{job.id}/delete/").status_code == 405
    assert AnalysisJob.objects.filter(pk=job.pk).exists()


def test_a_live_recording_still_recording_offers_no_delete_and_a_forced_post_says_why(client, user, make_job):
    client.force_login(user)
    recording = make_job(owner=user, kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING,
                         original_filename="Live camera, 27 Nov 2026 12:00:00")
    assert "/delete/" not in client.get(f"/jobs/{recording.id}/").content.decode()

    response = client.post(f"/jobs/{recording.id}/delete/")
    assert response.status_code == 302 and response["Location"] == f"/jobs/{recording.id}/"
    assert _messages(response)[0].startswith("“Live camera, 27 Nov 2026 12:00:00” is still being recorded")
    assert AnalysisJob.objects.filter(pk=recording.pk).exists()


def test_a_batch_is_deleted_whole_and_only_the_viewers_part_of_it(client, make_job, make_video_job):
    key = _session_key(client)
    make_job(session_key=key, batch_id=BATCH)
    make_video_job(session_key=key, batch_id=BATCH)
    elsewhere = make_job(session_key=key)
    someone_elses = make_job(session_key="another-browser", batch_id=BATCH)
    assert f'action="/batches/{BATCH}/delete/"' in client.get(f"/batches/{BATCH}/").content.decode()

    response = client.post(f"/batches/{BATCH}/delete/")

    assert response.status_code == 302 and response["Location"] == "/jobs/"
    assert _messages(response) == ["Deleted 2 analyses of the batch, with the uploads and results."]
    assert set(AnalysisJob.objects.values_list("pk", flat=True)) == {elsewhere.pk, someone_elses.pk}
    assert client.post(f"/batches/{BATCH}/delete/").status_code == 404  # nothing of it left for this viewer
