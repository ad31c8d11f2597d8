"""The accurate detector: MTCNN from the `mtcnn` package (weights ship in its wheel)."""

from __future__ import annotations

import threading

import cv2
import numpy as np
import tensorflow as tf
from mtcnn.stages import StageONet, StagePNet, StageRNet
from mtcnn.utils.bboxes import (
    generate_bounding_box,
    resize_to_square,
    smart_nms_from_bboxes,
    upscale_bboxes,
)

from .base import DetectedFace, clip_box

LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")
_PNET_INPUT_SIZE = 12
# PNet, RNet, ONet. ONet at 0.9 rather than the package's 0.8: at min_face_size 20 two
# non-faces in ivan.jpg (an ornament at its left edge, the hand holding the microphone)
# pass ONet at 0.80-0.86, while the samples' real faces score 0.94 or more.
DEFAULT_THRESHOLDS = (0.6, 0.7, 0.9)


def pyramid_scales(width: int, height: int, min_face_size: int, scale_factor: float) -> np.ndarray:
    """Scales from the one that maps min_face_size to 12 px down to the image's 12 px floor."""
    first = _PNET_INPUT_SIZE / min_face_size
    shortest = min(width, height) * first
    if shortest < _PNET_INPUT_SIZE:
        return np.empty((0,))
    levels = int(np.floor(np.log(shortest / _PNET_INPUT_SIZE) / -np.log(scale_factor))) + 1
    return first * scale_factor ** np.arange(levels)


class _BoundedPyramidPNet(StagePNet):
    """StagePNet with a pyramid that stops at PNet's input size.

    mtcnn 1.0.0 counts pyramid levels from the image size alone, ignoring that
    min_face_size already shrank the first level: with min_face_size above 12 it
    runs PNet on images smaller than its kernel and crashes. The steps below are
    its own, with the level count fixed, for one image at a time.
    """

    def __call__(self, image_normalized, min_face_size=20, scale_factor=0.709,
                 threshold_pnet=0.6, nms_pnet1=0.5, nms_pnet2=0.7, **kwargs):
        height, width = image_normalized.shape[:2]
        scales = pyramid_scales(width, height, min_face_size, scale_factor)
        # OpenCV area resizes replace the package's tf.image.resize, which converted the
        # whole float64 image to a tensor per level; each level shrinks the previous one,
        # so only the first resize reads the full image.
        scaled_images, previous = [], image_normalized
        for scale in scales:
            size = (int(np.ceil(width * scale)), int(np.ceil(height * scale)))
            previous = cv2.resize(previous, size, interpolation=cv2.INTER_AREA)
            scaled_images.append(previous[np.newaxis])
        proposals = [generate_bounding_box(reg, prob, threshold_pnet)
                     for reg, prob in (self._model(scaled) for scaled in scaled_images)]
        upscaled = [upscale_bboxes(bboxes, np.asarray([scale]))
                    for bboxes, scale in zip(proposals, scales)]
        per_scale = [smart_nms_from_bboxes(b, threshold=nms_pnet1, method="union", initial_sort=False)
                     for b in upscaled]
        bboxes = np.concatenate(per_scale, axis=0) if per_scale else np.empty((0, 6))
        bboxes = smart_nms_from_bboxes(bboxes, threshold=nms_pnet2, method="union", initial_sort=True)
        return resize_to_square(bboxes)


def _compiled(model, input_shape):
    # Eager Keras calls cost milliseconds each and MTCNN makes one per pyramid level;
    # one graph per network with a shape-polymorphic signature is traced once.
    return tf.function(model, input_signature=[tf.TensorSpec(input_shape, tf.float32)],
                       reduce_retracing=True)


class MTCNNDetector:
    name = "mtcnn"

    def __init__(self, min_face_size: int = 20, scale_factor: float = 0.709,
                 thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS) -> None:
        self._pnet, self._rnet, self._onet = _BoundedPyramidPNet(), StageRNet(), StageONet()
        self._pnet._model = _compiled(self._pnet.model, (None, None, None, 3))
        self._rnet._model = _compiled(self._rnet.model, (None, 24, 24, 3))
        self._onet._model = _compiled(self._onet.model, (None, 48, 48, 3))
        self.min_face_size = int(min_face_size)
        self.scale_factor = float(scale_factor)
        self.thresholds = thresholds
        self._lock = threading.Lock()

    def detect(self, image_bgr: np.ndarray) -> list[DetectedFace]:
        height, width = image_bgr.shape[:2]
        if min(width, height) < self.min_face_size:
            return []
        rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        # MTCNN's input normalisation, in float32 and converted to a tensor once.
        normalized = (rgb.astype(np.float32) - 127.5) / 128.0
        with self._lock:
            rows = self._run_stages(normalized)
        faces = []
        for row in rows:
            box = clip_box(row[1], row[2], row[3], row[4], width, height)
            if box is None:
                continue
            # Row layout (mtcnn.utils.bboxes.to_json): id, x1, y1, x2, y2, score, 5 xs, 5 ys.
            landmarks = {name: (float(row[6 + i]), float(row[11 + i])) for i, name in enumerate(LANDMARK_NAMES)}
            faces.append(DetectedFace(box=box, score=float(row[5]), landmarks=landmarks))
        return faces

    def _run_stages(self, normalized: np.ndarray) -> np.ndarray:
        low_pnet, low_rnet, low_onet = self.thresholds
        bboxes = self._pnet(normalized, min_face_size=self.min_face_size, scale_factor=self.scale_factor,
                            threshold_pnet=low_pnet)
        if len(bboxes) == 0:
            return bboxes
        batch = tf.convert_to_tensor(normalized[np.newaxis])
        bboxes = self._rnet(images_normalized=batch, bboxes_batch=bboxes, threshold_rnet=low_rnet)
        if len(bboxes) == 0:
            return bboxes
        return self._onet(images_normalized=batch, bboxes_batch=bboxes, threshold_onet=low_onet)
