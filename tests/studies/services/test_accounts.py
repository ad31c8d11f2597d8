"""account_delete: the account goes with everything it holds, and only with its password."""

import uuid
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile

from studies import services
from studies.errors import InvalidInput
from studies.models import AnalysisJob, Campaign, EmotionSample, RecordingPart, ViewerSession
from tests.studies.conftest import WEBM_HEAD, sample_series

pytestmark = pytest.mark.django_db


def _files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.fixture
def holdings(user, make_job, make_campaign, join):
    """An analysis, a campaign with a viewer who was analysed and recorded."""
    make_job(owner=user)
    session = join(make_campaign(user), keep_recording=True)
    services.viewer_samples_add(session, sample_series(range(0, 500, 100), 0.7))
    services.viewer_recording_append(session, services.RecordingChunk(
        part_id=uuid.uuid4(), offset=0, starts_at_ms=0, data=ContentFile(WEBM_HEAD, name="webcam.webm")))
    return session


def test_the_account_goes_with_every_row_and_file(user, other_user, holdings, make_job, make_campaign, settings,
                                                  django_capture_on_commit_callbacks):
    theirs = make_job(owner=other_user)
    their_campaign = make_campaign(other_user)
    kept_files = {Path(theirs.input_file.path), Path(their_campaign.ad_video.path)}

    with django_capture_on_commit_callbacks(execute=True):
        services.account_delete(user, password="producer-password")

    assert not get_user_model().objects.filter(pk=user.pk).exists()
    assert list(AnalysisJob.objects.all()) == [theirs] and list(Campaign.objects.all()) == [their_campaign]
    assert not ViewerSession.objects.exists() and not EmotionSample.objects.exists()
    assert not RecordingPart.objects.exists()
    assert set(_files(settings)) == kept_files


@pytest.mark.parametrize("password", ["", "not-the-password"])
def test_a_wrong_password_deletes_nothing(user, holdings, password, settings):
    files = _files(settings)
    with pytest.raises(InvalidInput, match="That is not your password; nothing was deleted.") as refusal:
        services.account_delete(user, password=password)
    assert refusal.value.field == "password"
    assert get_user_model().objects.filter(pk=user.pk).exists() and AnalysisJob.objects.count() == 1
    assert _files(settings) == files


def test_a_running_live_recording_is_stopped_first(user, make_job, settings):
    make_job(owner=user, kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING)
    with pytest.raises(InvalidInput, match="A live camera recording of yours is running"):
        services.account_delete(user, password="producer-password")
    assert get_user_model().objects.filter(pk=user.pk).exists()
