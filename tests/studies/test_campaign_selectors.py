"""Producers see only their own campaigns; reports filter viewers as asked."""

import pytest

from studies import selectors, services
from studies.models import Campaign, Invitation, Segment, ViewerSession
from studies.report_filters import ReportFilters
from tests.studies.conftest import sample_series

pytestmark = pytest.mark.django_db

HOOK = {"name": "Hook", "start_s": 1.0, "end_s": 2.0, "expected_emotions": ["happy"]}


@pytest.fixture
def campaign_with_viewers(user, make_campaign, join):
    campaign = make_campaign(user, segments=[HOOK])
    viewers = {}
    for name, (outside, inside, finish) in {"a": (0.2, 0.8, True), "b": (0.1, 0.5, True), "c": (0.3, 0.6, True),
                                            "d": (0.2, 0.6, True), "live": (0.0, 1.0, False)}.items():
        session = join(campaign)
        services.viewer_samples_add(session, sample_series(range(0, 1000, 100), outside)
                                    + sample_series(range(1000, 2000, 100), inside))
        if finish:
            services.viewer_session_finish(session)
        viewers[name] = session
    return campaign, viewers


def test_the_report_counts_completed_viewers_by_default(campaign_with_viewers):
    campaign, viewers = campaign_with_viewers
    report = selectors.campaign_report(campaign)
    assert report["viewers"] == 4
    segment, = report["segments"]
    assert segment["verdict"] == "met" and segment["lift"]["n"] == 4
    assert segment["lift"]["mean"] == pytest.approx((0.6 + 0.4 + 0.3 + 0.4) / 4, abs=1e-4)
    assert report["sessions"]["completed"] == 4 and report["sessions"]["in_progress"] == 1
    assert report["campaign"]["name"] == campaign.name


def test_in_progress_viewers_can_be_included_and_withdrawn_ones_never(campaign_with_viewers):
    campaign, viewers = campaign_with_viewers
    assert selectors.campaign_report(campaign, ReportFilters(completed_only=False))["viewers"] == 5
    services.viewer_session_withdraw(viewers["a"])
    assert selectors.campaign_report(campaign, ReportFilters(completed_only=False))["viewers"] == 4


def test_a_minimum_face_share_leaves_out_poorly_seen_viewers(campaign_with_viewers, join):
    campaign, _ = campaign_with_viewers
    shy = join(campaign)
    services.viewer_samples_add(shy, sample_series(range(0, 1500, 100), 0, face=False) + sample_series([1600], 0.9))
    services.viewer_session_finish(shy)
    assert selectors.campaign_report(campaign)["viewers"] == 5
    assert selectors.campaign_report(campaign, ReportFilters(min_face_share=0.5))["viewers"] == 4


def test_a_viewer_report_shows_that_viewers_own_curve(campaign_with_viewers):
    _, viewers = campaign_with_viewers
    report = selectors.viewer_report(viewers["a"])
    happy = report["curves"]["emotions"]["happy"]["mean"]
    assert happy[0] == pytest.approx(20.0) and happy[7] == pytest.approx(80.0) and happy[-1] is None  # no samples after 2 s
    assert report["segments"][0]["lift"]["mean"] == pytest.approx(0.6, abs=1e-4)
    assert report["viewer"]["viewer_id"] == viewers["a"].viewer_id


def test_nobody_reads_another_producers_objects(campaign_with_viewers, other_user):
    campaign, viewers = campaign_with_viewers
    segment = campaign.segments.get()
    invitation = campaign.invitations.first()
    assert list(selectors.campaign_list_for_owner(user=other_user)) == []
    with pytest.raises(Campaign.DoesNotExist):
        selectors.campaign_get_for_owner(user=other_user, campaign_id=campaign.id)
    with pytest.raises(Segment.DoesNotExist):
        selectors.segment_get_for_owner(user=other_user, segment_id=segment.id)
    with pytest.raises(Invitation.DoesNotExist):
        selectors.invitation_get_for_owner(user=other_user, invitation_id=invitation.id)
    with pytest.raises(ViewerSession.DoesNotExist):
        selectors.viewer_session_get_for_owner(user=other_user, session_id=viewers["a"].id)


