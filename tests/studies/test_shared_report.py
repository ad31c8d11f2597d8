"""A campaign report shared by a read-only link: aggregates and the ad for anyone with the link, nothing else."""

import pytest
from django.test import Client

from studies import services
from studies.models import Campaign
from tests.studies.conftest import sample_series

pytestmark = pytest.mark.django_db


@pytest.fixture
def watched(user, make_campaign, join):
    campaign = make_campaign(user, name="Summer cut", segments=[
        {"name": "Hook", "start_s": 0.5, "end_s": 1.5, "expected_emotions": ["happy"]}])
    viewers = []
    for happy in (0.3, 0.5, 0.7):
        session = join(campaign)
        services.viewer_samples_add(session, sample_series(range(0, 2000, 100), happy))
        services.viewer_session_finish(session)
        viewers.append(session)
    return campaign, viewers


def _share(client, user, campaign) -> str:
    client.force_login(user)
    response = client.post(f"/campaigns/{campaign.id}/share/")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.id}/report/#share"
    campaign.refresh_from_db()
    return f"/r/{campaign.share_token}/"


def test_the_link_shows_the_figures_and_the_ad_to_anyone_and_never_a_viewer(client, user, watched):
    campaign, viewers = watched
    link = _share(client, user, campaign)
    owners_page = client.get(f"/campaigns/{campaign.id}/report/").content.decode()
    assert f'value="http://testserver{link}"' in owners_page and "Stop sharing" in owners_page

    stranger = Client()
    page = stranger.get(link)
    html = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex, nofollow"
    assert page["Referrer-Policy"] == "no-referrer"
    assert "Summer cut" in html and "Hook" in html and 'id="curves-chart"' in html
    assert f'src="{link}ad"' in html
    for private in [str(session.id) for session in viewers] + [session.viewer_id for session in viewers] + [
            f"/campaigns/{campaign.id}/", "report-viewers", "report-filters", "Share…", "/export", "Stop sharing"]:
        assert private not in html, private

    ad = stranger.get(f"{link}ad", HTTP_RANGE="bytes=0-99")
    assert ad.status_code == 206 and ad["Content-Range"].startswith("bytes 0-99/")
    assert stranger.get(f"/campaigns/{campaign.id}/report/").status_code == 302  # the producer's page is not


def test_a_new_link_or_stopping_ends_the_old_one(client, user, watched):
    campaign, _ = watched
    first = _share(client, user, campaign)
    second = _share(client, user, campaign)
    assert first != second
    assert Client().get(first).status_code == 404 and Client().get(f"{first}ad").status_code == 404
    assert Client().get(second).status_code == 200

    client.post(f"/campaigns/{campaign.id}/share/stop/")
    assert Client().get(second).status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).share_token is None
    assert "Make a read-only link" in client.get(f"/campaigns/{campaign.id}/report/").content.decode()


def test_only_the_owner_shares(client, other_user, watched):
    campaign, _ = watched
    client.force_login(other_user)
    assert client.post(f"/campaigns/{campaign.id}/share/").status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).share_token is None
    assert client.get(f"/campaigns/{campaign.id}/share/").status_code == 405


def test_a_made_up_link_finds_nothing(watched):
    assert Client().get("/r/not-a-real-token/").status_code == 404
