"""Batch augmentation as TensorFlow ops, run inside the tf.data pipeline.

One random affine transform per image (mirror, rotation, zoom, shift) applied
in a single ImageProjectiveTransformV3 call, then random erasing: cheap enough
that augmentation never becomes the bottleneck of a CPU epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import tensorflow as tf


@dataclass(frozen=True)
class AugmentConfig:
    max_rotation_deg: float = 12.0
    max_shift_fraction: float = 0.10
    zoom_range: tuple[float, float] = (0.9, 1.12)
    erase_probability: float = 0.4
    erase_area: tuple[float, float] = (0.02, 0.15)


def _affine_matrices(batch: int, size: float, config: AugmentConfig, seed) -> tf.Tensor:
    """Output->input pixel maps (8 params each) for a batch of random transforms."""
    seeds = tf.random.experimental.stateless_split(seed, 4)
    angle = tf.random.stateless_uniform([batch], seeds[0], -1.0, 1.0) * (config.max_rotation_deg * math.pi / 180.0)
    zoom = tf.random.stateless_uniform([batch], seeds[1], *config.zoom_range)
    shift = tf.random.stateless_uniform([batch, 2], seeds[2], -1.0, 1.0) * (config.max_shift_fraction * size)
    mirror = tf.where(tf.random.stateless_uniform([batch], seeds[3]) < 0.5, -1.0, 1.0)
    center = (size - 1.0) / 2.0
    cos, sin = tf.cos(angle) / zoom, tf.sin(angle) / zoom
    # input = R(angle)/zoom * mirror(output - center) + center + shift
    a0, a1 = cos * mirror, -sin
    b0, b1 = sin * mirror, cos
    a2 = center - a0 * center - a1 * center + shift[:, 0]
    b2 = center - b0 * center - b1 * center + shift[:, 1]
    zeros = tf.zeros([batch])
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def _random_erase(images: tf.Tensor, config: AugmentConfig, seed) -> tf.Tensor:
    batch = tf.shape(images)[0]
    height = tf.cast(tf.shape(images)[1], tf.float32)
    width = tf.cast(tf.shape(images)[2], tf.float32)
    seeds = tf.random.experimental.stateless_split(seed, 5)
    area = tf.random.stateless_uniform([batch], seeds[0], *config.erase_area) * height * width
    aspect = tf.exp(tf.random.stateless_uniform([batch], seeds[1], math.log(0.5), math.log(2.0)))
    erase_h = tf.minimum(tf.sqrt(area * aspect), height)
    erase_w = tf.minimum(tf.sqrt(area / aspect), width)
    top = tf.random.stateless_uniform([batch], seeds[2]) * (height - erase_h)
    left = tf.random.stateless_uniform([batch], seeds[3]) * (width - erase_w)
    apply = tf.random.stateless_uniform([batch], seeds[4]) < config.erase_probability
    rows = tf.range(height)[None, :, None]
    cols = tf.range(width)[None, None, :]
    inside = (
        (rows >= top[:, None, None]) & (rows < (top + erase_h)[:, None, None])
        & (cols >= left[:, None, None]) & (cols < (left + erase_w)[:, None, None])
        & apply[:, None, None]
    )
    # erase to the image's mean grey so the patch carries no brightness cue
    fill = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return tf.where(inside[..., None], fill, images)


def augment_batch(images: tf.Tensor, seed, config: AugmentConfig = AugmentConfig()) -> tf.Tensor:
    """Augment a float32 (N, H, W, 1) batch in 0..255; ``seed`` is a stateless (2,) seed."""
    seeds = tf.random.experimental.stateless_split(seed, 2)
    batch = tf.shape(images)[0]
    size = tf.cast(tf.shape(images)[1], tf.float32)
    transforms = _affine_matrices(batch, size, config, seeds[0])
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=transforms,
        output_shape=tf.shape(images)[1:3],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="REFLECT",
    )
    return _random_erase(images, config, seeds[1])
