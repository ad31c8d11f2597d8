"""Decode untrusted image bytes into BGR arrays: judged by content, with hard limits.

Pillow reads the header first, so the pixel limit is enforced before any pixel
data is decoded (decompression bombs), and a file that ends early fails to load
instead of coming back half grey.
"""

from __future__ import annotations

import io
import logging
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

from .errors import CorruptImageError, EmptyFileError, ImageTooLargeError, UnsupportedFormatError

logger = logging.getLogger(__name__)

ACCEPTED_FORMATS = ("png", "jpeg", "bmp", "webp")
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MAX_PIXELS = 40_000_000

_PILLOW_FORMAT = {"png": "PNG", "jpeg": "JPEG", "bmp": "BMP", "webp": "WEBP"}
_DISPLAY_NAME = {"png": "PNG", "jpeg": "JPEG", "bmp": "BMP", "webp": "WebP"}  # as people write them
_ENDS_EARLY = "the file ends early"
_JPEG_END_OF_IMAGE = b"\xff\xd9"


def sniff_format(data: bytes) -> str | None:
    """The accepted format that the magic bytes announce, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"BM") and len(data) >= 26:
        return "bmp"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def decode_image(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Decode PNG/JPEG/BMP/WebP bytes into an (H, W, 3) BGR uint8 array, EXIF-upright."""
    if not data:
        raise EmptyFileError()
    if len(data) > max_bytes:
        raise ImageTooLargeError(
            f"The file is {_megabytes(len(data))}; the limit is {_megabytes(max_bytes)}."
        )
    image_format = sniff_format(data)
    if image_format is None:
        raise UnsupportedFormatError(ACCEPTED_FORMATS)
    if image_format == "jpeg" and not _has_jpeg_end_marker(data):
        logger.info("Refusing a JPEG of %d bytes without an end-of-image marker (FF D9).", len(data))
        raise CorruptImageError(_DISPLAY_NAME["jpeg"], _ENDS_EARLY)

    image = _open_header(data, image_format, max_pixels)
    width, height = image.size
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"The image is {width}x{height} pixels ({width * height:,}); "
            f"the limit is {max_pixels:,} pixels."
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image.load()
            image = ImageOps.exif_transpose(image)
            rgb = _to_rgb(image)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _corrupt(image_format, exc) from exc
    # cvtColor, not a [..., ::-1] view copy: ten times faster on a megapixel image.
    return cv2.cvtColor(np.asarray(rgb, dtype=np.uint8), cv2.COLOR_RGB2BGR)


def load_image(
    path: str | os.PathLike,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> np.ndarray:
    """Read and decode an image file; the byte limit is checked before reading it."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise ImageTooLargeError(
            f"The file is {_megabytes(size)}; the limit is {_megabytes(max_bytes)}."
        )
    return decode_image(path.read_bytes(), max_bytes=max_bytes, max_pixels=max_pixels)


def encode_jpeg(image_bgr: np.ndarray, quality: int = 90) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise ValueError("OpenCV could not encode the image as JPEG.")
    return buffer.tobytes()


def _open_header(data: bytes, image_format: str, max_pixels: int) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb guard only warns below twice its limit; ours is enforced above.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(io.BytesIO(data), formats=[_PILLOW_FORMAT[image_format]])
    except Image.DecompressionBombError as exc:
        # Pillow refuses headers over twice its own limit before we can read the size.
        raise ImageTooLargeError(
            f"The image has too many pixels to decode safely; the limit is {max_pixels:,} pixels."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _corrupt(image_format, exc) from exc


def _corrupt(image_format: str, exc: BaseException) -> CorruptImageError:
    """The error to show for Pillow's `exc`, whose own text is logged instead: it reads like
    "cannot identify image file <_io.BytesIO object at 0x7f...>" or "Truncated File Read"."""
    logger.info("Cannot decode a %s image: %s: %s", image_format, type(exc).__name__, exc)
    ends_early = isinstance(exc, EOFError) or "truncated" in str(exc).lower()
    return CorruptImageError(_DISPLAY_NAME[image_format], _ENDS_EARLY if ends_early else "")


def _to_rgb(image: Image.Image) -> Image.Image:
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    if has_alpha:
        # Transparent pixels show as white, as a browser would show them on a white page.
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _has_jpeg_end_marker(data: bytes) -> bool:
    # Anywhere, not only at the end: motion photos and some cameras append data after EOI.
    # Pillow's load() is the main truncation check; this one also holds when another
    # library has switched on ImageFile.LOAD_TRUNCATED_IMAGES for the whole process.
    return data.rfind(_JPEG_END_OF_IMAGE) > 2


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"
