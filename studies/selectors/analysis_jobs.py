"""Reads. Every selector takes the requesting viewer and only ever sees that viewer's rows."""

import uuid

from django.db.models import QuerySet

from studies.models import AnalysisJob


def analysis_job_list_for_viewer(*, user, session_key: str | None) -> QuerySet[AnalysisJob]:
    """A signed-in user's jobs, or an anonymous browser session's jobs; newest first."""
    if user is not None and user.is_authenticated:
        return AnalysisJob.objects.filter(owner=user).select_related("owner")
    if session_key:
        return AnalysisJob.objects.filter(owner__isnull=True, session_key=session_key)
    return AnalysisJob.objects.none()


def analysis_job_get_for_viewer(*, user, session_key: str | None, job_id: uuid.UUID | str) -> AnalysisJob:
    """The viewer's job; raises AnalysisJob.DoesNotExist for a missing id or anyone else's job."""
    try:
        job_uuid = uuid.UUID(str(job_id))
    except ValueError:
        raise AnalysisJob.DoesNotExist(f"{job_id!r} is not a job id.") from None
    return analysis_job_list_for_viewer(user=user, session_key=session_key).get(pk=job_uuid)


def analysis_job_list_for_batch(*, user, session_key: str | None, batch_id: uuid.UUID | str) -> list[AnalysisJob]:
    """The viewer's jobs of one batch in upload order; raises AnalysisJob.DoesNotExist when there are none."""
    try:
        batch_uuid = uuid.UUID(str(batch_id))
    except ValueError:
        raise AnalysisJob.DoesNotExist(f"{batch_id!r} is not a batch id.") from None
    jobs = list(
        analysis_job_list_for_viewer(user=user, session_key=session_key)
        .filter(batch_id=batch_uuid)
        .order_by("created_at", "id")
    )
    if not jobs:
        raise AnalysisJob.DoesNotExist(f"No batch {batch_uuid} for this viewer.")
    return jobs


def batch_progress(jobs: list[AnalysisJob]) -> dict:
    """Overall progress of a batch: the mean of its jobs' progress, and how many are in each state."""
    counts = {status: 0 for status in AnalysisJob.Status.values}
    for job in jobs:
        counts[job.status] += 1
    finished = counts[AnalysisJob.Status.SUCCEEDED] + counts[AnalysisJob.Status.FAILED]
    is_finished = finished == len(jobs)
    progress = round(sum(100 if job.is_finished else job.progress for job in jobs) / len(jobs)) if jobs else 0
    if not is_finished:
        # a job still writing its output at 99 % would round the mean up to 100 % while it runs
        progress = min(progress, 99)
    return {
        "total": len(jobs),
        "finished": finished,
        "is_finished": is_finished,
        "counts": counts,
        "progress": progress,
    }
