"""process_video / iter_video_frames / probe_video on the sample clips and copies made from them.

Clips are made with the ffmpeg CLI (scripts/test.sh installs it) and kept tiny."""

from __future__ import annotations

import csv
import inspect
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from inference import CSV_COLUMNS, EMOTIONS, VideoOptions, iter_video_frames, probe_video, process_video


def ffmpeg(*args) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.fail("The ffmpeg CLI makes the test clips; install it (scripts/test.sh does).")
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def stream_facts(path: Path) -> dict:
    """What a player sees: codec, pixel format, size, decoded frame count, video and audio."""
    import av

    with av.open(str(path)) as container:
        video = container.streams.video[0]
        facts = {
            "codec": video.codec_context.name, "pix_fmt": video.codec_context.pix_fmt,
            "size": (video.codec_context.width, video.codec_context.height),
            "duration_s": float(video.duration * video.time_base) if video.duration else container.duration / 1e6,
            "rate": video.average_rate,
            "audio": [stream.codec_context.codec.canonical_name for stream in container.streams.audio],
        }
        facts["frames"] = sum(1 for _ in container.decode(video=0))
    return facts


def run_video(source: Path, out_dir: Path, engine_options, **video_options):
    out_dir.mkdir(parents=True, exist_ok=True)
    calls = []
    result = process_video(
        source, annotated_path=out_dir / "annotated.mp4", timeline_csv_path=out_dir / "timeline.csv",
        timeline_json_path=out_dir / "timeline.json", options=engine_options,
        video_options=VideoOptions(**video_options), progress=lambda *args: calls.append(args))
    return result, calls


def csv_rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def box_centres(rows: list[dict]) -> np.ndarray:
    return np.array([(int(r["x"]) + int(r["w"]) / 2, int(r["y"]) + int(r["h"]) / 2) for r in rows])


