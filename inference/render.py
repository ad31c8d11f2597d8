"""Annotated copy of an analysed image: box, label with percentage and emoji per face,
and a panel of probability bars for all seven emotions beside each face."""

from __future__ import annotations

import cv2
import numpy as np

from .emoji import draw_emoji
from .labels import EMOTIONS
from .types import Face, ImageAnalysis

EMOTION_COLOURS = {  # BGR, one per emotion so boxes and bars read at a glance
    "angry": (48, 48, 220),
    "disgust": (60, 160, 60),
    "fear": (160, 70, 150),
    "happy": (0, 190, 250),
    "sad": (200, 120, 40),
    "surprise": (0, 140, 255),
    "neutral": (150, 150, 150),
}
_FONT = cv2.FONT_HERSHEY_SIMPLEX
_WHITE, _DARK = (255, 255, 255), (25, 25, 25)


def render_annotated(image_bgr: np.ndarray, analysis: ImageAnalysis) -> np.ndarray:
    """A new BGR image of the same shape; the input is left untouched."""
    canvas = image_bgr.copy()
    draw_annotations(canvas, analysis)
    return canvas


def draw_annotations(canvas: np.ndarray, analysis: ImageAnalysis) -> None:
    """render_annotated's drawing, in place: video frames are drawn on directly, skipping a full-frame copy."""
    height, width = canvas.shape[:2]
    # Text and lines grow with the image so they read the same on a thumbnail and a 4K photo.
    scale = _clamp(min(width, height) / 800.0, 0.35, 3.0)
    labels = [_label_layout(canvas.shape, face, scale) for face in analysis.faces]
    # Panels go where they cover the fewest faces, labels and other panels.
    occupied = [_box_rect(face.box) for face in analysis.faces] + [label["rect"] for label in labels]
    for face in analysis.faces:
        panel = _panel_layout(canvas.shape, face, scale, occupied)
        if panel is not None:
            occupied.append(panel["rect"])
            _draw_panel(canvas, face, panel)
    for face, label in zip(analysis.faces, labels):
        _draw_box_and_label(canvas, face, scale, label)


def _clamp(value: float, low: float, high: float) -> float:
    """np.clip for one number, without its microseconds of array overhead (it runs ~20 times a face a frame)."""
    return low if value < low else high if value > high else value


def _box_rect(box) -> tuple[int, int, int, int]:
    x, y, w, h = box
    return (x, y, x + w, y + h)


def _overlap(a, b) -> int:
    return max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))


def _label_layout(shape, face: Face, scale: float) -> dict:
    height, width = shape[:2]
    x, y, w, h = face.box
    font_scale = 0.75 * scale
    thickness = max(1, round(2 * scale))
    text = f"{face.label} {face.confidence * 100:.0f}%"
    (text_w, text_h), baseline = cv2.getTextSize(text, _FONT, font_scale, thickness)
    pad = max(2, round(5 * scale))
    bar_h = text_h + baseline + 2 * pad
    emoji_d = bar_h - 2
    bar_w = emoji_d + pad + text_w + 2 * pad
    left = int(_clamp(x, 0, max(0, width - bar_w)))
    top = y - bar_h if y - bar_h >= 0 else min(y + h, height - bar_h)  # above the box, else below
    top = max(0, top)
    return {"rect": (left, top, left + bar_w, top + bar_h), "text": text, "pad": pad, "text_h": text_h,
            "emoji_d": emoji_d, "font_scale": font_scale, "thickness": thickness}


