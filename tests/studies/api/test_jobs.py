"""The jobs API: create, poll, result; who may see what; every bad upload."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image
from rest_framework.authtoken.models import Token

from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db

JOBS_URL = "/api/v1/jobs/"


def _detail_url(job_id) -> str:
    return f"/api/v1/jobs/{job_id}/"


def _annotated_url(job_id) -> str:
    return f"/api/v1/jobs/{job_id}/annotated.jpg"


def _post_file(client, upload_file, url=JOBS_URL):
    return client.post(url, {"file": upload_file}, format="multipart")


@pytest.mark.slow
def test_create_poll_and_read_the_result(user_api_client, upload, django_capture_on_commit_callbacks):
    # Eager Celery runs the task when the commit callbacks run, as a worker would after commit.
    with django_capture_on_commit_callbacks(execute=True):
        created = _post_file(user_api_client, upload("multi_face.jpg"))

    assert created.status_code == 201, created.content
    body = created.json()
    assert {"id", "status", "progress", "url", "web_url", "websocket_path", "annotated_image_url"} <= set(body)
    assert body["url"] == f"http://testserver{_detail_url(body['id'])}"
    assert body["web_url"] == f"http://testserver/jobs/{body['id']}/"
    assert body["websocket_path"] == f"/ws/jobs/{body['id']}/"

    polled = user_api_client.get(body["url"])
    assert polled.status_code == 200
    job = polled.json()
    assert job["status"] == "succeeded", job["error"]
    assert job["progress"] == 100
    assert job["error"] == ""
    assert job["face_count"] == 5
    assert len(job["result"]["faces"]) == 5
    for face in job["result"]["faces"]:
        assert list(face["probabilities"]) == ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
    assert job["original_filename"] == "multi_face.jpg"

    image = user_api_client.get(job["annotated_image_url"])
    assert image.status_code == 200
    assert image["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(image.streaming_content))).size == (1000, 667)


@pytest.mark.slow
def test_photo_without_faces_is_a_success_with_no_faces(
    user_api_client, upload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        created = _post_file(user_api_client, upload("no_faces.jpg"))

    job = user_api_client.get(created.json()["url"]).json()
    assert job["status"] == "succeeded"
    assert job["face_count"] == 0
    assert job["result"]["faces"] == []


def test_new_job_is_reported_queued_until_a_worker_runs_it(
    user_api_client, upload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = _post_file(user_api_client, upload("single_face.jpg"))

    assert created.status_code == 201
    assert len(callbacks) == 1
    body = created.json()
    assert (body["status"], body["progress"], body["result"], body["annotated_image_url"]) == ("queued", 0, None, None)


@pytest.mark.parametrize("case", ["gif", "text", "truncated_jpeg", "corrupt_png", "empty", "bomb"])
def test_bad_file_gets_400_with_a_clear_detail_and_no_job(case, user_api_client, upload, bad_uploads):
    data, filename, phrase = bad_uploads[case]

    response = _post_file(user_api_client, upload(data, filename=filename))

    assert response.status_code == 400
    assert phrase in response.json()["detail"]
    assert AnalysisJob.objects.count() == 0


def test_file_over_the_default_20_mb_limit_gets_400(user_api_client, upload, sample_bytes):
    photo = sample_bytes("single_face.jpg")
    oversized = photo[:-2] + b"\x00" * (20 * 1024 * 1024) + photo[-2:]

    response = _post_file(user_api_client, upload(oversized, filename="huge.jpg"))

    assert response.status_code == 400
    assert "the limit is 20.0 MB" in response.json()["detail"]
    assert AnalysisJob.objects.count() == 0


def test_missing_file_field_gets_400(user_api_client):
    response = user_api_client.post(JOBS_URL, {}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"detail": "file: No file was submitted.", "field": "file",
                               "errors": {"file": ["No file was submitted."]}}


def test_two_files_in_one_request_are_refused_instead_of_keeping_only_the_last(user_api_client, upload):
    response = user_api_client.post(JOBS_URL, {"file": [upload("single_face.jpg"), upload("no_faces.jpg")]},
                                    format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"] == {"file": ["One file per request: send each file in a request of its own."]}
    assert AnalysisJob.objects.count() == 0


def test_list_shows_only_own_jobs_newest_first_and_paginated(user, other_user, user_api_client, make_job):
    own = [make_job(owner=user) for _ in range(3)]
    make_job(owner=other_user)
    make_job(session_key="anonymous-browser")

    response = user_api_client.get(JOBS_URL)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [item["id"] for item in body["results"]] == [str(job.id) for job in reversed(own)]
    assert "result" not in body["results"][0]
    assert {"next", "previous"} <= set(body)


def test_list_does_not_grow_queries_with_the_number_of_jobs(
    user, user_api_client, make_job, django_assert_max_num_queries
):
    for _ in range(15):
        make_job(owner=user)
    with django_assert_max_num_queries(3):
        response = user_api_client.get(JOBS_URL)
    assert response.json()["count"] == 15


def test_another_users_job_is_404_on_every_object_endpoint(other_user, user_api_client, make_job):
    theirs = make_job(owner=other_user, status=AnalysisJob.Status.SUCCEEDED)
    theirs.annotated_file.save("annotated.jpg", ContentFile(b"\xff\xd8\xff jpeg bytes"), save=True)

    assert user_api_client.get(_detail_url(theirs.id)).status_code == 404
    assert user_api_client.get(_annotated_url(theirs.id)).status_code == 404


def test_delete_removes_the_job_for_good_and_only_the_owners(user, other_user, user_api_client, make_job):
    mine, theirs = make_job(owner=user), make_job(owner=other_user)

    refused = user_api_client.delete(_detail_url(theirs.id))
    assert refused.status_code == 404 and refused.json()["detail"] == "No such job."
    assert user_api_client.delete(_detail_url(mine.id)).status_code == 204

    assert list(AnalysisJob.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert user_api_client.get(_detail_url(mine.id)).status_code == 404
    assert user_api_client.delete(_detail_url(mine.id)).status_code == 404


def test_deleting_a_live_recording_still_recording_gets_400_with_the_reason(user, user_api_client, make_job):
    recording = make_job(owner=user, kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING,
                         original_filename="Live camera")
    response = user_api_client.delete(_detail_url(recording.id))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("“Live camera” is still being recorded")
    assert AnalysisJob.objects.filter(pk=recording.pk).exists()


def test_anonymous_session_jobs_are_not_reachable_through_the_api(user_api_client, make_job):
    anonymous_job = make_job(session_key="some-browser")
    assert user_api_client.get(_detail_url(anonymous_job.id)).status_code == 404


def test_unknown_job_is_404(user_api_client):
    assert user_api_client.get(_detail_url("6f1c1a9e-0000-4000-8000-000000000000")).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/jobs/123/", "/api/v1/campaigns/abc/", "/api/v1/no-such-thing/"])
def test_an_id_that_is_not_a_uuid_or_an_unknown_path_gets_a_json_404(api_client, path):
    for method in (api_client.get, api_client.post, api_client.delete, api_client.options):
        response = method(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert "No API endpoint at" in response.json()["detail"] and "UUID" in response.json()["detail"]


def test_an_endpoint_asked_without_its_trailing_slash_still_redirects_to_it(api_client):
    response = api_client.get("/api/v1/jobs?page=2")
    assert response.status_code == 301 and response["Location"] == "/api/v1/jobs/?page=2"
    assert api_client.get("/api/v1/jobs/123", follow=True).status_code == 404


def test_an_upload_sent_without_the_trailing_slash_is_redirected_keeping_its_method(user_api_client, upload):
    # A 301 would be followed as a GET: the client would get the job list back, and no job.
    response = _post_file(user_api_client, upload("single_face.jpg"), url="/api/v1/jobs")
    assert response.status_code == 308 and response["Location"] == "/api/v1/jobs/"
    assert not AnalysisJob.objects.exists()
    unknown = user_api_client.post("/api/v1/jobz")
    assert unknown.status_code == 404 and "No API endpoint at /api/v1/jobz" in unknown.json()["detail"]


def test_the_schema_shows_uploads_as_files_and_lists_as_pages(client):
    import yaml

    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    upload = schema["paths"]["/api/v1/jobs/"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    upload_fields = schema["components"]["schemas"][upload["$ref"].rsplit("/", 1)[1]]["properties"]
    assert upload_fields["file"] == {**upload_fields["file"], "type": "string", "format": "binary"}
    listing = schema["paths"]["/api/v1/jobs/"]["get"]
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"count", "next", "previous", "results"}
    assert "page" in [parameter["name"] for parameter in listing["parameters"]]
    assert "one class routes both" not in str(listing), "a code comment is not the API's documentation"


def test_anonymous_requests_get_401_everywhere(api_client, upload, make_job):
    job = make_job(owner=None, session_key="abc")
    responses = [
        api_client.get(JOBS_URL),
        _post_file(api_client, upload("single_face.jpg")),
        api_client.get(_detail_url(job.id)),
        api_client.get(_annotated_url(job.id)),
    ]
    assert [response.status_code for response in responses] == [401] * 4
    assert all(response["WWW-Authenticate"] == "Token" for response in responses)
    assert AnalysisJob.objects.count() == 1


def test_token_from_the_auth_endpoint_authenticates(user, api_client, make_job):
    job = make_job(owner=user)

    bad = api_client.post("/api/v1/auth/token/", {"username": "producer", "password": "wrong"})
    assert bad.status_code == 400

    issued = api_client.post("/api/v1/auth/token/", {"username": "producer", "password": "producer-password"})
    assert issued.status_code == 200
    token = issued.json()["token"]
    assert token == Token.objects.get(user=user).key

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get(_detail_url(job.id))
    assert response.status_code == 200
    assert response.json()["id"] == str(job.id)


def test_session_login_authenticates_the_api(user, client, make_job):
    job = make_job(owner=user)
    client.login(username="producer", password="producer-password")

    response = client.get(_detail_url(job.id))

    assert response.status_code == 200


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/v1/schema/")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/v1/jobs/", "/api/v1/jobs/{job_id}/", "/api/v1/auth/token/"):
        assert path in text

    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()
    assert reverse("api:schema") in page
    bundle = re.search(r'src="([^"]*swagger-ui-bundle\.js)"', page).group(1)
    assert bundle.startswith("/static/drf_spectacular_sidecar/")
    assert client.get(bundle).status_code == 200
