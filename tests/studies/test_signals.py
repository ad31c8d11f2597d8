"""A recording part's file and a campaign's ad go with their rows, whoever deletes them, once the
deletion commits."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from studies import services
from studies.models import RecordingPart
from tests.studies.conftest import WEBM_HEAD

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded(user, make_campaign, join, settings):
    session = join(make_campaign(user), keep_recording=True)
    services.viewer_recording_append(session, services.RecordingChunk(
        part_id=uuid.uuid4(), offset=0, starts_at_ms=0, data=SimpleUploadedFile("webcam.webm", WEBM_HEAD)))
    assert len(list(settings.MEDIA_ROOT.rglob("webcam*"))) == 1
    return session


def test_deleting_the_producer_account_deletes_the_recordings_and_the_ad(user, recorded, settings,
                                                               django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        user.delete()  # cascades: campaign, viewer session, recording part
    assert not RecordingPart.objects.exists() and not list(settings.MEDIA_ROOT.rglob("webcam*"))
    assert not [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]  # nor the ad


def test_a_deletion_that_rolls_back_keeps_the_file(recorded, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            RecordingPart.objects.all().delete()
            raise RuntimeError("something after the deletion failed")
    assert callbacks == [] and RecordingPart.objects.count() == 1
    assert len(list(settings.MEDIA_ROOT.rglob("webcam*"))) == 1
