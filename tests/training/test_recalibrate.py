"""BatchNorm recalibration: exact statistics layer after layer, nothing else touched, and the CLI's files."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from inference.classifiers.views import ONE
from training import evaluate, recalibrate

pytestmark = pytest.mark.slow


def _two_batchnorm_model() -> keras.Model:
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv1")(inputs)
    x = keras.layers.BatchNormalization(name="bn1")(x)
    x = keras.layers.ReLU()(x)
    x = keras.layers.Conv2D(3, 3, padding="same", name="conv2")(x)
    x = keras.layers.BatchNormalization(name="bn2")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(7, activation="softmax")(x))


def _stale(model) -> None:
    """Statistics as far off as an augmented training run can leave them."""
    for layer in recalibrate.batchnorm_layers(model):
        layer.moving_mean.assign(np.full(layer.moving_mean.shape, 5.0, np.float32))
        layer.moving_variance.assign(np.full(layer.moving_variance.shape, 9.0, np.float32))


def test_every_layer_gets_the_exact_statistics_of_what_reaches_it_after_the_layers_before(tmp_path):
    keras.utils.set_random_seed(0)
    model = _two_batchnorm_model()
    _stale(model)
    # 700 faces: one full batch of 512 and a partial one, whose moments must merge exactly
    images = (np.random.default_rng(1).normal(100, 40, (700, 8, 8, 1))).astype(np.float32)
    trained_weights = [w for layer in model.layers if not isinstance(layer, keras.layers.BatchNormalization)
                       for w in layer.get_weights()]

    changes = recalibrate.recalibrate_batchnorm(model, images)

    assert [change["layer"] for change in changes] == ["bn1", "bn2"]
    for layer in recalibrate.batchnorm_layers(model):
        # measured with every earlier layer already recalibrated: stale bn1 statistics would shift bn2's input
        reaching = keras.Model(model.input, layer.input).predict(images, verbose=0).astype(np.float64)
        np.testing.assert_allclose(layer.moving_mean.numpy(), reaching.mean(axis=(0, 1, 2)), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(layer.moving_variance.numpy(), reaching.var(axis=(0, 1, 2)), rtol=1e-4)
        np.testing.assert_array_equal(layer.gamma.numpy(), np.ones(layer.gamma.shape))
    after = [w for layer in model.layers if not isinstance(layer, keras.layers.BatchNormalization)
             for w in layer.get_weights()]
    for before_weight, after_weight in zip(trained_weights, after):
        np.testing.assert_array_equal(before_weight, after_weight)
    assert changes[0]["mean_shift"] > 1.0  # the stale 5.0 really moved


def test_a_model_without_batchnorm_is_refused():
    inputs = keras.Input((48, 48, 1))
    model = keras.Model(inputs, keras.layers.Dense(7)(keras.layers.Flatten()(inputs)))
    with pytest.raises(recalibrate.TrainingError, match="no BatchNormalization layers"):
        recalibrate.recalibrate_batchnorm(model, np.zeros((2, 48, 48, 1), np.float32))


def test_cli_writes_the_model_its_card_and_plots_and_reports_before_and_after(tiny_run, tmp_path, capsys):
    dataset, run = tiny_run
    out = tmp_path / "recalibrated"
    assert recalibrate.main(["--data", str(dataset), "--model", str(run / "emotion_cnn.keras"),
                             "--out", str(out), "--cache-dir", ""]) == 0

    for name in ("emotion_cnn.keras", "confusion_matrix.png", "training_curves.png"):
        assert (out / name).stat().st_size > 0, name
    assert sorted(path.name for path in out.iterdir()) == [
        "confusion_matrix.png", "emotion_cnn.keras", "model_card.json", "training_curves.png"]
    card = json.loads((out / "model_card.json").read_text())
    source_card = json.loads((run / "model_card.json").read_text())
    section = card["batchnorm_recalibration"]
    assert section["faces"] == 2 * 7 * 10  # the training faces and their mirrors
    assert section["source_valid_accuracy"] == pytest.approx(
        evaluate.evaluate(dataset / "valid", run / "emotion_cnn.keras", views=ONE)["accuracy"])
    assert [change["layer"] for change in section["layers"]] == ["s1c1_bn", "s2c1_bn", "head_bn"]
    # the card speaks for the new file, and keeps the source's training record
    assert card["validation"]["accuracy"] == pytest.approx(
        evaluate.evaluate(dataset / "valid", out / "emotion_cnn.keras", views=ONE)["accuracy"])
    assert card["training"] == source_card["training"] and card["architecture"] == "tiny"
    printed = capsys.readouterr().out
    assert f"{section['source_valid_accuracy']:.4f} before, {card['validation']['accuracy']:.4f} after" in printed


def test_cli_errors_are_one_clear_line(tiny_run, tmp_path, capsys):
    dataset, run = tiny_run
    assert recalibrate.main(["--data", str(dataset), "--model", str(tmp_path / "nope.keras"),
                             "--out", str(tmp_path / "x"), "--cache-dir", ""]) == 2
    assert "error: model not found" in capsys.readouterr().err
    assert recalibrate.main(["--data", str(tmp_path / "no-data"), "--model", str(run / "emotion_cnn.keras"),
                             "--out", str(tmp_path / "x"), "--cache-dir", ""]) == 2
    assert "error: dataset not found" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
