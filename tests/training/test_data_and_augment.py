"""Dataset readers map folders to the canonical order; augmentation is shape-safe and seeded."""

from __future__ import annotations

import tarfile

import numpy as np
import pytest

from inference.labels import EMOTIONS
from training.data import load_class_folders, load_split, tarball_class_files, to_gray48
from training.errors import DatasetError


def test_folders_map_to_the_canonical_order_whatever_their_listing_order(class_folders):
    split = load_class_folders(class_folders("data", 2))
    assert split.images.shape == (14, 48, 48) and split.images.dtype == np.uint8
    # write_class_folders paints a bright band at row index*48/7: find it back per label
    for image, label in zip(split.images, split.labels):
        assert image[label * 48 // 7].mean() > 200 and image[(label + 1) * 48 // 7 % 48].mean() < 100


def test_any_size_and_colour_becomes_gray48():
    colour = np.zeros((100, 80, 3), np.uint8)
    colour[..., 2] = 255
    gray = to_gray48(colour)
    assert gray.shape == (48, 48) and gray.dtype == np.uint8 and 70 < gray.mean() < 80  # BT.601 red weight
    assert to_gray48(np.zeros((20, 20, 4), np.uint8)).shape == (48, 48)


def test_cache_returns_the_same_arrays(class_folders, tmp_path):
    root = class_folders("data/train", 1).parent
    first = load_split(root, "train", cache_dir=tmp_path / "cache")
    assert list((tmp_path / "cache").glob("train-*.npz"))
    second = load_split(root, "train", cache_dir=tmp_path / "cache")
    np.testing.assert_array_equal(first.images, second.images)
    np.testing.assert_array_equal(first.labels, second.labels)


def test_a_tarball_split_reads_as_its_class_folders_do(class_folders, tmp_path):
    root = class_folders("data/valid", 2).parent
    class_folders("data/train", 1)
    (root / "valid" / "happy" / "notes.txt").write_text("not an image")
    (root / "valid" / "unknown").mkdir()
    (root / "valid" / "unknown" / "x.png").write_bytes((root / "valid" / "sad" / "sad_0.png").read_bytes())
    with tarfile.open(tmp_path / "pack.tar.gz", "w:gz") as archive:
        for split in ("train", "valid"):
            archive.add(root / split, arcname=split)

    files = tarball_class_files(tmp_path / "pack.tar.gz", "valid")
    assert sorted((label, name) for name, label, _ in files) == sorted(
        (label, f"{EMOTIONS[label]}_{n}.png") for label in range(len(EMOTIONS)) for n in range(2))
    for name, label, data in files:
        assert data == (root / "valid" / EMOTIONS[label] / name).read_bytes()
    with pytest.raises(DatasetError, match="holds no images in test/"):
        tarball_class_files(tmp_path / "pack.tar.gz", "test")


def test_csv_without_the_fer_columns_is_rejected(tmp_path):
    bad = tmp_path / "other.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(DatasetError, match="emotion,pixels,Usage"):
        load_split(bad, "train")


def test_augmentation_keeps_shape_range_and_is_reproducible():
    from training.augment import augment_batch

    images = np.random.default_rng(0).integers(0, 256, (16, 48, 48), dtype=np.uint8)
    first = augment_batch(images, np.random.default_rng([4, 2]))
    assert first.shape == (16, 48, 48) and first.dtype == np.float32
    assert first.min() >= 0.0 and first.max() <= 255.0
    np.testing.assert_array_equal(first, augment_batch(images, np.random.default_rng([4, 2])))
    assert not np.array_equal(first, augment_batch(images, np.random.default_rng([4, 3])))
    assert not np.allclose(first, images)


def test_augmentation_mirrors_about_half_the_faces():
    from training.augment import AugmentConfig, augment_batch

    mirror_only = AugmentConfig(max_rotation_deg=0.0, max_shift_fraction=0.0, zoom_range=(1.0, 1.0),
                                brightness=0.0, contrast_range=(1.0, 1.0), erase_probability=0.0)
    image = np.zeros((48, 48), np.uint8)
    image[:, :8] = 255  # bright left edge
    out = augment_batch(np.repeat(image[None], 200, axis=0), np.random.default_rng(1), mirror_only)
    left_bright = out[:, :, :8].mean(axis=(1, 2)) > 200
    right_bright = out[:, :, -8:].mean(axis=(1, 2)) > 200
    assert (left_bright ^ right_bright).all()
    assert 60 < right_bright.sum() < 140


def test_augmentation_erases_patches_to_the_face_mean():
    from training.augment import AugmentConfig, augment_batch

    erase_only = AugmentConfig(mirror_probability=0.0, max_rotation_deg=0.0, max_shift_fraction=0.0,
                               zoom_range=(1.0, 1.0), brightness=0.0, contrast_range=(1.0, 1.0),
                               erase_probability=1.0, erase_area=(0.1, 0.1))
    images = np.zeros((50, 48, 48), np.uint8)
    images[:, ::2] = 200  # stripes: mean 100, no pixel of that value
    out = augment_batch(images, np.random.default_rng(2), erase_only)
    erased = (out == 100.0).sum(axis=(1, 2))
    assert (erased > 0.05 * 48 * 48).all() and (erased < 0.15 * 48 * 48).all()


def test_epoch_batches_depend_only_on_seed_epoch_and_index():
    from training.batches import EpochBatches
    from training.data import Split

    rng = np.random.default_rng(0)
    split = Split(rng.integers(0, 256, (100, 48, 48), dtype=np.uint8), np.arange(100) % 7)
    batches = EpochBatches(split, batch_size=32, seed=1, epoch=3, augment=True, class_weights={i: i + 1.0 for i in range(7)})
    assert len(batches) == 4
    inputs, targets, weights = batches[3]
    assert inputs.shape == (4, 48, 48, 1) and targets.shape == (4, 7)
    np.testing.assert_array_equal(weights, targets.argmax(axis=1) + 1.0)
    again = EpochBatches(split, batch_size=32, seed=1, epoch=3, augment=True, class_weights={i: i + 1.0 for i in range(7)})
    np.testing.assert_array_equal(again[1][0], batches[1][0])
    other_epoch = EpochBatches(split, batch_size=32, seed=1, epoch=4, augment=True)
    assert not np.array_equal(other_epoch[1][0], batches[1][0])
    assert sorted(np.concatenate([batches[i][1].argmax(axis=1) for i in range(4)]).tolist()) == sorted(split.labels.tolist())


def test_every_architecture_honours_the_model_contract():
    from training.archs import ARCHITECTURES, build

    for name in ARCHITECTURES:
        model = build(name)
        assert tuple(model.input_shape) == (None, 48, 48, 1), name
        assert tuple(model.output_shape) == (None, len(EMOTIONS)), name
        assert model.layers[1].__class__.__name__ == "Rescaling", name
    assert 2.8e6 <= build("baseline").count_params() <= 3.2e6
