import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from inference import (
    CorruptImageError,
    EmptyFileError,
    ImageTooLargeError,
    UnsupportedFormatError,
    decode_image,
    encode_jpeg,
    load_image,
)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def _png_header_only(width: int, height: int) -> bytes:
    """A valid PNG header announcing width x height, with almost no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header)
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + _png_chunk(b"IEND", b""))


def _gradient(height=40, width=64) -> np.ndarray:
    ys, xs = np.mgrid[0:height, 0:width]
    return np.stack([xs * 4 % 256, ys * 6 % 256, (xs + ys) * 2 % 256], axis=-1).astype(np.uint8)


@pytest.mark.parametrize("name", ["multi_face.jpg", "single_face.jpg", "ivan.jpg", "no_faces.jpg"])
def test_sample_jpegs_decode_to_bgr_like_opencv(sample_path, name):
    decoded = decode_image(sample_path(name).read_bytes())
    reference = cv2.imread(str(sample_path(name)))
    assert decoded.dtype == np.uint8 and decoded.shape == reference.shape
    # Two JPEG decoders differ by rounding only; swapped channels would differ by tens.
    assert np.abs(decoded.astype(int) - reference.astype(int)).mean() < 3


@pytest.mark.parametrize("extension", [".png", ".bmp", ".webp"])
def test_lossless_formats_round_trip_exactly(extension):
    image = _gradient()
    params = [cv2.IMWRITE_WEBP_QUALITY, 101] if extension == ".webp" else []  # 101: lossless
    ok, encoded = cv2.imencode(extension, image, params)
    assert ok
    np.testing.assert_array_equal(decode_image(encoded.tobytes()), image)


def test_format_is_judged_by_content_not_name(tmp_path, sample_path):
    disguised = tmp_path / "photo.png"
    disguised.write_bytes(sample_path("no_faces.jpg").read_bytes())
    assert load_image(disguised).shape == (148, 199, 3)


def test_empty_file_is_rejected():
    with pytest.raises(EmptyFileError, match="empty"):
        decode_image(b"")


@pytest.mark.parametrize("data", [
    b"name,score\nalice,3\n",  # a text file
    b"GIF89a" + b"\x00" * 64,  # a real format we do not accept
    b"%PDF-1.7\n" + b"\x00" * 64,
])
def test_other_file_types_are_rejected_naming_the_accepted_ones(data):
    with pytest.raises(UnsupportedFormatError) as error:
        decode_image(data)
    for accepted in ("png", "jpeg", "bmp", "webp"):
        assert accepted in str(error.value)


@pytest.mark.parametrize("name", ["single_face.jpg", "multi_face.jpg"])  # baseline and progressive
def test_truncated_jpeg_is_an_error_not_a_grey_image(sample_path, name):
    data = sample_path(name).read_bytes()
    with pytest.raises(CorruptImageError, match="truncated"):
        decode_image(data[: len(data) // 2])


def test_truncated_jpeg_is_caught_by_pillow_too_when_an_end_marker_hides_earlier(sample_path, monkeypatch):
    from inference import imageio

    # A thumbnail's end marker could fool the marker check; Pillow's load() must still refuse.
    monkeypatch.setattr(imageio, "_has_jpeg_end_marker", lambda data: True)
    data = sample_path("single_face.jpg").read_bytes()
    with pytest.raises(CorruptImageError):
        decode_image(data[: len(data) // 2])


def test_truncated_png_is_corrupt():
    ok, encoded = cv2.imencode(".png", _gradient(200, 200))
    data = encoded.tobytes()
    with pytest.raises(CorruptImageError):
        decode_image(data[: len(data) // 2])


def test_garbage_after_a_valid_signature_is_corrupt():
    with pytest.raises(CorruptImageError):
        decode_image(b"\x89PNG\r\n\x1a\n" + b"\x13" * 100)


@pytest.mark.parametrize("name, cut, message", [
    ("single_face.jpg", None, "The JPEG image is corrupt or truncated (the file ends early), so it cannot be opened."),
    ("gradient.png", None, "The PNG image is corrupt or truncated (the file ends early), so it cannot be opened."),
    ("gradient.bmp", None, "The BMP image is corrupt or truncated (the file ends early), so it cannot be opened."),
    # Pillow calls this one "cannot identify image file <_io.BytesIO object at 0x7f...>".
    ("gradient.png", 40, "The PNG image is corrupt or truncated, so it cannot be opened."),
])
def test_corrupt_image_messages_are_for_people_and_the_details_go_to_the_log(sample_path, caplog, name, cut,
                                                                             message):
    if name.startswith("gradient"):
        ok, encoded = cv2.imencode(name[-4:], _gradient(200, 200))
        data = encoded.tobytes()
    else:
        data = sample_path(name).read_bytes()
    damaged = data[: cut or len(data) // 2]
    with caplog.at_level("INFO", logger="inference.imageio"), pytest.raises(CorruptImageError) as raised:
        decode_image(damaged)
    assert str(raised.value) == message
    assert caplog.records, "what the decoder said is logged for whoever investigates"


def test_decompression_bomb_is_refused_from_the_header():
    bomb = _png_header_only(50_000, 50_000)
    assert len(bomb) < 200
    with pytest.raises(ImageTooLargeError, match="limit"):
        decode_image(bomb)


def test_pixel_limit_is_checked_before_decoding():
    bomb = _png_header_only(10_000, 10_000)  # under Pillow's own guard, over ours
    with pytest.raises(ImageTooLargeError, match="10000x10000"):
        decode_image(bomb, max_pixels=50_000_000)


def test_pixel_limit_applies_to_real_images(sample_path):
    with pytest.raises(ImageTooLargeError, match="1,000 pixels"):
        decode_image(sample_path("no_faces.jpg").read_bytes(), max_pixels=1_000)


def test_files_over_the_byte_limit_are_refused(sample_path, tmp_path):
    data = sample_path("single_face.jpg").read_bytes()
    with pytest.raises(ImageTooLargeError, match="limit"):
        decode_image(data, max_bytes=len(data) - 1)
    big = tmp_path / "big.jpg"
    big.write_bytes(data)
    with pytest.raises(ImageTooLargeError):
        load_image(big, max_bytes=1024)


def test_exif_orientation_is_applied():
    upright = Image.new("RGB", (60, 20), (255, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: rotate 90 degrees clockwise to display
    buffer = io.BytesIO()
    upright.save(buffer, format="JPEG", exif=exif)
    assert decode_image(buffer.getvalue()).shape == (60, 20, 3)


def test_transparent_png_shows_white_where_transparent():
    rgba = np.zeros((10, 10, 4), np.uint8)
    rgba[:5] = (0, 0, 255, 255)  # opaque red (BGRA) on top, transparent below
    ok, encoded = cv2.imencode(".png", rgba)
    decoded = decode_image(encoded.tobytes())
    assert decoded.shape == (10, 10, 3)
    assert tuple(decoded[0, 0]) == (0, 0, 255)
    assert tuple(decoded[9, 9]) == (255, 255, 255)


def test_encode_jpeg_round_trips():
    image = _gradient()
    data = encode_jpeg(image, quality=95)
    assert data.startswith(b"\xff\xd8")
    decoded = decode_image(data)
    assert decoded.shape == image.shape
    assert np.abs(decoded.astype(int) - image.astype(int)).mean() < 8
