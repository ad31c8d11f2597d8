"""The Celery task: its registration, options, and the worker signals it hooks."""

from unittest import mock

import pytest
from celery.concurrency.solo import TaskPool as SoloPool
from celery.signals import worker_process_init, worker_ready

from fer_platform.celery import app
from studies import services
from studies.models import AnalysisJob, ViewerSession
from studies.tasks import load_models_once_per_process, run_analysis_job


def test_task_is_registered_under_its_explicit_name_with_late_acks():
    task = app.tasks["studies.run_analysis_job"]
    assert task.name == run_analysis_job.name
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True


def test_task_calls_the_run_service_and_tolerates_unknown_kwargs():
    with mock.patch.object(services, "analysis_job_run") as run:
        run_analysis_job.apply(kwargs={"job_id": "abc", "sent_by_a_future_deploy": 1}).get()
    run.assert_called_once_with(job_id="abc")


@pytest.mark.django_db
def test_task_for_a_deleted_job_ends_quietly():
    result = run_analysis_job.apply(kwargs={"job_id": "6f1c1a9e-0000-4000-8000-000000000000"})
    assert result.successful()


@pytest.mark.slow
@pytest.mark.django_db
def test_task_runs_the_job_end_to_end_when_eager(make_job):
    job = make_job(sample="no_faces.jpg")

    run_analysis_job.delay(job_id=str(job.id))

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.SUCCEEDED


def test_worker_ready_requeues_stale_jobs_does_the_daily_clearing_and_lets_go_of_the_database():
    with mock.patch.object(services, "analysis_jobs_requeue_stale") as requeue, \
            mock.patch.object(services, "housekeeping_run") as housekeeping, \
            mock.patch("studies.tasks.release_database_connections") as release:
        worker_ready.send(sender=None)
    requeue.assert_called_once_with()
    housekeeping.assert_called_once_with()
    release.assert_called_once_with()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_releasing_connections_closes_the_postgresql_pool(postgres_and_redis_urls):
    from django.db import connection

    from studies.tasks import release_database_connections

    AnalysisJob.objects.count()  # opens the pool and takes a connection
    assert connection.alias in connection._connection_pools
    release_database_connections()
    assert connection.connection is None and connection.alias not in connection._connection_pools
    assert AnalysisJob.objects.count() == 0  # the next query simply opens a new pool


def test_each_worker_process_loads_the_models_at_start():
    with mock.patch.object(services, "get_analysis_engine") as load:
        worker_process_init.send(sender=None)
    load.assert_called_once_with()
    load.return_value.warm_up.assert_called_once_with(detectors=("mtcnn", "blazeface"))


def test_a_model_that_cannot_load_is_logged_and_does_not_kill_the_worker_process(caplog):
    with mock.patch.object(services, "get_analysis_engine", side_effect=RuntimeError("no model")):
        load_models_once_per_process()
    assert "Could not load the inference engine" in caplog.text


def test_a_solo_pool_loads_the_models_as_it_starts():
    # The embedded broker's worker runs the solo pool (settings/celery.py): jobs run in the worker's own
    # process, and the pool sends worker_process_init for it as a prefork child would.
    with mock.patch.object(services, "get_analysis_engine") as engine:
        SoloPool()
    engine.return_value.warm_up.assert_called_once()


@pytest.mark.django_db
def test_the_periodic_clearing_task_applies_the_retention_periods(user, make_campaign, join):
    from datetime import timedelta

    from studies.tasks import run_housekeeping
    from tests.studies.conftest import sample_series

    assert app.tasks["studies.run_housekeeping"].name == run_housekeeping.name
    campaign = make_campaign(user, retention_days=30)
    session = join(campaign)
    services.viewer_samples_add(session, sample_series(range(0, 1000, 100), 0.5))
    ViewerSession.objects.filter(pk=session.pk).update(started_at=session.started_at - timedelta(days=31))

    assert run_housekeeping.apply(kwargs={"sent_by_a_future_deploy": 1}).successful()

    session.refresh_from_db()
    assert session.data_purged_at is not None and session.samples.count() == 0


@pytest.mark.django_db
def test_the_frequent_task_closes_sessions_whose_viewer_left(user, make_campaign, join):
    from datetime import timedelta

    from studies.tasks import close_abandoned_sessions

    assert app.tasks["studies.close_abandoned_sessions"].name == close_abandoned_sessions.name
    silent, watching = join(make_campaign(user)), join(make_campaign(user, name="Other"))
    ViewerSession.objects.filter(pk=silent.pk).update(last_seen_at=silent.last_seen_at - timedelta(minutes=31))

    assert close_abandoned_sessions.apply().successful()

    silent.refresh_from_db()
    watching.refresh_from_db()
    assert (silent.status, watching.status) == ("abandoned", "in_progress")
