"""Result dataclasses; `to_dict()` gives plain JSON-serialisable data."""

from __future__ import annotations

from dataclasses import dataclass, field

Box = tuple[int, int, int, int]
Point = tuple[float, float]


@dataclass(frozen=True)
class Face:
    box: Box  # (x, y, w, h) in image pixels
    detection_score: float
    landmarks: dict[str, Point] | None
    probabilities: dict[str, float]  # EMOTIONS order
    label: str
    confidence: float

    def to_dict(self) -> dict:
        return {
            "box": [int(v) for v in self.box],
            "detection_score": float(self.detection_score),
            "landmarks": (
                None
                if self.landmarks is None
                else {name: [float(x), float(y)] for name, (x, y) in self.landmarks.items()}
            ),
            "probabilities": {name: float(p) for name, p in self.probabilities.items()},
            "label": self.label,
            "confidence": float(self.confidence),
        }


@dataclass(frozen=True)
class ImageAnalysis:
    faces: list[Face]
    width: int
    height: int
    detector: str
    model: str
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "faces": [face.to_dict() for face in self.faces],
            "width": int(self.width),
            "height": int(self.height),
            "detector": self.detector,
            "model": self.model,
            "timings_ms": {stage: round(float(ms), 3) for stage, ms in self.timings_ms.items()},
        }
