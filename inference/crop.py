"""Face crops in the framing the emotion model was trained on (FER2013: 48x48 grey)."""

from __future__ import annotations

import cv2
import numpy as np

CROP_SIZE = 48
# Detector boxes run from brow to chin; FER2013 faces show a little forehead and jaw
# around that, so the square grows by this fraction of the box's longer side.
CROP_MARGIN = 0.2


def face_crop_gray48(image_bgr: np.ndarray, box) -> np.ndarray:
    """A (48, 48) uint8 grey crop: square around the box centre, padded at image borders."""
    x, y, w, h = (float(v) for v in box)
    side = max(1, int(round(max(w, h) * (1.0 + CROP_MARGIN))))
    left = int(round(x + w / 2.0 - side / 2.0))
    top = int(round(y + h / 2.0 - side / 2.0))
    right, bottom = left + side, top + side

    image_h, image_w = image_bgr.shape[:2]
    inner_left, inner_top = max(left, 0), max(top, 0)
    inner_right, inner_bottom = min(right, image_w), min(bottom, image_h)
    if inner_right <= inner_left or inner_bottom <= inner_top:
        raise ValueError(f"The face box {tuple(box)} lies outside the {image_w}x{image_h} image.")

    region = image_bgr[inner_top:inner_bottom, inner_left:inner_right]
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY) if region.ndim == 3 else region
    gray = cv2.copyMakeBorder(
        gray,
        inner_top - top,
        bottom - inner_bottom,
        inner_left - left,
        right - inner_right,
        cv2.BORDER_REPLICATE,
    )
    interpolation = cv2.INTER_AREA if side >= CROP_SIZE else cv2.INTER_LINEAR
    return cv2.resize(gray, (CROP_SIZE, CROP_SIZE), interpolation=interpolation)
