"""The shipped model honours its contract, is small, and sees the smiles in multi_face.jpg."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inference.labels import EMOTIONS

from .conftest import REPO_ROOT, SHARED

MODELS = REPO_ROOT / "models"

pytestmark = pytest.mark.slow


def test_shipped_files_are_all_there_and_small():
    model = MODELS / "emotion_cnn.keras"
    assert model.is_file() and model.stat().st_size <= 20 * 1024 * 1024
    for name in ("training_curves.png", "confusion_matrix.png"):
        assert (MODELS / name).stat().st_size > 0
    card = json.loads((MODELS / "model_card.json").read_text())
    assert card["labels"] == list(EMOTIONS) and card["model_file"] == model.name
    assert 0.0 < card["validation"]["accuracy"] <= 1.0


def test_shipped_model_takes_raw_pixels_and_returns_softmax():
    from inference.classifiers import EmotionClassifier

    classifier = EmotionClassifier(MODELS / "emotion_cnn.keras")
    crops = np.random.default_rng(0).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    probabilities = classifier.predict(crops)
    assert probabilities.shape == (3, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-4)


def test_smiling_group_photo_is_labelled_mostly_happy():
    from inference import EngineOptions, get_engine, load_image

    image = load_image(SHARED / "samples" / "multi_face.jpg")
    analysis = get_engine(EngineOptions(model_path=MODELS / "emotion_cnn.keras")).analyze(image)
    labels = [face.label for face in analysis.faces]
    assert len(labels) >= 4, labels
    assert labels.count("happy") > len(labels) / 2, labels
