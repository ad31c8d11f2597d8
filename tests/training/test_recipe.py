"""The one-command recipe: its three rounds of three steps, the final recalibration and export end to end
(epochs scaled down), and later invocations continuing where an interrupted one stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from inference.classifiers.views import MIRROR, SERVED
from training import recipe

from .conftest import REPO_ROOT

pytestmark = pytest.mark.slow

# 0.02 gives every teacher 2 epochs and the student 1, so a teacher can be cut after its first
SCALE = "0.02"


@pytest.fixture
def recipe_data(class_folders):
    class_folders("data/train", 6)
    return class_folders("data/valid", 2, seed=1).parent


ROUND1, ROUND2, ROUND3 = recipe.ROUNDS


def teacher_command(data, out, name):
    return recipe.train_command(str(data), out / name, recipe.scaled(ROUND1.teachers[name], float(SCALE)),
                                ["--cache-dir", ""])


# three invocations, thirteen teachers, three students, all finished and exported: minutes on two cores
@pytest.mark.timeout(900)
def test_recipe_trains_three_rounds_then_recalibrates_exports_and_resumes(recipe_data, tmp_path, capsys):
    out = tmp_path / "recipe"
    arguments = ["--data", str(recipe_data), "--out", str(out), "--parallel", "--scale", SCALE, "--cache-dir", ""]
    # a teacher cut short after epoch 1, as a stopped earlier invocation leaves it
    subprocess.run(teacher_command(recipe_data, out / "round1", "deep") + ["--stop-after", "1"], check=True,
                   cwd=REPO_ROOT, capture_output=True)
    assert recipe.epochs_done(out / "round1" / "deep") == 1

    assert recipe.main(arguments) == 0
    for spec in recipe.ROUNDS:
        for name, teacher in spec.teachers.items():
            planned = recipe.planned_epochs(recipe.scaled(teacher, float(SCALE)))
            assert recipe.epochs_done(out / spec.name / name) == planned, (spec.name, name)
            assert (out / spec.name / name / "emotion_cnn.keras").is_file()
        assert (out / spec.name / "teacher.npz").is_file()
    assert "resuming vgg_deep after epoch 1" in (out / "round1" / "deep.log").read_text()
    assert "resuming" not in (out / "round1" / "compact.log").read_text()
    first = json.loads((out / "round1" / "student" / "model_card.json").read_text())["training"]["config"]
    assert first["init_from"] == str(out / "round1" / "deep" / "emotion_cnn.keras")
    assert first["teacher"] == str(out / "round1" / "teacher.npz")
    card = json.loads((out / "round2" / "student" / "model_card.json").read_text())
    assert card["architecture"] == "vgg_deep"
    assert card["training"]["config"]["init_from"] == str(out / "round1" / "student" / "emotion_cnn.keras")
    assert card["training"]["config"]["teacher"] == str(out / "round2" / "teacher.npz")
    # round 3 builds on the finished round-1 student: first of its ensemble, and where its student starts
    round1_model = out / "round1" / "recalibrated" / "emotion_cnn.keras"
    with np.load(out / "round3" / "teacher.npz") as targets:
        assert list(targets["models"]) == [str(round1_model)] + [
            str(out / "round3" / name / "emotion_cnn.keras") for name in ROUND3.teachers]
    third = json.loads((out / "round3" / "student" / "model_card.json").read_text())["training"]["config"]
    assert third["init_from"] == str(round1_model) and third["swa_epochs"] == 1
    for spec in recipe.ROUNDS:
        recalibrated = json.loads((out / spec.name / "recalibrated" / "model_card.json").read_text())
        assert recalibrated["batchnorm_recalibration"]["source_model"] == str(
            out / spec.name / "student" / spec.student_result)
        assert recalibrated["serving"]["source_model"] == str(out / spec.name / "recalibrated" / "emotion_cnn.keras")
    # the final folder holds the student whose served file scores best on valid/
    final = json.loads((out / "final" / "model_card.json").read_text())
    scores, chosen = final["selection"]["served_valid_accuracy"], final["selection"]["chosen"]
    assert set(scores) == {"round1", "round2", "round3"} and scores[chosen] == max(scores.values())
    assert scores[chosen] == final["serving"]["validation"]["accuracy"]
    for name in ("emotion_cnn.keras", "emotion_cnn.tflite", "confusion_matrix_served.png"):
        assert (out / "final" / name).read_bytes() == (out / chosen / "recalibrated" / name).read_bytes()
    assert f"the final model ({chosen}'s student): {out / 'final' / 'emotion_cnn.keras'}" in capsys.readouterr().out

    # everything is done: a second invocation runs nothing and changes nothing
    student_model, final_model = out / "round2" / "student" / "emotion_cnn.keras", out / "final" / "emotion_cnn.keras"
    served = out / "final" / "emotion_cnn.tflite"
    stamps = (student_model.stat().st_mtime_ns, (out / "round2" / "teacher.npz").stat().st_mtime_ns,
              final_model.stat().st_mtime_ns, served.stat().st_mtime_ns)
    assert recipe.main(arguments) == 0
    printed = capsys.readouterr().out
    assert "$ " not in printed
    # per round: teachers, student, recalibration, export; round 1's last two again as round 3's base;
    # then the selection
    assert printed.count("skipped") == sum(len(spec.teachers) + 3 for spec in recipe.ROUNDS) + 2 + 1
    assert (student_model.stat().st_mtime_ns, (out / "round2" / "teacher.npz").stat().st_mtime_ns,
            final_model.stat().st_mtime_ns, served.stat().st_mtime_ns) == stamps

    # a card scored with other views than the served ones (an older export) is exported again, so the
    # selection compares like with like
    round2_card = out / "round2" / "recalibrated" / "model_card.json"
    stale = json.loads(round2_card.read_text())
    stale["serving"]["views"] = MIRROR.to_dict()
    round2_card.write_text(json.dumps(stale))
    assert recipe.main(arguments) == 0
    printed = capsys.readouterr().out
    assert printed.count("$ ") == 1 and "training.export" in printed and str(round2_card.parent) in printed
    assert json.loads(round2_card.read_text())["serving"]["views"] == SERVED.to_dict()

    # a retrained round-1 student makes stale the round-2 student, which starts from it, round 3's soft
    # targets and student, which build on it once recalibrated, and every recalibrated and served file;
    # the teachers are not
    (out / "round1" / "student" / "checkpoints" / "state.json").unlink()
    assert recipe.main(arguments) == 0
    printed = capsys.readouterr().out
    # round-1 student, round-2 student, round 1 finished, round-3 targets and student, rounds 2 and 3 finished
    assert printed.count("$ ") == 1 + 1 + 2 + 2 + 4
    assert printed.count("skipped") == sum(len(spec.teachers) for spec in recipe.ROUNDS) + 2
    assert student_model.stat().st_mtime_ns != stamps[0]
    for spec in recipe.ROUNDS:
        assert (out / spec.name / "recalibrated" / "emotion_cnn.tflite").stat().st_mtime_ns > stamps[0]
    assert (out / "round2" / "teacher.npz").stat().st_mtime_ns == stamps[1]
    assert (out / "round3" / "teacher.npz").stat().st_mtime_ns > stamps[0]


def test_sigterm_stops_the_running_steps_with_the_recipe(recipe_data, tmp_path):
    out = tmp_path / "recipe"
    process = subprocess.Popen(
        [sys.executable, "-m", "training.recipe", "--data", str(recipe_data), "--out", str(out), "--parallel",
         "--cache-dir", ""],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    deadline = time.monotonic() + 180
    while not any(recipe.epochs_done(out / "round1" / name) for name in ROUND1.teachers):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no teacher finished an epoch in 3 minutes"
        time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    assert "the same command continues" in stderr

    # no orphaned run keeps training behind the stopped recipe
    stopped_at = {name: recipe.epochs_done(out / "round1" / name) for name in ROUND1.teachers}
    time.sleep(5)
    assert {name: recipe.epochs_done(out / "round1" / name) for name in ROUND1.teachers} == stopped_at
    started = [name for name, done in stopped_at.items() if done]
    command = teacher_command(recipe_data, out / "round1", started[0])
    assert recipe.continuation(command, out / "round1" / started[0]) == command + ["--resume"]


def test_scaled_keeps_at_least_one_epoch_and_scales_a_stop_too():
    assert recipe.scaled(["--arch", "x", "--epochs", "100"], 0.05) == ["--arch", "x", "--epochs", "5"]
    assert recipe.scaled(["--epochs", "100"], 0.0001) == ["--epochs", "1"]
    assert recipe.scaled(["--epochs", "100", "--stop-after", "60"], 0.05) == ["--epochs", "5", "--stop-after", "3"]


def test_scaled_drops_replayed_replans_and_keeps_an_average_possible():
    replayed = ["--epochs", "150", "--replan", "1:91,13:66", "--seed", "3"]
    assert recipe.scaled(replayed, 1.0) == replayed
    assert recipe.planned_epochs(replayed) == 66
    assert recipe.planned_epochs(replayed + ["--stop-after", "53"]) == 53
    assert recipe.scaled(replayed, 0.1) == ["--epochs", "15", "--seed", "3"]
    assert recipe.scaled(["--epochs", "40", "--swa-epochs", "10"], 0.02) == ["--epochs", "2", "--swa-epochs", "1"]


def test_a_run_cut_by_stop_after_counts_as_done_at_that_epoch(tmp_path):
    command = ["--epochs", "73", "--stop-after", "61"]
    assert recipe.planned_epochs(command) == 61
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "state.json").write_text(json.dumps({"epochs_completed": 61}))
    assert recipe.continuation(command, tmp_path) is None
