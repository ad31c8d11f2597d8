"""training.evaluate: figures on real FER2013 faces, and one-line errors for bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from inference.labels import EMOTIONS
from inference.classifiers.views import MIRROR, ONE, SERVED
from training import evaluate

from .conftest import REPO_ROOT

SHIPPED_MODEL = REPO_ROOT / "models" / "emotion_cnn.tflite"


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "training.evaluate", *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=240)


@pytest.mark.slow
def test_json_on_real_validation_faces_gives_sane_figures(fer_valid_slice):
    result = _run_cli("--data", str(fer_valid_slice), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)  # stdout is exactly one JSON object
    assert report["n"] == 7 * 6
    assert set(report["per_class"]) == set(EMOTIONS)
    for figures in report["per_class"].values():
        assert 0.0 <= figures["recall"] <= 1.0 and 0.0 <= figures["precision"] <= 1.0
    confusion = report["confusion"]
    assert len(confusion) == 7 and all(len(row) == 7 for row in confusion)
    assert [sum(row) for row in confusion] == [6] * 7  # rows are the true classes
    assert report["accuracy"] == pytest.approx(sum(confusion[i][i] for i in range(7)) / 42)
    # chance is 1/7; the shipped model must do far better even on a few faces
    assert report["accuracy"] >= 0.35 and report["macro_f1"] >= 0.25
    assert report["model"] == str(SHIPPED_MODEL) and report["views"] == SERVED.to_dict()  # as the product runs


@pytest.mark.slow
@pytest.mark.parametrize("flags, views", [(["--no-mirror"], ONE), (["--views", "one"], ONE),
                                          (["--views", "mirror"], MIRROR)])
def test_views_flags_score_the_faces_in_those_views(fer_valid_slice, capsys, flags, views):
    from inference.classifiers import EmotionClassifier
    from training.data import load_class_folders

    split = load_class_folders(fer_valid_slice)
    predicted = EmotionClassifier(SHIPPED_MODEL, views=views).predict(split.images).argmax(axis=1)
    assert evaluate.main(["--data", str(fer_valid_slice), "--json", *flags]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["views"] == views.to_dict() and report["mirror"] is views.mirror
    assert report["accuracy"] == pytest.approx(float((predicted == split.labels).mean()))


def _expect_one_line_error(capsys, argv, fragment):
    assert evaluate.main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], captured.err
    assert captured.out == ""


def test_missing_class_folder(class_folders, capsys):
    data = class_folders("data", 1)
    (data / "disgust" / "disgust_0.png").unlink()
    (data / "disgust").rmdir()
    _expect_one_line_error(capsys, ["--data", str(data), "--model", str(SHIPPED_MODEL)], "disgust")


def test_missing_dataset_folder(tmp_path, capsys):
    _expect_one_line_error(capsys, ["--data", str(tmp_path / "nope")], "not found")


def test_empty_class_folder(class_folders, capsys):
    data = class_folders("data", 1)
    (data / "fear" / "fear_0.png").unlink()
    _expect_one_line_error(capsys, ["--data", str(data), "--model", str(SHIPPED_MODEL)], "fear")


def test_unreadable_image(class_folders, capsys):
    data = class_folders("data", 1)
    (data / "sad" / "broken.jpg").write_bytes(b"not a jpeg at all")
    _expect_one_line_error(capsys, ["--data", str(data), "--model", str(SHIPPED_MODEL)], "broken.jpg")


def test_wrong_model_path(class_folders, tmp_path, capsys):
    data = class_folders("data", 1)
    _expect_one_line_error(capsys, ["--data", str(data), "--model", str(tmp_path / "missing.keras")],
                           "missing.keras")


def test_model_that_is_not_a_model(class_folders, tmp_path, capsys):
    data = class_folders("data", 1)
    bogus = tmp_path / "bogus.keras"
    bogus.write_bytes(b"garbage")
    _expect_one_line_error(capsys, ["--data", str(data), "--model", str(bogus)], "bogus.keras")


@pytest.mark.slow
def test_cli_error_has_no_traceback(tmp_path):
    result = _run_cli("--data", str(tmp_path / "absent"), "--json")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.strip().splitlines()[-1].startswith("error: dataset folder not found")
