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

# Big requests run in slices so memory stays flat whatever the number of faces.
MAX_BATCH = 128


class EmotionClassifier:
    """Loads the model once; `predict` is safe to call from several threads.

    `.tflite` files (the shipped int8 model) run on TensorFlow Lite, anything
    else is loaded as a Keras model. With `mirror` (the default) each face is
    classified as it is and mirrored, and the two probability rows averaged:
    an expression means the same mirrored, so the second view is a free
    opinion that lifts accuracy (docs/TRAINING.md) at twice the network cost.
    """

    def __init__(self, model_path, mirror: bool = True) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise ModelNotFoundError(self.model_path)
        runtime = TFLiteRuntime if self.model_path.suffix.lower() == ".tflite" else KerasRuntime
        self._runtime = runtime(self.model_path)
        self.mirror = bool(mirror)
        self._lock = threading.Lock()
        self.predict(np.zeros((1, INPUT_SIZE, INPUT_SIZE), np.uint8))  # trace and allocate now, not on a request

    @property
    def name(self) -> str:
        return self.model_path.name

    def predict(self, gray48: np.ndarray) -> np.ndarray:
        """(N, 48, 48) uint8 grey crops -> (N, 7) float32 probabilities in EMOTIONS order."""
        batch = np.asarray(gray48)
        if batch.ndim == 4 and batch.shape[-1] == 1:
            batch = batch[..., 0]
        if batch.ndim != 3 or batch.shape[1:] != (INPUT_SIZE, INPUT_SIZE):
            raise ValueError(f"Expected crops of shape (N, 48, 48), got {batch.shape}.")
        if len(batch) == 0:
            return np.empty((0, len(EMOTIONS)), np.float32)
        inputs = batch.astype(np.float32)[..., np.newaxis]
        faces_per_pass = MAX_BATCH // 2 if self.mirror else MAX_BATCH
        outputs = []
        with self._lock:
            for start in range(0, len(inputs), faces_per_pass):
                faces = inputs[start:start + faces_per_pass]
                if self.mirror:
                    # one pass over faces and mirrors: a bigger batch runs faster than two
                    both = self._runtime.probabilities(np.concatenate([faces, faces[:, :, ::-1]]))
                    outputs.append((both[:len(faces)] + both[len(faces):]) / 2.0)
                else:
                    outputs.append(self._runtime.probabilities(faces))
        return np.concatenate(outputs).astype(np.float32, copy=False)
