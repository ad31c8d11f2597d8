"""Distillation: an ensemble's soft targets for the training faces, and a student trained towards them."""

from __future__ import annotations

import json

import numpy as np
import pytest

from training import teacher, train

pytestmark = pytest.mark.slow


@pytest.fixture
def dataset(class_folders):
    class_folders("data/train", 10)
    return class_folders("data/valid", 3, seed=1).parent


def _train(dataset, out, *extra):
    argv = ["--data", str(dataset), "--arch", "tiny", "--epochs", "1", "--out", str(out),
            "--batch-size", "16", "--cache-dir", "", *extra]
    return train.main(argv)


@pytest.fixture
def trained(dataset, tmp_path):
    assert _train(dataset, tmp_path / "first") == 0
    return tmp_path / "first" / "emotion_cnn.keras"


def test_teacher_averages_models_and_mirrors_into_a_checked_file(dataset, trained, tmp_path, capsys):
    out = tmp_path / "teacher.npz"
    assert teacher.main(["--data", str(dataset), "--models", str(trained), str(trained),
                         "--out", str(out), "--cache-dir", ""]) == 0
    assert "soft targets for 70 faces" in capsys.readouterr().out
    with np.load(out) as stored:
        probabilities, labels = stored["probabilities"], stored["labels"]
    assert probabilities.shape == (70, 7)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(teacher.load_soft_targets(out, labels), probabilities)
    with pytest.raises(teacher.TrainingError, match="another training set"):
        teacher.load_soft_targets(out, labels[:-1])


def test_student_trains_towards_the_teacher_from_initial_weights(dataset, trained, tmp_path):
    soft = tmp_path / "teacher.npz"
    assert teacher.main(["--data", str(dataset), "--models", str(trained), "--out", str(soft), "--cache-dir", ""]) == 0
    out = tmp_path / "student"
    assert _train(dataset, out, "--teacher", str(soft), "--teacher-weight", "0.5", "--init-from", str(trained)) == 0
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["config"]["teacher"] == str(soft)
    assert card["training"]["config"]["init_from"] == str(trained)


def test_init_from_another_architecture_is_a_clear_error(dataset, trained, tmp_path, capsys):
    code = train.main(["--data", str(dataset), "--arch", "vgg_lite", "--epochs", "1", "--out", str(tmp_path / "x"),
                       "--cache-dir", "", "--init-from", str(trained)])
    assert code == 2
    assert "is not a vgg_lite model" in capsys.readouterr().err


def test_teacher_for_other_faces_is_refused(dataset, tmp_path, capsys):
    wrong = tmp_path / "wrong.npz"
    teacher.save_soft_targets(wrong, np.full((5, 7), 1 / 7, np.float32), np.zeros(5, np.int64), [])
    assert _train(dataset, tmp_path / "x", "--teacher", str(wrong)) == 2
    assert "another training set" in capsys.readouterr().err
