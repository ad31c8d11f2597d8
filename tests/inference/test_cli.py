import json

from inference.cli import main


def test_cli_prints_json_and_writes_annotated_images(tiny_model_path, sample_path, tmp_path, capsys):
    out = tmp_path / "out"
    code = main([str(sample_path("multi_face.jpg")), str(sample_path("no_faces.jpg")), "--json",
                 "--out", str(out), "--model", str(tiny_model_path)])
    assert code == 0
    results = json.loads(capsys.readouterr().out)
    assert [len(r["faces"]) for r in results] == [5, 0]
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
