"""Bad video input: each case raises its typed InferenceError, and nothing is left behind."""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from inference import (
    CorruptVideoError,
    EmptyFileError,
    NoVideoStreamError,
    UnsupportedFormatError,
    UnsupportedVideoCodecError,
    VideoLimits,
    VideoOptions,
    VideoTooLargeError,
    VideoTooLongError,
    iter_video_frames,
    probe_video,
    process_video,
)


def ffmpeg(*args) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.fail("The ffmpeg CLI makes the test clips; install it (scripts/test.sh does).")
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def process(source: Path, out_dir: Path, engine_options, **video_options):
    out_dir.mkdir(exist_ok=True)
    return process_video(source, annotated_path=out_dir / "a.mp4", timeline_csv_path=out_dir / "t.csv",
                         timeline_json_path=out_dir / "t.json", options=engine_options,
                         video_options=VideoOptions(**video_options))


@pytest.fixture(scope="module")
def faststart_copy(sample_path, tmp_path_factory) -> Path:
    """single_face.mp4 with its index (moov) first, as phones and web encoders write it."""
    path = tmp_path_factory.mktemp("faststart") / "faststart.mp4"
    ffmpeg("-i", sample_path("single_face.mp4"), "-c", "copy", "-movflags", "+faststart", path)
    return path


def test_an_empty_file(tmp_path):
    path = tmp_path / "empty.mp4"
    path.write_bytes(b"")
    with pytest.raises(EmptyFileError):
        probe_video(path)


@pytest.mark.parametrize("name, content", [("notes.mp4", b"just some text\n" * 50),
                                           ("random.avi", random.Random(4).randbytes(5000))])
def test_files_that_are_not_video(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnsupportedFormatError, match="not a supported video. Accepted formats: mp4, mov"):
        probe_video(path)


def test_a_photo_is_not_a_video(sample_path):
    with pytest.raises(UnsupportedFormatError, match="not a supported video"):
        probe_video(sample_path("single_face.jpg"))


@pytest.mark.parametrize("suffix, codec", [(".m4a", "aac"), (".mp3", "copy")])
def test_an_audio_only_file(sample_path, tmp_path, suffix, codec):
    path = tmp_path / f"audio{suffix}"
    ffmpeg("-i", sample_path("single_face.mp4"), "-vn", "-c:a", codec, path)
    with pytest.raises(NoVideoStreamError, match="no video track"):
        probe_video(path)


def test_an_mp4_cut_before_its_index(sample_path, tmp_path):
    data = sample_path("single_face.mp4").read_bytes()
    assert data.find(b"moov") > len(data) // 2, "this sample keeps its index at the end"
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CorruptVideoError, match="corrupt or truncated"):
        probe_video(path)


def test_an_mp4_cut_after_its_index_is_refused_by_the_probe_and_fails_without_output(
        faststart_copy, engine_options, tmp_path):
    path = tmp_path / "cut.mp4"
    data = faststart_copy.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    # the index is intact and the first frame decodes; where the packets stop gives it away at upload
    with pytest.raises(CorruptVideoError, match=r"truncated: the file ends after 1\.\d s of its 2\.4 s"):
        probe_video(path)
    with pytest.raises(CorruptVideoError, match=r"truncated: the file ends after \d+ of its 72 frames"):
        process(path, tmp_path / "out", engine_options)
    assert list((tmp_path / "out").iterdir()) == [], "no partial output"


@pytest.mark.parametrize("before_input, after_input", [
    (("-ss", "0.5"), ("-c", "copy")),  # an edit list: the stream starts before what is shown
    ((), ("-c:v", "libx264", "-bf", "3", "-c:a", "aac", "-movflags", "+faststart")),  # B-frames, index first
])
def test_whole_mp4s_pass_the_probes_end_check(sample_path, tmp_path, before_input, after_input):
    path = tmp_path / "whole.mp4"
    ffmpeg(*before_input, "-i", sample_path("single_face.mp4"), *after_input, path)
    assert probe_video(path).frame_count > 0


