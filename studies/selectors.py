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
