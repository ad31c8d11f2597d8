"""The one-command recipe runs its three steps end to end (epochs scaled down to one each)."""

from __future__ import annotations

import json

import pytest

from training import recipe

pytestmark = pytest.mark.slow


def test_recipe_trains_teachers_soft_targets_and_a_distilled_student(class_folders, tmp_path, capsys):
    class_folders("data/train", 6)
    data = class_folders("data/valid", 2, seed=1).parent
    out = tmp_path / "recipe"
    assert recipe.main(["--data", str(data), "--out", str(out), "--parallel", "--scale", "0.001",
                        "--cache-dir", ""]) == 0
    for name in recipe.TEACHERS:
        assert (out / name / "emotion_cnn.keras").is_file(), name
    assert (out / "teacher.npz").is_file()
    card = json.loads((out / "student" / "model_card.json").read_text())
    assert card["architecture"] == "vgg_deep"
    assert card["training"]["config"]["teacher"] == str(out / "teacher.npz")
    assert card["training"]["config"]["init_from"] == str(out / "deep" / "emotion_cnn.keras")
    assert "the student model" in capsys.readouterr().out


def test_scaled_keeps_at_least_one_epoch():
    assert recipe.scaled(["--arch", "x", "--epochs", "100"], 0.05) == ["--arch", "x", "--epochs", "5"]
    assert recipe.scaled(["--epochs", "100"], 0.0001) == ["--epochs", "1"]