def test_the_list_counts_viewers(campaign_with_viewers, user):
    listed, = selectors.campaign_list_for_owner(user=user)
    assert (listed.viewers_total, listed.viewers_completed, listed.segment_count) == (5, 4, 1)


def test_the_reports_viewers_follow_its_filter_and_the_rest_say_why_they_are_left_out(campaign_with_viewers, join):
    campaign, viewers = campaign_with_viewers
    listed = selectors.report_viewers(campaign)
    assert {s.id for s in listed["in_report"]} == {viewers[name].id for name in "abcd"}
    assert len(listed["in_report"]) == selectors.campaign_report(campaign)["viewers"]
    assert [(item["session"].id, item["reason"]) for item in listed["left_out"]] == [(viewers["live"].id, "in progress")]
    assert listed["left_out_count"] == 1

    everyone = selectors.report_viewers(campaign, ReportFilters(completed_only=False))
    assert len(everyone["in_report"]) == 5 and everyone["left_out"] == [] and everyone["left_out_count"] == 0


def test_viewers_left_out_for_their_face_share_are_named_and_withdrawn_ones_never_listed(campaign_with_viewers, join):
    campaign, viewers = campaign_with_viewers
    shy = join(campaign)
    services.viewer_samples_add(shy, sample_series(range(0, 1500, 100), 0, face=False) + sample_series([1600], 0.9))
    services.viewer_session_finish(shy)
    services.viewer_session_withdraw(viewers["a"])
    listed = selectors.report_viewers(campaign, ReportFilters(min_face_share=0.5))
    assert {s.id for s in listed["in_report"]} == {viewers[name].id for name in "bcd"}
    assert {item["session"].id: item["reason"] for item in listed["left_out"]} == {
        shy.id: "face visible under 50 %", viewers["live"].id: "in progress"}


def test_the_report_narrows_to_an_age_band_or_gender_and_counts_each_answer(user, make_campaign, join):
    campaign = make_campaign(user, segments=[HOOK])
    answers = [("18_24", "woman"), ("18_24", "man"), ("25_34", "woman"), ("25_34", "woman"), ("", "")]
    for happy, (age_band, gender) in zip((0.2, 0.4, 0.6, 0.8, 0.5), answers):
        session = join(campaign, age_band=age_band, gender=gender)
        services.viewer_samples_add(session, sample_series(range(0, 2000, 100), happy))
        services.viewer_session_finish(session)

    women = selectors.campaign_report(campaign, ReportFilters(gender="woman"))
    assert women["viewers"] == 3 and women["overall"]["happy"] == pytest.approx((0.2 + 0.6 + 0.8) / 3, abs=1e-3)
    assert women["filters"] == {"completed_only": True, "min_face_share": 0.0, "age_band": "", "gender": "woman"}
    assert selectors.campaign_report(campaign, ReportFilters(gender="woman", age_band="25_34"))["viewers"] == 2
    assert selectors.campaign_report(campaign, ReportFilters(gender="non_binary"))["viewers"] == 0

    # each question counted under the other's filter: the count promised is what picking it gives
    audience = women["audience"]
    assert audience["age_band"] == {"under_18": 0, "18_24": 1, "25_34": 2, "35_44": 0, "45_54": 0, "55_64": 0,
                                    "65_plus": 0, "": 0}
    assert audience["gender"] == {"woman": 3, "man": 1, "non_binary": 0, "other": 0, "": 1}

    unanswered = selectors.campaign_report(campaign, ReportFilters(age_band=ViewerSession.NOT_GIVEN))
    assert unanswered["viewers"] == 1 and unanswered["overall"]["happy"] == pytest.approx(0.5, abs=1e-3)

    listed = selectors.report_viewers(campaign, ReportFilters(age_band="18_24"))
    assert len(listed["in_report"]) == 2
    assert sorted(item["reason"] for item in listed["left_out"]) == ["age: 25-34", "age: 25-34", "age: not given"]