@pytest.fixture(scope="module")
def single_face(sample_path, engine_options, tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("single_face")
    result, calls = run_video(sample_path("single_face.mp4"), out_dir, engine_options)
    return result, calls, out_dir


@pytest.fixture(scope="module")
def vertical_clips(sample_path, tmp_path_factory):
    """The sample made portrait (face upright), and the way phones store that: frames turned
    sideways plus display-matrix metadata saying how to turn them back."""
    folder = tmp_path_factory.mktemp("vertical")
    upright, sideways, rotated = folder / "upright.mp4", folder / "sideways.mp4", folder / "rotated.mp4"
    ffmpeg("-i", sample_path("single_face.mp4"), "-vf", "crop=360:360:140:0,pad=360:640:0:140",
           "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", upright)
    ffmpeg("-i", upright, "-vf", "transpose=1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "copy", sideways)
    ffmpeg("-i", sideways, "-c", "copy", "-metadata:s:v:0", "rotate=90", rotated)
    return upright, rotated


def test_single_face_is_one_track_covering_most_frames(single_face):
    result, _, out_dir = single_face
    assert result.frames == 72
    assert len(result.tracks) == 1
    track = result.tracks[0]
    assert track.track_id == 1 and track.frames >= 0.9 * result.frames
    assert sum(track.to_dict()["shares"].values()) == pytest.approx(1.0, abs=1e-3)
    rows = csv_rows(out_dir / "timeline.csv")
    assert len(rows) == track.frames and {row["track_id"] for row in rows} == {"1"}
    assert [int(row["frame"]) for row in rows] == sorted(int(row["frame"]) for row in rows)
    centre = box_centres(rows).mean(axis=0)
    assert 200 < centre[0] < 400 and 120 < centre[1] < 260, "the box sits on the face in the middle"


def test_timeline_csv_and_json_follow_the_contract(single_face):
    result, _, out_dir = single_face
    with (out_dir / "timeline.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == list(CSV_COLUMNS) == ["time_s", "frame", "track_id", "x", "y", "w", "h", *EMOTIONS]
    rows = csv_rows(out_dir / "timeline.csv")
    for row in rows:
        assert sum(float(row[name]) for name in EMOTIONS) == pytest.approx(1.0, abs=2e-3)
    document = json.loads((out_dir / "timeline.json").read_text())
    assert len(document["rows"]) == len(rows)
    assert document["rows"][5]["box"] == [int(rows[5][key]) for key in "xywh"]
    assert document["tracks"] == [track.to_dict() for track in result.tracks]
    summary = result.to_dict()
    json.dumps(summary)
    assert summary["tracks"][0]["dominant"] in EMOTIONS
    assert 0 < len(summary["chart"]) <= VideoOptions().chart_points
    assert set(summary["chart"][0]) == {"time_s", "track_id", "probabilities"}
    assert summary["realtime_factor"] > 0 and summary["timings"]["total"] > 0


def test_annotated_video_is_browser_h264_with_the_input_frames_duration_and_audio(single_face, sample_path):
    _, _, out_dir = single_face
    source, annotated = stream_facts(sample_path("single_face.mp4")), stream_facts(out_dir / "annotated.mp4")
    assert annotated["codec"] == "h264" and annotated["pix_fmt"] == "yuv420p"
    assert annotated["size"] == source["size"]
    assert annotated["frames"] == source["frames"] == 72
    assert annotated["rate"] == source["rate"]
    assert annotated["duration_s"] == pytest.approx(source["duration_s"], abs=0.001)
    assert annotated["audio"] == source["audio"] == ["mp3"]
    data = (out_dir / "annotated.mp4").read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "faststart: the index comes first"


def test_annotated_frames_carry_the_drawing(single_face, sample_path):
    import av

    _, _, out_dir = single_face
    with av.open(str(sample_path("single_face.mp4"))) as plain, av.open(str(out_dir / "annotated.mp4")) as drawn:
        before = next(plain.decode(video=0)).to_ndarray(format="bgr24").astype(int)
        after = next(drawn.decode(video=0)).to_ndarray(format="bgr24").astype(int)
    changed = np.abs(after - before).max(axis=2) > 60
    assert changed.mean() > 0.01, "boxes, labels and bars are drawn"


def test_progress_is_reported_and_reaches_the_end(single_face):
    _, calls, _ = single_face
    assert calls[-1][0] == calls[-1][1] == 72 and calls[-1][2] > 0
    assert [call[0] for call in calls] == sorted(call[0] for call in calls)


def test_only_the_finished_files_are_left(single_face):
    _, _, out_dir = single_face
    assert sorted(path.name for path in out_dir.iterdir()) == ["annotated.mp4", "timeline.csv", "timeline.json"]


def test_a_video_without_faces_gives_an_empty_timeline(sample_path, engine_options, tmp_path):
    result, _ = run_video(sample_path("no_face.mp4"), tmp_path, engine_options)
    assert result.tracks == [] and result.chart == []
    assert (tmp_path / "timeline.csv").read_text().strip() == ",".join(CSV_COLUMNS)
    assert json.loads((tmp_path / "timeline.json").read_text())["rows"] == []
    source, annotated = stream_facts(sample_path("no_face.mp4")), stream_facts(tmp_path / "annotated.mp4")
    assert annotated["frames"] == source["frames"] == result.frames
    assert annotated["duration_s"] == pytest.approx(source["duration_s"], abs=0.05)
    assert annotated["audio"] == ["aac"]


def test_a_rotated_phone_video_is_analysed_upright(vertical_clips, engine_options, tmp_path):
    upright, rotated = vertical_clips
    info = probe_video(rotated)
    assert (info.width, info.height, info.rotation) == (360, 640, 90)

    reference, _ = run_video(upright, tmp_path / "upright", engine_options)
    result, _ = run_video(rotated, tmp_path / "rotated", engine_options)
    assert len(result.tracks) == 1 and result.tracks[0].frames >= 0.9 * result.frames
    assert stream_facts(tmp_path / "rotated" / "annotated.mp4")["size"] == (360, 640)
    expected = box_centres(csv_rows(tmp_path / "upright" / "timeline.csv"))
    found = box_centres(csv_rows(tmp_path / "rotated" / "timeline.csv"))
    assert len(expected) == len(found) == reference.tracks[0].frames
    assert np.abs(found - expected).mean() < 8, "boxes are in the upright portrait frame"


def test_frames_over_max_side_are_scaled_but_boxes_stay_in_video_pixels(single_face, sample_path,
                                                                       engine_options, tmp_path):
    result, _ = run_video(sample_path("single_face.mp4"), tmp_path, engine_options, max_side=320)
    assert (result.width, result.height) == (320, 180)
    assert stream_facts(tmp_path / "annotated.mp4")["size"] == (320, 180)
    full = box_centres(csv_rows(single_face[2] / "timeline.csv")).mean(axis=0)
    small = box_centres(csv_rows(tmp_path / "timeline.csv")).mean(axis=0)
    assert np.abs(full - small).max() < 12


def test_audio_that_mp4_cannot_carry_is_reencoded_as_aac(engine_options, tmp_path):
    clip = tmp_path / "pcm.mkv"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=15", "-f", "lavfi", "-i", "sine=frequency=440",
           "-t", "1", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "pcm_s16le", clip)
    result, _ = run_video(clip, tmp_path / "out", engine_options)
    facts = stream_facts(tmp_path / "out" / "annotated.mp4")
    assert facts["audio"] == ["aac"] and facts["frames"] == result.frames == 15


@pytest.mark.parametrize("name, video, audio, expected_audio", [
    ("clip.webm", ("libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"), ("libopus",), ["opus"]),
    ("clip.avi", ("mjpeg",), ("pcm_s16le",), ["aac"]),
    ("clip.mov", ("libx264", "-preset", "ultrafast"), None, []),
])
def test_other_containers_codecs_and_no_audio(engine_options, tmp_path, name, video, audio, expected_audio):
    clip = tmp_path / name
    inputs = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=12"]
    if audio:
        inputs += ["-f", "lavfi", "-i", "sine=frequency=300"]
    ffmpeg(*inputs, "-t", "1", "-c:v", *video, *(("-c:a", *audio) if audio else ()), clip)
    result, _ = run_video(clip, tmp_path / "out", engine_options)
    facts = stream_facts(tmp_path / "out" / "annotated.mp4")
    assert facts["codec"] == "h264" and facts["audio"] == expected_audio
    assert facts["frames"] == result.frames == stream_facts(clip)["frames"] == 12
    assert result.info.has_audio == bool(audio)


def test_iter_video_frames_is_a_lazy_generator(sample_path, engine_options):
    frames = iter_video_frames(sample_path("single_face.mp4"), options=engine_options,
                               video_options=VideoOptions(detect_every=3))
    assert inspect.isgenerator(frames)
    first = next(frames)
    assert (first.index, first.time_s) == (0, 0.0)
    assert first.image.shape == (360, 640, 3)
    seen = [first] + [next(frames) for _ in range(5)]
    frames.close()
    assert [frame.index for frame in seen] == list(range(6))
    assert all(len(frame.faces) == 1 and frame.faces[0].track_id == 1 for frame in seen)
    assert [frame.faces[0].detected for frame in seen] == [True, False, False, True, False, False]


def test_smoothing_steadies_the_probabilities(sample_path, engine_options):
    def jitter(smoothing):
        frames = iter_video_frames(sample_path("single_face.mp4"), options=engine_options,
                                   video_options=VideoOptions(smoothing=smoothing))
        series = np.array([[f.faces[0].probabilities[name] for name in EMOTIONS] for f in frames if f.faces])
        return np.abs(np.diff(series, axis=0)).sum(axis=1).mean()

    assert jitter(0.5) < 0.5 * jitter(0.0)
