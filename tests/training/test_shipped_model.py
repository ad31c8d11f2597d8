"""The shipped model honours its contract, is small, and sees the smiles in multi_face.jpg.

`emotion_cnn.keras` is the trained network; `emotion_cnn.tflite`, exported
from it by training.export, is what the product serves.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from inference.labels import EMOTIONS
from inference.classifiers.views import ONE, SERVED

from .conftest import REPO_ROOT, SHARED

MODELS = REPO_ROOT / "models"

pytestmark = pytest.mark.slow


def test_shipped_files_are_all_there_and_small():
    model, served = MODELS / "emotion_cnn.keras", MODELS / "emotion_cnn.tflite"
    assert sum(path.stat().st_size for path in MODELS.iterdir()) <= 20 * 1024 * 1024
    for name in ("training_curves.png", "confusion_matrix.png", "confusion_matrix_served.png"):
        assert (MODELS / name).stat().st_size > 0
    card = json.loads((MODELS / "model_card.json").read_text())
    assert card["labels"] == list(EMOTIONS) and card["model_file"] == model.name
    assert 0.0 < card["validation"]["accuracy"] <= 1.0
    assert card["serving"]["file"] == served.name and card["serving"]["size_bytes"] == served.stat().st_size
    assert card["serving"]["source_model"].endswith(model.name)
    assert card["serving"]["views"] == SERVED.to_dict(), "the card's served figures were taken with other views"
    assert card["serving"]["source_sha256"] == hashlib.sha256(model.read_bytes()).hexdigest(), (
        "emotion_cnn.keras changed after the served file was exported from it: run training.export again")


@pytest.mark.parametrize("name", ["emotion_cnn.tflite", "emotion_cnn.keras"])
def test_shipped_model_takes_raw_pixels_and_returns_softmax(name):
    from inference.classifiers import EmotionClassifier

    classifier = EmotionClassifier(MODELS / name)
    crops = np.random.default_rng(0).integers(0, 256, (3, 48, 48), dtype=np.uint8)
    probabilities = classifier.predict(crops)
    assert probabilities.shape == (3, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-4)


def test_the_served_file_labels_real_faces_as_the_keras_model_does(fer_valid_slice):
    from inference.classifiers import EmotionClassifier
    from training.data import load_class_folders

    faces = load_class_folders(fer_valid_slice).images
    served = EmotionClassifier(MODELS / "emotion_cnn.tflite", views=ONE).predict(faces).argmax(axis=1)
    source = EmotionClassifier(MODELS / "emotion_cnn.keras", views=ONE).predict(faces).argmax(axis=1)
    assert np.mean(served == source) >= 0.9, "int8 rounding should flip a label rarely (1 % on all of valid/)"


def test_smiling_group_photo_is_labelled_mostly_happy():
    from inference import DEFAULT_MODEL_PATH, EngineOptions, get_engine, load_image

    assert DEFAULT_MODEL_PATH == MODELS / "emotion_cnn.tflite"
    image = load_image(SHARED / "samples" / "multi_face.jpg")
    analysis = get_engine(EngineOptions()).analyze(image)
    labels = [face.label for face in analysis.faces]
    assert len(labels) >= 4, labels
    assert labels.count("happy") > len(labels) / 2, labels
