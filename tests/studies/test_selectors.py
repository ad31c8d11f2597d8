"""Selectors only ever return the requesting viewer's jobs."""

import uuid

import pytest
from django.contrib.auth.models import AnonymousUser

from studies import selectors
from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db


def test_signed_in_user_lists_only_own_jobs(user, other_user, make_job):
    own = make_job(owner=user)
    make_job(owner=other_user)
    make_job(session_key="browser")

    jobs = selectors.analysis_job_list_for_viewer(user=user, session_key="browser")

    assert list(jobs) == [own]


def test_anonymous_viewer_lists_the_sessions_jobs_only(user, make_job):
    mine = make_job(session_key="browser-a")
    make_job(session_key="browser-b")
    make_job(owner=user)

    assert list(selectors.analysis_job_list_for_viewer(user=AnonymousUser(), session_key="browser-a")) == [mine]
    assert list(selectors.analysis_job_list_for_viewer(user=AnonymousUser(), session_key=None)) == []
    assert list(selectors.analysis_job_list_for_viewer(user=None, session_key="")) == []


def test_getting_someone_elses_job_raises_does_not_exist(user, other_user, make_job):
    theirs = make_job(owner=other_user)
    anonymous = make_job(session_key="browser-a")

    with pytest.raises(AnalysisJob.DoesNotExist):
        selectors.analysis_job_get_for_viewer(user=user, session_key=None, job_id=theirs.id)
    with pytest.raises(AnalysisJob.DoesNotExist):
        selectors.analysis_job_get_for_viewer(user=AnonymousUser(), session_key="browser-b", job_id=anonymous.id)
    with pytest.raises(AnalysisJob.DoesNotExist):
        selectors.analysis_job_get_for_viewer(user=user, session_key=None, job_id="not-a-uuid")
    with pytest.raises(AnalysisJob.DoesNotExist):
        selectors.analysis_job_get_for_viewer(user=user, session_key=None, job_id=uuid.uuid4())


def test_getting_own_job_by_string_or_uuid(user, make_job):
    job = make_job(owner=user)
    assert selectors.analysis_job_get_for_viewer(user=user, session_key=None, job_id=str(job.id)) == job
    with pytest.raises(AnalysisJob.DoesNotExist):
        selectors.analysis_job_get_for_viewer(user=AnonymousUser(), session_key=None, job_id=job.id)
