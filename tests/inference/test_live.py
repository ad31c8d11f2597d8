"""Live camera analysis: online face tracks, smoothing, and frames straight from a camera stream."""

from __future__ import annotations

import numpy as np
import pytest

from inference.detectors import DetectedFace
from inference.errors import CorruptImageError, ImageTooLargeError, UnsupportedFormatError
from inference.tracking import OnlineFaceTracker


def face(x, y, w=40, h=40, score=0.9) -> DetectedFace:
    return DetectedFace(box=(x, y, w, h), score=score)


def test_online_tracker_keeps_ids_while_faces_move_and_swap_order():
    tracker = OnlineFaceTracker(max_missed_s=0.5)
    first, _ = tracker.update(0.0, [face(10, 10), face(300, 10)])
    ids = {box.box[0]: box.track_id for box in first}
    moved, ended = tracker.update(0.1, [face(305, 12), face(14, 11)])
    assert not ended
    assert {box.track_id for box in moved if box.box[0] < 100} == {ids[10]}
    assert {box.track_id for box in moved if box.box[0] > 100} == {ids[300]}


def test_a_missed_face_is_held_then_its_track_ends():
    tracker = OnlineFaceTracker(max_missed_s=0.5)
    tracker.update(0.0, [face(50, 50)])
    held, ended = tracker.update(0.3, [])
    assert [(b.track_id, b.detected) for b in held] == [(1, False)] and ended == []
    gone, ended = tracker.update(0.9, [])
    assert gone == [] and ended == [1]
    back, _ = tracker.update(1.0, [face(50, 50)])
    assert [b.track_id for b in back] == [2]  # a new person, as far as anyone can tell


@pytest.fixture(scope="module")
def camera_frames(webcam_jpegs):
    return webcam_jpegs


@pytest.fixture(scope="module")
def shipped_engine():
    from inference import get_engine

    return get_engine()


def test_a_camera_stream_gives_one_tracked_smoothed_face(camera_frames, shipped_engine):
    from inference.live import LiveSession

    session = LiveSession(shipped_engine)
    results = [session.analyze(jpeg, time_s=i / 30) for i, jpeg in enumerate(camera_frames)]
    assert all(len(r.faces) == 1 for r in results)
    assert {r.faces[0].track_id for r in results} == {1}
    assert (results[0].width, results[0].height) == (640, 480)
    face = results[-1].faces[0]
    x, y, w, h = face.box
    assert 0 <= x < x + w <= 640 and 0 <= y < y + h <= 480 and w > 40
    assert sum(face.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
    assert set(results[-1].timings_ms) == {"decode", "detect", "classify", "total"}
    # smoothing: consecutive frames change the probabilities less than single readings do
    raw = shipped_engine.classifier.predict(np.stack([_crop(camera_frames[i], results[i].faces[0].box) for i in range(30)]))
    smoothed = np.array([[r.faces[0].probabilities[n] for n in face.probabilities] for r in results])
    assert np.abs(np.diff(smoothed, axis=0)).mean() < np.abs(np.diff(raw, axis=0)).mean()


def _crop(jpeg: bytes, box):
    from inference import decode_image
    from inference.crop import face_crop_gray48

    return face_crop_gray48(decode_image(jpeg), box)


def test_a_frame_without_faces_gives_none(sample_bytes, shipped_engine):
    from inference.live import LiveSession

    frame = LiveSession(shipped_engine).analyze(sample_bytes("no_faces.jpg"), time_s=0.0)
    assert frame.faces == []


@pytest.mark.parametrize("data, error", [
    (b"definitely not an image", UnsupportedFormatError),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 50, CorruptImageError),
])
def test_bad_frames_raise_the_library_errors(data, error, shipped_engine):
    from inference.live import LiveSession

    with pytest.raises(error):
        LiveSession(shipped_engine).analyze(data, time_s=0.0)


def test_frames_over_the_byte_limit_are_refused(camera_frames, shipped_engine):
    from inference.live import LiveOptions, LiveSession

    with pytest.raises(ImageTooLargeError):
        LiveSession(shipped_engine, LiveOptions(max_frame_bytes=1000)).analyze(camera_frames[0], time_s=0.0)
