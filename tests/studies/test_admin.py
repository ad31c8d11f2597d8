"""The admin lists and opens analysis jobs and every ad-testing model."""

import uuid

import pytest

from studies import services
from studies.models import EmotionSample, SampleBatch
from tests.studies.conftest import sample_series

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


def test_admin_opens_every_ad_testing_model(admin_client, user, make_campaign, join):
    campaign = make_campaign(user, segments=[{"name": "Hook", "start_s": 0, "end_s": 1, "expected_emotions": ["happy"]}])
    session = join(campaign)
    services.viewer_samples_add(session, sample_series([0, 100], 0.5), batch_id=uuid.uuid4())
    objects = {
        "campaign": campaign.id, "segment": campaign.segments.get().id, "invitation": session.invitation_id,
        "viewersession": session.id, "emotionsample": EmotionSample.objects.first().id,
        "samplebatch": SampleBatch.objects.get().id,
    }
    for model, pk in objects.items():
        assert admin_client.get(f"/admin/studies/{model}/").status_code == 200, model
        assert admin_client.get(f"/admin/studies/{model}/{pk}/change/").status_code == 200, model
    assert "Spring launch" in admin_client.get(f"/admin/studies/campaign/{campaign.id}/change/").content.decode()


def test_admin_lists_viewer_sessions_with_their_face_visible_share_in_percent(admin_client, user, make_campaign, join):
    campaign = make_campaign(user, segments=[{"name": "Hook", "start_s": 0, "end_s": 1, "expected_emotions": ["happy"]}])
    session = join(campaign)
    session.face_visible_share = 0.9466666
    session.save(update_fields=["face_visible_share"])
    listing = admin_client.get("/admin/studies/viewersession/").content.decode()
    assert "94%" in listing and "0.946" not in listing, "rounded down, as the report shows it"


def test_admin_index_spells_every_plural(admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert "Sample batches" in index and "batchs" not in index
