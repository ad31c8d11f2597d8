"""analysis_jobs_delete: a job goes for good with its whole folder of files, also mid-run."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from inference import video as inference_video
from studies import services
from studies.errors import InvalidInput
from studies.models import AnalysisJob
from studies.services import analysis_jobs
from studies.tasks import run_analysis_job

pytestmark = pytest.mark.django_db


def _stored_files(settings) -> list[Path]:
    return [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


@pytest.mark.slow
def test_a_finished_analysis_goes_with_its_upload_and_outputs(user, make_job, settings,
                                                             django_capture_on_commit_callbacks):
    job, kept = make_job(owner=user), make_job(owner=user)
    services.analysis_job_run(job_id=job.id)
    job.refresh_from_db()
    assert job.annotated_file and len(_stored_files(settings)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        assert services.analysis_jobs_delete([job]) == 1

    assert not AnalysisJob.objects.filter(pk=job.pk).exists()
    assert _stored_files(settings) == [Path(kept.input_file.path)]
    assert not (Path(settings.MEDIA_ROOT) / "jobs" / str(job.id)).exists()  # nor its folder


def test_a_file_no_field_names_in_the_folder_goes_too(user, make_job, settings, django_capture_on_commit_callbacks):
    # What a run that attached an output after this process read the row leaves: the folder decides.
    job = make_job(owner=user)
    job.input_file.storage.save(f"jobs/{job.id}/annotated.jpg", ContentFile(b"late output"))
    with django_capture_on_commit_callbacks(execute=True):
        services.analysis_jobs_delete([job])
    assert _stored_files(settings) == []


def test_a_deletion_that_rolls_back_keeps_the_files(user, make_job, settings, django_capture_on_commit_callbacks):
    job = make_job(owner=user)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.analysis_jobs_delete([job])
            raise RuntimeError("something after the deletion failed")
    assert callbacks == [] and AnalysisJob.objects.filter(pk=job.pk).exists()
    assert len(_stored_files(settings)) == 1


def test_deleting_an_account_deletes_its_analyses_files(user, make_job, settings, django_capture_on_commit_callbacks):
    make_job(owner=user)
    make_job(owner=user)
    with django_capture_on_commit_callbacks(execute=True):
        user.delete()
    assert not AnalysisJob.objects.exists() and _stored_files(settings) == []


def test_a_live_recording_still_being_recorded_is_refused(user, make_job):
    recording = make_job(owner=user, kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING,
                         original_filename="Live camera, 27 Nov 2026 12:00:00")
    other = make_job(owner=user)
    with pytest.raises(InvalidInput, match="still being recorded: stop the recording"):
        services.analysis_jobs_delete([other, recording])
    assert AnalysisJob.objects.count() == 2  # all or nothing

    AnalysisJob.objects.filter(pk=recording.pk).update(status=AnalysisJob.Status.SUCCEEDED)
    assert services.analysis_jobs_delete([other, recording]) == 2


def test_jobs_deleted_by_someone_else_a_moment_before_are_skipped(user, make_job):
    job = make_job(owner=user)
    AnalysisJob.objects.filter(pk=job.pk).delete()
    assert services.analysis_jobs_delete([job]) == 0


def test_a_queued_job_deleted_before_its_worker_came_is_not_run(user, make_job, caplog):
    job = make_job(owner=user)
    services.analysis_jobs_delete([job])
    run_analysis_job(job_id=str(job.id))
    assert "no longer exists (deleted)" in caplog.text


@pytest.mark.slow
def test_a_video_deleted_mid_run_stops_at_its_next_progress_report(user, make_video_job, settings, tmp_path,
                                                                   monkeypatch, django_capture_on_commit_callbacks):
    settings.FER_VIDEO_WORK_DIR = str(tmp_path / "work")
    job = make_video_job(owner=user)
    reports = []
    report_progress = analysis_jobs.VideoProgressReporter.__call__

    def delete_then_report(reporter, *args):
        reports.append(args)
        if len(reports) == 1:  # the owner presses Delete while the first frames are analysed
            with django_capture_on_commit_callbacks(execute=True):
                services.analysis_jobs_delete([AnalysisJob.objects.get(pk=job.pk)])
        return report_progress(reporter, *args)

    monkeypatch.setattr(analysis_jobs.VideoProgressReporter, "__call__", delete_then_report)
    monkeypatch.setattr(inference_video, "_PROGRESS_INTERVAL_S", 0.0)  # the clip takes under 0.5 s

    with pytest.raises(AnalysisJob.DoesNotExist, match="deleted while it ran"):
        services.analysis_job_run(job_id=job.id)

    frames_done, frames_total, _ = reports[0]
    assert len(reports) == 1 and frames_done < frames_total  # no frame analysed after the deletion
    assert _stored_files(settings) == []
    assert not any(Path(settings.FER_VIDEO_WORK_DIR).rglob("*"))  # the work folder went too


def test_a_live_recording_whose_page_died_is_marked_failed_and_deleted(user, make_job):
    recording = make_job(owner=user, kind=AnalysisJob.Kind.LIVE, status=AnalysisJob.Status.RUNNING)
    AnalysisJob.objects.filter(pk=recording.pk).update(
        updated_at=timezone.now() - timedelta(seconds=services.LIVE_RECORDING_STALE_AFTER_S + 60))
    assert services.analysis_jobs_delete([recording]) == 1
    assert not AnalysisJob.objects.exists()
