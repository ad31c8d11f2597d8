"""The daily clearing: analyses of ended browser sessions, and stored files no row names."""

import io
import os
import uuid
from datetime import timedelta
from importlib import import_module
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from studies import services
from studies.models import AnalysisJob, ViewerSession
from tests.studies.conftest import WEBM_HEAD

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=3)


def _browser_session(settings, *, expired=False) -> str:
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store["seen"] = True
    store.set_expiry(-60 if expired else 3600)
    store.save()
    return store.session_key


def _aged(job, when=LONG_AGO):
    AnalysisJob.objects.filter(pk=job.pk).update(created_at=when)
    return job


def _stored(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def test_anonymous_analyses_go_once_their_browser_session_has_ended(user, make_job, settings,
                                                                    django_capture_on_commit_callbacks):
    ended, expired = _aged(make_job(session_key="gone-for-good")), _aged(
        make_job(session_key=_browser_session(settings, expired=True)))
    open_session = _aged(make_job(session_key=_browser_session(settings)))
    owned = _aged(make_job(owner=user))
    just_uploaded = make_job(session_key="being-saved-right-now")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.analysis_jobs_delete_unreachable() == 2
    assert set(AnalysisJob.objects.values_list("pk", flat=True)) == {open_session.pk, owned.pk, just_uploaded.pk}
    assert not any(str(job.id) in name for name in _stored(settings) for job in (ended, expired))


def test_a_live_recording_in_progress_is_left_to_its_page(make_job):
    recording = _aged(make_job(session_key="gone", kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING))
    assert services.analysis_jobs_delete_unreachable() == 0
    assert AnalysisJob.objects.filter(pk=recording.pk).exists()


def _age_file(settings, name: str, when=LONG_AGO) -> None:
    path = Path(settings.MEDIA_ROOT) / name
    os.utime(path, (when.timestamp(), when.timestamp()))


def test_files_no_row_names_go_once_an_hour_old(user, make_job, make_campaign, join, settings):
    storage = AnalysisJob._meta.get_field("input_file").storage
    job = make_job(owner=user)
    campaign = make_campaign(user)
    session = join(campaign, keep_recording=True)
    services.viewer_recording_append(session, services.RecordingChunk(
        part_id=uuid.uuid4(), offset=0, starts_at_ms=0, data=ContentFile(WEBM_HEAD, name="webcam.webm")))
    kept = _stored(settings)
    orphans = {
        f"jobs/{uuid.uuid4()}/input.jpg",  # its row never committed
        f"jobs/{job.id}/annotated.jpg",  # an output a killed run wrote but never attached
        f"campaigns/{campaign.id}/ad/ad-old.mp4",  # a replaced ad whose deletion failed
        f"campaigns/{campaign.id}/viewers/{uuid.uuid4()}/webcam-1.webm",  # an erased viewer's
        f"campaigns/{uuid.uuid4()}/ad/ad.mp4",  # a deleted campaign's
    }
    for name in orphans:
        storage.save(name, ContentFile(b"left behind"))
    young = storage.save(f"jobs/{uuid.uuid4()}/input.jpg", ContentFile(b"its row commits in a moment"))
    for name in kept | orphans:
        _age_file(settings, name)
    for folder in [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_dir()]:
        if str(Path(young).parent) not in str(folder):
            os.utime(folder, (LONG_AGO.timestamp(), LONG_AGO.timestamp()))

    assert services.storage_orphans_delete() == len(orphans)
    assert _stored(settings) == kept | {young}

    media = Path(settings.MEDIA_ROOT)
    assert sorted(str(path.relative_to(media)) for path in (media / "jobs").iterdir()) == sorted(
        {f"jobs/{job.id}", str(Path(young).parent)})  # the emptied folders went, the new one stays
    assert sorted(path.name for path in (media / "campaigns").iterdir()) == [str(campaign.id)]
    assert sorted(path.name for path in (media / "campaigns" / str(campaign.id) / "viewers").iterdir()) == [
        str(session.id)]


def test_the_daily_command_does_all_of_it_and_says_what(user, make_job, make_campaign, join, settings):
    _aged(make_job(session_key="gone"))
    stray = AnalysisJob._meta.get_field("input_file").storage.save(f"jobs/{uuid.uuid4()}/input.jpg",
                                                                  ContentFile(b"x"))
    _age_file(settings, stray)
    for name, deleted in (("purge_expired_data", 1), ("purge_viewer_data", 0)):  # the old name still works
        output = io.StringIO()
        call_command(name, stdout=output)
        assert output.getvalue().splitlines() == [
            "closed 0 abandoned viewer session(s)",
            "purged the data of 0 viewer session(s) past their retention period",
            "finalized 0 recording part(s)",
            "marked 0 interrupted live recording(s) failed",
            f"deleted {deleted} analysis(es) of ended browser sessions",
            f"deleted {deleted} orphaned file(s)",
        ]


def test_a_failing_step_stops_none_of_the_others_and_the_command_says_which(
        user, make_campaign, join, monkeypatch):
    campaign = make_campaign(user, retention_days=30)
    expired = join(campaign)
    ViewerSession.objects.filter(pk=expired.pk).update(started_at=timezone.now() - timedelta(days=31))
    storage = AnalysisJob._meta.get_field("input_file").storage

    def disk_failing(folder):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(storage, "listdir", disk_failing)  # the disk, the one thing stood in for

    with pytest.raises(CommandError, match="1 step\\(s\\) failed: orphaned_files; the others ran."):
        call_command("purge_expired_data", stdout=io.StringIO())
    expired.refresh_from_db()
    assert expired.data_purged_at is not None  # retention still applied


@pytest.mark.parametrize("engine", ["django.contrib.sessions.backends.cache",
                                    "tests.studies.services.cookie_sessions_of_our_own"])
def test_where_the_server_cannot_ask_the_session_store_a_sessions_lifetime_decides(engine, make_job, settings):
    settings.SESSION_ENGINE = engine
    lifetime = timedelta(seconds=settings.SESSION_COOKIE_AGE)
    _aged(make_job(session_key="a"), timezone.now() - lifetime - timedelta(hours=1))
    recent = _aged(make_job(session_key="b"))  # 3 days: its session may well be alive
    assert services.analysis_jobs_delete_unreachable() == 1
    assert list(AnalysisJob.objects.values_list("pk", flat=True)) == [recent.pk]


def test_an_analysis_claimed_by_an_account_meanwhile_is_kept(user, make_job):
    job = _aged(make_job(session_key="ended-at-login"))
    services.analysis_jobs_claim_for_user(user=user, session_key="ended-at-login")
    assert services.analysis_jobs_delete([job], only_if_anonymous=True) == 0
    assert AnalysisJob.objects.filter(pk=job.pk, owner=user).exists()


def test_video_work_folders_that_killed_runs_left_go_once_their_job_finished_or_went(settings, tmp_path,
                                                                                     make_video_job):
    settings.FER_VIDEO_WORK_DIR = str(tmp_path / "work")
    running = make_video_job(status=AnalysisJob.Status.RUNNING)
    finished = make_video_job(status=AnalysisJob.Status.SUCCEEDED, progress=100)
    just_finished = make_video_job(status=AnalysisJob.Status.SUCCEEDED, progress=100)
    deleted = uuid.uuid4()
    an_hour_ago = (timezone.now() - timedelta(hours=1)).timestamp()
    for name in (running.id, finished.id, just_finished.id, deleted, "not-a-job"):
        attempt = tmp_path / "work" / str(name) / "attempt-1"
        attempt.mkdir(parents=True)
        (attempt / ".annotated.mp4.x.partial").write_bytes(b"half a video of faces")
        if name != just_finished.id:  # its run may be removing it right now
            os.utime(attempt.parent, (an_hour_ago, an_hour_ago))

    assert services.housekeeping_run()["video_work_folders"] == 2

    assert sorted(path.name for path in (tmp_path / "work").iterdir()) == sorted(
        [str(running.id), str(just_finished.id), "not-a-job"])
