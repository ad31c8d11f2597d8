"""Runs a TensorFlow Lite emotion model (.tflite, as `training.export` writes them) on XNNPACK.

The file's serving signature takes ``gray48`` (N, 48, 48, 1) raw 0..255 float32
and returns either ``logits`` (N, 7), turned into probabilities here, or
probabilities under any other name. `training.export` writes logits: an int8
softmax would round every probability to a multiple of 1/256.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from ..errors import IncompatibleModelError
from .contract import check_shapes

SIGNATURE = "serving_default"
LOGITS = "logits"


def cpu_threads() -> int:
    """The cores this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class TFLiteRuntime:
    """One forward pass of a float32 batch; callers serialise calls (an interpreter is not thread-safe)."""

    def __init__(self, model_path: Path, threads: int | None = None) -> None:
        import tensorflow as tf

        try:
            with warnings.catch_warnings():
                # TF 2.21 still ships tf.lite.Interpreter; the note points to the LiteRT wheel.
                warnings.simplefilter("ignore", UserWarning)
                self._interpreter = tf.lite.Interpreter(model_path=str(model_path),
                                                        num_threads=threads or cpu_threads())
            signature = self._interpreter.get_signature_runner(SIGNATURE)
            (_, input_detail), = signature.get_input_details().items()
            (output_name, output_detail), = signature.get_output_details().items()
        except (ValueError, RuntimeError) as exc:
            raise IncompatibleModelError(
                f"The emotion model {model_path} cannot be loaded as TensorFlow Lite with one input and one output "
                f"under the signature {SIGNATURE!r}: {exc}") from exc
        finally:
            # Dropped here, not at return: this frame outlives the call in a reference cycle until the
            # garbage collector runs, and while the runner lives it holds the interpreter, whose
            # resize_tensor_input then refuses ("at least 1 reference to internal data"); a live camera
            # connecting to a just-started server met that.
            signature = None
        check_shapes(model_path, tuple(input_detail["shape_signature"]), tuple(output_detail["shape_signature"]))
        if input_detail["dtype"] != np.float32:
            raise IncompatibleModelError(
                f"The emotion model {model_path} takes {np.dtype(input_detail['dtype']).name} input; "
                "expected float32 raw grey values 0..255.")
        self._input_index, self._output_index = input_detail["index"], output_detail["index"]
        self._outputs_logits = output_name == LOGITS
        self._batch_size = None

    def probabilities(self, batch: np.ndarray) -> np.ndarray:
        if len(batch) != self._batch_size:
            # cheap (tens of microseconds here, docs/TRAINING.md "Speed"), yet needless at a steady size
            self._interpreter.resize_tensor_input(self._input_index, batch.shape)
            self._interpreter.allocate_tensors()
            self._batch_size = len(batch)
        self._interpreter.set_tensor(self._input_index, np.ascontiguousarray(batch, np.float32))
        self._interpreter.invoke()
        outputs = self._interpreter.get_tensor(self._output_index)
        return softmax(outputs) if self._outputs_logits else outputs.copy()
