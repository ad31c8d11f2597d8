"""Fixtures for training tests: generated class-folder datasets, real validation slices."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from inference.labels import EMOTIONS
from training.data import tarball_class_files

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = (REPO_ROOT / ".." / "shared").resolve()
FER_TARBALL = SHARED / "datasets" / "fer2013" / "fer2013-train-valid.tar.gz"


def write_class_folders(root: Path, per_class: int, *, size: int = 48, colour: bool = False, seed: int = 0) -> Path:
    """Class folders of images whose brightness pattern depends on the class, so a net can learn them."""
    rng = np.random.default_rng(seed)
    for index, label in enumerate(EMOTIONS):
        folder = root / label
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(per_class):
            image = rng.integers(0, 60, (size, size), dtype=np.uint8)
            band = slice(index * size // 7, (index + 1) * size // 7)
            image[band, :] = 220
            if colour:
                image = cv2.merge([image, image // 2, image])
            cv2.imwrite(str(folder / f"{label}_{n}.png"), image)
    return root


@pytest.fixture
def class_folders(tmp_path):
    return lambda name, per_class, **kwargs: write_class_folders(tmp_path / name, per_class, **kwargs)


@pytest.fixture
def tiny_run(class_folders, tmp_path) -> tuple[Path, Path]:
    """(dataset root with train/ and valid/, run folder) of a `tiny` model trained one epoch."""
    from training import train

    class_folders("data/train", 10)
    dataset = class_folders("data/valid", 3, seed=1).parent
    out = tmp_path / "run"
    assert train.main(["--data", str(dataset), "--arch", "tiny", "--epochs", "1", "--out", str(out),
                       "--batch-size", "16", "--cache-dir", ""]) == 0
    return dataset, out


@pytest.fixture(scope="session")
def fer_valid_slice(tmp_path_factory) -> Path:
    """A few real FER2013 validation faces per class, extracted from the shared tarball."""
    if not FER_TARBALL.is_file():
        pytest.fail(f"the FER2013 tarball is missing: expected {FER_TARBALL}")
    per_class = 6
    root = tmp_path_factory.mktemp("fer_valid")
    taken = dict.fromkeys(range(len(EMOTIONS)), 0)
    for name, label_index, data in tarball_class_files(FER_TARBALL, "valid"):
        if taken[label_index] < per_class:
            folder = root / EMOTIONS[label_index]
            folder.mkdir(exist_ok=True)
            (folder / name).write_bytes(data)
            taken[label_index] += 1
    return root
