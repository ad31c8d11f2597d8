"""What every emotion model file must honour: (N, 48, 48, 1) raw grey 0..255 in, (N, 7) out."""

from __future__ import annotations

from ..errors import IncompatibleModelError
from ..labels import EMOTIONS

INPUT_SIZE = 48


def check_shapes(model_path, input_shape: tuple, output_shape: tuple) -> None:
    """Raise IncompatibleModelError unless the shapes (batch axis first, any size) fit the contract."""
    if tuple(input_shape[1:]) != (INPUT_SIZE, INPUT_SIZE, 1) or tuple(output_shape[1:]) != (len(EMOTIONS),):
        raise IncompatibleModelError(
            f"The emotion model {model_path} takes {tuple(input_shape)} and returns {tuple(output_shape)}; "
            f"expected (None, 48, 48, 1) -> (None, {len(EMOTIONS)})."
        )
