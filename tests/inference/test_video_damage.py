"""Videos damaged in the middle (bytes overwritten, as a bad disk or a broken upload leaves them):
whatever still decodes is analysed, damaged audio never sinks the analysis, and a file that
truly cannot be read is refused with a message for a person.

The damaged copies are made here from the sample clip, with PyAV and the ffmpeg CLI."""

from __future__ import annotations

import logging
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from inference import CorruptVideoError, VideoOptions, probe_video, process_video
from inference import video_source, video_writer

DAMAGE_BYTES = 40_000  # about a fifth of the sample: as much as a bad sector run or a broken transfer
SAMPLE_FRAMES = 72


def ffmpeg(*args) -> None:
    if shutil.which("ffmpeg") is None:
        pytest.fail("The ffmpeg CLI makes the test clips; install it (scripts/test.sh does).")
    subprocess.run(["ffmpeg", "-v", "error", "-y", *map(str, args)], check=True)


def process(source: Path, out_dir: Path, engine_options):
    out_dir.mkdir(exist_ok=True)
    return process_video(source, annotated_path=out_dir / "a.mp4", timeline_csv_path=out_dir / "t.csv",
                         timeline_json_path=out_dir / "t.json", options=engine_options, video_options=VideoOptions())


def overwrite(clean: Path, target: Path, *, start: int, size: int, seed: int = 0) -> Path:
    data = bytearray(clean.read_bytes())
    data[start:start + size] = random.Random(seed).randbytes(size)
    target.write_bytes(bytes(data))
    return target


def audio_packets_an_mp4_refuses(path: Path, scratch: Path) -> int:
    """How many of the file's audio packets an MP4 muxer refuses when they are copied as they
    come: what made the analysis fail with an internal error before damaged audio was handled."""
    import av

    refused = 0
    with av.open(str(path)) as source, av.open(str(scratch), "w", format="mp4") as target:
        stream = source.streams.audio[0]
        copy = target.add_stream_from_template(stream)
        for packet in source.demux(stream):
            if packet.dts is None and packet.pts is None:
                continue
            packet.stream = copy
            try:
                target.mux(packet)
            except av.error.FFmpegError:
                refused += 1
    return refused


def damaged_in_the_middle_of_its_audio(clean: Path, folder: Path) -> Path:
    """`clean` with DAMAGE_BYTES of noise in its middle, noise that breaks the audio copy.

    Whether noise breaks the copy depends on the bytes (an MP3 parser must find false frame
    headers in it, an ADTS header must fail its bitstream filter), so seeds are tried in turn.
    """
    middle = clean.stat().st_size // 2
    for seed in range(100):
        damaged = overwrite(clean, folder / f"damaged{clean.suffix}", start=middle, size=DAMAGE_BYTES, seed=seed)
        if audio_packets_an_mp4_refuses(damaged, folder / "plain_copy.mp4"):
            return damaged
    pytest.fail(f"No noise in the middle of {clean.name} breaks its audio copy any more: "
                "the test no longer reproduces damaged audio and needs another kind of damage.")


def stream_facts(path: Path) -> dict:
    """The annotated video as a player sees it: decoded frames, audio codecs, where the audio ends."""
    import av

    video_frames, audio_end_s = 0, 0.0
    with av.open(str(path)) as container:
        audio_codecs = [stream.codec_context.codec.canonical_name for stream in container.streams.audio]
        for packet in container.demux():
            if packet.stream.type == "video":
                video_frames += len(packet.decode())
            elif packet.pts is not None:
                audio_end_s = max(audio_end_s, float((packet.pts + packet.duration) * packet.time_base))
    return {"video_frames": video_frames, "audio": audio_codecs, "audio_end_s": audio_end_s}


def mdat_span(data: bytes, start: float, stop: float) -> tuple[int, int]:
    """Byte offsets at fractions `start` and `stop` of an MP4's media data (its frames)."""
    begin = data.find(b"mdat") + 4
    end = data.find(b"moov") if data.find(b"moov") > begin else len(data)
    return begin + int((end - begin) * start), begin + int((end - begin) * stop)


@pytest.fixture(scope="module")
def clips(sample_path, tmp_path_factory) -> dict[str, Path]:
    """The sample as it is (H.264 and MP3 in MP4, index at the end), as MPEG-TS with AAC (ADTS
    audio, as camcorders and TV recordings carry it), and without audio, index first."""
    folder = tmp_path_factory.mktemp("clips")
    mpegts, video_only = folder / "aac.ts", folder / "video_only.mp4"
    ffmpeg("-i", sample_path("single_face.mp4"), "-c:v", "copy", "-c:a", "aac", mpegts)
    ffmpeg("-i", sample_path("single_face.mp4"), "-an", "-c:v", "copy", "-movflags", "+faststart", video_only)
    return {"mp3_in_mp4": sample_path("single_face.mp4"), "aac_in_mpegts": mpegts, "video_only": video_only}


