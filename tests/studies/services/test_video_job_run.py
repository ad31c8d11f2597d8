"""analysis_job_run for videos: real clips through the real pipeline; outputs only at success; restarts."""

import csv
import io
import json
from datetime import timedelta
from unittest import mock

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.base import ContentFile
from django.utils import timezone

from studies import video_jobs
from studies.services import analysis_jobs as services
from studies.models import AnalysisJob
from studies.tasks import run_analysis_job
from tests.studies.video_helpers import video_frame_count_and_duration

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TIMELINE_HEADER = "time_s,frame,track_id,x,y,w,h,angry,disgust,fear,happy,sad,surprise,neutral"
SINGLE_FACE_FRAMES = 72
SINGLE_FACE_DURATION_S = 2.4


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing in the service catches it."""


def _drain(layer, channel) -> list[dict]:
    received = []
    while True:
        message = async_to_sync(layer.receive)(channel)
        received.append(message)
        if message["status"] in ("succeeded", "failed"):
            return received


def test_single_face_clip_gives_an_annotated_mp4_and_one_track(make_video_job, tmp_path):
    job = make_video_job(sample="single_face.mp4")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(job.progress_group_name, channel)

    services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error_message
    assert (job.progress, job.attempts) == (100, 1)
    assert job.progress_detail["frames_done"] == job.progress_detail["frames_total"] == SINGLE_FACE_FRAMES
    assert job.progress_detail["seconds_left"] == 0

    local_copy = tmp_path / "annotated.mp4"
    with job.annotated_file.open("rb") as stored:
        local_copy.write_bytes(stored.read())
    frames, duration, codec = video_frame_count_and_duration(local_copy)
    assert (frames, codec) == (SINGLE_FACE_FRAMES, "h264")
    assert duration == pytest.approx(SINGLE_FACE_DURATION_S, abs=0.05)

    assert len(job.result["tracks"]) == 1
    track = job.result["tracks"][0]
    assert track["frames"] >= 0.8 * SINGLE_FACE_FRAMES
    assert sum(track["shares"].values()) == pytest.approx(1.0, abs=1e-3)
    assert job.result["chart"] and {"time_s", "track_id", "probabilities"} <= set(job.result["chart"][0])
    assert job.face_count == 1

    with job.timeline_csv.open("rb") as stored:
        rows = list(csv.reader(io.TextIOWrapper(stored, encoding="utf-8")))
    assert ",".join(rows[0]) == TIMELINE_HEADER
    assert len(rows) - 1 == track["frames"]
    with job.timeline_json.open("rb") as stored:
        assert json.load(stored)

    received = _drain(layer, channel)
    progress = [message["progress"] for message in received]
    assert progress == sorted(progress) and progress[-1] == 100
    running_details = [
        message["detail"] for message in received if message["status"] == "running" and "detail" in message
    ]
    assert running_details, "the frames/s and time left reach the channel group while running"
    assert any(detail.get("frames_per_s") for detail in running_details)
    assert all(set(detail) >= {"frames_done", "frames_total"} for detail in running_details)


def test_video_without_faces_is_a_success_with_an_empty_timeline(make_video_job):
    job = make_video_job(sample="no_face.mp4")

    services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error_message
    assert job.result["tracks"] == [] and job.result["chart"] == []
    assert job.face_count == 0
    with job.timeline_csv.open("rb") as stored:
        assert stored.read().decode().strip() == TIMELINE_HEADER
    assert job.annotated_file


def test_progress_is_saved_at_most_about_once_a_second():
    job = mock.Mock(pk="x", progress=0, progress_detail={}, progress_group_name="job_x")
    saves = []
    with mock.patch.object(AnalysisJob.objects, "filter") as filtered, mock.patch.object(services, "_publish_progress"):
        filtered.return_value.update.side_effect = lambda **fields: saves.append(fields) or 1  # one row
        clock = iter([0.0, 0.3, 0.6, 0.9, 1.2, 1.5, 1.8, 2.4, 2.5])
        with mock.patch.object(services.time, "monotonic", side_effect=lambda: next(clock)):
            reporter = services.VideoProgressReporter(job)
            for done in range(10, 90, 10):
                reporter(done, 100, 50.0)
            reporter(100, 100, 50.0)

    assert [save["progress_detail"]["frames_done"] for save in saves] == [10, 50, 80, 100]
    assert saves[1] == {
        "progress": 50,
        "progress_detail": {"frames_done": 50, "frames_total": 100, "frames_per_s": 50.0, "seconds_left": 1.0},
        "updated_at": mock.ANY,
    }
    assert saves[-1]["progress"] == 99, "100 % is kept for the job's success"


def test_worker_killed_mid_video_leaves_no_output_and_the_rerun_completes(
    make_video_job, django_capture_on_commit_callbacks
):
    job = make_video_job(sample="single_face.mp4", session_key="")
    real_process = video_jobs.process

    def process_then_die(job, *, folder, engine_options, on_progress):
        def progress(frames_done, frames_total, frames_per_s):
            on_progress(frames_done, frames_total, frames_per_s)
            if frames_done >= 10:
                raise WorkerKilled()

        return real_process(job, folder=folder, engine_options=engine_options, on_progress=progress)

    with mock.patch.object(video_jobs, "process", side_effect=process_then_die):
        with pytest.raises(WorkerKilled):
            services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.RUNNING
    assert job.progress < 100
    assert not job.annotated_file and not job.timeline_csv and not job.timeline_json and job.result is None
    # A save interrupted by the kill would leave a file nobody points to.
    job.input_file.storage.save(f"jobs/{job.id}/annotated_Xy12.mp4", ContentFile(b"half a video"))

    later = timezone.now() + services.RUN_SILENT_AFTER + timedelta(seconds=1)  # the sweep after the silence
    with mock.patch.object(run_analysis_job, "delay") as enqueue, django_capture_on_commit_callbacks(execute=True):
        requeued = services.analysis_jobs_requeue_stale(now=later)
    assert requeued == [job.id]
    enqueue.assert_called_once_with(job_id=str(job.id))

    services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.SUCCEEDED, job.error_message
    assert job.attempts == 2
    assert job.progress_detail["frames_done"] == SINGLE_FACE_FRAMES
    _, files = job.input_file.storage.listdir(f"jobs/{job.id}")
    assert sorted(files) == ["annotated.mp4", "input.mp4", "timeline.csv", "timeline.json"]


def test_running_a_finished_video_job_again_changes_nothing(make_video_job):
    job = make_video_job(sample="no_face.mp4")
    services.analysis_job_run(job_id=job.id)
    job.refresh_from_db()
    before = (job.finished_at, job.annotated_file.name, job.attempts)

    with mock.patch.object(video_jobs, "process") as process:
        services.analysis_job_run(job_id=job.id)
    process.assert_not_called()
    job.refresh_from_db()
    assert (job.finished_at, job.annotated_file.name, job.attempts) == before


def test_stored_video_that_cannot_be_decoded_fails_with_the_reason_and_no_outputs(make_video_job, samples_dir):
    clip = (samples_dir / "single_face.mp4").read_bytes()
    job = make_video_job(data=clip[: len(clip) // 3])

    services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.FAILED
    assert "corrupt" in job.error_message
    assert not job.annotated_file and not job.timeline_csv and job.result is None
    _, files = job.input_file.storage.listdir(f"jobs/{job.id}")
    assert files == ["input.mp4"]


def test_video_over_the_duration_limit_fails_when_run(make_video_job, settings):
    settings.FER_MAX_VIDEO_SECONDS = 1
    job = make_video_job(sample="single_face.mp4")

    services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.status == AnalysisJob.Status.FAILED
    assert "the limit is 0:01 (min:s)" in job.error_message


@pytest.mark.django_db(transaction=True)
def test_a_run_that_finishes_second_keeps_the_first_outcome(make_video_job, tmp_path):
    """A worker that started meanwhile requeued the job; whichever run finishes first stands."""
    job = make_video_job(sample="no_face.mp4")
    for name in ("annotated.mp4", "timeline.csv", "timeline.json"):
        (tmp_path / name).write_bytes(b"second run's " + name.encode())

    def finished_elsewhere_meanwhile(job, **kwargs):
        AnalysisJob.objects.filter(pk=job.pk).update(
            status=AnalysisJob.Status.SUCCEEDED, progress=100, result={"tracks": [], "by": "first run"}
        )
        return video_jobs.VideoOutputs(
            annotated_path=tmp_path / "annotated.mp4", csv_path=tmp_path / "timeline.csv",
            json_path=tmp_path / "timeline.json", result={"tracks": [], "by": "second run"}, timings_ms={},
        )

    with mock.patch.object(video_jobs, "process", side_effect=finished_elsewhere_meanwhile):
        returned = services.analysis_job_run(job_id=job.id)

    job.refresh_from_db()
    assert job.result == {"tracks": [], "by": "first run"}
    assert returned.result == job.result
    assert not job.annotated_file, "the second run attached nothing"


def test_videos_and_images_share_one_engine_per_process():
    from inference import get_engine

    assert get_engine(services.video_engine_options()) is services.get_analysis_engine()
