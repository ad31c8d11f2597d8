"""A campaign report shared by a read-only link: frozen averages over 5 viewers or more, and the ad, for
anyone with the link; never a viewer."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from studies import reports, services
from studies.models import Campaign, ViewerSession
from tests.studies.conftest import sample_series

pytestmark = pytest.mark.django_db

HOOK = {"name": "Hook", "start_s": 0.5, "end_s": 1.5, "expected_emotions": ["happy"]}


@pytest.fixture
def campaign(user, make_campaign):
    return make_campaign(user, name="Summer cut", segments=[HOOK])


@pytest.fixture
def watch(join):
    def watch(campaign, count, *, happy=0.5):
        sessions = []
        for _ in range(count):
            session = join(campaign)
            services.viewer_samples_add(session, sample_series(range(0, 2000, 100), happy))
            services.viewer_session_finish(session)
            sessions.append(session)
        return sessions
    return watch


def _share(client, user, campaign, action="share/"):
    client.force_login(user)
    response = client.post(f"/campaigns/{campaign.id}/{action}")
    assert response.status_code == 302 and response["Location"] == f"/campaigns/{campaign.id}/report/#share"
    campaign.refresh_from_db()
    return response


def _figures(page) -> dict:
    return json.loads(page.content.decode().split('<script id="report-data" type="application/json">')[1]
                      .split("</script>")[0])


def test_the_link_shows_frozen_averages_and_the_ad_to_anyone_and_never_a_viewer(client, user, campaign, watch):
    viewers = watch(campaign, 5)
    _share(client, user, campaign)
    link = f"/r/{campaign.share_token}/"
    owners_page = client.get(f"/campaigns/{campaign.id}/report/").content.decode()
    assert f'value="http://testserver{link}"' in owners_page and "Stop sharing" in owners_page

    stranger = Client()
    page = stranger.get(link)
    html = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store, private"
    assert page["X-Robots-Tag"] == "noindex, nofollow" and page["Referrer-Policy"] == "no-referrer"
    assert "Summer cut" in html and "Hook" in html and "Averages over <strong class=\"text-body\">5</strong>" in html
    assert f'src="{link}ad"' in html
    for private in [str(campaign.id)] + [str(s.id) for s in viewers] + [s.viewer_id for s in viewers] + [
            "report-viewers", "report-filters", "Share…", "Stop sharing", "in progress", "withdrawn"]:
        assert private not in html, private
    figures = _figures(page)
    assert set(figures) == {"viewers", "campaign", "curves", "overall", "segments", "moments"}
    assert figures["segments"][0]["id"] == 1 and figures["segments"][0]["viewers"] == 5
    assert stranger.head(link).status_code == 200

    ad = stranger.get(f"{link}ad", HTTP_RANGE="bytes=0-99")
    assert ad.status_code == 206 and ad["Content-Range"].startswith("bytes 0-99/")
    assert stranger.get(f"/campaigns/{campaign.id}/report/").status_code == 302  # the producer's page is not

    watch(campaign, 1, happy=0.9)  # frozen: a later viewer cannot be singled out by comparing two visits
    assert _figures(stranger.get(link)) == figures


def test_fewer_than_five_viewers_cannot_be_shared(client, user, campaign, watch):
    watch(campaign, 4)
    response = _share(client, user, campaign)
    assert campaign.share_token is None
    page = client.get(response["Location"]).content.decode()
    assert "A report can be shared once 5 viewers who agreed to it have watched to the end; so far 4 viewers." in page


def test_viewers_who_consented_under_the_earlier_wording_are_left_out(client, user, campaign, watch):
    earlier = watch(campaign, 5)
    ViewerSession.objects.filter(pk__in=[s.pk for s in earlier]).update(consent_version="2026-11-27")
    watch(campaign, 4)
    _share(client, user, campaign)
    assert campaign.share_token is None  # 4 viewers read the wording that allows sharing


def test_the_figures_are_updated_only_after_five_viewers_came_or_went(client, user, campaign, watch):
    first = watch(campaign, 5)
    _share(client, user, campaign)
    watch(campaign, 3)
    services.viewer_session_withdraw(first[0])
    response = _share(client, user, campaign, action="share/update/")
    assert campaign.share_snapshot["figures"] is None  # taken down by the withdrawal, not yet back
    assert "once 5 viewers have come or gone since they were frozen; so far 4 viewers." in client.get(
        response["Location"]).content.decode()
    watch(campaign, 1)
    _share(client, user, campaign, action="share/update/")
    assert campaign.share_snapshot["figures"]["viewers"] == 8


@pytest.mark.parametrize("leaves", ["withdraws", "is erased", "passes the retention period"])
def test_a_viewer_who_leaves_takes_the_shared_figures_down_until_five_changed(client, user, campaign, watch, leaves):
    viewers = watch(campaign, 6)
    _share(client, user, campaign)
    link = f"/r/{campaign.share_token}/"
    later = watch(campaign, 1)[0]  # not in the shared figures: leaving changes nothing there
    services.viewer_session_withdraw(later)
    assert Client().get(link).status_code == 200

    if leaves == "withdraws":
        services.viewer_session_withdraw(viewers[0])
    elif leaves == "is erased":
        services.viewer_session_erase(viewers[0])
    else:
        Campaign.objects.filter(pk=campaign.pk).update(retention_days=30)
        ViewerSession.objects.filter(pk=viewers[0].pk).update(started_at=viewers[0].started_at - timedelta(days=31))
        assert services.campaign_data_purge_expired() == 1
    campaign.refresh_from_db()
    assert campaign.share_snapshot["figures"] is None
    down = Client().get(link)
    html = down.content.decode()
    assert down.status_code == 503 and "this report is being updated" in html and "Averages over" not in html
    assert down["Cache-Control"] == "no-store, private"
    assert "the link says the report is being updated and shows no figures" in client.get(
        f"/campaigns/{campaign.id}/report/").content.decode()

    # Back at once, the brand could subtract the two versions and recover the leaver's own answers.
    _share(client, user, campaign, action="share/update/")
    assert campaign.share_snapshot["figures"] is None
    watch(campaign, 4)  # with the leaver, 5 changed
    _share(client, user, campaign, action="share/update/")
    assert _figures(Client().get(link))["viewers"] == 9


def test_a_shared_campaign_without_frozen_figures_says_it_is_being_updated(client, user, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(share_token="typed-by-hand-in-the-admin")
    assert Client().get("/r/typed-by-hand-in-the-admin/").status_code == 503


def test_a_new_link_or_stopping_ends_the_old_one(client, user, campaign, watch):
    watch(campaign, 5)
    _share(client, user, campaign)
    first = f"/r/{campaign.share_token}/"
    _share(client, user, campaign)
    second = f"/r/{campaign.share_token}/"
    assert first != second
    assert Client().get(first).status_code == 404 and Client().get(f"{first}ad").status_code == 404
    assert Client().get(second).status_code == 200

    client.post(f"/campaigns/{campaign.id}/share/stop/")
    assert Client().get(second).status_code == 404
    stopped = Campaign.objects.get(pk=campaign.pk)
    assert stopped.share_token is None and stopped.share_snapshot is None
    assert "Make a read-only link" in client.get(f"/campaigns/{campaign.id}/report/").content.decode()


def test_only_the_owner_shares(client, other_user, campaign, watch):
    watch(campaign, 5)
    client.force_login(other_user)
    assert client.post(f"/campaigns/{campaign.id}/share/").status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).share_token is None


def test_a_made_up_link_finds_nothing():
    assert Client().get("/r/not-a-real-token/").status_code == 404


def test_shared_figures_blank_what_fewer_than_five_viewers_stand_for():
    report = {
        "viewers": 6,
        "campaign": {"id": "x", "name": "Cut", "brand": "", "status": "collecting", "ad_duration_s": 1.0,
                     "is_demo": False},
        "curves": {"bin_s": 0.25, "times_s": [0, 0.25], "viewers": [6, 2], "face_visible_rate": [1.0, 0.5],
                   "emotions": {"happy": {"mean": [40.0, 90.0], "low": [30.0, 80.0], "high": [50.0, 99.0]}}},
        "overall": {"happy": 0.4},
        "segments": [{"id": 77, "name": "Late", "start_s": 0.5, "end_s": 1.0, "expected": ["happy"], "viewers": 2,
                      "face_visible_rate": 0.5, "means": {"happy": 0.9}, "dominant": "happy",
                      "dominant_is_expected": True, "expected_mean": 0.9,
                      "lift": {"mean": 0.5, "low": 0.1, "high": 0.9, "n": 2}, "verdict": "met",
                      "verdict_label": "Met", "verdict_reason": "happy +50.0 pts"}],
        "moments": {"window_s": 2.0, "tests": 6,
                    "peaks": [{"emotion": "happy", "start_s": 0, "end_s": 2, "lift": {"mean": 0.3, "n": 4}}],
                    "attention_dip": {"start_s": 0, "end_s": 2, "viewers": 6}},
        "sessions": {"withdrawn": 1}, "filters": {},
    }
    shared = reports.shared_figures(report)
    assert shared["curves"]["emotions"]["happy"] == {"mean": [40.0, None], "low": [30.0, None], "high": [50.0, None]}
    assert shared["curves"]["viewers"] == [6, None] and shared["campaign"] == {
        "name": "Cut", "brand": "", "ad_duration_s": 1.0, "is_demo": False}
    segment, = shared["segments"]
    assert segment["id"] == 1 and segment["means"] == {"happy": None} and segment["verdict"] == "too_few_viewers"
    assert segment["lift"] == {"mean": None, "low": None, "high": None, "n": 2}
    assert shared["moments"]["peaks"] == [] and shared["moments"]["attention_dip"]["viewers"] == 6
