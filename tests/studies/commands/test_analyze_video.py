"""`manage.py analyze_video PATH [--out OUT.mp4] [--csv OUT.csv] [--json]`."""

import csv
import json
import re
import sys
import time
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

import inference
from inference.pipeline import Engine

from tests.studies.video_helpers import video_frame_count_and_duration

SINGLE_FACE_FRAMES = 72


@pytest.mark.slow
def test_json_report_with_the_annotated_video_and_timeline(samples_dir, tmp_path, capsys):
    out, timeline = tmp_path / "out" / "annotated.mp4", tmp_path / "timeline.csv"

    call_command("analyze_video", str(samples_dir / "single_face.mp4"), "--out", str(out), "--csv", str(timeline),
                 "--json")

    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["path"] == str(samples_dir / "single_face.mp4"), "the key both image CLIs use"
    assert report["annotated_video"] == str(out) and report["timeline_csv"] == str(timeline)
    assert len(report["tracks"]) == 1
    assert report["info"]["frame_count"] == SINGLE_FACE_FRAMES
    frames, duration, codec = video_frame_count_and_duration(out)
    assert (frames, codec) == (SINGLE_FACE_FRAMES, "h264")
    assert duration == pytest.approx(2.4, abs=0.05)
    with open(timeline, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["time_s", "frame", "track_id"] and len(rows) > 1
    assert json.loads((tmp_path / "timeline.json").read_text())
    assert f"{SINGLE_FACE_FRAMES}/{SINGLE_FACE_FRAMES}" in captured.err, "tqdm drew the progress bar on stderr"


@pytest.mark.slow
def test_text_report_names_each_track(samples_dir, tmp_path, capsys):
    call_command("analyze_video", str(samples_dir / "no_face.mp4"), "--out", str(tmp_path / "a.mp4"),
                 "--no-progress")

    out = capsys.readouterr().out
    assert "no_face.mp4: 0 face track(s) (960x540, 98 frames, 3.9 s" in out
    assert (tmp_path / "no_face_timeline.csv").is_file()


def test_unreadable_video_fails_the_command_with_the_reason(tmp_path):
    bad = tmp_path / "cut.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100)
    with pytest.raises(CommandError, match="cut.mp4: The video file is corrupt"):
        call_command("analyze_video", str(bad), "--out", str(tmp_path / "x.mp4"), "--no-progress")
    assert not (tmp_path / "x.mp4").exists()


def test_a_directory_is_named_as_one(samples_dir):
    with pytest.raises(CommandError, match="is a directory, not a video file"):
        call_command("analyze_video", str(samples_dir), "--no-progress")


def test_progress_bar_opens_once_the_models_are_loaded(samples_dir, tmp_path, capsys, monkeypatch):
    load_s = 0.5

    def slow_warm_up(engine, detectors=()):
        time.sleep(load_s)
        print("models loaded", file=sys.stderr)  # as TensorFlow's log lines are
        return engine

    def analyse_at_once(path, *, progress, **kwargs):
        progress(SINGLE_FACE_FRAMES // 2, SINGLE_FACE_FRAMES, 0.0)
        progress(SINGLE_FACE_FRAMES, SINGLE_FACE_FRAMES, 0.0)
        return SimpleNamespace(to_dict=lambda: {"tracks": []})

    monkeypatch.setattr(Engine, "warm_up", slow_warm_up)
    monkeypatch.setattr(inference, "process_video", analyse_at_once)
    call_command("analyze_video", str(samples_dir / "single_face.mp4"), "--out", str(tmp_path / "a.mp4"), "--json")

    err = capsys.readouterr().err
    assert "Analysing" not in err.split("models loaded")[0], "no bar drawn before the load (it would show twice)"
    final_rate = float(re.findall(r"([\d.]+)frame/s\]", err)[-1])
    assert final_rate > SINGLE_FACE_FRAMES / load_s, "frames/s counts the analysis, not the model load"
