"""Annotated copy of an analysed image: box, label with face number, emoji and percentage per face,
and a panel of probability bars for all seven emotions beside each face (the top three in a crowd).

Layout (where each label and panel goes) is a pure function, `layout_annotations`, kept apart
from the drawing so that "labels never collide" can be tested on rectangles.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Sequence

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
# Bottom share of the frame that a web player's controls cover: panels go there only when nothing else
# is free. Still images keep the same preference (a panel beside or above a face reads as well).
PLAYER_BAND = 0.12
_COMPACT_ROWS = 3  # a crowded face's panel: its top emotions only

Rect = tuple[int, int, int, int]  # left, top, right, bottom; right and bottom exclusive


@dataclass(frozen=True)
class LabelLayout:
    """A face's label bar: emoji, then text such as "#2 happy 85%"."""

    rect: Rect
    text: str
    font_scale: float
    thickness: int
    pad: int
    text_h: int


@dataclass(frozen=True)
class PanelStyle:
    """Sizes of a probability panel, all following its row height; `rows` < 7: the top emotions only."""

    row_h: int
    rows: int
    font_scale: float
    thickness: int
    pad: int
    name_w: int
    bar_max: int
    width: int
    height: int


@dataclass(frozen=True)
class FaceLayout:
    """One face's annotations as layout_annotations places them."""

    label: LabelLayout
    panel_rect: Rect | None  # None: no room for bars without covering a face, label or panel; the label shows
    panel: PanelStyle | None


def render_annotated(image_bgr: np.ndarray, analysis: ImageAnalysis) -> np.ndarray:
    """A new BGR image of the same shape; the input is left untouched.

    Labels carry "#1".."#N" in the order of `analysis.faces`, the numbering of the web page's
    results table and the CLI, so a table row can be found on the picture.
    """
    canvas = image_bgr.copy()
    draw_annotations(canvas, analysis, numbers=range(1, len(analysis.faces) + 1))
    return canvas


def draw_annotations(canvas: np.ndarray, analysis: ImageAnalysis, numbers: Sequence[int] | None = None,
                     bottom_band: float = PLAYER_BAND) -> None:
    """render_annotated's drawing, in place: video frames are drawn on directly, skipping a full-frame copy.

    `numbers`, one per face, are shown as "#n" in the labels; None shows none (video frames
    tag faces with their track ids themselves). `bottom_band`: see layout_annotations.
    """
    layouts = layout_annotations(canvas.shape, analysis.faces, numbers, bottom_band)
    for face, layout in zip(analysis.faces, layouts):
        if layout.panel_rect is not None:
            _draw_panel(canvas, face, layout.panel_rect, layout.panel)
    scale = _scale_of(canvas.shape)
    for face, layout in zip(analysis.faces, layouts):
        _draw_box_and_label(canvas, face, layout.label, scale)


def layout_annotations(shape, faces: Sequence[Face], numbers: Sequence[int] | None = None,
                       bottom_band: float = PLAYER_BAND) -> list[FaceLayout]:
    """Where each face's label and probability panel go, so that none of them overlap or leave the image.

    Greedy, in face order: every label first (they carry the number and the top emotion), then
    the panels in the space left. A label sits flush with its box's left edge, on the box's top
    edge, else just inside it; smaller text comes before other places. Only in a crowd with no
    such room does it slide sideways (while it spans the box's centre) or go below the box.
    A panel goes right, left, above or below, sliding along that side, never over a face, label
    or other panel, and out of the bottom `bottom_band` of the frame (a video player's controls)
    unless nothing else is free; smaller rows are tried, then a compact panel of the top three
    emotions, and with no room at all the face keeps its label only.
    """
    height, width = shape[:2]
    scale = _scale_of(shape)
    gap = max(3, round(4 * scale))  # keeps same-coloured neighbours from merging into one bar
    boxes = [_box_rect(face.box) for face in faces]
    labels: list[LabelLayout] = []
    for index, face in enumerate(faces):
        number = None if numbers is None else numbers[index]
        others = boxes[:index] + boxes[index + 1:]
        taken = [_grow(label.rect, gap) for label in labels]
        labels.append(_place_label(face, number, scale, (width, height), taken, [_grow(b, gap) for b in others]))

    # Panels keep well clear of other faces and panels, so that each one reads as its own face's
    # (the nearest box is always its own) and two panels never look like one.
    face_apart, panel_apart = max(8, round(20 * scale)), max(6, round(10 * scale))
    labels_taken = [_grow(label.rect, gap) for label in labels]
    panels_taken: list[Rect] = []
    band_top = height - int(round(height * bottom_band))
    band = (-1, band_top, width + 1, height + 1) if bottom_band > 0 else None  # an obstacle while avoided
    layouts = []
    for index, (face, label) in enumerate(zip(faces, labels)):
        others = [_grow(box, face_apart) for i, box in enumerate(boxes) if i != index]
        obstacles = [_grow(boxes[index], gap)] + others + labels_taken + panels_taken
        panel_rect, style = _place_panel(face, label.rect, scale, gap, (width, height), obstacles, band)
        if panel_rect is not None:
            panels_taken.append(_grow(panel_rect, panel_apart))
        layouts.append(FaceLayout(label=label, panel_rect=panel_rect, panel=style))
    return layouts


