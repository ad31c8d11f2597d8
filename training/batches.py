"""One epoch of training batches, fed to ``model.fit`` under any Keras backend.

The face order and every batch's augmentation depend only on (seed, epoch,
batch index), never on thread timing, so an epoch is the same whether it runs
in a straight run or after ``--resume``. Batches are built by a small thread
pool (OpenCV releases the GIL) while the accelerator trains on the previous one.
"""

from __future__ import annotations

import os
import time

import keras
import numpy as np

from inference.labels import EMOTIONS
from training.augment import augment_batch
from training.data import Split


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2) - 1))


class EpochBatches(keras.utils.PyDataset):
    def __init__(self, split: Split, *, batch_size: int, seed: int, epoch: int, augment: bool,
                 class_weights: dict[int, float] | None = None,
                 soft_targets: np.ndarray | None = None, soft_weight: float = 0.0, workers: int | None = None):
        super().__init__(workers=workers or default_workers(), use_multiprocessing=False, max_queue_size=8)
        self.split = split
        self.batch_size = batch_size
        self.seed, self.epoch, self.augment = seed, epoch, augment
        self.order = np.random.RandomState([seed, epoch]).permutation(len(split))
        self.soft_targets, self.soft_weight = soft_targets, soft_weight
        self.sample_weight_of_class = (
            None if class_weights is None
            else np.array([class_weights[i] for i in range(len(EMOTIONS))], np.float32)
        )

    def __len__(self) -> int:
        return -(-len(self.split) // self.batch_size)

    def __getitem__(self, index: int):
        chosen = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        images = self.split.images[chosen]
        labels = self.split.labels[chosen]
        if self.augment:
            images = augment_batch(images, np.random.default_rng([self.seed, self.epoch, index]))
        inputs = images.astype(np.float32, copy=False)[..., None]
        targets = np.eye(len(EMOTIONS), dtype=np.float32)[labels]
        if self.soft_targets is not None:
            targets = (1.0 - self.soft_weight) * targets + self.soft_weight * self.soft_targets[chosen]
        if self.sample_weight_of_class is None:
            return inputs, targets
        return inputs, targets, self.sample_weight_of_class[labels]


class StepClock(keras.callbacks.Callback):
    """Estimates an epoch's steady cost from the median step time.

    The first step compiles, and so does the last when it is a smaller batch;
    the median ignores both.
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.intervals: list[float] = []
        self.steps = 0
        self._last = time.monotonic()

    def on_train_batch_end(self, batch, logs=None):
        now = time.monotonic()
        self.intervals.append(now - self._last)
        self._last = now
        self.steps += 1

    def steady_epoch_seconds(self) -> float | None:
        if not self.intervals:
            return None
        return float(np.median(self.intervals)) * self.steps