@pytest.mark.parametrize("clip", ["mp3_in_mp4", "aac_in_mpegts"])
def test_damaged_audio_packets_are_skipped_and_the_video_is_analysed(clip, clips, engine_options, tmp_path, caplog):
    damaged = damaged_in_the_middle_of_its_audio(clips[clip], tmp_path)

    with caplog.at_level(logging.WARNING, logger="inference.video_writer"):
        result = process(damaged, tmp_path / "out", engine_options)

    assert "Skipping a damaged audio packet" in caplog.text
    assert "goes on without it" not in caplog.text, "a few bad packets must not cost the whole track"
    assert result.frames > SAMPLE_FRAMES // 2 and len(result.tracks) == 1
    annotated = stream_facts(tmp_path / "out" / "a.mp4")
    assert annotated["video_frames"] == result.frames
    assert annotated["audio"] == [result.info.audio_codec]
    assert annotated["audio_end_s"] > 0.9 * result.info.duration_s, "the audio after the damage is kept"
    assert (tmp_path / "out" / "t.csv").is_file() and (tmp_path / "out" / "t.json").is_file()


def test_audio_that_keeps_failing_is_dropped_and_the_video_goes_on(clips, engine_options, tmp_path, caplog,
                                                                  monkeypatch):
    damaged = damaged_in_the_middle_of_its_audio(clips["mp3_in_mp4"], tmp_path)
    # One failure stands in for a long run of them: the sample is too short to hold such a run.
    monkeypatch.setattr(video_writer, "_MAX_AUDIO_FAILURES_IN_A_ROW", 1)

    with caplog.at_level(logging.WARNING, logger="inference.video_writer"):
        result = process(damaged, tmp_path / "out", engine_options)

    assert "too damaged to keep" in caplog.text and "goes on without it" in caplog.text
    annotated = stream_facts(tmp_path / "out" / "a.mp4")
    assert annotated["video_frames"] == result.frames > SAMPLE_FRAMES // 2
    assert annotated["audio"] == ["mp3"], "the audio before the damage stays"
    assert 0 < annotated["audio_end_s"] < 0.8 * result.info.duration_s, "nothing after the failure is muxed"


def test_a_damaged_stretch_of_video_costs_only_its_own_frames(clips, engine_options, tmp_path, caplog):
    clean = clips["video_only"]
    start, stop = mdat_span(clean.read_bytes(), 0.4, 0.8)
    damaged = overwrite(clean, tmp_path / "damaged.mp4", start=start, size=stop - start)

    with caplog.at_level(logging.WARNING, logger="inference.video_source"):
        result = process(damaged, tmp_path / "out", engine_options)

    skipped = caplog.text.count("Skipping an undecodable packet")
    assert skipped > video_source._MIN_BAD_PACKETS_TO_REFUSE, "more than a few packets are lost"
    assert SAMPLE_FRAMES // 2 < result.frames < SAMPLE_FRAMES and len(result.tracks) == 1
    assert stream_facts(tmp_path / "out" / "a.mp4")["video_frames"] == result.frames


def test_a_video_mostly_damaged_is_refused_and_leaves_nothing(clips, engine_options, tmp_path):
    clean = clips["video_only"]
    start, stop = mdat_span(clean.read_bytes(), 0.2, 0.95)
    damaged = overwrite(clean, tmp_path / "damaged.mp4", start=start, size=stop - start)
    probe_video(damaged)  # its first frames decode: the damage shows only further in

    with pytest.raises(CorruptVideoError, match=r"^The video is corrupt: most of it cannot be decoded \(\d+ of its"):
        process(damaged, tmp_path / "out", engine_options)
    assert list((tmp_path / "out").iterdir()) == []


def test_a_video_that_cannot_be_opened_is_called_corrupt_without_ffmpeg_jargon(clips, tmp_path, caplog):
    clean = clips["mp3_in_mp4"].read_bytes()
    # The sample keeps its index (moov) at the end; noise over it leaves nothing to read the frames by.
    index = clean.find(b"moov")
    damaged = overwrite(clips["mp3_in_mp4"], tmp_path / "fer-upload-x1y2.mp4", start=index - 4,
                        size=len(clean) - index + 4)

    with caplog.at_level(logging.WARNING, logger="inference.video_source"), \
            pytest.raises(CorruptVideoError) as raised:
        probe_video(damaged)

    assert str(raised.value) == "The video file is corrupt or truncated and cannot be opened."
    assert "fer-upload-x1y2.mp4" in caplog.text, "FFmpeg's own words go to the log"