def _draw_box_and_label(canvas: np.ndarray, face: Face, scale: float, label: dict) -> None:
    x, y, w, h = face.box
    colour = EMOTION_COLOURS.get(face.label, _WHITE)
    cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, max(1, round(2.5 * scale)), cv2.LINE_AA)
    left, top, right, bottom = label["rect"]
    pad, emoji_d = label["pad"], label["emoji_d"]
    cv2.rectangle(canvas, (left, top), (right, bottom), colour, -1)
    draw_emoji(canvas, (left + pad + emoji_d // 2, (top + bottom) // 2), emoji_d // 2, face.label)
    cv2.putText(canvas, label["text"], (left + pad + emoji_d + pad, top + pad + label["text_h"]), _FONT,
                label["font_scale"], _WHITE, label["thickness"], cv2.LINE_AA)


def _panel_layout(shape, face: Face, scale: float, occupied: list) -> dict | None:
    height, width = shape[:2]
    x, y, w, h = face.box
    # Rows follow the face's height, within limits that keep them readable and bounded.
    row_h = max(12, int(_clamp(h / len(EMOTIONS), 11 * scale, 24 * scale)))
    font_scale = row_h / 34.0
    thickness = max(1, round(row_h / 20))
    name_w = max(cv2.getTextSize(name, _FONT, font_scale, thickness)[0][0] for name in EMOTIONS)
    value_w = cv2.getTextSize("100%", _FONT, font_scale, thickness)[0][0]
    pad = max(2, row_h // 5)
    bar_max = row_h * 3
    panel_w = pad + name_w + pad + bar_max + pad + value_w + pad
    panel_h = pad + row_h * len(EMOTIONS) + pad
    if panel_w > width or panel_h > height:
        return None  # too small an image for a readable panel; box and label still show

    gap = pad
    candidates = [
        (x + w + gap, y),  # right of the face
        (x - gap - panel_w, y),  # left of it
        (x, y + h + gap),  # below it
        (x + w + gap, y + h - panel_h),
        (x - gap - panel_w, y + h - panel_h),
        (x, y - gap - panel_h),  # above it
    ]
    best, best_cost = None, None
    for left, top in candidates:
        left = int(_clamp(left, 0, width - panel_w))
        top = int(_clamp(top, 0, height - panel_h))
        rect = (left, top, left + panel_w, top + panel_h)
        cost = sum(_overlap(rect, other) for other in occupied)
        if best_cost is None or cost < best_cost:
            best, best_cost = rect, cost
    return {"rect": best, "row_h": row_h, "font_scale": font_scale, "thickness": thickness, "pad": pad,
            "name_w": name_w, "bar_max": bar_max}


def _draw_panel(canvas: np.ndarray, face: Face, panel: dict) -> None:
    left, top, right, bottom = panel["rect"]
    row_h, pad, bar_max = panel["row_h"], panel["pad"], panel["bar_max"]
    font_scale, thickness = panel["font_scale"], panel["thickness"]
    region = canvas[top:bottom, left:right]
    # 30% image under 70% dark grey (25 * 0.7 = 17.5; 17.0 because OpenCV rounds where astype truncated),
    # in uint8 by OpenCV: a fraction of the cost of a float32 round trip.
    region[:] = cv2.convertScaleAbs(region, alpha=0.3, beta=0.7 * _DARK[0] - 0.5)
    for row, emotion in enumerate(EMOTIONS):
        probability = float(_clamp(face.probabilities.get(emotion, 0.0), 0.0, 1.0))
        row_top = top + pad + row * row_h
        baseline_y = row_top + int(row_h * 0.75)
        if emotion == face.label:
            cv2.rectangle(canvas, (left + 1, row_top), (right - 2, row_top + row_h - 1), (85, 85, 85), -1)
        cv2.putText(canvas, emotion, (left + pad, baseline_y), _FONT, font_scale, _WHITE, thickness, cv2.LINE_AA)
        bar_left = left + pad + panel["name_w"] + pad
        bar_top, bar_bottom = row_top + row_h // 5, row_top + row_h - row_h // 5
        cv2.rectangle(canvas, (bar_left, bar_top), (bar_left + bar_max, bar_bottom), (80, 80, 80), -1)
        filled = int(round(bar_max * probability))
        if filled > 0:
            cv2.rectangle(canvas, (bar_left, bar_top), (bar_left + filled, bar_bottom),
                          EMOTION_COLOURS[emotion], -1)
        cv2.putText(canvas, f"{probability * 100:.0f}%", (bar_left + bar_max + pad, baseline_y), _FONT,
                    font_scale, _WHITE, thickness, cv2.LINE_AA)
