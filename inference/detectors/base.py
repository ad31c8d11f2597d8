"""What every face detector returns, whatever model is behind it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class DetectedFace:
    box: tuple[int, int, int, int]  # (x, y, w, h), clipped to the image
    score: float
    landmarks: dict[str, tuple[float, float]] | None = None


class FaceDetector(Protocol):
    name: str

    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]: ...


def clip_box(x1: float, y1: float, x2: float, y2: float, width: int, height: int):
    """Integer (x, y, w, h) of the corner box clipped to the image, or None if nothing is left."""
    left, top = max(0, int(round(x1))), max(0, int(round(y1)))
    right, bottom = min(width, int(round(x2))), min(height, int(round(y2)))
    if right - left < 2 or bottom - top < 2:
        return None
    return (left, top, right - left, bottom - top)
