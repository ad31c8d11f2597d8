"""analysis_jobs_requeue_stale and the run claim: what a dead worker left unfinished runs again, and a
healthy run is never run twice."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from studies import services
from studies.models import AnalysisJob
from studies.services import analysis_jobs
from studies.tasks import run_analysis_job

pytestmark = pytest.mark.django_db


def _silent_for(job, minutes: float) -> None:
    AnalysisJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))


def test_only_runs_silent_for_minutes_and_long_queued_jobs_are_sent_again(make_job, django_capture_on_commit_callbacks):
    dead_run = make_job(status=AnalysisJob.Status.RUNNING, attempts=1)
    healthy_run = make_job(status=AnalysisJob.Status.RUNNING, attempts=1)
    lost_message = make_job(status=AnalysisJob.Status.QUEUED)
    waiting_its_turn = make_job(status=AnalysisJob.Status.QUEUED)
    make_job(status=AnalysisJob.Status.SUCCEEDED, progress=100)
    make_job(status=AnalysisJob.Status.FAILED, error_message="bad file")
    _silent_for(dead_run, 4)
    _silent_for(healthy_run, 0.5)
    _silent_for(lost_message, 31)
    _silent_for(waiting_its_turn, 20)

    with mock.patch.object(run_analysis_job, "delay") as enqueue, django_capture_on_commit_callbacks(execute=True):
        requeued = services.analysis_jobs_requeue_stale()
        assert services.analysis_jobs_requeue_stale() == []  # a minute later (beat): not sent again yet

    assert set(requeued) == {dead_run.id, lost_message.id}
    assert sorted(call.kwargs["job_id"] for call in enqueue.call_args_list) == sorted(
        [str(dead_run.id), str(lost_message.id)])
    dead_run.refresh_from_db()
    healthy_run.refresh_from_db()
    assert dead_run.status == "queued" and healthy_run.status == "running"


def test_a_second_message_for_a_job_running_elsewhere_leaves_that_run_alone(make_job):
    """What a starting worker used to do to every running job: restart it, progress going backwards."""
    running = make_job(status=AnalysisJob.Status.RUNNING, attempts=1, progress=40)

    job = services.analysis_job_run(job_id=running.id)

    assert (job.status, job.attempts, job.progress) == ("running", 1, 40)
    running.refresh_from_db()
    assert (running.attempts, running.progress) == (1, 40)


def test_a_run_taken_over_by_a_later_one_stops_writing(make_job):
    job = make_job(status=AnalysisJob.Status.RUNNING, attempts=1)
    slow_run = AnalysisJob.objects.get(pk=job.pk)  # what the first, silent run holds
    AnalysisJob.objects.filter(pk=job.pk).update(attempts=2, progress=7)  # a later run claimed it

    with pytest.raises(analysis_jobs.RunSuperseded):
        analysis_jobs._save_progress(slow_run, progress=60)
    with analysis_jobs._finishing(slow_run) as may_finish:
        assert not may_finish
    assert AnalysisJob.objects.get(pk=job.pk).progress == 7


def test_a_run_whose_job_was_deleted_ends(make_job):
    job = make_job(status=AnalysisJob.Status.RUNNING, attempts=1)
    AnalysisJob.objects.filter(pk=job.pk).delete()
    with pytest.raises(AnalysisJob.DoesNotExist):
        analysis_jobs._save_progress(job, progress=60)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_stale_running_job_is_completed_by_the_requeue(make_job):
    # Eager Celery (test settings) stands in for the worker that picks the message up.
    stale = make_job(sample="single_face.jpg", status=AnalysisJob.Status.RUNNING, progress=20, attempts=1)
    _silent_for(stale, 5)

    services.analysis_jobs_requeue_stale()

    stale.refresh_from_db()
    assert stale.status == AnalysisJob.Status.SUCCEEDED
    assert stale.attempts == 2
    assert len(stale.result["faces"]) == 1