def test_damage_inside_the_stream_is_skipped_like_players_do(faststart_copy, engine_options, tmp_path):
    data = bytearray(faststart_copy.read_bytes())
    noise = random.Random(1)
    middle = len(data) // 2
    data[middle:middle + 20000] = noise.randbytes(20000)
    path = tmp_path / "damaged.mp4"
    path.write_bytes(bytes(data))
    result = process(path, tmp_path / "out", engine_options)
    assert 0.5 * 72 < result.frames < 72
    assert len(result.tracks) == 1


def test_a_video_whose_frames_all_fail_to_decode(tmp_path):
    clip = tmp_path / "ten_frames.mp4"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "1", "-c:v", "libx264", "-movflags", "+faststart",
           clip)
    data = bytearray(clip.read_bytes())
    start = data.find(b"mdat")
    size = struct.unpack(">I", data[start - 4:start])[0]
    data[start + 4:start - 4 + size] = bytes(size - 8)  # every frame's bytes zeroed, the index intact
    blank = tmp_path / "blank.mp4"
    blank.write_bytes(bytes(data))
    with pytest.raises(CorruptVideoError, match="no frames that can be decoded"):
        probe_video(blank)


def test_an_mp4_with_an_empty_video_track(tmp_path):
    import av

    path = tmp_path / "empty_track.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    # FFmpeg drops a track without samples, so this reads as a file without video.
    with pytest.raises(NoVideoStreamError):
        probe_video(path)


def test_an_unreadable_codec(tmp_path):
    clip = tmp_path / "mjpeg.avi"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "1", "-c:v", "mjpeg", clip)
    data = clip.read_bytes()
    assert b"MJPG" in data
    unknown = tmp_path / "unknown.avi"
    unknown.write_bytes(data.replace(b"MJPG", b"QQQQ"))  # a codec tag no decoder claims
    with pytest.raises(UnsupportedVideoCodecError, match="cannot be decoded here"):
        probe_video(unknown)


def test_over_the_duration_limit(sample_path, engine_options, tmp_path):
    limits = VideoLimits(max_duration_s=2.0)
    with pytest.raises(VideoTooLongError, match="lasts 0:02 .* the limit is 0:02"):
        probe_video(sample_path("single_face.mp4"), limits=limits)
    with pytest.raises(VideoTooLongError):
        process(sample_path("single_face.mp4"), tmp_path / "out", engine_options, limits=limits)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_video_whose_header_hides_its_length_is_stopped_at_the_limit_by_both_entry_points(
        sample_path, engine_options, tmp_path):
    unknown_length = tmp_path / "streamed.webm"  # written to a pipe, as a live stream: no duration in its header
    with open(unknown_length, "wb") as stream:
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(sample_path("single_face.mp4")), "-c:v", "libvpx",
                        "-b:v", "200k", "-an", "-f", "webm", "pipe:1"], stdout=stream, check=True)
    limits = VideoLimits(max_duration_s=1.0)
    assert probe_video(unknown_length, limits=limits).duration_s < 1.0
    with pytest.raises(VideoTooLongError):
        list(iter_video_frames(unknown_length, options=engine_options, video_options=VideoOptions(limits=limits)))
    with pytest.raises(VideoTooLongError):
        process(unknown_length, tmp_path / "out", engine_options, limits=limits)
    assert list((tmp_path / "out").iterdir()) == []


def test_over_the_pixel_limit(sample_path):
    with pytest.raises(VideoTooLargeError, match=r"640x360 \(0.2 MP\); the limit is 0.1 MP"):
        probe_video(sample_path("single_face.mp4"), limits=VideoLimits(max_pixels=100_000))


def test_a_missing_model_fails_before_any_output(sample_path, tmp_path):
    from inference import EngineOptions, ModelNotFoundError

    with pytest.raises(ModelNotFoundError):
        process(sample_path("single_face.mp4"), tmp_path / "out", EngineOptions(model_path=tmp_path / "none.keras"))
    assert list((tmp_path / "out").iterdir()) == []
