"""Face detectors, looked up by name so that swapping one is a setting.

Each factory imports its model's package only when called: importing the
library stays cheap, and a process pays only for the detectors it uses.
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UnknownDetectorError
from .base import DetectedFace, FaceDetector

ACCURATE_DETECTOR = "mtcnn"
# Chosen by benchmarks/bench_detectors.py: the fastest with acceptable recall on the samples.
FAST_DETECTOR = "blazeface"


def _mtcnn(min_face_size: int) -> FaceDetector:
    from .mtcnn_detector import MTCNNDetector

    return MTCNNDetector(min_face_size=min_face_size)


def _blazeface_full(min_face_size: int) -> FaceDetector:
    from .blazeface_detector import BlazeFaceDetector

    return BlazeFaceDetector(model_range="full", min_face_size=min_face_size)


def _blazeface_short(min_face_size: int) -> FaceDetector:
    from .blazeface_detector import BlazeFaceDetector

    return BlazeFaceDetector(model_range="short", min_face_size=min_face_size)


def _haar(min_face_size: int) -> FaceDetector:
    from .haar_detector import HaarDetector

    return HaarDetector(min_face_size=min_face_size)


DETECTORS: dict[str, Callable[[int], FaceDetector]] = {
    "mtcnn": _mtcnn,
    "blazeface": _blazeface_full,
    "blazeface_short": _blazeface_short,
    "haar": _haar,
}


def create_detector(name: str, *, min_face_size: int) -> FaceDetector:
    try:
        factory = DETECTORS[name]
    except KeyError:
        raise UnknownDetectorError(name, tuple(DETECTORS)) from None
    return factory(min_face_size)


__all__ = ["ACCURATE_DETECTOR", "DETECTORS", "FAST_DETECTOR", "DetectedFace", "FaceDetector",
           "create_detector"]
