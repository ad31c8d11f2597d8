"""Annotated video frames: the image drawing of render.py plus a track-id tag per face."""

from __future__ import annotations

import cv2
import numpy as np

from .render import EMOTION_COLOURS, PLAYER_BAND, draw_annotations
from .types import Face, ImageAnalysis

_FONT = cv2.FONT_HERSHEY_SIMPLEX


def render_video_frame(image_bgr: np.ndarray, faces, scale: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """A new BGR frame with boxes, labels, emoji, probability bars and "#id" tags.

    `faces` are TrackedFace objects with boxes in video coordinates; `scale` (x, y) maps
    them onto this image (the working frame may be smaller than the video).
    """
    canvas = image_bgr.copy()
    draw_video_annotations(canvas, faces, scale)
    return canvas


def draw_video_annotations(canvas: np.ndarray, faces, scale: tuple[float, float] = (1.0, 1.0)) -> None:
    """render_video_frame's drawing, in place on a frame nothing else reads (saves a full-frame copy).

    Probability panels keep out of the bottom PLAYER_BAND of the frame, where a web player's
    controls cover them, unless a face has no other free place.
    """
    if not faces:
        return
    height, width = canvas.shape[:2]
    drawn = [_as_face(face, scale, width, height) for face in faces]
    draw_annotations(canvas, ImageAnalysis(faces=drawn, width=width, height=height, detector="", model=""),
                     bottom_band=PLAYER_BAND)
    text_scale = min(max(min(width, height) / 800.0, 0.35), 3.0) * 0.6
    thickness = max(1, round(text_scale * 2))
    for face, shown in zip(faces, drawn):
        _draw_track_tag(canvas, f"#{face.track_id}", shown, text_scale, thickness)


def _as_face(face, scale, width: int, height: int) -> Face:
    x, y, w, h = face.box
    left, top = int(round(x * scale[0])), int(round(y * scale[1]))
    right, bottom = int(round((x + w) * scale[0])), int(round((y + h) * scale[1]))
    left, top = min(max(left, 0), width - 1), min(max(top, 0), height - 1)
    right, bottom = min(max(right, left + 1), width), min(max(bottom, top + 1), height)
    return Face(box=(left, top, right - left, bottom - top), detection_score=face.detection_score,
                landmarks=None, probabilities=face.probabilities, label=face.label, confidence=face.confidence)


def _draw_track_tag(canvas: np.ndarray, text: str, face: Face, font_scale: float, thickness: int) -> None:
    """Inside the box's lower left corner: the bars never go there, and a label only on a box too small
    to hold both (one inside its top edge, when nothing is free above or below it)."""
    x, y, w, h = face.box
    (text_w, text_h), baseline = cv2.getTextSize(text, _FONT, font_scale, thickness)
    pad = max(2, thickness * 2)
    left, bottom = x + thickness, y + h - thickness
    top = max(0, bottom - text_h - baseline - 2 * pad)
    cv2.rectangle(canvas, (left, top), (left + text_w + 2 * pad, bottom), EMOTION_COLOURS.get(face.label, (0, 0, 0)),
                  -1)
    cv2.putText(canvas, text, (left + pad, bottom - pad - baseline // 2), _FONT, font_scale, (255, 255, 255),
                thickness, cv2.LINE_AA)
