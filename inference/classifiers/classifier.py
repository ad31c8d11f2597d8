"""The emotion classifier the whole product calls: 48x48 grey crops in, 7 probabilities out."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..errors import ModelNotFoundError
from ..labels import EMOTIONS
from .contract import INPUT_SIZE
from .keras_runtime import KerasRuntime
from .tflite_runtime import TFLiteRuntime
from .views import SERVED, Views, shifted

# Network inputs per forward pass: big requests run in slices so memory stays flat.
MAX_BATCH = 128


class EmotionClassifier:
    """Loads the model once; `predict` is safe to call from several threads.

    `.tflite` files (the shipped int8 model) run on TensorFlow Lite, anything
    else is loaded as a Keras model. `views` says which views of each face are
    averaged (`views.py`); the default, SERVED, is what the product and
    `training.evaluate` use.
    """

    def __init__(self, model_path, views: Views = SERVED) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise ModelNotFoundError(self.model_path)
        runtime = TFLiteRuntime if self.model_path.suffix.lower() == ".tflite" else KerasRuntime
        self._runtime = runtime(self.model_path)
        self.views = views
        self._lock = threading.Lock()
        self.predict(np.zeros((1, INPUT_SIZE, INPUT_SIZE), np.uint8))  # trace and allocate now, not on a request

    @property
    def name(self) -> str:
        return self.model_path.name

    def predict(self, gray48: np.ndarray, views: Views | None = None) -> np.ndarray:
        """(N, 48, 48) uint8 grey crops -> (N, 7) float32 probabilities in EMOTIONS order.

        `views` overrides the classifier's own for this call (a model scored several ways loads once).
        """
        views = self.views if views is None else views
        batch = np.asarray(gray48)
        if batch.ndim == 4 and batch.shape[-1] == 1:
            batch = batch[..., 0]
        if batch.ndim != 3 or batch.shape[1:] != (INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"Expected crops of shape (N, 48, 48), got {batch.shape}.")
        if len(batch) == 0:
            return np.empty((0, len(EMOTIONS)), np.float32)
        faces = batch.astype(np.float32)[..., np.newaxis]
        with self._lock:
            probabilities = self._mean_over_views(faces, [(0, 0)], views.mirror)
            unsure = np.flatnonzero(views.unsure(probabilities))
            if len(unsure):
                # every position weighs the same: the centre once, each shift once
                offsets = views.offsets
                moved = self._mean_over_views(faces[unsure], offsets, views.mirror)
                probabilities[unsure] = (probabilities[unsure] + len(offsets) * moved) / (1 + len(offsets))
        return probabilities.astype(np.float32, copy=False)

    def _mean_over_views(self, faces: np.ndarray, offsets, mirror: bool) -> np.ndarray:
        """Each face's probabilities averaged over it moved to every offset (and mirrored, if asked)."""
        views_per_face = len(offsets) * (2 if mirror else 1)
        faces_per_pass = max(1, MAX_BATCH // views_per_face)
        means = []
        for start in range(0, len(faces), faces_per_pass):
            chunk = faces[start:start + faces_per_pass]
            inputs = [shifted(chunk, dx, dy) for dx, dy in offsets]
            if mirror:
                inputs += [view[:, :, ::-1] for view in inputs]
            # one pass over all views: a bigger batch runs faster than several
            outputs = self._runtime.probabilities(np.concatenate(inputs))
            means.append(outputs.reshape(views_per_face, len(chunk), -1).mean(axis=0))
        return np.concatenate(means)
