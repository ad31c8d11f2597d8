"""The web pages over HTTP (Django's test client, no browser): uploads, access, results.

Jobs created here stay queued: the test transaction never commits, so the
analysis is never enqueued. Finished jobs are written directly with a result in
the shape `ImageAnalysis.to_dict()` produces.
"""

import json
import re
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from inference.labels import EMOJI, EMOTIONS
from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db

PROBABILITIES = {"angry": 0.05, "disgust": 0.01, "fear": 0.04, "happy": 0.7, "sad": 0.05, "surprise": 0.1, "neutral": 0.05}


def photo_upload(samples_dir, name="single_face.jpg"):
    return SimpleUploadedFile(name, (samples_dir / name).read_bytes(), content_type="image/jpeg")


def finished_job(samples_dir, *, owner=None, session_key="", faces=1):
    job = AnalysisJob(
        owner=owner,
        session_key=session_key,
        original_filename="team.jpg",
        status=AnalysisJob.Status.SUCCEEDED,
        progress=100,
        result={
            "faces": [
                {
                    "box": [10 + 60 * index, 20, 50, 50],
                    "detection_score": 0.99,
                    "landmarks": None,
                    "probabilities": PROBABILITIES,
                    "label": "happy",
                    "confidence": 0.7,
                }
                for index in range(faces)
            ],
            "width": 1000,
            "height": 667,
            "detector": "mtcnn",
            "model": "emotion_cnn.keras",
            "timings_ms": {"total": 120.0},
        },
    )
    photo = (samples_dir / "multi_face.jpg").read_bytes()
    job.input_file.save("input.jpg", ContentFile(photo), save=False)
    job.annotated_file.save("annotated.jpg", ContentFile(photo), save=False)
    job.save()
    return job


def session_key_of(client):
    return client.session.session_key


