"""A closed session's webcam recording is rewritten with its length and seek index."""

import uuid
from pathlib import Path

import av
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from studies import recording_files, services
from studies.models import RecordingPart, ViewerSession
from tests.studies.conftest import WEBM_HEAD

pytestmark = pytest.mark.django_db

CHUNKS = 3
FRAMES = 60  # 2 s of the 30 frames/s sample


def _record(session, data: bytes, *, part=None, chunks=CHUNKS) -> RecordingPart:
    """Upload `data` in a few chunks, as the watch page does second by second."""
    part_id, step = part or uuid.uuid4(), -(-len(data) // chunks)
    for offset in range(0, len(data), step):
        services.viewer_recording_append(session, services.RecordingChunk(
            part_id=part_id, offset=offset, starts_at_ms=1000,
            data=SimpleUploadedFile("webcam.webm", data[offset:offset + step], content_type="video/webm")))
    return RecordingPart.objects.get(pk=part_id)


def _probe(path: Path) -> tuple[float | None, int]:
    """(duration in s as the container states it, video frames decoded)."""
    with av.open(str(path)) as container:
        duration = container.duration / av.time_base if container.duration else None
        return duration, sum(1 for _ in container.decode(video=0))


@pytest.fixture
def recorded_session(user, make_campaign, join):
    return join(make_campaign(user), keep_recording=True)


def test_finishing_the_ad_gives_the_recording_its_length_and_keeps_every_frame(
        recorded_session, browser_recording, tmp_path, django_capture_on_commit_callbacks):
    part = _record(recorded_session, browser_recording)
    recorded = Path(part.file.path)
    assert _probe(recorded)[0] is None  # as the browser wrote it: no length
    frames = _probe(recorded)[1]

    with django_capture_on_commit_callbacks(execute=True):  # the worker's task runs on commit
        services.viewer_session_finish(recorded_session)

    part.refresh_from_db()
    finalized = Path(part.file.path)
    assert part.finalized_at and finalized != recorded and not recorded.exists()
    assert part.size == finalized.stat().st_size
    duration, finalized_frames = _probe(finalized)
    assert duration == pytest.approx(2.0, abs=0.1) and part.duration_ms == pytest.approx(2000, abs=100)
    assert finalized_frames == frames == FRAMES
    assert (part.starts_at_clock, part.ends_at_clock) == ("0:01", "0:03")
    assert services.viewer_recording_finalize(recorded_session.pk) == 0  # idempotent


def test_an_abandoned_session_is_finalized_too_and_an_open_one_not_yet(
        recorded_session, browser_recording, django_capture_on_commit_callbacks):
    part = _record(recorded_session, browser_recording)
    assert services.viewer_recording_finalize(recorded_session.pk) == 0  # still recording
    ViewerSession.objects.filter(pk=recorded_session.pk).update(last_seen_at=recorded_session.started_at)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.viewer_sessions_mark_abandoned(now=recorded_session.started_at.replace(year=2100)) == 1
    part.refresh_from_db()
    assert part.finalized_at and part.duration_ms


def test_a_recording_cut_mid_write_keeps_what_came_before(recorded_session, browser_recording,
                                                          django_capture_on_commit_callbacks):
    part = _record(recorded_session, browser_recording[: len(browser_recording) * 2 // 3])
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_finish(recorded_session)
    part.refresh_from_db()
    assert part.finalized_at and 500 < part.duration_ms < 1900
    assert _probe(Path(part.file.path))[0] == pytest.approx(part.duration_ms / 1000, abs=0.1)


def test_an_unreadable_recording_is_left_as_it_came(recorded_session, django_capture_on_commit_callbacks):
    part = _record(recorded_session, WEBM_HEAD + b"\x00" * 5000, chunks=1)
    name = part.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_finish(recorded_session)
    part.refresh_from_db()
    assert part.finalized_at and part.duration_ms is None and part.ends_at_clock is None
    assert part.file.name == name and part.size == len(WEBM_HEAD) + 5000
    assert [path.name for path in Path(part.file.path).parent.iterdir()] == [Path(name).name]


def test_bytes_of_a_failed_write_past_the_counted_size_are_not_kept(recorded_session, browser_recording,
                                                                  django_capture_on_commit_callbacks):
    part = _record(recorded_session, browser_recording)
    with open(part.file.path, "ab") as stored:
        stored.write(b"\x00garbage of a write whose transaction failed" * 100)
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_finish(recorded_session)
    part.refresh_from_db()
    assert part.duration_ms == pytest.approx(2000, abs=100) and _probe(Path(part.file.path))[1] == FRAMES


def test_what_a_missing_worker_left_is_finalized_by_the_daily_clearing(recorded_session, browser_recording):
    part = _record(recorded_session, browser_recording)
    services.viewer_session_finish(recorded_session)  # its on-commit task never ran: the broker was down
    part.refresh_from_db()
    assert part.finalized_at is None
    assert services.housekeeping_run()["finalized_recordings"] == 1
    part.refresh_from_db()
    assert part.duration_ms == pytest.approx(2000, abs=100)


def test_erasing_a_finalized_recording_leaves_no_file(recorded_session, browser_recording, settings,
                                                      django_capture_on_commit_callbacks):
    _record(recorded_session, browser_recording)
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_finish(recorded_session)
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_erase(ViewerSession.objects.get(pk=recorded_session.pk))
    assert not list(Path(settings.MEDIA_ROOT).rglob("webcam*"))


def test_the_producer_sees_the_span_and_the_player_gets_a_seekable_file(
        client, user, recorded_session, browser_recording, django_capture_on_commit_callbacks):
    part = _record(recorded_session, browser_recording)
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_finish(recorded_session)
    part.refresh_from_db()
    client.force_login(user)
    base = f"/campaigns/{recorded_session.campaign_id}/viewers/{recorded_session.id}/"
    page = client.get(base).content.decode()
    assert "Webcam 0:01–0:03 of the ad" in page

    tail = client.get(f"{base}recordings/{part.id}", HTTP_RANGE="bytes=-100")
    assert tail.status_code == 206
    assert tail["Content-Range"] == f"bytes {part.size - 100}-{part.size - 1}/{part.size}"


def test_a_recording_whose_timestamps_start_again_is_left_whole_rather_than_cut(
        recorded_session, browser_recording, django_capture_on_commit_callbacks):
    # What a browser that restarted its recorder mid-part could send: the clusters of a second recording.
    second_half = browser_recording[browser_recording.find(bytes.fromhex("1F43B675")):]
    part = _record(recorded_session, browser_recording + second_half)
    name = part.file.name
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_finish(recorded_session)
    part.refresh_from_db()
    assert part.finalized_at and part.duration_ms is None and part.file.name == name
    assert part.size == len(browser_recording) + len(second_half)
    assert [path.name for path in Path(part.file.path).parent.iterdir()] == [Path(name).name]


def test_a_part_whose_file_is_missing_is_tried_twice_then_left(recorded_session, browser_recording, caplog):
    part = _record(recorded_session, browser_recording)
    services.viewer_session_finish(recorded_session)
    Path(part.file.path).unlink()  # a restore that missed it, a disk error

    assert [services.viewer_recording_finalize(recorded_session.pk) for _ in range(3)] == [0, 0, 0]
    part.refresh_from_db()
    assert part.finalize_attempts == 2 and part.finalized_at and part.duration_ms is None
    assert "Could not finalize recording part" in caplog.text and "failed to finalize 2 times" in caplog.text


def test_an_erasure_while_the_copy_is_written_leaves_no_file(recorded_session, browser_recording, settings,
                                                             monkeypatch, django_capture_on_commit_callbacks):
    part = _record(recorded_session, browser_recording)
    services.viewer_session_finish(recorded_session)
    write_copy = recording_files.finalize

    def erased_meanwhile(recorded, *, size):
        finalized = write_copy(recorded, size=size)
        services.viewer_session_erase(ViewerSession.objects.get(pk=recorded_session.pk))  # the producer, now
        return finalized

    monkeypatch.setattr(recording_files, "finalize", erased_meanwhile)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.viewer_recording_finalize(recorded_session.pk) == 0
    assert not RecordingPart.objects.filter(pk=part.pk).exists()
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file() and "viewers" in str(path)]


def test_deleting_the_account_after_finalizing_leaves_no_recording(user, recorded_session, browser_recording,
                                                                  settings, django_capture_on_commit_callbacks):
    _record(recorded_session, browser_recording)
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_finish(recorded_session)
    with django_capture_on_commit_callbacks(execute=True):
        user.delete()
    assert not [path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file()]


def test_a_player_continuing_from_the_file_before_finalizing_gets_the_new_file_whole(
        client, user, recorded_session, browser_recording, django_capture_on_commit_callbacks):
    part = _record(recorded_session, browser_recording)
    client.force_login(user)
    url = f"/campaigns/{recorded_session.campaign_id}/viewers/{recorded_session.id}/recordings/{part.id}"
    before = client.get(url, HTTP_RANGE="bytes=0-99")
    assert before.status_code == 206
    with django_capture_on_commit_callbacks(execute=True):
        services.viewer_session_finish(recorded_session)
    part.refresh_from_db()

    resumed = client.get(url, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=before["ETag"])
    assert resumed.status_code == 200 and int(resumed["Content-Length"]) == part.size
    assert resumed["ETag"] != before["ETag"]
    same = client.get(url, HTTP_RANGE="bytes=100-", HTTP_IF_RANGE=resumed["ETag"])
    assert same.status_code == 206 and same["Content-Range"] == f"bytes 100-{part.size - 1}/{part.size}"
