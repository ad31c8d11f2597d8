import json
import time

import pytest

from inference.cli import main
from inference.detectors import DETECTORS


def test_cli_prints_json_and_writes_annotated_images(tiny_model_path, sample_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = main([str(sample_path("multi_face.jpg")), str(sample_path("no_faces.jpg")), "--json",
                 "--out", str(out), "--model", str(tiny_model_path)])
    assert code == 0
    results = json.loads(capsys.readouterr().out)
    assert [len(r["faces"]) for r in results] == [5, 0]
    assert results[0]["path"] == str(sample_path("multi_face.jpg")), "the key manage.py analyze_image uses"
    for face in results[0]["faces"]:  # fractions 0..1, as the REST API
        assert sum(face["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
        assert face["confidence"] == max(face["probabilities"].values()) <= 1.0
    assert (out / "multi_face_annotated.jpg").read_bytes().startswith(b"\xff\xd8")
    assert (out / "no_faces_annotated.jpg").is_file()


def test_cli_reports_bad_files_and_fails(tiny_model_path, sample_path, tmp_path, capsys):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image")
    code = main([str(text), str(sample_path("single_face.jpg")), "--model", str(tiny_model_path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "Accepted formats" in captured.err
    assert "1 face(s)" in captured.out


def test_cli_times_the_analysis_not_the_model_load(tiny_model_path, sample_path, capsys, monkeypatch):
    def slow_to_load_haar(min_face_size):
        time.sleep(1.0)
        return DETECTORS["haar"](min_face_size)

    monkeypatch.setitem(DETECTORS, "slow_to_load_haar", slow_to_load_haar)
    code = main([str(sample_path("single_face.jpg")), "--json", "--detector", "slow_to_load_haar",
                 "--model", str(tiny_model_path)])
    assert code == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["timings_ms"]["total"] < 1000, "the detector's one-second load is not the image's time"
