"""`manage.py analyze_image` and `manage.py ensure_demo_user`."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from PIL import Image

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")


@pytest.mark.slow
def test_json_report_for_several_images_with_annotated_copies(samples_dir, tmp_path, capsys):
    paths = [samples_dir / name for name in ("multi_face.jpg", "single_face.jpg", "no_faces.jpg")]

    call_command("analyze_image", *map(str, paths), "--json", "--out", str(tmp_path))

    reports = json.loads(capsys.readouterr().out)
    assert [len(report["faces"]) for report in reports] == [5, 1, 0]
    for report in reports:
        annotated = Image.open(report["annotated_image"])
        assert annotated.format == "JPEG"
        assert annotated.size == (report["width"], report["height"])
        for face in report["faces"]:
            assert list(face["probabilities"]) == list(EMOTIONS)
            assert sum(face["probabilities"].values()) == pytest.approx(100.0, abs=0.5)
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


def test_unreadable_files_are_reported_and_fail_the_command(tmp_path, capsys):
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("meeting notes")

    with pytest.raises(CommandError, match="2 of 2 image"):
        call_command("analyze_image", str(not_an_image), str(tmp_path / "missing.jpg"), "--out", str(tmp_path))

    err = capsys.readouterr().err
    assert "notes.png: This file is not a supported image" in err
    assert "missing.jpg" in err


@pytest.mark.django_db
def test_ensure_demo_user_creates_the_account_once_and_resets_its_password(capsys):
    call_command("ensure_demo_user")
    user = get_user_model().objects.get(username="demo")
    assert user.check_password("demo-producer")

    user.set_password("changed")
    user.save()
    call_command("ensure_demo_user")

    assert get_user_model().objects.filter(username="demo").count() == 1
    user.refresh_from_db()
    assert user.check_password("demo-producer")
    assert "demo / demo-producer" in capsys.readouterr().out