def _scale_of(shape) -> float:
    # Text and lines grow with the image so they read the same on a thumbnail and a 4K photo.
    return _clamp(min(shape[0], shape[1]) / 800.0, 0.35, 3.0)


def _clamp(value: float, low: float, high: float) -> float:
    """np.clip for one number, without its microseconds of array overhead (it runs many times a face a frame)."""
    return low if value < low else high if value > high else value


def _box_rect(box) -> Rect:
    x, y, w, h = box
    return (x, y, x + w, y + h)


def _grow(rect: Rect, margin: int) -> Rect:
    return (rect[0] - margin, rect[1] - margin, rect[2] + margin, rect[3] + margin)


def _free_start(preferred: int, low: int, high: int, size: int, blocked: list) -> int | None:
    """The start in [low, high] nearest `preferred` where [start, start + size) meets no blocked interval.

    The answer is the preferred start itself or sits against a bound or a blocked interval's end,
    so only those few candidates need checking.
    """
    if low > high:
        return None
    preferred = int(_clamp(preferred, low, high))
    candidates = {preferred, low, high}
    for start, end in blocked:
        candidates.add(end)
        candidates.add(start - size)
    for candidate in sorted(candidates, key=lambda c: abs(c - preferred)):
        if low <= candidate <= high and all(candidate + size <= s or candidate >= e for s, e in blocked):
            return candidate
    return None


def _slide_x(top: int, size: tuple[int, int], preferred: int, low: int, high: int, obstacles) -> Rect | None:
    """A rect of `size` with its top fixed, moved sideways off every obstacle; None if it cannot be."""
    w, h = size
    blocked = [(o[0], o[2]) for o in obstacles if o[1] < top + h and o[3] > top]
    left = _free_start(preferred, low, high, w, blocked)
    return None if left is None else (left, top, left + w, top + h)


def _slide_y(left: int, size: tuple[int, int], preferred: int, low: int, high: int, obstacles) -> Rect | None:
    """As _slide_x with the left edge fixed, moved up or down."""
    w, h = size
    blocked = [(o[1], o[3]) for o in obstacles if o[0] < left + w and o[2] > left]
    top = _free_start(preferred, low, high, h, blocked)
    return None if top is None else (left, top, left + w, top + h)


def _place_label(face: Face, number: int | None, scale: float, image_size, taken: list,
                 other_faces: list) -> LabelLayout:
    percent = f"{face.confidence * 100:.0f}%"
    tag = "" if number is None else f"#{number} "
    font_scale, thickness, pad = 0.75 * scale, max(1, round(2 * scale)), max(2, round(5 * scale))
    small = 0.8 * font_scale
    # Full size first; smaller text before giving up the emotion's name; the number (or the
    # percentage) alone, with the emoji, is the last resort for crowded or tiny images.
    variants = [
        (f"{tag}{face.label} {percent}", font_scale, thickness, pad),
        (f"{tag}{face.label} {percent}", small, max(1, round(1.6 * scale)), max(2, round(4 * scale))),
        ((tag.strip() or percent), small, max(1, round(1.6 * scale)), max(2, round(4 * scale))),
    ]
    full, small, tag_only = (_label_style(*variant) for variant in variants)
    # Flush with the box, in words at either size, before a label moves off the box's left edge;
    # off other faces before flush; the number alone only where the words fit nowhere.
    words = [(full, _flush_label_rect), (small, _flush_label_rect), (full, _label_rect), (small, _label_rect)]
    tries = [(label, place, taken + other_faces) for label, place in words]
    tries += [(label, place, taken) for label, place in words]
    tries += [(tag_only, place, obstacles) for obstacles in (taken + other_faces, taken)
              for place in (_flush_label_rect, _label_rect)]
    for label, place, obstacles in tries:
        rect = place(face.box, _size(label.rect), image_size, obstacles)
        if rect is not None:
            return replace(label, rect=rect)
    label = tag_only
    # Packed tighter than the smallest label (a crowd in a thumbnail): at the box, overlapping.
    x, y, _, _ = face.box
    w, h = _size(label.rect)
    left = int(_clamp(x, 0, max(0, image_size[0] - w)))
    top = int(_clamp(y - h, 0, max(0, image_size[1] - h)))
    return replace(label, rect=(left, top, left + w, top + h))


