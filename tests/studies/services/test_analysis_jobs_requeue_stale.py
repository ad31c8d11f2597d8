"""analysis_jobs_requeue_stale: what a dead worker left unfinished runs again."""

from unittest import mock

import pytest

from studies import services
from studies.models import AnalysisJob
from studies.tasks import run_analysis_job

pytestmark = pytest.mark.django_db


def test_only_unfinished_jobs_are_queued_again(make_job, django_capture_on_commit_callbacks):
    queued = make_job(status=AnalysisJob.Status.QUEUED)
    running = make_job(status=AnalysisJob.Status.RUNNING, attempts=1)
    make_job(status=AnalysisJob.Status.SUCCEEDED, progress=100)
    make_job(status=AnalysisJob.Status.FAILED, error_message="bad file")

    with mock.patch.object(run_analysis_job, "delay") as enqueue, django_capture_on_commit_callbacks(execute=True):
        requeued = services.analysis_jobs_requeue_stale()

    assert set(requeued) == {queued.id, running.id}
    assert sorted(call.kwargs["job_id"] for call in enqueue.call_args_list) == sorted(
        [str(queued.id), str(running.id)]
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_stale_running_job_is_completed_by_the_requeue(make_job):
    # Eager Celery (test settings) stands in for the worker that picks the message up.
    stale = make_job(sample="single_face.jpg", status=AnalysisJob.Status.RUNNING, progress=20, attempts=1)

    services.analysis_jobs_requeue_stale()

    stale.refresh_from_db()
    assert stale.status == AnalysisJob.Status.SUCCEEDED
    assert stale.attempts == 2
    assert len(stale.result["faces"]) == 1
