"""Data migrations keep what viewers agreed to: the single recording of a session before 0006 becomes
its first recording part."""

import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.studies.conftest import WEBM_HEAD

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE_PARTS = [("studies", "0005_sample_batch_plural")]
WITH_PARTS = [("studies", "0006_recording_parts")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def at_0005():
    apps = migrate(BEFORE_PARTS)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_a_sessions_recording_becomes_its_first_part(at_0005):
    owner = at_0005.get_model("auth", "User").objects.create(username="producer")
    campaign = at_0005.get_model("studies", "Campaign").objects.create(
        owner_id=owner.pk, name="Old spot", ad_video="campaigns/x/ad/spot.mp4", ad_duration_s=2.4)
    sessions = at_0005.get_model("studies", "ViewerSession").objects
    name = default_storage.save("campaigns/x/viewers/y/webcam.webm", ContentFile(WEBM_HEAD + bytes(100)))
    recorded = sessions.create(campaign=campaign, consent_version="1", consented_at=timezone.now(),
                               consent_analyse_webcam=True, consent_keep_recording=True, recording=name)
    sessions.create(campaign=campaign, consent_version="1", consented_at=timezone.now(),
                    consent_analyse_webcam=True, recording="campaigns/x/viewers/z/gone.webm")  # file lost

    apps = migrate(WITH_PARTS)
    parts = list(apps.get_model("studies", "RecordingPart").objects.all())
    assert [(part.session_id, part.file.name, part.size, part.starts_at_ms) for part in parts] == [
        (recorded.pk, name, len(WEBM_HEAD) + 100, 0)]
    default_storage.delete(name)


def test_going_back_keeps_a_single_part_and_refuses_several(at_0005):
    apps = migrate(WITH_PARTS)
    owner = apps.get_model("auth", "User").objects.create(username="producer")
    campaign = apps.get_model("studies", "Campaign").objects.create(
        owner_id=owner.pk, name="Spot", ad_video="campaigns/x/ad/spot.mp4", ad_duration_s=2.4)
    session = apps.get_model("studies", "ViewerSession").objects.create(
        campaign=campaign, consent_version="1", consented_at=timezone.now(), consent_analyse_webcam=True,
        consent_keep_recording=True)
    parts = apps.get_model("studies", "RecordingPart").objects
    parts.create(id=uuid.uuid4(), session=session, starts_at_ms=0, file="campaigns/x/viewers/y/webcam-1.webm", size=9)
    second = parts.create(id=uuid.uuid4(), session=session, starts_at_ms=900,
                          file="campaigns/x/viewers/y/webcam-2.webm", size=9)
    with pytest.raises(RuntimeError, match="1 viewer session"):
        migrate(BEFORE_PARTS)
    second.delete()
    apps = migrate(BEFORE_PARTS)
    assert apps.get_model("studies", "ViewerSession").objects.get().recording == "campaigns/x/viewers/y/webcam-1.webm"
