"""A job submitted through Redis is run by a real Celery worker process; its result lands in PostgreSQL.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; skipped without them unless
FER_REQUIRE_SERVICES=1. The worker uses the test database pytest-django created
and a queue of this test run's own, so it never competes with another worker.
"""

import os
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from fer_platform import devservers
from fer_platform.celery import app as celery_app
from studies import services
from studies.models import AnalysisJob

pytestmark = [pytest.mark.services, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WORKER_READY_TIMEOUT_S = 180
JOB_TIMEOUT_S = 120


def _test_database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def start_worker(postgres_and_redis_urls, settings, tmp_path):
    """Start a Celery worker process on this run's queue; returns (process, log path). Stopped at the end."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fer_platform.settings.base",
        "DATABASE_URL": _test_database_url(),
        "REDIS_URL": postgres_and_redis_urls["REDIS_URL"],
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        # Jobs the worker requeues at start must land on the queue it consumes.
        "FER_CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    with ExitStack() as running:

        def start(name: str = "worker"):
            log_path = tmp_path / f"{name}.log"
            command = [
                str(Path(sys.executable).with_name("celery")), "-A", "fer_platform", "worker",
                "--pool=solo", "--loglevel=info", "-Q", settings.CELERY_TASK_DEFAULT_QUEUE,
                "--hostname", f"fer-test-{os.getpid()}-{name}@%h", "--without-gossip", "--without-mingle",
            ]
            worker = running.enter_context(devservers.process(command, log_path, env))
            _wait_until_ready(worker, log_path)
            return worker, log_path

        yield start


@pytest.fixture
def real_worker(start_worker):
    _, log_path = start_worker()
    return log_path


def _wait_until_ready(worker, log_path: Path) -> None:
    deadline = time.monotonic() + WORKER_READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if " ready." in log_path.read_text(errors="replace"):
            return
        if worker.poll() is not None:
            pytest.fail(f"The Celery worker exited with {worker.returncode}:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.5)
    pytest.fail(f"The Celery worker was not ready in {WORKER_READY_TIMEOUT_S} s:\n{log_path.read_text()}")


def _read_log_once_it_mentions(log_path: Path, text: str, timeout_s: float = 10) -> str:
    # The worker logs just after it saves the job, so the line may trail the database row.
    deadline = time.monotonic() + timeout_s
    log = log_path.read_text(errors="replace")
    while text not in log and time.monotonic() < deadline:
        time.sleep(0.1)
        log = log_path.read_text(errors="replace")
    return log


def _poll_job_until(job, condition, *, interval_s=0.2):
    """Refresh `job` from the database until `condition()` holds or JOB_TIMEOUT_S passes."""
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while not condition() and time.monotonic() < deadline:
        time.sleep(interval_s)
        job.refresh_from_db()


def test_job_is_run_by_a_real_worker_through_redis_and_stored_in_postgres(real_worker, user, upload, monkeypatch):
    assert connection.vendor == "postgresql"
    # The app reads Django settings under the CELERY_ namespace, so that is the key to flip.
    monkeypatch.setitem(celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", False)
    assert celery_app.conf.task_always_eager is False

    job = services.analysis_job_create(owner=user, session_key=None, uploaded_file=upload("multi_face.jpg"))

    _poll_job_until(job, lambda: job.is_finished)
    worker_log = _read_log_once_it_mentions(real_worker, f"Job {job.id} ")
    assert job.status == AnalysisJob.Status.SUCCEEDED, f"{job.status} {job.error_message}\n{worker_log}"
    assert len(job.result["faces"]) == 5
    assert job.annotated_file
    assert f"Job {job.id} succeeded" in worker_log


def test_video_job_is_run_by_a_real_worker_and_its_outputs_land_in_storage(
    real_worker, user, video_upload, monkeypatch
):
    monkeypatch.setitem(celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", False)

    job = services.analysis_job_create(owner=user, session_key=None, uploaded_file=video_upload("single_face.mp4"))

    _poll_job_until(job, lambda: job.is_finished)
    worker_log = _read_log_once_it_mentions(real_worker, f"Job {job.id} ")
    assert job.status == AnalysisJob.Status.SUCCEEDED, f"{job.status} {job.error_message}\n{worker_log}"
    assert job.kind == "video"
    assert len(job.result["tracks"]) == 1
    assert job.annotated_file and job.timeline_csv and job.timeline_json
    assert job.progress_detail["frames_done"] == job.progress_detail["frames_total"] == 72
    assert f"Job {job.id} succeeded: video with 1 face track(s)" in worker_log


def test_video_job_of_a_killed_worker_is_requeued_once_silent_and_completes(
    start_worker, user, samples_dir, tmp_path, monkeypatch
):
    import signal

    from django.core.files.uploadedfile import SimpleUploadedFile

    monkeypatch.setitem(celery_app.conf, "CELERY_TASK_ALWAYS_EAGER", False)
    long_clip = tmp_path / "long.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-stream_loop", "9", "-i", str(samples_dir / "single_face.mp4"),
         "-c", "copy", str(long_clip)],
        check=True, timeout=60,
    )
    first_worker, first_log = start_worker("first")
    job = services.analysis_job_create(
        owner=user, session_key=None,
        uploaded_file=SimpleUploadedFile("long.mp4", long_clip.read_bytes(), content_type="video/mp4"),
    )
    frames_total = job.progress_detail["frames_total"]

    _poll_job_until(job, lambda: job.progress_detail.get("frames_done"), interval_s=0.1)
    assert job.status == AnalysisJob.Status.RUNNING, first_log.read_text(errors="replace")
    assert 0 < job.progress_detail["frames_done"] < frames_total
    first_worker.send_signal(signal.SIGKILL)
    first_worker.wait(timeout=30)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.RUNNING and job.progress < 100
    assert not job.annotated_file and not job.timeline_csv and not job.timeline_json and job.result is None
    # the minutes without progress after which a run counts as dead (a live one saves it every second)
    AnalysisJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - services.RUN_SILENT_AFTER - timedelta(seconds=1))

    _, second_log = start_worker("second")
    _poll_job_until(job, lambda: job.is_finished)
    log = _read_log_once_it_mentions(second_log, f"Job {job.id} ")
    assert "Requeued 1 job(s) left unfinished by a previous worker." in log
    assert job.status == AnalysisJob.Status.SUCCEEDED, f"{job.status} {job.error_message}\n{log}"
    assert job.attempts == 2
    assert job.progress_detail["frames_done"] == frames_total
    assert job.result["info"]["frame_count"] == frames_total
    _, files = job.input_file.storage.listdir(f"jobs/{job.id}")
    assert sorted(files) == ["annotated.mp4", "input.mp4", "timeline.csv", "timeline.json"]
