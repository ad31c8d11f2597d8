"""Fast detector: OpenCV's frontal-face Haar cascade (the XML ships in opencv-python-headless)."""

from __future__ import annotations

import threading

import cv2
import numpy as np

from .base import DetectedFace, clip_box

_CASCADE_FILE = "haarcascade_frontalface_default.xml"


class HaarDetector:
    name = "haar"

    def __init__(self, min_face_size: int = 20, scale_factor: float = 1.1,
                 min_neighbors: int = 5) -> None:
        self._cascade = cv2.CascadeClassifier(cv2.data.haarcascades + _CASCADE_FILE)
        if self._cascade.empty():
            raise RuntimeError(f"OpenCV could not load {_CASCADE_FILE} from {cv2.data.haarcascades}.")
        self.min_face_size = int(min_face_size)
        self.scale_factor = float(scale_factor)
        self.min_neighbors = int(min_neighbors)
        self._lock = threading.Lock()

    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]:
        height, width = image_bgr.shape[:2]
        gray = cv2.equalizeHist(cv2.cvtColor(image_bgr, cv2.COLOR_BGR2GRAY))
        with self._lock:
            boxes, neighbours = self._cascade.detectMultiScale2(
                gray, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
                minSize=(self.min_face_size, self.min_face_size),
            )
        faces = []
        for (x, y, w, h), votes in zip(boxes, np.ravel(neighbours)):
            box = clip_box(x, y, x + w, y + h, width, height)
            if box is not None:
                # The cascade has no probability; the share of agreeing neighbour windows
                # (saturating at 4x the minimum) is the closest it gets to one.
                score = min(1.0, float(votes) / (4.0 * max(self.min_neighbors, 1)))
                faces.append(DetectedFace(box=box, score=score))
        return faces