def test_home_offers_the_modes_and_loads_no_cdn_assets(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/analyze/image/"' in html
    assert 'href="/analyze/video/"' in html
    assert 'href="/live/"' in html and 'href="/campaigns/"' in html
    for mode in ("Real-time camera", "Ad-testing studies"):
        assert mode in html
    assert "mode-card-soon" not in html, "every mode is available"
    assert "/static/bootstrap/dist/css/bootstrap.min.css" in html
    external = re.findall(r'(?:src|href)="(https?://[^"]+)"', html)
    assert external == [], f"pages must not load assets from other hosts: {external}"


def test_image_page_accepts_the_good_files_and_names_the_rejected_ones(client, samples_dir):
    response = client.post(
        "/analyze/image/",
        {
            "files": [
                photo_upload(samples_dir, "single_face.jpg"),
                photo_upload(samples_dir, "multi_face.jpg"),
                SimpleUploadedFile("notes.jpg", b"quarterly results, not a picture\n", content_type="image/jpeg"),
            ]
        },
        follow=True,
    )
    jobs = list(AnalysisJob.objects.order_by("original_filename"))
    assert [job.original_filename for job in jobs] == ["multi_face.jpg", "single_face.jpg"]
    assert jobs[0].batch_id == jobs[1].batch_id is not None
    assert all(job.owner is None and job.session_key == session_key_of(client) for job in jobs)

    assert response.redirect_chain[-1][0] == f"/analyze/image/?batch={jobs[0].batch_id}"
    messages = [str(message) for message in response.context["messages"]]
    assert any(m.startswith("“notes.jpg” was not accepted:") and "Accepted formats" in m for m in messages)
    assert "Analysing 2 images." in " ".join(messages)
    html = response.content.decode()
    assert html.count('class="card job-card') == 2
    for job in jobs:
        assert f'data-status-url="/jobs/{job.id}/status.json"' in html


def test_image_page_with_only_rejected_files_creates_nothing(client):
    response = client.post(
        "/analyze/image/", {"files": [SimpleUploadedFile("empty.png", b"")]}, follow=True
    )
    assert AnalysisJob.objects.count() == 0
    assert response.redirect_chain[-1][0] == "/analyze/image/"
    assert "“empty.png” was not accepted" in response.content.decode()


def test_image_page_without_files_asks_for_one(client):
    response = client.post("/analyze/image/", {})
    assert response.status_code == 200
    assert "Choose at least one image to analyse." in response.content.decode()


def test_signed_in_upload_belongs_to_the_user(client, samples_dir, django_user_model):
    user = django_user_model.objects.create_user(username="producer", password="producer-password")
    client.force_login(user)
    client.post("/analyze/image/", {"files": [photo_upload(samples_dir)]})
    job = AnalysisJob.objects.get()
    assert job.owner == user and job.session_key == ""


def test_status_json_reports_progress_and_the_result_links(client, samples_dir):
    client.post("/analyze/image/", {"files": [photo_upload(samples_dir)]})
    queued = AnalysisJob.objects.get()
    status = client.get(f"/jobs/{queued.id}/status.json").json()
    assert status == {
        "id": str(queued.id),
        "kind": "image",
        "status": "queued",
        "progress": 0,
        "progress_detail": {},
        "original_filename": "single_face.jpg",
        "error_message": "",
        "detail_url": f"/jobs/{queued.id}/",
        "result_html_url": None,
        "annotated_image_url": None,
        "annotated_video_url": None,
        "face_count": None,
    }

    done = finished_job(samples_dir, session_key=session_key_of(client), faces=3)
    status = client.get(f"/jobs/{done.id}/status.json").json()
    assert status["status"] == "succeeded" and status["face_count"] == 3
    assert status["result_html_url"] == f"/jobs/{done.id}/?fragment=result"
    assert status["annotated_image_url"] == f"/jobs/{done.id}/annotated.jpg"


def test_a_photo_named_like_a_video_is_said_to_be_one(client, samples_dir):
    client.get("/")
    client.session.save()
    job = finished_job(samples_dir, session_key=session_key_of(client))
    assert "named-as-video" not in client.get(f"/jobs/{job.id}/").content.decode()
    AnalysisJob.objects.filter(pk=job.pk).update(original_filename="holiday clip.MP4")
    page = client.get(f"/jobs/{job.id}/").content.decode()
    assert "Its name says video, but this file holds a still image, so it was analysed as a photo." in page


def test_result_shows_each_face_in_percent_with_the_top_emoji(client, samples_dir):
    client.get("/")  # start a session
    client.session.save()
    job = finished_job(samples_dir, session_key=session_key_of(client), faces=2)

    page = client.get(f"/jobs/{job.id}/").content.decode()
    fragment = client.get(f"/jobs/{job.id}/?fragment=result").content.decode()
    assert "<html" in page and "<html" not in fragment
    for html in (page, fragment):
        rows = re.findall(r'<tr data-face="\d+">(.*?)</tr>', html, flags=re.S)
        assert len(rows) == 2
        # one decimal, and a whole number for phones in a second span
        cells = re.findall(r'probability-cell[^"]*"><span class="d-none d-sm-inline">([\d.]+)%<', rows[0])
        assert [float(value) for value in cells] == [100 * PROBABILITIES[name] for name in EMOTIONS]
        assert EMOJI["happy"] in rows[0]
        charts = re.findall(r'data-chart="([^"]+)"', html)
        assert len(charts) == 2
        chart = json.loads(charts[0].replace("&quot;", '"'))
        assert chart["emotions"] == list(EMOTIONS) and chart["values"][3] == 70.0


def test_no_face_is_a_normal_result(client, samples_dir):
    client.get("/")
    client.session.save()
    job = finished_job(samples_dir, session_key=session_key_of(client), faces=0)
    html = client.get(f"/jobs/{job.id}/").content.decode()
    assert "No face found in this image." in html
    assert "probability-table" not in html


def test_failed_job_shows_its_message(client, samples_dir):
    client.post("/analyze/image/", {"files": [photo_upload(samples_dir)]})
    job = AnalysisJob.objects.get()
    job.status, job.error_message = AnalysisJob.Status.FAILED, "The image is corrupt or truncated."
    job.save()
    html = client.get(f"/jobs/{job.id}/").content.decode()
    assert "This image could not be analysed" in html
    assert "The image is corrupt or truncated." in html


def test_nobody_else_sees_a_job_or_its_image(client, samples_dir, django_user_model):
    owner = django_user_model.objects.create_user(username="owner", password="owner-password")
    intruder = django_user_model.objects.create_user(username="intruder", password="intruder-password")
    job = finished_job(samples_dir, owner=owner)
    urls = [f"/jobs/{job.id}/", f"/jobs/{job.id}/status.json", f"/jobs/{job.id}/annotated.jpg",
            f"/jobs/{job.id}/?fragment=result"]

    for url in urls:
        assert client.get(url).status_code == 404, f"anonymous reached {url}"
    client.force_login(intruder)
    for url in urls:
        assert client.get(url).status_code == 404, f"another user reached {url}"
    assert "team.jpg" not in client.get("/jobs/").content.decode()
    batch_page = client.get(f"/analyze/image/?batch={uuid.uuid4()}").content.decode()
    assert "job-card" not in batch_page

    client.force_login(owner)
    image = client.get(f"/jobs/{job.id}/annotated.jpg")
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert b"".join(image.streaming_content)[:3] == b"\xff\xd8\xff"
    assert "team.jpg" in client.get("/jobs/").content.decode()


def test_job_list_is_paginated_newest_first(client, samples_dir, django_user_model):
    user = django_user_model.objects.create_user(username="busy", password="busy-password")
    for _ in range(21):
        finished_job(samples_dir, owner=user)
    client.force_login(user)
    first = client.get("/jobs/")
    assert len(first.context["rows"]) == 20
    assert "Page 1 of 2" in first.content.decode()
    assert len(client.get("/jobs/?page=2").context["rows"]) == 1


def test_signup_logs_the_producer_in(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "newproducer", "email": "", "password1": "a-long-Passphrase-42", "password2": "a-long-Passphrase-42"},
    )
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    assert client.get("/jobs/").context["user"].username == "newproducer"


def test_signup_errors_are_shown(client):
    response = client.post("/accounts/signup/", {"username": "x", "password1": "short", "password2": "other"})
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()


def test_login_and_logout(client, django_user_model):
    django_user_model.objects.create_user(username="demo", password="demo-producer")
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "demo", "password": "demo-producer"})
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert not client.get("/").context["user"].is_authenticated


def test_video_page_takes_videos_images_and_zips(client):
    response = client.get("/analyze/video/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Drop videos here or click to choose" in html
    accept = re.search(r'accept="([^"]+)"', html).group(1).split(",")
    assert {"video/mp4", ".mov", ".mkv", ".webm", ".avi", "image/jpeg", ".zip"} <= set(accept)
    assert 'aria-current="page"' in html and ">Video analysis</a>" in html


def test_video_page_without_files_asks_for_one(client):
    response = client.post("/analyze/video/", {})
    assert "Choose at least one video to analyse." in response.content.decode()


def test_the_npm_packages_built_files_are_served_and_nothing_else_of_node_modules(client):
    assert client.get("/static/bootstrap/dist/css/bootstrap.min.css").status_code == 200
    assert client.get("/static/chart.js/dist/chart.umd.min.js").status_code == 200
    for private in ("/static/.package-lock.json", "/static/bootstrap/package.json",
                    "/static/bootstrap/scss/_variables.scss"):
        assert client.get(private).status_code == 404, private
