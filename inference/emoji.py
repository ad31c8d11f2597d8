"""Emoji-style faces drawn with OpenCV primitives (OpenCV cannot draw colour emoji fonts)."""

from __future__ import annotations

import cv2
import numpy as np

_FACE_COLOURS = {  # BGR
    "angry": (60, 90, 235),
    "disgust": (90, 200, 140),
    "fear": (235, 210, 170),
    "happy": (40, 210, 255),
    "sad": (40, 210, 255),
    "surprise": (40, 210, 255),
    "neutral": (40, 210, 255),
}
_INK = (30, 30, 30)


def draw_emoji(image: np.ndarray, centre: tuple[int, int], radius: int, emotion: str) -> None:
    """Draw in place a round face whose eyes, brows and mouth show `emotion`."""
    radius = max(4, int(radius))
    cx, cy = int(centre[0]), int(centre[1])
    line = max(1, radius // 8)
    cv2.circle(image, (cx, cy), radius, _FACE_COLOURS.get(emotion, _FACE_COLOURS["neutral"]), -1, cv2.LINE_AA)
    cv2.circle(image, (cx, cy), radius, _INK, line, cv2.LINE_AA)

    eye_dx, eye_y = int(radius * 0.38), cy - int(radius * 0.2)
    eye_r = max(1, int(radius * (0.16 if emotion in ("surprise", "fear") else 0.11)))
    for side in (-1, 1):
        cv2.circle(image, (cx + side * eye_dx, eye_y), eye_r, _INK, -1, cv2.LINE_AA)

    brow_y = eye_y - int(radius * 0.3)
    brow_w = int(radius * 0.22)
    if emotion in ("angry", "fear", "sad", "surprise"):
        # Angry brows slope down to the nose; fearful and sad ones rise towards it.
        inner_drop = {"angry": 0.15, "fear": -0.12, "sad": -0.1, "surprise": 0.0}[emotion]
        lift = int(radius * (0.12 if emotion == "surprise" else 0.0))
        for side in (-1, 1):
            outer = (cx + side * (eye_dx + brow_w), brow_y - lift)
            inner = (cx + side * (eye_dx - brow_w), brow_y - lift + int(radius * inner_drop))
            cv2.line(image, outer, inner, _INK, line + 1, cv2.LINE_AA)

    mouth_y = cy + int(radius * 0.42)
    mouth_w = int(radius * 0.45)
    if emotion == "happy":
        cv2.ellipse(image, (cx, mouth_y - int(radius * 0.15)), (mouth_w, int(radius * 0.3)), 0, 10, 170,
                    _INK, line + 1, cv2.LINE_AA)
    elif emotion in ("sad", "angry"):
        cv2.ellipse(image, (cx, mouth_y + int(radius * 0.12)), (mouth_w, int(radius * 0.2)), 0, 190, 350,
                    _INK, line + 1, cv2.LINE_AA)
        if emotion == "sad":
            tear = (cx + eye_dx, eye_y + int(radius * 0.3))
            cv2.circle(image, tear, max(1, int(radius * 0.1)), (235, 160, 60), -1, cv2.LINE_AA)
    elif emotion == "surprise":
        cv2.ellipse(image, (cx, mouth_y), (int(radius * 0.17), int(radius * 0.22)), 0, 0, 360, _INK, -1,
                    cv2.LINE_AA)
    elif emotion == "fear":
        cv2.ellipse(image, (cx, mouth_y), (int(radius * 0.3), int(radius * 0.14)), 0, 0, 360, _INK, -1,
                    cv2.LINE_AA)
    elif emotion == "disgust":
        steps = 5
        xs = np.linspace(cx - mouth_w, cx + mouth_w, steps)
        ys = [mouth_y + (int(radius * 0.08) if i % 2 else -int(radius * 0.08)) for i in range(steps)]
        points = np.array(list(zip(xs.astype(int), ys)), np.int32).reshape(-1, 1, 2)
        cv2.polylines(image, [points], False, _INK, line + 1, cv2.LINE_AA)
    else:
        cv2.line(image, (cx - mouth_w, mouth_y), (cx + mouth_w, mouth_y), _INK, line + 1, cv2.LINE_AA)
