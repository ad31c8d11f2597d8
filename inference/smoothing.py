"""Per-track smoothing of emotion probabilities, so labels do not flicker between frames."""

from __future__ import annotations

import numpy as np


class ProbabilitySmoother:
    """Exponential moving average per track whose weight follows elapsed time, not frame count,
    so a 60 fps video (or a camera whose rate changes with the server's load) is smoothed
    like a 30 fps one."""

    def __init__(self, half_life_s: float) -> None:
        self.half_life_s = half_life_s
        self._state: dict[int, tuple[np.ndarray, float]] = {}

    def update(self, track_id: int, time_s: float, probabilities: np.ndarray) -> np.ndarray:
        previous = self._state.get(track_id)
        if previous is None or self.half_life_s <= 0:
            smoothed = np.asarray(probabilities, np.float64)
        else:
            average, last_time = previous
            weight = 1.0 - 0.5 ** (max(time_s - last_time, 0.0) / self.half_life_s)
            smoothed = average + (probabilities - average) * weight
        self._state[track_id] = (smoothed, time_s)
        return smoothed

    def forget(self, track_ids) -> None:
        """Drop ended tracks, so a long session's state does not grow."""
        for track_id in track_ids:
            self._state.pop(track_id, None)
