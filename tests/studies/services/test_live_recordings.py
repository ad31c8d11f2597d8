"""Live recordings as analysis jobs: start, heartbeat, save, discard, and the interrupted ones."""

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from inference.labels import EMOTIONS
from inference.live import LiveFrame
from inference.video import TrackedFace
from studies import services
from studies.models import AnalysisJob

pytestmark = pytest.mark.django_db


def live_frame(time_s: float, label: str = "happy", track_id: int = 1) -> LiveFrame:
    probabilities = {name: (0.7 if name == label else 0.05) for name in EMOTIONS}
    face = TrackedFace(track_id=track_id, box=(100, 80, 120, 120), probabilities=probabilities, label=label,
                       confidence=0.7, detection_score=0.95, detected=True)
    return LiveFrame(time_s=time_s, width=640, height=480, faces=[face])


def received(recording, frame: LiveFrame) -> None:
    """The frame reaches the server when the page took it (by the server's clock too)."""
    recording.clock = lambda: frame.time_s
    recording.add(frame)


def test_a_recording_is_a_running_job_until_saved_with_its_timeline(user):
    recording = services.live_recording_start(owner=user, session_key=None)
    job = AnalysisJob.objects.get(pk=recording.job_id)
    assert (job.kind, job.status, job.owner) == ("live", "running", user)

    for i in range(10):
        received(recording, live_frame(100.0 + i * 0.5, label="happy" if i < 7 else "sad"))
    services.live_recording_heartbeat(recording)
    job.refresh_from_db()
    assert job.progress_detail == {"frames": 10, "seconds": 4.5, "faces": 1}

    job = services.live_recording_finish(recording)
    assert job.status == "succeeded" and job.progress == 100
    track, = job.result["tracks"]
    assert track["frames"] == 10 and track["dominant"] == "happy" and track["shares"]["sad"] == pytest.approx(0.3)
    assert job.result["info"]["duration_s"] == pytest.approx(4.5) and job.result["info"]["frame_count"] == 10
    assert job.result["chart"][0]["time_s"] == 0.0
    rows = list(csv.DictReader(io.StringIO(job.timeline_csv.read().decode())))
    assert len(rows) == 10 and rows[-1]["time_s"] == "4.500" and float(rows[0]["happy"]) == pytest.approx(0.7)
    assert not recording.folder.exists()  # the private work folder is gone


def test_a_long_recording_charts_at_most_240_points_per_face(user):
    recording = services.live_recording_start(owner=user, session_key=None)
    for i in range(3000):  # 10 minutes at 5 results/s
        received(recording, live_frame(i * 0.2))
    job = services.live_recording_finish(recording)
    assert 200 <= len(job.result["chart"]) <= 240
    assert job.result["chart"][-1]["time_s"] > 590


def test_an_empty_recording_is_deleted(user):
    recording = services.live_recording_start(owner=user, session_key=None)
    assert services.live_recording_finish(recording) is None
    assert not AnalysisJob.objects.exists()
    assert not recording.folder.exists()


def test_an_anonymous_recording_belongs_to_the_browser_session():
    recording = services.live_recording_start(owner=None, session_key="abc123")
    job = AnalysisJob.objects.get(pk=recording.job_id)
    assert job.owner is None and job.session_key == "abc123"
    recording.discard()


def test_recordings_whose_server_died_are_marked_failed_and_never_queued(user):
    silent = services.live_recording_start(owner=user, session_key=None)
    alive = services.live_recording_start(owner=user, session_key=None)
    AnalysisJob.objects.filter(pk=silent.job_id).update(updated_at=timezone.now() - timedelta(minutes=10))

    with mock.patch("studies.services.analysis_jobs._enqueue_on_commit") as enqueue:
        assert services.analysis_jobs_requeue_stale() == []
    enqueue.assert_not_called()
    failed = AnalysisJob.objects.get(pk=silent.job_id)
    assert failed.status == "failed" and "interrupted" in failed.error_message
    assert AnalysisJob.objects.get(pk=alive.job_id).status == "running"
    # a worker handed a live job's id leaves it alone
    assert services.analysis_job_run(job_id=alive.job_id).status == "running"
    silent.discard()
    alive.discard()


def test_a_recording_whose_job_was_deleted_meanwhile_keeps_nothing(user):
    recording = services.live_recording_start(owner=user, session_key=None)
    for i in range(4):
        received(recording, live_frame(100.0 + i * 0.5))
    AnalysisJob.objects.filter(pk=recording.job_id).delete()  # the account went from the admin, say
    assert recording.folder.exists()

    assert services.live_recording_finish(recording) is None
    assert not recording.folder.exists() and not AnalysisJob.objects.exists()


def test_deleting_a_recording_whose_page_died_touches_no_other_recording(user, other_user):
    mine = services.live_recording_start(owner=user, session_key=None)
    theirs = services.live_recording_start(owner=other_user, session_key=None)
    AnalysisJob.objects.filter(pk__in=[mine.job_id, theirs.job_id]).update(
        updated_at=timezone.now() - timedelta(minutes=10))

    assert services.analysis_jobs_delete([AnalysisJob.objects.get(pk=mine.job_id)]) == 1
    assert AnalysisJob.objects.get(pk=theirs.job_id).status == "running"  # for housekeeping, not this deletion
    mine.discard()
    theirs.discard()