def _label_style(text: str, font_scale: float, thickness: int, pad: int) -> LabelLayout:
    """The label's look and size, placed at the origin."""
    (text_w, text_h), baseline = cv2.getTextSize(text, _FONT, font_scale, thickness)
    bar_h = text_h + baseline + 2 * pad
    emoji_d = bar_h - 2
    bar_w = emoji_d + pad + text_w + 2 * pad
    return LabelLayout(rect=(0, 0, bar_w, bar_h), text=text, font_scale=font_scale, thickness=thickness, pad=pad,
                       text_h=text_h)


def _flush_label_rect(box, size, image_size, obstacles) -> Rect | None:
    """From the box's left edge (pushed left only by the image's right border): on its top edge, else inside it."""
    x, y, _, _ = box
    label_w, label_h = size
    width, height = image_size
    if label_w > width:
        return None
    left = min(max(x, 0), width - label_w)
    for top in (y - label_h, y):
        if 0 <= top <= height - label_h:
            rect = (left, top, left + label_w, top + label_h)
            if not any(_overlap(rect, o) for o in obstacles):
                return rect
    return None


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _label_rect(box, size, image_size, obstacles) -> Rect | None:
    """The crowd's fallback: above the box, else below, else inside its top, sliding sideways while the
    label spans the box's centre."""
    x, y, w, h = box
    label_w, label_h = size
    width, height = image_size
    centre = x + w // 2
    low, high = max(0, centre - label_w), min(width - label_w, centre)
    for top in (y - label_h, y + h, y):
        if 0 <= top <= height - label_h:
            rect = _slide_x(top, size, x, low, high, obstacles)
            if rect is not None:
                return rect
    return None


def _size(rect: Rect) -> tuple[int, int]:
    return rect[2] - rect[0], rect[3] - rect[1]


def _place_panel(face: Face, label_rect: Rect, scale: float, gap: int, image_size, obstacles,
                 band: Rect | None):
    """The first free spot for the largest panel that fits: (rect, style), or (None, None).

    All seven rows at shrinking row heights, then the top three; each out of `band` (the player's
    controls). Only when no size or form fits outside it does a spot reaching into it count: the one
    that reaches in least, the larger panel among equals.
    """
    x, y, w, h = face.box
    # Rows follow the face's height, within limits that keep them readable and bounded.
    natural = max(12, int(_clamp(h / len(EMOTIONS), 11 * scale, 24 * scale)))
    smallest = max(12, int(11 * scale))
    heights = [natural]
    while heights[-1] > smallest:
        heights.append(max(smallest, int(heights[-1] * 0.8)))
    # Only obstacles within reach of the largest panel's spots can block any of them (a crowd has many).
    largest = _panel_style(natural, len(EMOTIONS))
    top_edge, bottom_edge = min(y, label_rect[1]), max(y + h, label_rect[3])
    reach = (x - gap - largest.width, top_edge - gap - largest.height, x + w + gap + largest.width,
             bottom_edge + gap + largest.height)
    obstacles = [o for o in obstacles if _overlap(o, reach)]
    avoiding = obstacles if band is None else obstacles + [band]
    # The lowest top of any spot _panel_rect tries (below the face and its label; beside starts higher):
    # a panel that cannot reach the band is searched for once, without it.
    lowest = bottom_edge + gap
    in_band = None
    for rows in (len(EMOTIONS), _COMPACT_ROWS):
        for row_h in heights:
            style = _panel_style(row_h, rows)
            size = (style.width, style.height)
            reaches_band = band is not None and lowest + style.height > band[1]
            rect = _panel_rect(face.box, label_rect, size, gap, image_size, avoiding if reaches_band else obstacles)
            if rect is not None:
                return rect, style
            if reaches_band:  # the same search with the band allowed: the fallback
                rect = _panel_rect(face.box, label_rect, size, gap, image_size, obstacles)
                if rect is not None and (in_band is None or rect[3] < in_band[0][3]):
                    in_band = (rect, style)
    return in_band or (None, None)


