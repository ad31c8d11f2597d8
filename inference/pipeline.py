"""The engine: decode -> detect -> crop -> classify (one batch) -> Face results.

Models load lazily, once per process: `get_engine(options)` returns the same
Engine for equal options, and an Engine builds each detector and the
classifier on first use.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .classifiers import EmotionClassifier
from .crop import face_crop_gray48
from .detectors import ACCURATE_DETECTOR, DetectedFace, FaceDetector, create_detector
from .detectors.base import clip_box
from .imageio import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS, decode_image
from .labels import EMOTIONS
from .types import Face, ImageAnalysis

DEFAULT_MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "emotion_cnn.tflite"
# Faces under ~40 px carry too little detail for a 48x48 expression crop, and MTCNN's
# cost grows with the square of 1/min_face_size (benchmarks/bench_image.py).
DEFAULT_MIN_FACE_SIZE = 40
# Phone photos (12 MP) are shrunk to this longer side for detection only: MTCNN's cost
# follows the pixel count, and faces that matter in them are far above min_face_size.
# Crops for the classifier still come from the full-resolution image.
DEFAULT_DETECT_MAX_SIDE = 1600


@dataclass(frozen=True)
class EngineOptions:
    model_path: str | Path | None = None  # None: models/emotion_cnn.tflite in the repo
    detector: str = ACCURATE_DETECTOR
    min_face_size: int = DEFAULT_MIN_FACE_SIZE  # in pixels of the image the detector sees
    detect_max_side: int | None = DEFAULT_DETECT_MAX_SIDE
    max_bytes: int = DEFAULT_MAX_BYTES  # limits for analyze() given encoded bytes
    max_pixels: int = DEFAULT_MAX_PIXELS

    def resolved(self) -> "EngineOptions":
        path = DEFAULT_MODEL_PATH if self.model_path is None else Path(self.model_path)
        return dataclasses.replace(self, model_path=str(path.expanduser().resolve()))


class Engine:
    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = (options or EngineOptions()).resolved()
        self._classifier: EmotionClassifier | None = None
        self._detectors: dict[str, FaceDetector] = {}
        self._lock = threading.Lock()

    @property
    def classifier(self) -> EmotionClassifier:
        with self._lock:
            if self._classifier is None:
                self._classifier = EmotionClassifier(self.options.model_path)
            return self._classifier

    def detector(self, name: str | None = None) -> FaceDetector:
        name = name or self.options.detector
        with self._lock:
            if name not in self._detectors:
                self._detectors[name] = create_detector(name, min_face_size=self.options.min_face_size)
            return self._detectors[name]

    def warm_up(self, detectors: tuple[str, ...] = ()) -> "Engine":
        """Load the classifier and detectors now (e.g. when a worker process starts)."""
        self.classifier
        for name in detectors or (self.options.detector,):
            self.detector(name)
        return self

    def analyze(self, image: np.ndarray | bytes, detector: str | None = None) -> ImageAnalysis:
        """Faces with emotion probabilities; `image` is a BGR array or encoded image bytes."""
        started = time.perf_counter()
        timings: dict[str, float] = {}
        if isinstance(image, (bytes, bytearray, memoryview)):
            image = decode_image(bytes(image), max_bytes=self.options.max_bytes,
                                 max_pixels=self.options.max_pixels)
            timings["decode"] = _ms_since(started)
        image_bgr = as_bgr(image)
        face_detector = self.detector(detector)
        classifier = self.classifier

        stage = time.perf_counter()
        detections = sorted(self._detect(face_detector, image_bgr), key=lambda d: (d.box[0], d.box[1]))
        timings["detect"] = _ms_since(stage)

        stage = time.perf_counter()
        crops = np.stack([face_crop_gray48(image_bgr, d.box) for d in detections]) if detections else \
            np.empty((0, 48, 48), np.uint8)
        timings["crop"] = _ms_since(stage)

        stage = time.perf_counter()
        probabilities = classifier.predict(crops)
        timings["classify"] = _ms_since(stage)

        faces = [_face(detection, row) for detection, row in zip(detections, probabilities)]
        timings["total"] = _ms_since(started)
        height, width = image_bgr.shape[:2]
        return ImageAnalysis(faces=faces, width=width, height=height, detector=face_detector.name,
                             model=classifier.name, timings_ms=timings)

    def _detect(self, face_detector: FaceDetector, image_bgr: np.ndarray) -> list[DetectedFace]:
        return detect_downscaled(face_detector, image_bgr, self.options.detect_max_side)


_engines: dict[EngineOptions, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(options: EngineOptions | None = None) -> Engine:
    """The process's Engine for these options (built on first call, models loaded lazily)."""
    key = (options or EngineOptions()).resolved()
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = Engine(key)
        return engine


def analyze_image(image: np.ndarray | bytes, *, detector: str | None = None,
                  options: EngineOptions | None = None) -> ImageAnalysis:
    return get_engine(options).analyze(image, detector=detector)


def detect_downscaled(face_detector: FaceDetector, image_bgr: np.ndarray, max_side: int | None) -> list[DetectedFace]:
    """Detect on a copy shrunk to `max_side` (None: never shrink); boxes come back in image pixels."""
    import cv2

    height, width = image_bgr.shape[:2]
    if not max_side or max(width, height) <= max_side:
        return face_detector.detect(image_bgr)
    factor = max_side / max(width, height)
    small = cv2.resize(image_bgr, (max(1, round(width * factor)), max(1, round(height * factor))),
                       interpolation=cv2.INTER_AREA)
    return [_scaled(detection, 1.0 / factor, width, height) for detection in face_detector.detect(small)]


def as_bgr(image: np.ndarray) -> np.ndarray:
    """Accept BGR, grey or BGRA uint8 arrays; return a contiguous (H, W, 3) BGR array."""
    import cv2

    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise TypeError("Expected a uint8 numpy image (use decode_image() for encoded bytes).")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image)
    raise ValueError(f"Expected an (H, W, 3) BGR image, got shape {image.shape}.")


def _face(detection, probabilities: np.ndarray) -> Face:
    top = int(np.argmax(probabilities))
    return Face(
        box=detection.box,
        detection_score=detection.score,
        landmarks=detection.landmarks,
        probabilities={label: float(p) for label, p in zip(EMOTIONS, probabilities)},
        label=EMOTIONS[top],
        confidence=float(probabilities[top]),
    )


def _scaled(detection: DetectedFace, factor: float, width: int, height: int) -> DetectedFace:
    x, y, w, h = detection.box
    box = clip_box(x * factor, y * factor, (x + w) * factor, (y + h) * factor, width, height)
    landmarks = None
    if detection.landmarks is not None:
        landmarks = {name: (px * factor, py * factor) for name, (px, py) in detection.landmarks.items()}
    return DetectedFace(box=box, score=detection.score, landmarks=landmarks)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
