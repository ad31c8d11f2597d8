"""training.export: the served TensorFlow Lite file, its card section, and its errors."""

from __future__ import annotations

import hashlib
import json

import keras
import numpy as np
import pytest

from inference.classifiers import EmotionClassifier
from inference.classifiers.views import MIRROR, ONE, SERVED
from training import evaluate, export

pytestmark = pytest.mark.slow


def _export(dataset, run, out, *extra) -> int:
    return export.main(["--data", str(dataset), "--model", str(run / "emotion_cnn.keras"), "--out", str(out),
                        "--cache-dir", "", *extra])


def _valid_faces(dataset):
    from training.data import load_class_folders

    return load_class_folders(dataset / "valid").images


def test_cli_writes_the_int8_file_and_scores_it_as_the_product_runs_it(tiny_run, tmp_path, capsys):
    dataset, run = tiny_run
    out = tmp_path / "served" / "emotion_cnn.tflite"
    assert _export(dataset, run, out) == 0

    assert sorted(path.name for path in out.parent.iterdir()) == [
        "confusion_matrix_served.png", "emotion_cnn.tflite", "model_card.json"]
    card = json.loads((out.parent / "model_card.json").read_text())
    source_card = json.loads((run / "model_card.json").read_text())
    assert card["training"] == source_card["training"], "the card keeps the source model's record"
    serving = card["serving"]
    assert serving["file"] == "emotion_cnn.tflite" and serving["size_bytes"] == out.stat().st_size
    assert serving["source_sha256"] == hashlib.sha256((run / "emotion_cnn.keras").read_bytes()).hexdigest()
    assert serving["quantization"]["calibration_faces"] == 7 * 10  # all there are, fewer than asked
    assert serving["views"] == SERVED.to_dict()
    assert serving["validation"]["accuracy"] == pytest.approx(evaluate.evaluate(dataset / "valid", out)["accuracy"])
    assert serving["validation_mirror_only_accuracy"] == pytest.approx(
        evaluate.evaluate(dataset / "valid", out, views=MIRROR)["accuracy"])
    assert serving["validation_one_view_accuracy"] == pytest.approx(
        evaluate.evaluate(dataset / "valid", out, views=ONE)["accuracy"])
    assert serving["source_model_valid_accuracy"] == pytest.approx(
        evaluate.evaluate(dataset / "valid", run / "emotion_cnn.keras", views=ONE)["accuracy"])
    assert f"valid accuracy {serving['validation']['accuracy']:.4f} as served" in capsys.readouterr().out


def test_the_int8_file_stays_close_to_the_keras_model(tiny_run, tmp_path):
    dataset, run = tiny_run
    out = tmp_path / "int8.tflite"
    assert _export(dataset, run, out) == 0
    faces = _valid_faces(dataset)
    served = EmotionClassifier(out, views=ONE).predict(faces)
    source = keras.models.load_model(run / "emotion_cnn.keras").predict(faces[..., None].astype(np.float32), verbose=0)
    np.testing.assert_allclose(served.sum(axis=1), 1.0, rtol=1e-5)
    assert np.abs(served - source).max() < 0.05
    assert out.stat().st_size < (run / "emotion_cnn.keras").stat().st_size / 2


def test_float_export_gives_the_keras_probabilities(tiny_run, tmp_path):
    dataset, run = tiny_run
    out = tmp_path / "float.tflite"
    assert _export(dataset, run, out, "--float") == 0
    assert json.loads((tmp_path / "model_card.json").read_text())["serving"]["quantization"] is None
    faces = _valid_faces(dataset)
    source = EmotionClassifier(run / "emotion_cnn.keras").predict(faces)
    np.testing.assert_allclose(EmotionClassifier(out).predict(faces), source, atol=1e-5)


def test_the_same_seed_writes_the_same_file(tiny_run, tmp_path):
    dataset, run = tiny_run
    first, second, other = tmp_path / "a" / "m.tflite", tmp_path / "b" / "m.tflite", tmp_path / "c" / "m.tflite"
    for out, seed in ((first, "0"), (second, "0"), (other, "1")):
        assert _export(dataset, run, out, "--calibration-faces", "20", "--seed", seed) == 0
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes(), "another seed calibrates on other faces"


def test_errors_are_one_clear_line_and_write_nothing(tiny_run, tmp_path, capsys):
    dataset, run = tiny_run
    assert _export(dataset, run, tmp_path / "out" / "model.keras") == 2
    assert "error: --out must name a .tflite file" in capsys.readouterr().err
    assert export.main(["--data", str(dataset), "--model", str(tmp_path / "nope.keras"),
                        "--out", str(tmp_path / "out" / "m.tflite")]) == 2
    assert "error: model not found" in capsys.readouterr().err
    assert _export(dataset, run, tmp_path / "out" / "m.tflite", "--calibration-faces", "0") == 2
    assert "error: --calibration-faces must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_model_without_a_softmax_head_is_refused():
    inputs = keras.Input((48, 48, 1))
    model = keras.Model(inputs, keras.layers.Dense(7)(keras.layers.Flatten()(inputs)))
    with pytest.raises(export.TrainingError, match="softmax"):
        export.logits_model(model)