def _panel_rect(box, label_rect: Rect, size, gap: int, image_size, obstacles) -> Rect | None:
    """Right of the box, else left, above, below; sliding along that side while level with its middle."""
    x, y, w, h = box
    panel_w, panel_h = size
    width, height = image_size
    # Above and below clear the face's own label as well as its box.
    top_edge, bottom_edge = min(y, label_rect[1]), max(y + h, label_rect[3])
    row_low, row_high = max(0, y + h // 2 - panel_h), min(height - panel_h, y + h // 2)
    column_low, column_high = max(0, x + w // 2 - panel_w), min(width - panel_w, x + w // 2)
    for left in (x + w + gap, x - gap - panel_w):
        if 0 <= left <= width - panel_w:
            rect = _slide_y(left, size, y, row_low, row_high, obstacles)
            if rect is not None:
                return rect
    for top in (top_edge - gap - panel_h, bottom_edge + gap):
        if 0 <= top <= height - panel_h:
            rect = _slide_x(top, size, x, column_low, column_high, obstacles)
            if rect is not None:
                return rect
    return None


@lru_cache(maxsize=128)
def _panel_style(row_h: int, rows: int = len(EMOTIONS)) -> PanelStyle:
    """Cached: the text measurements depend on the row height only, and video asks every frame."""
    font_scale = row_h / 34.0
    thickness = max(1, round(row_h / 20))
    name_w = max(cv2.getTextSize(name, _FONT, font_scale, thickness)[0][0] for name in EMOTIONS)
    value_w = cv2.getTextSize("100%", _FONT, font_scale, thickness)[0][0]
    pad = max(2, row_h // 5)
    bar_max = row_h * 3
    return PanelStyle(row_h=row_h, rows=rows, font_scale=font_scale, thickness=thickness, pad=pad, name_w=name_w,
                      bar_max=bar_max, width=pad + name_w + pad + bar_max + pad + value_w + pad,
                      height=pad + row_h * rows + pad)


def _draw_box_and_label(canvas: np.ndarray, face: Face, label: LabelLayout, scale: float) -> None:
    x, y, w, h = face.box
    colour = EMOTION_COLOURS.get(face.label, _WHITE)
    cv2.rectangle(canvas, (x, y), (x + w, y + h), colour, max(1, round(2.5 * scale)), cv2.LINE_AA)
    left, top, right, bottom = label.rect
    pad, emoji_d = label.pad, bottom - top - 2
    cv2.rectangle(canvas, (left, top), (right - 1, bottom - 1), colour, -1)  # OpenCV's corners are inclusive
    draw_emoji(canvas, (left + pad + emoji_d // 2, (top + bottom) // 2), emoji_d // 2, face.label)
    cv2.putText(canvas, label.text, (left + pad + emoji_d + pad, top + pad + label.text_h), _FONT,
                label.font_scale, _WHITE, label.thickness, cv2.LINE_AA)


def _draw_panel(canvas: np.ndarray, face: Face, rect: Rect, style: PanelStyle) -> None:
    left, top, right, bottom = rect
    row_h, pad, bar_max = style.row_h, style.pad, style.bar_max
    font_scale, thickness = style.font_scale, style.thickness
    region = canvas[top:bottom, left:right]
    # 30% image under 70% dark grey (25 * 0.7 = 17.5; 17.0 because OpenCV rounds where astype truncated),
    # in uint8 by OpenCV: a fraction of the cost of a float32 round trip.
    region[:] = cv2.convertScaleAbs(region, alpha=0.3, beta=0.7 * _DARK[0] - 0.5)
    emotions = EMOTIONS
    if style.rows < len(EMOTIONS):  # compact: the most likely emotions, most likely first
        emotions = sorted(EMOTIONS, key=lambda e: -face.probabilities.get(e, 0.0))[:style.rows]
    for row, emotion in enumerate(emotions):
        probability = float(_clamp(face.probabilities.get(emotion, 0.0), 0.0, 1.0))
        row_top = top + pad + row * row_h
        baseline_y = row_top + int(row_h * 0.75)
        if emotion == face.label:
            cv2.rectangle(canvas, (left + 1, row_top), (right - 2, row_top + row_h - 1), (85, 85, 85), -1)
        cv2.putText(canvas, emotion, (left + pad, baseline_y), _FONT, font_scale, _WHITE, thickness, cv2.LINE_AA)
        bar_left = left + pad + style.name_w + pad
        bar_top, bar_bottom = row_top + row_h // 5, row_top + row_h - row_h // 5
        cv2.rectangle(canvas, (bar_left, bar_top), (bar_left + bar_max, bar_bottom), (80, 80, 80), -1)
        filled = int(round(bar_max * probability))
        if filled > 0:
            cv2.rectangle(canvas, (bar_left, bar_top), (bar_left + filled, bar_bottom),
                          EMOTION_COLOURS[emotion], -1)
        cv2.putText(canvas, f"{probability * 100:.0f}%", (bar_left + bar_max + pad, baseline_y), _FONT,
                    font_scale, _WHITE, thickness, cv2.LINE_AA)
