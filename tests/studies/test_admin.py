"""The admin lists and opens analysis jobs."""

import pytest

pytestmark = pytest.mark.django_db


def test_admin_lists_searches_and_opens_jobs(admin_client, user, make_job):
    job = make_job(owner=user, original_filename="campaign-frame.jpg")

    listing = admin_client.get("/admin/studies/analysisjob/", {"q": "campaign-frame"})
    assert listing.status_code == 200
    assert str(job.id) in listing.content.decode()

    change = admin_client.get(f"/admin/studies/analysisjob/{job.id}/change/")
    assert change.status_code == 200
    assert "campaign-frame.jpg" in change.content.decode()


def test_admin_is_closed_to_ordinary_users(client, user):
    client.force_login(user)
    response = client.get("/admin/studies/analysisjob/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
