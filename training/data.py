"""Dataset readers: class-folder layout and the original FER2013 CSV.

Every reader returns images as ``(N, 48, 48)`` uint8 grayscale and labels as
``(N,)`` int indices into :data:`inference.labels.EMOTIONS`, so the rest of the
training code never sees folder names or file formats.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import tarfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from inference.labels import EMOTIONS
from training.errors import DatasetError

logger = logging.getLogger(__name__)

IMAGE_SIZE = 48
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".pgm", ".tif", ".tiff"}
CSV_SPLITS = {"train": "Training", "valid": "PublicTest", "test": "PrivateTest"}


@dataclass(frozen=True)
class Split:
    images: np.ndarray  # (N, 48, 48) uint8
    labels: np.ndarray  # (N,) int64, indices into EMOTIONS

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=len(EMOTIONS))


def to_gray48(image: np.ndarray) -> np.ndarray:
    """Any decoded image (gray, BGR or BGRA, any size) -> (48, 48) uint8 gray."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2GRAY)
    elif image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    if image.dtype != np.uint8:
        image = cv2.normalize(image, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    if image.shape != (IMAGE_SIZE, IMAGE_SIZE):
        shrinking = image.shape[0] > IMAGE_SIZE or image.shape[1] > IMAGE_SIZE
        interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        image = cv2.resize(image, (IMAGE_SIZE, IMAGE_SIZE), interpolation=interpolation)
    return image


def read_image_gray48(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if image is None or image.size == 0:
        raise DatasetError(f"cannot read image {path}: not a valid image file")
    return to_gray48(image)


def class_folder_files(split_dir: Path) -> list[tuple[Path, int]]:
    """List (file, label index) pairs; every EMOTIONS folder must exist and hold images."""
    split_dir = Path(split_dir)
    if not split_dir.is_dir():
        raise DatasetError(f"dataset folder not found: {split_dir}")
    missing = [name for name in EMOTIONS if not (split_dir / name).is_dir()]
    if missing:
        raise DatasetError(
            f"{split_dir} lacks class folder(s) {', '.join(missing)}; "
            f"expected one folder per class: {', '.join(EMOTIONS)}"
        )
    files: list[tuple[Path, int]] = []
    for label_index, name in enumerate(EMOTIONS):
        class_files = sorted(
            p for p in (split_dir / name).iterdir()
            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        files.extend((p, label_index) for p in class_files)
    if not files:
        raise DatasetError(f"{split_dir} holds no images in its class folders")
    return files


def tarball_class_files(tarball: Path, split: str) -> list[tuple[str, int, bytes]]:
    """(file name, label index, encoded image) of each image in SPLIT's class folders inside a tarball.

    The tarball holds the class-folder layout (`valid/happy/x.png`), as the FER2013 pack in
    `../shared` does; the images stay encoded, in the tarball's order.
    """
    index_of = {name: index for index, name in enumerate(EMOTIONS)}
    files = []
    with tarfile.open(tarball) as archive:
        for member in archive:
            parts = Path(member.name).parts
            if (member.isfile() and len(parts) == 3 and parts[0] == split and parts[1] in index_of
                    and Path(parts[2]).suffix.lower() in IMAGE_SUFFIXES):
                files.append((parts[2], index_of[parts[1]], archive.extractfile(member).read()))
    if not files:
        raise DatasetError(f"{tarball} holds no images in {split}/<class>/ folders; "
                           f"expected one folder per class: {', '.join(EMOTIONS)}")
    return files


def load_class_folders(split_dir: Path) -> Split:
    files = class_folder_files(split_dir)
    images = np.stack([read_image_gray48(path) for path, _ in files])
    labels = np.array([label for _, label in files], dtype=np.int64)
    return Split(images, labels)


def load_fer2013_csv(csv_path: Path, split: str) -> Split:
    """Read one split ("train", "valid", "test") of the original fer2013.csv."""
    usage = CSV_SPLITS[split]
    images, labels = [], []
    with open(csv_path, newline="") as handle:
        reader = csv.DictReader(handle)
        required = {"emotion", "pixels", "Usage"}
        if not reader.fieldnames or not required <= set(reader.fieldnames):
            raise DatasetError(f"{csv_path} is not a FER2013 CSV: needs columns emotion,pixels,Usage")
        for line_number, row in enumerate(reader, start=2):
            if row["Usage"] != usage:
                continue
            pixels = np.array(row["pixels"].split(), dtype=np.uint8)
            if pixels.size != IMAGE_SIZE * IMAGE_SIZE:
                raise DatasetError(f"{csv_path}:{line_number}: expected 2304 pixels, got {pixels.size}")
            images.append(pixels.reshape(IMAGE_SIZE, IMAGE_SIZE))
            labels.append(int(row["emotion"]))
    if not images:
        raise DatasetError(f"{csv_path} has no rows with Usage={usage}")
    return Split(np.stack(images), np.array(labels, dtype=np.int64))


def has_split(data: Path, split: str) -> bool:
    data = Path(data)
    return data.suffix.lower() == ".csv" or (data / split).is_dir()


def load_split(data: Path, split: str, cache_dir: Path | None = None) -> Split:
    """Load a split from a class-folder root or a FER2013 CSV, through an .npz cache."""
    data = Path(data)
    if not data.exists():
        raise DatasetError(f"dataset not found: {data}")
    source = data if data.suffix.lower() == ".csv" else data / split
    cache_path = None
    if cache_dir is not None:
        key = hashlib.sha1(str(source.resolve()).encode()).hexdigest()[:12]
        cache_path = Path(cache_dir) / f"{split}-{key}.npz"
        if cache_path.exists() and cache_path.stat().st_mtime >= source.stat().st_mtime:
            with np.load(cache_path) as cached:
                return Split(cached["images"], cached["labels"])
    if data.suffix.lower() == ".csv":
        result = load_fer2013_csv(data, split)
    else:
        result = load_class_folders(source)
    if cache_path is not None:
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache_path, images=result.images, labels=result.labels)
        logger.info("cached %d %s images in %s", len(result), split, cache_path)
    return result
