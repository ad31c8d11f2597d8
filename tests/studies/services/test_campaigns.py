"""Campaign, segment and invitation rules."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from studies import services
from studies.errors import InvalidInput
from studies.models import Campaign, Segment
from tests.studies.conftest import WEBM_HEAD

pytestmark = pytest.mark.django_db


def test_a_campaign_reads_duration_and_frame_rate_from_its_ad(user, make_campaign):
    campaign = make_campaign(user, status="draft", brand="Fizz", description="30 s spot")
    assert campaign.ad_duration_s == pytest.approx(2.4, abs=0.05)
    assert campaign.ad_fps == pytest.approx(30.0)
    assert (campaign.ad_width, campaign.ad_height) == (640, 360)
    assert campaign.ad_original_filename == "single_face.mp4" and campaign.ad_video.size > 0
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.parametrize("bad", ["truncated", "truncated_after_index", "audio_only", "text"])
def test_a_bad_ad_is_refused_with_its_reason_and_leaves_nothing(user, bad_videos, video_upload, bad, settings):
    path, phrase = bad_videos[bad]
    with pytest.raises(InvalidInput, match=phrase) as raised:
        services.campaign_create(owner=user, ad_video=video_upload(path), name="Broken")
    assert raised.value.field == "ad_video"
    assert not Campaign.objects.exists()
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]


def test_an_image_is_not_an_ad(user, upload):
    with pytest.raises(InvalidInput, match="only videos"):
        services.campaign_create(owner=user, ad_video=upload("single_face.jpg"), name="Photo")


@pytest.mark.parametrize("fields, field, phrase", [
    ({"name": "  "}, "name", "cannot be empty"),
    ({"status": "party"}, "status", "must be one of"),
    ({"retention_days": 0}, "retention_days", "at least 1 day"),
    ({"retention_days": "soon"}, "retention_days", "whole number"),
    ({"retention_days": 3651}, "retention_days", "at most 3,650 days"),
    ({"retention_days": 2 ** 63}, "retention_days", "at most 3,650 days"),  # overflowed the database's integer
])
def test_campaign_fields_are_checked(user, make_campaign, fields, field, phrase):
    campaign = make_campaign(user)
    with pytest.raises(InvalidInput, match=phrase) as raised:
        services.campaign_update(campaign, **fields)
    assert raised.value.field == field


@pytest.mark.parametrize("segment, field, phrase", [
    ({"name": "", "start_s": 0, "end_s": 1, "expected_emotions": ["happy"]}, "name", "cannot be empty"),
    ({"name": "Hook", "start_s": -1, "end_s": 1, "expected_emotions": ["happy"]}, "start_s", "before the ad"),
    ({"name": "Hook", "start_s": 1, "end_s": 1, "expected_emotions": ["happy"]}, "end_s", "end after it starts"),
    ({"name": "Hook", "start_s": 2, "end_s": 1, "expected_emotions": ["happy"]}, "end_s", "end after it starts"),
    ({"name": "Hook", "start_s": 1, "end_s": 9, "expected_emotions": ["happy"]}, "end_s", "the segment ends at 9"),
    ({"name": "Hook", "start_s": 0, "end_s": 1, "expected_emotions": []}, "expected_emotions", "Choose the emotion"),
    ({"name": "Hook", "start_s": 0, "end_s": 1, "expected_emotions": ["joy"]}, "expected_emotions", "Unknown emotion"),
    ({"name": "Hook", "start_s": "a", "end_s": 1, "expected_emotions": ["happy"]}, "start_s", "times in seconds"),
    # a blink holds no quarter-second of anyone's reaction; the whole ad leaves nothing to compare with
    ({"name": "Blink", "start_s": 1, "end_s": 1.2, "expected_emotions": ["happy"]}, "end_s", "at least 0.5 s"),
    ({"name": "All", "start_s": 0, "end_s": 2.4, "expected_emotions": ["happy"]}, "end_s", "leave at least 0.5 s outside"),
    ({"name": "Most", "start_s": 0.2, "end_s": 2.4, "expected_emotions": ["happy"]}, "end_s", "leave at least 0.5 s"),
])
def test_segments_stay_inside_the_ad_and_name_known_emotions(user, make_campaign, segment, field, phrase):
    campaign = make_campaign(user)
    with pytest.raises(InvalidInput, match=phrase) as raised:
        services.segment_create(campaign, **segment)
    assert raised.value.field == field
    assert not Segment.objects.exists()


def test_a_segment_may_end_at_the_ads_end_and_keeps_the_canonical_emotion_order(user, make_campaign):
    campaign = make_campaign(user)
    segment = services.segment_create(campaign, name="Reveal", start_s=1.2, end_s=campaign.ad_duration_s + 0.01,
                                      expected_emotions=["surprise", "happy", "happy"])
    assert segment.end_s == pytest.approx(campaign.ad_duration_s)
    assert segment.expected_emotions == ["happy", "surprise"]
    segment = services.segment_update(segment, start_s=0.5, notes="logo shot")
    assert (segment.start_s, segment.notes, segment.name) == (0.5, "logo shot", "Reveal")
    with pytest.raises(InvalidInput):
        services.segment_update(segment, end_s=0.2)


def test_the_ad_cannot_be_swapped_once_viewers_watched_it(user, make_campaign, join, video_upload):
    campaign = make_campaign(user)
    services.campaign_update(campaign, ad_video=video_upload("no_face.mp4"))  # nobody watched yet
    assert campaign.ad_duration_s == pytest.approx(3.94, abs=0.05)
    join(campaign)
    with pytest.raises(InvalidInput, match="already watched"):
        services.campaign_update(campaign, ad_video=video_upload("single_face.mp4"))


def test_invitations_check_their_limits(user, make_campaign):
    campaign = make_campaign(user)
    with pytest.raises(InvalidInput, match="future"):
        services.invitation_create(campaign, expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(InvalidInput, match="at least one"):
        services.invitation_create(campaign, max_viewers=0)
    invitation = services.invitation_create(campaign, label="Panel A", max_viewers=10)
    assert len(invitation.token) >= 20 and not invitation.is_revoked
    assert services.invitation_revoke(invitation).is_revoked


def test_deleting_a_campaign_deletes_its_files_and_data(user, make_campaign, join, settings,
                                                        django_capture_on_commit_callbacks):
    campaign = make_campaign(user)
    session = join(campaign, keep_recording=True)
    services.viewer_samples_add(session, [services.Sample(t_ms=0, face=False)])
    services.viewer_recording_append(session, services.RecordingChunk(
        part_id=uuid.uuid4(), offset=0, starts_at_ms=0,
        data=SimpleUploadedFile("webcam.webm", WEBM_HEAD + bytes(100), content_type="video/webm")))
    assert len([path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]) == 2  # the ad, the recording
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_delete(campaign)
    assert not Campaign.objects.exists()
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
