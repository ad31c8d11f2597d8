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
