"""Live camera analysis: frames that arrive one at a time -> tracked, smoothed faces.

One LiveSession per camera stream. Each frame is decoded in memory, faces are
detected with the fast detector, matched to the faces of earlier frames (so a
person keeps an id) and classified; probabilities are smoothed per face over
time, as in video analysis, so labels do not flicker. Nothing is written
anywhere: the caller decides what, if anything, to keep.

    session = LiveSession()
    frame = session.analyze(jpeg_bytes, time_s=0.033)   # LiveFrame
    frame.faces                                          # [TrackedFace, ...]
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .crop import face_crop_gray48
from .detectors import FAST_DETECTOR
from .imageio import decode_image
from .labels import EMOTIONS
from .pipeline import Engine, detect_downscaled, get_engine
from .smoothing import ProbabilitySmoother
from .tracking import OnlineFaceTracker
from .video import TrackedFace, frame_box, tracked_face

# A webcam frame needs far less than an uploaded photo: 640x480 JPEG is ~50 KB.
DEFAULT_MAX_FRAME_BYTES = 1024 * 1024
DEFAULT_MAX_FRAME_PIXELS = 1920 * 1080


@dataclass(frozen=True)
class LiveOptions:
    detector: str = FAST_DETECTOR
    detect_max_side: int = 640  # bigger frames shrink for the detector (BlazeFace sees 192 px anyway)
    smoothing: float = 0.3  # half-life in seconds of the per-face moving average; 0: off
    max_missed_s: float = 0.5  # a face the detector misses keeps its box this long
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES
    max_frame_pixels: int = DEFAULT_MAX_FRAME_PIXELS


@dataclass(frozen=True)
class LiveFrame:
    time_s: float
    width: int
    height: int
    faces: list[TrackedFace]
    timings_ms: dict[str, float] = field(default_factory=dict)  # decode, detect, classify, total

    def to_dict(self) -> dict:
        return {"time_s": round(self.time_s, 3), "width": self.width, "height": self.height,
                "faces": [face.to_dict() for face in self.faces], "timings_ms": self.timings_ms}


class LiveSession:
    """One camera stream. `analyze` may be called from any thread, one frame at a time."""

    def __init__(self, engine: Engine | None = None, options: LiveOptions | None = None) -> None:
        self.engine = engine or get_engine()
        self.options = options or LiveOptions()
        self._tracker = OnlineFaceTracker(max_missed_s=self.options.max_missed_s)
        self._smoother = ProbabilitySmoother(self.options.smoothing)
        self._lock = threading.Lock()

    def analyze(self, frame: bytes | np.ndarray, time_s: float) -> LiveFrame:
        """`frame`: encoded image bytes (JPEG, PNG, WebP) or a BGR array; `time_s`: when it was
        captured, in seconds on any clock that only moves forward. Raises the InferenceError
        subclasses of decode_image for bad bytes."""
        started = time.perf_counter()
        if isinstance(frame, (bytes, bytearray, memoryview)):
            image = decode_image(bytes(frame), max_bytes=self.options.max_frame_bytes,
                                 max_pixels=self.options.max_frame_pixels)
        else:
            image = frame
        decoded = time.perf_counter()
        detector = self.engine.detector(self.options.detector)
        detections = detect_downscaled(detector, image, self.options.detect_max_side)
        detected = time.perf_counter()
        with self._lock:
            boxes, ended = self._tracker.update(time_s, detections)
            self._smoother.forget(ended)
            crops = [face_crop_gray48(image, tracked.box) for tracked in boxes]
            raw = self.engine.classifier.predict(np.stack(crops)) if crops else np.empty((0, len(EMOTIONS)))
            faces = []
            height, width = image.shape[:2]
            for tracked, probabilities in zip(boxes, raw):
                smoothed = self._smoother.update(tracked.track_id, time_s, probabilities)
                faces.append(tracked_face(tracked, frame_box(tracked.box, (1.0, 1.0), width, height), smoothed))
        finished = time.perf_counter()
        timings = {"decode": decoded - started, "detect": detected - decoded, "classify": finished - detected,
                   "total": finished - started}
        return LiveFrame(time_s=time_s, width=int(image.shape[1]), height=int(image.shape[0]), faces=faces,
                         timings_ms={name: round(seconds * 1000, 2) for name, seconds in timings.items()})


__all__ = ["LiveFrame", "LiveOptions", "LiveSession"]
