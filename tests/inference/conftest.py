"""Plain pytest fixtures for the inference library: no Django involved."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SAMPLES = (Path(__file__).resolve().parents[2] / ".." / "shared" / "samples").resolve()


@pytest.fixture(scope="session")
def sample_path():
    if not SAMPLES.is_dir():
        pytest.fail(f"The sample photos are missing: expected them in {SAMPLES}.")
    return lambda name: SAMPLES / name


@pytest.fixture(scope="session")
def sample_image(sample_path):
    from inference import load_image

    cache: dict[str, np.ndarray] = {}

    def get(name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = load_image(sample_path(name))
        return cache[name].copy()

    return get


def build_tiny_model(path: Path, classes: int = 7, seed: int = 7, filters: int = 4, head: str = "pool") -> Path:
    """A small random CNN honouring the model contract: (N, 48, 48, 1) raw 0..255 -> softmax.

    head="pool" ends in global average pooling, blind to where things sit in the crop;
    head="flatten" sees positions, so shifted crops get other probabilities.
    """
    import keras

    keras.utils.set_random_seed(seed)
    heads = {"pool": keras.layers.GlobalAveragePooling2D, "flatten": keras.layers.Flatten}
    model = keras.Sequential([
        keras.Input((48, 48, 1)),
        keras.layers.Rescaling(1.0 / 255.0),
        keras.layers.Conv2D(filters, 3, activation="relu"),
        heads[head](),
        keras.layers.Dense(classes, activation="softmax"),
    ])
    model.save(path)
    return path


def random_crops(n: int, seed: int = 0) -> np.ndarray:
    """N random (48, 48) uint8 grey crops."""
    return np.random.default_rng(seed).integers(0, 256, (n, 48, 48), dtype=np.uint8)


def keras_predict(model_path: Path, crops: np.ndarray) -> np.ndarray:
    """The Keras model's own probabilities for (N, 48, 48) crops: the reference the classifier must match."""
    import keras

    model = keras.models.load_model(model_path, compile=False)
    return model.predict(np.asarray(crops, np.float32)[..., None], verbose=0)


@pytest.fixture(scope="session")
def tiny_model_factory():
    return build_tiny_model


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("model") / "tiny_emotion.keras")


@pytest.fixture(scope="session")
def engine_options(tiny_model_path):
    from inference import EngineOptions

    return EngineOptions(model_path=tiny_model_path)


@pytest.fixture(scope="session")
def engine(engine_options):
    from inference import get_engine

    return get_engine(engine_options)
