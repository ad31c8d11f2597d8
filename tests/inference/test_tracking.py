"""FaceTracker: ids, interpolation between detection rounds, confirmation, ending."""

from __future__ import annotations

import pytest

from inference.detectors import DetectedFace
from inference.tracking import FaceTracker, box_iou, box_similarity


def face(x, y, w=40, h=40, score=0.9) -> DetectedFace:
    return DetectedFace(box=(x, y, w, h), score=score)


def run(tracker: FaceTracker, rounds: dict[int, list[DetectedFace]]) -> dict[int, list]:
    """Feed detection rounds in order; return every released frame's boxes."""
    released = {}
    for frame_index in sorted(rounds):
        released.update(tracker.advance(frame_index, rounds[frame_index]))
    released.update(tracker.finish())
    return released


def test_a_moving_face_keeps_one_id_and_is_interpolated_between_detections():
    tracker = FaceTracker(max_missed_frames=10)
    frames = run(tracker, {0: [face(100, 50)], 5: [face(110, 50)], 10: [face(120, 60)]})

    assert sorted(frames) == list(range(11))
    assert {box.track_id for boxes in frames.values() for box in boxes} == {1}
    assert frames[2][0].box == pytest.approx((104, 50, 40, 40))
    assert frames[7][0].box == pytest.approx((114, 54, 40, 40))
    assert [frames[i][0].detected for i in (0, 3, 5, 10)] == [True, False, True, True]


def test_two_faces_keep_their_own_ids_in_any_detection_order():
    tracker = FaceTracker(max_missed_frames=10)
    left, right = face(10, 10), face(300, 10)
    frames = run(tracker, {0: [left, right], 5: [right, left], 10: [face(14, 12), face(296, 8)]})

    ids_by_side = {}
    for boxes in frames.values():
        assert len(boxes) == 2
        for box in boxes:
            ids_by_side.setdefault(box.box[0] < 150, set()).add(box.track_id)
    assert sorted(ids_by_side.values()) == [{1}, {2}]


def test_a_single_false_detection_never_becomes_a_track():
    tracker = FaceTracker(max_missed_frames=10)
    frames = run(tracker, {0: [], 5: [face(200, 200)], 10: [], 15: []})

    assert all(boxes == [] for boxes in frames.values())


def test_in_a_clip_where_the_detector_ran_once_every_face_found_is_a_track():
    # nothing to confirm it against, as in a photo: dropping it would report "no face" for a face
    frames = run(FaceTracker(max_missed_frames=10), {0: [face(10, 10), face(300, 10)]})

    assert sorted(box.track_id for box in frames[0]) == [1, 2]
    assert all(box.detected for box in frames[0])


def test_a_missed_round_is_bridged_and_a_face_gone_for_longer_ends_its_track():
    tracker = FaceTracker(max_missed_frames=10)
    frames = run(tracker, {0: [face(50, 50)], 5: [face(50, 50)], 10: [], 15: [face(52, 50)],
                           20: [], 25: [], 30: [], 35: [face(52, 50)], 40: [face(52, 50)]})

    ids = {frame: [box.track_id for box in boxes] for frame, boxes in frames.items()}
    assert all(ids[frame] == [1] for frame in range(0, 26)), "one missed round keeps the track"
    assert all(ids.get(frame, []) == [] for frame in range(26, 35)), "held for 10 frames, then ended"
    assert ids[35] == [2] and ids[40] == [2], "a face that comes back later is a new track"


def test_matching_follows_a_fast_move_when_boxes_no_longer_overlap():
    tracker = FaceTracker(max_missed_frames=10)
    frames = run(tracker, {0: [face(0, 0)], 5: [face(30, 0)], 10: [face(60, 0)], 15: [face(90, 0)]})

    assert {box.track_id for boxes in frames.values() for box in boxes} == {1}


def test_detection_frames_must_increase():
    tracker = FaceTracker(max_missed_frames=10)
    tracker.advance(5, [])
    with pytest.raises(ValueError):
        tracker.advance(5, [])


def test_box_iou_and_similarity():
    assert box_iou((0, 0, 10, 10), (0, 0, 10, 10)) == pytest.approx(1.0)
    assert box_iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(50 / 150)
    assert box_iou((0, 0, 10, 10), (20, 20, 10, 10)) == 0.0
    assert box_similarity((0, 0, 10, 10), (100, 100, 10, 10)) == 0.0
    assert 0 < box_similarity((0, 0, 10, 10), (11, 0, 10, 10)) < 0.5
