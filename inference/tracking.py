"""Face tracks across video frames from detections made every few frames.

The detector runs on some frames only. Between two detection frames a track's box is
interpolated (the later detection is known before the frames in between are released),
so boxes follow the face without running the detector on every frame. Association is
greedy on a similarity built from IoU and centre distance, best pairs first; with the
handful of faces in a video frame this finds the same pairs as the Hungarian method.

A detection starts a tentative track; it gets an id, and its frames are released, only
when the next detection round matches it again, so a one-off false detection never
becomes a track; in a clip so short that the detector ran once, every face it found is one,
as in a photo. A track missed by the detector keeps its last box for up to
`max_missed_frames` frames (detectors blink) and ends after that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .detectors import DetectedFace

# Pairs below this similarity are never matched: a new face, not the same one moved.
MIN_SIMILARITY = 0.2


@dataclass(frozen=True)
class TrackedBox:
    track_id: int
    box: tuple[float, float, float, float]  # x, y, w, h in the frame the detector saw
    detected: bool  # True on a detection frame where the detector found this face
    score: float  # score of the track's latest detection


@dataclass
class _Track:
    box: np.ndarray  # x, y, w, h at last_frame
    last_frame: int  # frame of the latest matched detection
    score: float
    velocity: np.ndarray  # box change per frame, for matching after fast moves
    track_id: int | None = None  # None while tentative


class FaceTracker:
    def __init__(self, *, max_missed_frames: int) -> None:
        self.max_missed_frames = int(max_missed_frames)
        self._tracks: list[_Track] = []
        self._previous_frame: int | None = None
        self._rounds = 0
        self._next_id = 1

    def advance(self, frame_index: int, detections: list[DetectedFace]) -> dict[int, list[TrackedBox]]:
        """Feed the detections of `frame_index`. Returns the final boxes of every frame from the
        previous detection frame up to `frame_index - 1`: {frame: [TrackedBox, ...]}."""
        previous = self._previous_frame
        if previous is not None and frame_index <= previous:
            raise ValueError(f"Detection frames must increase: {frame_index} after {previous}.")
        boxes = [np.asarray(d.box, np.float64) for d in detections]
        matches = self._match(frame_index, boxes)
        released: dict[int, list[TrackedBox]] = {}
        if previous is not None:
            for track_number, track in enumerate(self._tracks):
                matched = matches.get(track_number)
                if track.track_id is None:
                    if matched is None or track.last_frame != previous:
                        continue  # an unconfirmed track that the detector did not see again
                    track.track_id = self._take_id()
                for frame in range(previous, frame_index):
                    box = self._box_at(track, frame, frame_index, None if matched is None else boxes[matched])
                    if box is not None:
                        released.setdefault(frame, []).append(
                            TrackedBox(track.track_id, tuple(box), frame == track.last_frame, track.score))
        self._update(frame_index, detections, boxes, matches)
        self._previous_frame = frame_index
        self._rounds += 1
        return released

    def finish(self) -> dict[int, list[TrackedBox]]:
        """Boxes of the last detection frame (call after the last `advance`)."""
        frame = self._previous_frame
        if frame is None:
            return {}
        if self._rounds == 1:
            for track in self._tracks:
                track.track_id = self._take_id()
        boxes = [TrackedBox(t.track_id, tuple(t.box), t.last_frame == frame, t.score)
                 for t in self._tracks if t.track_id is not None and frame - t.last_frame <= self.max_missed_frames]
        return {frame: boxes} if boxes else {}

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def _box_at(self, track: _Track, frame: int, detection_frame: int, new_box) -> np.ndarray | None:
        if new_box is not None:
            t = (frame - track.last_frame) / (detection_frame - track.last_frame)
            return track.box + (new_box - track.box) * t
        if frame - track.last_frame <= self.max_missed_frames:
            return track.box  # held where the face was last seen; it may be back next round
        return None

    def _match(self, frame_index: int, boxes: list[np.ndarray]) -> dict[int, int]:
        """{track number: detection number}, best similarity first."""
        predicted = [track.box + track.velocity * (frame_index - track.last_frame) for track in self._tracks]
        return match_boxes(predicted, boxes)

    def _update(self, frame_index: int, detections, boxes, matches: dict[int, int]) -> None:
        kept: list[_Track] = []
        for track_number, track in enumerate(self._tracks):
            detection_number = matches.get(track_number)
            if detection_number is not None:
                new_box = boxes[detection_number]
                track.velocity = (new_box - track.box) / (frame_index - track.last_frame)
                track.box, track.last_frame = new_box, frame_index
                track.score = detections[detection_number].score
                kept.append(track)  # confirmed in advance() if it was tentative
            elif track.track_id is not None and frame_index - track.last_frame <= self.max_missed_frames:
                kept.append(track)
        matched = set(matches.values())
        for detection_number, (detection, box) in enumerate(zip(detections, boxes)):
            if detection_number not in matched:
                kept.append(_Track(box=box, last_frame=frame_index, score=detection.score,
                                   velocity=np.zeros(4)))
        self._tracks = kept


def match_boxes(predicted: list[np.ndarray], boxes: list[np.ndarray]) -> dict[int, int]:
    """Greedy pairs {predicted number: box number}, best similarity first, none below MIN_SIMILARITY."""
    pairs = []
    for track_number, expected in enumerate(predicted):
        for detection_number, box in enumerate(boxes):
            similarity = box_similarity(expected, box)
            if similarity >= MIN_SIMILARITY:
                pairs.append((similarity, track_number, detection_number))
    matches: dict[int, int] = {}
    used: set[int] = set()
    for _, track_number, detection_number in sorted(pairs, reverse=True):
        if track_number not in matches and detection_number not in used:
            matches[track_number] = detection_number
            used.add(detection_number)
    return matches


def box_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """IoU, or for boxes that moved apart between detections, a smaller score that falls
    with the distance between centres (zero at two face widths) and with the change of size."""
    iou = box_iou(a, b)
    size_a, size_b = max(a[2], a[3], 1e-6), max(b[2], b[3], 1e-6)
    size_ratio = min(size_a, size_b) / max(size_a, size_b)
    centre_distance = np.hypot((a[0] + a[2] / 2) - (b[0] + b[2] / 2), (a[1] + a[3] / 2) - (b[1] + b[3] / 2))
    nearness = max(0.0, 1.0 - centre_distance / (2.0 * size_a))
    return max(iou, 0.5 * nearness * size_ratio)


def box_iou(a, b) -> float:
    left, top = max(a[0], b[0]), max(a[1], b[1])
    right, bottom = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    intersection = max(0.0, right - left) * max(0.0, bottom - top)
    union = a[2] * a[3] + b[2] * b[3] - intersection
    return float(intersection / union) if union > 0 else 0.0


@dataclass
class _LiveTrack:
    track_id: int
    box: np.ndarray
    last_seen_s: float
    score: float
    velocity: np.ndarray  # box change per second


class OnlineFaceTracker:
    """Tracks for frames that arrive one at a time, as from a live camera.

    Unlike FaceTracker it cannot wait for the next detection round: each frame's
    detections are matched at once and a new face gets its id at once. A face the
    detector misses keeps its last box for up to `max_missed_s` (detectors blink),
    then its track ends.
    """

    def __init__(self, *, max_missed_s: float) -> None:
        self.max_missed_s = float(max_missed_s)
        self._tracks: list[_LiveTrack] = []
        self._next_id = 1

    def update(self, time_s: float, detections: list[DetectedFace]) -> tuple[list[TrackedBox], list[int]]:
        """Returns the boxes to show at `time_s` and the ids of tracks that just ended."""
        boxes = [np.asarray(d.box, np.float64) for d in detections]
        predicted = [t.box + t.velocity * max(time_s - t.last_seen_s, 0.0) for t in self._tracks]
        matches = match_boxes(predicted, boxes)
        kept, shown, ended = [], [], []
        for number, track in enumerate(self._tracks):
            detection = matches.get(number)
            if detection is not None:
                elapsed = time_s - track.last_seen_s
                if elapsed > 0:
                    track.velocity = (boxes[detection] - track.box) / elapsed
                track.box, track.last_seen_s = boxes[detection], time_s
                track.score = detections[detection].score
                kept.append(track)
                shown.append(TrackedBox(track.track_id, tuple(track.box), True, track.score))
            elif time_s - track.last_seen_s <= self.max_missed_s:
                kept.append(track)
                shown.append(TrackedBox(track.track_id, tuple(track.box), False, track.score))
            else:
                ended.append(track.track_id)
        matched = set(matches.values())
        for number, (detection, box) in enumerate(zip(detections, boxes)):
            if number not in matched:
                track = _LiveTrack(self._next_id, box, time_s, detection.score, np.zeros(4))
                self._next_id += 1
                kept.append(track)
                shown.append(TrackedBox(track.track_id, tuple(box), True, track.score))
        self._tracks = kept
        return shown, ended
