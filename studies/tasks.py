"""Celery tasks. Each takes ids, calls one service, and leaves bookkeeping to services.

Names are explicit and tasks accept **kwargs, so messages queued by an older or
newer deploy still find their task.
"""

import functools
import logging
import time

from celery import shared_task
from celery.signals import worker_process_init, worker_ready

from studies import services
from studies.models import AnalysisJob

logger = logging.getLogger(__name__)


def instrumented_task(*, name: str, **options):
    """`shared_task` with the project's defaults, plus a log line with the task's duration."""

    def decorator(function):
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                logger.info("Task %s took %.0f ms.", name, (time.perf_counter() - started) * 1000)

        return shared_task(name=name, acks_late=True, reject_on_worker_lost=True, **options)(timed)

    return decorator


@instrumented_task(name="studies.run_analysis_job")
def run_analysis_job(job_id: str, **kwargs) -> None:
    try:
        services.analysis_job_run(job_id=job_id)
    except AnalysisJob.DoesNotExist:
        logger.warning("Job %s no longer exists (deleted); nothing more to do.", job_id)


@instrumented_task(name="studies.finalize_viewer_recording")
def finalize_viewer_recording(session_id: str, **kwargs) -> None:
    services.viewer_recording_finalize(session_id)


@instrumented_task(name="studies.run_housekeeping")
def run_housekeeping(**kwargs) -> None:
    """The daily clearing (retention periods, abandoned sessions, ended anonymous uploads, orphaned
    files), sent by Celery beat every FER_HOUSEKEEPING_INTERVAL_H hours."""
    services.housekeeping_run()


@instrumented_task(name="studies.requeue_stale_jobs")
def requeue_stale_jobs(**kwargs) -> None:
    """Jobs whose worker died (silent for minutes) are queued again, and live recordings whose page died
    are marked failed; sent by Celery beat every minute."""
    services.analysis_jobs_requeue_stale()


@instrumented_task(name="studies.close_abandoned_sessions")
def close_abandoned_sessions(**kwargs) -> None:
    """Viewers who closed the page mid-ad leave "in progress" sessions; beat closes them as abandoned
    every few minutes, so the producer's counts do not wait for the daily clearing."""
    services.viewer_sessions_mark_abandoned()


@worker_process_init.connect  # sent in each prefork child, and by the solo pool for the worker itself
def load_models_once_per_process(**kwargs):
    # Pay the model load at start-up, not inside the first user's job.
    try:
        from inference import ACCURATE_DETECTOR, FAST_DETECTOR

        # Images use the accurate detector, videos the fast one; load both before the first job.
        services.get_analysis_engine().warm_up(detectors=(ACCURATE_DETECTOR, FAST_DETECTOR))
    except Exception:
        logger.exception("Could not load the inference engine at worker start; jobs will report the error.")


@worker_ready.connect
def on_worker_ready(**kwargs):
    try:
        services.analysis_jobs_requeue_stale()
        # Also sent by Celery beat (run_housekeeping); a starting worker catches up at once.
        services.housekeeping_run()
    finally:
        release_database_connections()


def release_database_connections() -> None:
    """Close this (parent) process's connections and pool: a child forked later must not share them."""
    from django.db import connections

    for connection in connections.all(initialized_only=True):
        connection.close()
        if hasattr(connection, "close_pool"):  # PostgreSQL with Django's psycopg pool
            connection.close_pool()
