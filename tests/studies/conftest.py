"""Fixtures for the studies app: bad uploads of every kind and ready-made jobs."""

import io
import struct
import zlib

import pytest
from django.core.files.base import ContentFile

from studies.models import AnalysisJob


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def decompression_bomb_png(width: int = 10_000, height: int = 10_000) -> bytes:
    """A genuine bomb: ~50 KB on disk, 100 million pixels once decoded (1-bit grey, all black)."""
    row = b"\x00" * (1 + (width + 7) // 8)
    compressor = zlib.compressobj(9)
    compressed = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", compressed)
        + _png_chunk(b"IEND", b"")
    )


def gif_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.fixture
def bad_uploads(sample_bytes) -> dict:
    """name -> (bytes, filename, a phrase the rejection message must contain)."""
    photo = sample_bytes("single_face.jpg")
    png_signature = b"\x89PNG\r\n\x1a\n"
    return {
        "gif": (gif_bytes(), "animation.gif", "Accepted formats: png, jpeg, bmp, webp"),
        "text": (b"quarterly results, definitely not a picture\n", "notes.jpg", "Accepted formats"),
        "truncated_jpeg": (photo[: len(photo) // 2], "cut.jpg", "corrupt or truncated"),
        "corrupt_png": (png_signature + b"\x00\x00\x00\rIHDR" + b"garbage" * 20, "broken.png", "corrupt"),
        "empty": (b"", "empty.png", "empty"),
        "bomb": (decompression_bomb_png(), "bomb.png", "the limit is 40,000,000 pixels"),
    }


@pytest.fixture
def make_job(sample_bytes):
    """A job row with a stored input, bypassing the upload checks (for run/requeue tests)."""

    def make(*, owner=None, session_key="", data: bytes | None = None, sample="single_face.jpg", **fields):
        fields.setdefault("original_filename", sample)
        job = AnalysisJob(owner=owner, session_key=session_key, **fields)
        content = data if data is not None else sample_bytes(sample)
        job.input_file.save("input.jpg", ContentFile(content), save=False)
        job.save()
        return job

    return make


# Videos -------------------------------------------------------------------------------------------


def _ffmpeg(*arguments: str) -> None:
    import subprocess

    subprocess.run(["ffmpeg", "-v", "error", "-y", *arguments], check=True, timeout=60)


@pytest.fixture(scope="session")
def bad_videos(tmp_path_factory, samples_dir) -> dict:
    """name -> (path, a phrase the rejection message must contain). Made once per test run."""
    folder = tmp_path_factory.mktemp("bad-videos")
    clip = (samples_dir / "single_face.mp4").read_bytes()

    audio_only = folder / "voice-over.m4a"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(audio_only))
    mp3 = folder / "jingle.mp3"
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libmp3lame", str(mp3))
    truncated = folder / "cut.mp4"
    truncated.write_bytes(clip[: len(clip) // 3])
    # Its index (moov) first, then cut: it opens and its first frames decode.
    faststart = folder / "faststart.mp4"
    _ffmpeg("-i", str(samples_dir / "single_face.mp4"), "-c", "copy", "-movflags", "+faststart", str(faststart))
    truncated_after_index = folder / "cut-after-index.mp4"
    truncated_after_index.write_bytes(faststart.read_bytes()[: len(clip) // 2])
    # An MP4 signature followed by noise: looks like a video, is none.
    corrupt = folder / "broken.mp4"
    corrupt.write_bytes(clip[:32] + bytes(range(256)) * 64)
    text = folder / "notes.mp4"
    text.write_bytes(b"storyboard notes, not a video\n" * 20)
    return {
        "audio_only": (audio_only, "no video track"),
        "mp3": (mp3, "no video track"),
        "truncated": (truncated, "corrupt or truncated"),
        "truncated_after_index": (truncated_after_index, "truncated: the file ends after"),
        "corrupt": (corrupt, "corrupt"),
        "text": (text, "Accepted formats"),
    }


@pytest.fixture(scope="session")
def ten_second_ad(tmp_path_factory, samples_dir) -> str:
    """The sample clip played four times over, cut to 10 s: an ad long enough to have moments."""
    path = tmp_path_factory.mktemp("ad") / "ten_seconds.mp4"
    _ffmpeg("-stream_loop", "4", "-i", str(samples_dir / "single_face.mp4"), "-t", "10", "-an", "-c:v", "libx264",
            "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return str(path)


@pytest.fixture(scope="session")
def browser_recording(tmp_path_factory, samples_dir) -> bytes:
    """2 s of webcam video as MediaRecorder writes it: VP8 WebM with no duration and no seek index."""
    path = tmp_path_factory.mktemp("recording") / "webcam.webm"
    _ffmpeg("-i", str(samples_dir / "single_face.mp4"), "-t", "2", "-an", "-c:v", "libvpx", "-b:v", "400k",
            "-deadline", "realtime", "-cpu-used", "8", "-f", "webm", "-live", "1", str(path))
    return path.read_bytes()


@pytest.fixture
def video_upload(samples_dir):
    """An uploaded video from a sample name or a path."""
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    def make(name_or_path, *, filename: str | None = None):
        path = Path(name_or_path) if "/" in str(name_or_path) else samples_dir / name_or_path
        return SimpleUploadedFile(filename or path.name, path.read_bytes(), content_type="video/mp4")

    return make


@pytest.fixture
def make_video_job(samples_dir):
    """A queued video job with a stored input, bypassing the upload checks."""

    def make(*, owner=None, session_key="", sample="single_face.mp4", data: bytes | None = None, **fields):
        fields.setdefault("original_filename", sample)
        fields.setdefault("kind", AnalysisJob.Kind.VIDEO)
        job = AnalysisJob(owner=owner, session_key=session_key, **fields)
        content = data if data is not None else (samples_dir / sample).read_bytes()
        job.input_file.save("input.mp4", ContentFile(content), save=False)
        job.save()
        return job

    return make



# Campaigns ----------------------------------------------------------------------------------------


@pytest.fixture
def make_campaign(video_upload):
    """A campaign whose ad is ../shared/samples/single_face.mp4 (2.4 s), collecting unless told otherwise."""
    from studies import services

    def make(owner, *, status="collecting", name="Spring launch", video="single_face.mp4", segments=(), **fields):
        campaign = services.campaign_create(owner=owner, ad_video=video_upload(video), name=name, status=status,
                                            **fields)
        for segment in segments:
            services.segment_create(campaign, **segment)
        return campaign

    return make


@pytest.fixture
def join(make_campaign):
    """A viewer session that consented through a fresh invitation of `campaign`."""
    from studies import services

    def start(campaign, **consent):
        invitation = services.invitation_create(campaign)
        return services.viewer_session_start(
            invitation_token=invitation.token, consent=services.Consent(analyse_webcam=True, **consent),
            user_agent="pytest")

    return start


# How a browser's WebM recording (MediaRecorder) starts: the EBML header naming the "webm" doctype.
WEBM_HEAD = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"


def sample_series(t_ms_values, happy: float, *, face: bool = True):
    """Samples with the given happy probability (the rest neutral)."""
    from inference.labels import EMOTIONS
    from studies.services import Sample

    probabilities = tuple(happy if name == "happy" else (1 - happy if name == "neutral" else 0.0) for name in EMOTIONS)
    return [Sample(t_ms=int(t), face=face, probabilities=probabilities if face else (), detection=0.9 if face else 0.0)
            for t in t_ms_values]
