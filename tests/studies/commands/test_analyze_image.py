"""`manage.py analyze_image`."""

import json

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

from inference import DETECTORS
from inference.cli import main as inference_cli
from studies.management.commands.analyze_image import Command as AnalyzeImage

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@pytest.mark.slow
def test_json_report_for_several_images_with_annotated_copies(samples_dir, tmp_path, capsys):
    paths = [samples_dir / name for name in ("multi_face.jpg", "single_face.jpg", "no_faces.jpg")]

    call_command("analyze_image", *map(str, paths), "--json", "--out", str(tmp_path))

    reports = json.loads(capsys.readouterr().out)
    assert [len(report["faces"]) for report in reports] == [5, 1, 0]
    assert [report["path"] for report in reports] == list(map(str, paths))
    for report in reports:
        annotated = Image.open(report["annotated_image"])
        assert annotated.format == "JPEG"
        assert annotated.size == (report["width"], report["height"])
        for face in report["faces"]:
            assert list(face["probabilities"]) == list(EMOTIONS)
            # Fractions 0..1, as the REST API and `python -m inference.cli --json`.
            assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
            assert face["confidence"] == max(face["probabilities"].values())
            assert face["label"] in EMOTIONS
            assert len(face["box"]) == 4
    assert (tmp_path / "multi_face_annotated.jpg").is_file()


@pytest.mark.slow
def test_text_report_lists_each_face_in_percent(samples_dir, tmp_path, capsys):
    call_command("analyze_image", str(samples_dir / "single_face.jpg"), "--out", str(tmp_path))

    out = capsys.readouterr().out
    assert "single_face.jpg: 1 face(s)" in out
    assert "face 1:" in out
    assert "box x=" in out
    for emotion in EMOTIONS:
        assert f"{emotion} " in out and "%" in out
    assert str(tmp_path / "single_face_annotated.jpg") in out


@pytest.mark.slow
def test_json_agrees_with_the_library_cli(samples_dir, tmp_path, capsys):
    path = str(samples_dir / "single_face.jpg")
    call_command("analyze_image", path, "--json", "--out", str(tmp_path))
    (command_report,) = json.loads(capsys.readouterr().out)
    model = ["--model", settings.FER_MODEL_PATH] if settings.FER_MODEL_PATH else []
    assert inference_cli([path, "--json", *model]) == 0
    (library_report,) = json.loads(capsys.readouterr().out)

    assert command_report["path"] == library_report["path"] == path
    (command_face,), (library_face,) = command_report["faces"], library_report["faces"]
    assert command_face["label"] == library_face["label"]
    assert command_face["confidence"] == pytest.approx(library_face["confidence"], abs=1e-6)
    assert command_face["probabilities"] == pytest.approx(library_face["probabilities"], abs=1e-6)


def test_an_unknown_detector_is_refused_naming_the_choices(samples_dir, tmp_path):
    with pytest.raises(CommandError, match="invalid choice: 'foo'") as refused:
        call_command("analyze_image", str(samples_dir / "single_face.jpg"), "--detector", "foo",
                     "--out", str(tmp_path))
    assert all(name in str(refused.value) for name in DETECTORS)


def test_help_lists_the_detectors():
    usage = AnalyzeImage().create_parser("manage.py", "analyze_image").format_help()
    assert "{" + ",".join(sorted(DETECTORS)) + "}" in usage


def test_a_directory_is_named_as_one(samples_dir, tmp_path, capsys):
    with pytest.raises(CommandError, match="1 of 1 image"):
        call_command("analyze_image", str(samples_dir), "--out", str(tmp_path))
    assert f"{samples_dir}: is a directory, not an image file" in capsys.readouterr().err


def test_unreadable_files_are_reported_and_fail_the_command(tmp_path, capsys):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("meeting notes")

    with pytest.raises(CommandError, match="2 of 2 image"):
        call_command("analyze_image", str(not_an_image), str(tmp_path / "missing.jpg"), "--out", str(tmp_path))

    err = capsys.readouterr().err
    assert "notes.png: This file is not a supported image" in err
    assert "missing.jpg" in err
