"""Error pages as people see them with DEBUG off (the test settings): the reason the view gave,
the limit a refused request broke, and a way back."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


def _tiny_files(count: int) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"face-{number}.jpg", b"x", content_type="image/jpeg") for number in range(count)]


def test_a_missing_analysis_says_why_on_a_page_with_the_navigation(client):
    response = client.get(f"/jobs/{uuid.uuid4()}/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "No such analysis, or it belongs to someone else." in html
    assert 'href="/analyze/image/"' in html, "the page keeps the site's navigation"


def test_an_unknown_address_gets_the_general_explanation(client):
    html = client.get("/no-such-page/").content.decode()
    assert "There is no page at this address." in html and "Resolver404" not in html


def test_more_files_than_django_reads_get_the_batch_limit_not_a_bare_400(client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    settings.FER_MAX_BATCH_FILES = 2
    response = client.post("/analyze/image/", {"files": _tiny_files(4)})
    html = response.content.decode()
    assert response.status_code == 400
    assert "Too many files in one upload: at most 2 can be analysed at once." in html
    assert 'href="/"' in html


def test_the_form_names_the_configured_batch_limit(client, settings):
    settings.FER_MAX_BATCH_FILES = 2
    html = client.post("/analyze/image/", {"files": _tiny_files(3)}).content.decode()
    assert "Please upload at most 2 files at a time (you chose 3)." in html
    assert 'data-max-files="2"' in html, "upload.js warns before the upload with the same limit"


def test_the_api_answers_a_request_over_django_limits_in_its_error_shape(user_api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    settings.FER_MAX_BATCH_FILES = 2
    response = user_api_client.post("/api/v1/jobs/", {"file": _tiny_files(4)}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"detail": "Too many files in one upload: at most 2 can be analysed at once. "
                                         "Choose fewer and upload the rest afterwards.",
                               "field": None, "errors": {}}


def test_a_form_sent_without_its_csrf_token_says_nothing_changed(user, settings):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/campaigns/new/", {"name": "Spring"})
    html = response.content.decode()
    assert response.status_code == 403
    assert "The form had expired" in html and "Nothing was changed." in html


def test_the_500_page_renders_with_nothing_but_the_template():
    from django.template import loader

    html = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in html and "bootstrap.min.css" in html
