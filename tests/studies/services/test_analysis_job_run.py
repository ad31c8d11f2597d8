"""analysis_job_run: real photos through the real model; idempotent; failures recorded."""

from datetime import timedelta
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone
from PIL import Image

from studies.services import analysis_jobs as services
from studies.models import AnalysisJob

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@pytest.mark.parametrize(
    ("sample", "faces", "size"),
    [("multi_face.jpg", 5, (1000, 667)), ("single_face.jpg", 1, None), ("ivan.jpg", 1, None)],
)
def test_photo_is_analysed_and_annotated(sample, faces, size, make_job):
    job = make_job(sample=sample)

    finished = services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert finished.status == job.status == AnalysisJob.Status.SUCCEEDED, job.error_message
    assert job.progress == 100
    assert job.attempts == 1
    assert job.error_message == ""
    assert job.started_at <= job.finished_at
    assert len(job.result["faces"]) == faces
    if size:
        assert (job.result["width"], job.result["height"]) == size
    for face in job.result["faces"]:
        # PostgreSQL's jsonb keeps no key order; the API puts them back in EMOTIONS order.
        assert sorted(face["probabilities"]) == sorted(EMOTIONS)
        assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
        assert face["label"] == max(face["probabilities"], key=face["probabilities"].get)
        x, y, w, h = face["box"]
        assert w > 0 and h > 0
    assert {"queued", "analysis", "render", "run"} <= set(job.timings_ms)
    with job.annotated_file.open("rb") as annotated:
        image = Image.open(annotated)
        assert image.format == "JPEG"
        assert image.size == (job.result["width"], job.result["height"])


def test_photo_without_faces_succeeds_with_an_empty_face_list(make_job):
    job = make_job(sample="no_faces.jpg")

    services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.SUCCEEDED
    assert job.result["faces"] == []
    assert job.face_count == 0
    assert job.annotated_file


def test_running_a_finished_job_again_changes_nothing(make_job):
    job = make_job(sample="single_face.jpg")
    services.analysis_job_run(job_id=job.id)
    job.refresh_from_db()
    first = (job.result, job.finished_at, job.annotated_file.name, job.attempts)

    with mock.patch.object(services, "_analyze") as analyze:
        services.analysis_job_run(job_id=job.id)
    analyze.assert_not_called()

    job.refresh_from_db()
    assert (job.result, job.finished_at, job.annotated_file.name, job.attempts) == first
    assert job.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_a_photo_run_that_finishes_second_keeps_the_first_outcome(make_job):
    """A worker that started meanwhile requeued the job; whichever run finishes first stands."""
    job = make_job(sample="single_face.jpg")
    analyze = services._analyze

    def finished_elsewhere_meanwhile(job):
        outcome = analyze(job)
        AnalysisJob.objects.filter(pk=job.pk).update(
            status=AnalysisJob.Status.SUCCEEDED, progress=100, result={"faces": [], "by": "first run"}
        )
        return outcome

    with mock.patch.object(services, "_analyze", side_effect=finished_elsewhere_meanwhile):
        returned = services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.result == {"faces": [], "by": "first run"}
    assert returned.result == job.result
    assert not job.annotated_file, "the second run attached nothing"


def _silent_since_the_crash(job) -> None:
    """A run that reports nothing for minutes lost its worker (services.RUN_SILENT_AFTER)."""
    AnalysisJob.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - services.RUN_SILENT_AFTER - timedelta(seconds=1))


def test_job_left_running_by_a_crashed_worker_completes_when_run_again(make_job):
    job = make_job(sample="single_face.jpg", status=AnalysisJob.Status.RUNNING, progress=20, attempts=1)
    _silent_since_the_crash(job)

    services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.SUCCEEDED
    assert job.attempts == 2
    assert len(job.result["faces"]) == 1


def test_a_job_that_took_its_worker_down_every_time_is_given_up(make_job):
    job = make_job(sample="single_face.jpg", status=AnalysisJob.Status.RUNNING, attempts=services.MAX_RUN_ATTEMPTS)
    _silent_since_the_crash(job)

    services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.FAILED and job.attempts == services.MAX_RUN_ATTEMPTS + 1
    assert "stopped its worker 3 times" in job.error_message and not job.result


def test_stored_input_that_cannot_be_decoded_fails_the_job_with_the_reason(make_job):
    job = make_job(data=b"\xff\xd8\xff\xe0 not really a jpeg")

    services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.FAILED
    assert "corrupt or truncated" in job.error_message
    assert job.result is None
    assert not job.annotated_file


def test_unexpected_error_fails_the_job_with_a_generic_message(make_job):
    job = make_job(sample="single_face.jpg")

    with mock.patch.object(services, "get_analysis_engine", side_effect=RuntimeError("segfault-ish")):
        services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.FAILED
    assert job.error_message == services.UNEXPECTED_FAILURE_MESSAGE
    assert "segfault" not in job.error_message


def test_progress_reaches_the_jobs_channel_group(make_job):
    job = make_job(sample="single_face.jpg")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(job.progress_group_name, channel)

    services.analysis_job_run(job_id=job.id)

    received = []
    while True:
        message = async_to_sync(layer.receive)(channel)
        received.append(message)
        if message["status"] == "succeeded":
            break
    assert all(message["type"] == "job.progress" for message in received)
    assert received[0] == {"type": "job.progress", "status": "running", "progress": services.PROGRESS_STARTED}
    progress = [message["progress"] for message in received]
    assert progress == sorted(progress)
    assert received[-1]["progress"] == 100


def test_a_broken_channel_layer_does_not_fail_the_job(make_job):
    job = make_job(sample="no_faces.jpg")

    with mock.patch.object(services, "get_channel_layer", side_effect=ConnectionError("redis is down")):
        services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.SUCCEEDED
