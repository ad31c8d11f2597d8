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


def build_tiny_model(path: Path, classes: int = 7, seed: int = 7) -> Path:
    """A small random CNN honouring the model contract: (N, 48, 48, 1) raw 0..255 -> softmax."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((48, 48, 1)),
        keras.layers.Rescaling(1.0 / 255.0),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(classes, activation="softmax"),
    ])
    model.save(path)
    return path


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
