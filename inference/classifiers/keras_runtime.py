"""Runs a Keras 3 emotion model file (.keras): (N, 48, 48, 1) raw 0..255 in, (N, 7) softmax out."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import IncompatibleModelError
from .contract import INPUT_SIZE, check_shapes


class KerasRuntime:
    """One forward pass of a float32 batch; callers serialise calls."""

    def __init__(self, model_path: Path) -> None:
        import keras
        import tensorflow as tf

        try:
            model = keras.models.load_model(model_path, compile=False)
        except (OSError, ValueError) as exc:
            raise IncompatibleModelError(f"The emotion model {model_path} cannot be loaded: {exc}") from exc
        try:
            input_shape, output_shape = tuple(model.input_shape), tuple(model.output_shape)
        except (AttributeError, TypeError, ValueError):
            pass  # subclassed models know no shapes before a call; the first forward pass will tell
        else:
            check_shapes(model_path, input_shape, output_shape)
        # model.predict() builds a data pipeline on every call (tens of ms); a traced
        # function with a fixed signature costs about one forward pass per call.
        self._forward = tf.function(
            lambda batch: model(batch, training=False),
            input_signature=[tf.TensorSpec((None, INPUT_SIZE, INPUT_SIZE, 1), tf.float32)],
        )

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        return np.asarray(self._forward(batch))
