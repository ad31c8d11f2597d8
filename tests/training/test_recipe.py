"""The one-command recipe: its three steps end to end (epochs scaled down), and a second
invocation continuing where an interrupted one stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from training import recipe

from .conftest import REPO_ROOT

pytestmark = pytest.mark.slow

# 0.02 gives every teacher 2 epochs and the student 1, so a teacher can be cut after its first
SCALE = "0.02"


@pytest.fixture
def recipe_data(class_folders):
    class_folders("data/train", 6)
    return class_folders("data/valid", 2, seed=1).parent


def teacher_command(data, out, name):
    return recipe.train_command(str(data), out / name, recipe.scaled(recipe.TEACHERS[name], float(SCALE)),
                                ["--cache-dir", ""])


def test_recipe_trains_teachers_soft_targets_and_a_distilled_student_and_resumes(recipe_data, tmp_path, capsys):
    out = tmp_path / "recipe"
    arguments = ["--data", str(recipe_data), "--out", str(out), "--parallel", "--scale", SCALE, "--cache-dir", ""]
    # a teacher cut short after epoch 1, as a stopped earlier invocation leaves it
    subprocess.run(teacher_command(recipe_data, out, "deep") + ["--stop-after", "1"], check=True,
                   cwd=REPO_ROOT, capture_output=True)
    assert recipe.epochs_done(out / "deep") == 1

    assert recipe.main(arguments) == 0
    for name in recipe.TEACHERS:
        assert (out / name / "emotion_cnn.keras").is_file(), name
        assert recipe.epochs_done(out / name) == 2, name
    assert "resuming vgg_deep after epoch 1" in (out / "deep.log").read_text()
    assert "resuming" not in (out / "compact.log").read_text()
    assert (out / "teacher.npz").is_file()
    card = json.loads((out / "student" / "model_card.json").read_text())
    assert card["architecture"] == "vgg_deep"
    assert card["training"]["config"]["teacher"] == str(out / "teacher.npz")
    assert card["training"]["config"]["init_from"] == str(out / "deep" / "emotion_cnn.keras")
    assert "the student model" in capsys.readouterr().out

    # everything is done: a second invocation runs nothing and changes nothing
    student_model = out / "student" / "emotion_cnn.keras"
    stamps = (student_model.stat().st_mtime_ns, (out / "teacher.npz").stat().st_mtime_ns)
    assert recipe.main(arguments) == 0
    printed = capsys.readouterr().out
    assert "$ " not in printed
    assert printed.count("skipped") == len(recipe.TEACHERS) + 1
    assert (student_model.stat().st_mtime_ns, (out / "teacher.npz").stat().st_mtime_ns) == stamps


def test_sigterm_stops_the_running_steps_with_the_recipe(recipe_data, tmp_path):
    out = tmp_path / "recipe"
    process = subprocess.Popen(
        [sys.executable, "-m", "training.recipe", "--data", str(recipe_data), "--out", str(out), "--parallel",
         "--cache-dir", ""],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    deadline = time.monotonic() + 180
    while not any(recipe.epochs_done(out / name) for name in recipe.TEACHERS):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no teacher finished an epoch in 3 minutes"
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "the same command continues" in stderr

    # no orphaned run keeps training behind the stopped recipe
    stopped_at = {name: recipe.epochs_done(out / name) for name in recipe.TEACHERS}
    time.sleep(5)
    assert {name: recipe.epochs_done(out / name) for name in recipe.TEACHERS} == stopped_at
    started = [name for name, done in stopped_at.items() if done]
    command = teacher_command(recipe_data, out, started[0])
    assert recipe.continuation(command, out / started[0]) == command + ["--resume"]


def test_scaled_keeps_at_least_one_epoch():
    assert recipe.scaled(["--arch", "x", "--epochs", "100"], 0.05) == ["--arch", "x", "--epochs", "5"]
    assert recipe.scaled(["--epochs", "100"], 0.0001) == ["--epochs", "1"]
