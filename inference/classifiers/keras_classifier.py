"""The emotion CNN: a Keras 3 file, (N, 48, 48, 1) raw 0..255 in, (N, 7) softmax out."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..errors import IncompatibleModelError, ModelNotFoundError
from ..labels import EMOTIONS

INPUT_SIZE = 48
# Big requests run in slices so memory stays flat whatever the number of faces.
MAX_BATCH = 128


class EmotionClassifier:
    """Loads the model once; `predict` is safe to call from several threads."""

    def __init__(self, model_path) -> None:
        self.model_path = Path(model_path)
        if not self.model_path.is_file():
            raise ModelNotFoundError(self.model_path)
        import keras
        import tensorflow as tf

        try:
            self._model = keras.models.load_model(self.model_path, compile=False)
        except (OSError, ValueError) as exc:
            raise IncompatibleModelError(f"The emotion model {self.model_path} cannot be loaded: {exc}") from exc
        self._check_contract()
        model = self._model
        # model.predict() builds a data pipeline on every call (tens of ms); a traced
        # function with a fixed signature costs about one forward pass per call.
        self._forward = tf.function(
            lambda batch: model(batch, training=False),
            input_signature=[tf.TensorSpec((None, INPUT_SIZE, INPUT_SIZE, 1), tf.float32)],
        )
        self._lock = threading.Lock()
        self.predict(np.zeros((1, INPUT_SIZE, INPUT_SIZE), np.uint8))  # trace now, not on a request

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
        outputs = []
        with self._lock:
            for start in range(0, len(inputs), MAX_BATCH):
                outputs.append(np.asarray(self._forward(inputs[start:start + MAX_BATCH])))
        return np.concatenate(outputs).astype(np.float32, copy=False)

    def _check_contract(self) -> None:
        try:
            input_shape = tuple(self._model.input_shape)
            output_shape = tuple(self._model.output_shape)
        except (AttributeError, TypeError, ValueError):
            return  # subclassed models know no shapes before a call; predict() will tell
        if input_shape[1:] != (INPUT_SIZE, INPUT_SIZE, 1) or output_shape[1:] != (len(EMOTIONS),):
            raise IncompatibleModelError(
                f"The emotion model {self.model_path} takes {input_shape} and returns {output_shape}; "
                f"expected (None, 48, 48, 1) -> (None, {len(EMOTIONS)})."
            )
