"""Model architectures, looked up by name.

Every model takes ``(N, 48, 48, 1)`` float32 gray in raw 0..255 and normalises
inside itself (a Rescaling layer first), so training and inference cannot drift;
every model ends in a float32 softmax over the 7 EMOTIONS.
"""

from __future__ import annotations

from typing import Callable

import keras
from keras import layers

from inference.labels import EMOTIONS
from training.errors import TrainingError

INPUT_SHAPE = (48, 48, 1)


def _inputs() -> tuple[keras.KerasTensor, keras.KerasTensor]:
    inputs = keras.Input(shape=INPUT_SHAPE, dtype="float32", name="gray48")
    x = layers.Rescaling(1.0 / 255.0, name="to_unit_range")(inputs)
    return inputs, x


def _softmax_head(x) -> keras.KerasTensor:
    # float32 output even under a mixed-precision policy keeps the softmax stable
    return layers.Dense(len(EMOTIONS), activation="softmax", dtype="float32", name="emotion")(x)


def _conv_bn_relu(x, filters: int, name: str):
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def baseline() -> keras.Model:
    """The original report's CNN: 9 conv + 4 dense layers, about 3.0M parameters."""
    inputs, x = _inputs()
    conv_stages = [(32, 2), (64, 2), (128, 2), (256, 3)]
    index = 0
    for filters, repeats in conv_stages:
        for _ in range(repeats):
            index += 1
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{index}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{index}")(x)
        x = layers.Dropout(0.25, name=f"drop{index}")(x)
    x = layers.Flatten(name="flatten")(x)
    for index, units in enumerate((512, 256, 128), start=1):
        x = layers.Dense(units, activation="relu", name=f"dense{index}")(x)
        x = layers.Dropout(0.5, name=f"dense_drop{index}")(x)
    return keras.Model(inputs, _softmax_head(x), name="baseline")


def _vgg(stages: list[tuple[int, int]], dense_units: int, dropout: float, name: str,
         head: str = "flatten") -> keras.Model:
    """BatchNorm-ReLU 3x3 conv stages, each closed by 2x2 max-pooling, then a dense head.

    head="flatten" keeps the final map's layout (with four stages, 3x3: brows, eyes,
    mouth), which matters for expressions; "gap" averages it away for fewer parameters.
    """
    inputs, x = _inputs()
    for stage, (filters, repeats) in enumerate(stages, start=1):
        for repeat in range(1, repeats + 1):
            x = _conv_bn_relu(x, filters, name=f"s{stage}c{repeat}")
        x = layers.MaxPooling2D(2, name=f"s{stage}_pool")(x)
    if head == "flatten":
        x = layers.Flatten(name="flatten")(x)
    else:
        x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dropout(dropout, name="head_drop1")(x)
    x = layers.Dense(dense_units, use_bias=False, name="head_dense")(x)
    x = layers.BatchNormalization(name="head_bn")(x)
    x = layers.ReLU(name="head_relu")(x)
    x = layers.Dropout(dropout, name="head_drop2")(x)
    return keras.Model(inputs, _softmax_head(x), name=name)


# CPU serving cost of each, from benchmarks/bench_classifier.py on 2 idle EPYC cores
# (faces/s at batch 64): vgg_lite 3,400; vgg_compact 1,060; vgg_deep 790; vgg_medium 660;
# vgg_wide 240. The product's target is at least 500.


def vgg_lite() -> keras.Model:
    """A quarter-width VGG for CPU training (the first shipped model, 0.31M parameters)."""
    return _vgg([(16, 1), (32, 2), (64, 2), (128, 2)], dense_units=128, dropout=0.3, name="vgg_lite", head="gap")


def vgg_compact() -> keras.Model:
    """32 | 64-64 | 128-128 | 256-256, flatten head: 1.8M parameters."""
    return _vgg([(32, 1), (64, 2), (128, 2), (256, 2)], dense_units=256, dropout=0.4, name="vgg_compact")


def vgg_deep() -> keras.Model:
    """vgg_compact with a third conv in the two low-resolution stages: 2.5M parameters."""
    return _vgg([(32, 1), (64, 2), (128, 3), (256, 3)], dense_units=256, dropout=0.4, name="vgg_deep")


def vgg_medium() -> keras.Model:
    """vgg_compact at 1.25x the width: 2.6M parameters."""
    return _vgg([(40, 1), (80, 2), (160, 2), (320, 2)], dense_units=256, dropout=0.4, name="vgg_medium")


def vgg_wide() -> keras.Model:
    """64-64 | 128-128 | 256-256 | 512-512: 7M parameters, too slow to serve on 2 CPU cores; a reference."""
    return _vgg([(64, 2), (128, 2), (256, 2), (512, 2)], dense_units=512, dropout=0.4, name="vgg_wide")


def tiny() -> keras.Model:
    """A few-thousand-parameter net for tests of the training loop."""
    return _vgg([(8, 1), (16, 1)], dense_units=16, dropout=0.1, name="tiny", head="gap")


ARCHITECTURES: dict[str, Callable[[], keras.Model]] = {
    "baseline": baseline,
    "vgg_lite": vgg_lite,
    "vgg_compact": vgg_compact,
    "vgg_deep": vgg_deep,
    "vgg_medium": vgg_medium,
    "vgg_wide": vgg_wide,
    "tiny": tiny,
}


def build(name: str) -> keras.Model:
    try:
        factory = ARCHITECTURES[name]
    except KeyError:
        raise TrainingError(
            f"unknown architecture {name!r}; choose one of {', '.join(ARCHITECTURES)}"
        ) from None
    return factory()
