"""Judging an upload by its content: an image or a video, within the limits, readable.

The first bytes decide the kind, never the file name: a renamed file is treated
as what it really is. Images are read whole and decoded; videos are copied to a
temporary file (they may be hundreds of megabytes) and probed from there.
"""

import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files import File

import inference
from studies.errors import UploadRejected

HEAD_BYTES = 64
COPY_CHUNK_BYTES = 1024 * 1024

IMAGE = "image"
VIDEO = "video"

# The inference library decides what it can read; the upload check only words it.
ACCEPTED_IMAGE_FORMATS = inference.ACCEPTED_FORMATS
ACCEPTED_VIDEO_FORMATS = inference.ACCEPTED_VIDEO_FORMATS
ACCEPTED_FORMATS_MESSAGE = (
    "Accepted formats: " + ", ".join(ACCEPTED_IMAGE_FORMATS) + " images; "
    + ", ".join(ACCEPTED_VIDEO_FORMATS) + " videos."
)

_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"BM", "bmp"),
    # Not accepted, but routed to the image decoder so its message names what is.
    (b"GIF8", "gif"),
)
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"


def image_extension(head: bytes) -> str | None:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    for magic, extension in _IMAGE_MAGIC:
        if head.startswith(magic):
            return extension
    return None


def video_extension(head: bytes) -> str | None:
    """The container, from its signature: ISO BMFF (mp4/mov), AVI, Matroska/WebM."""
    if head[4:8] == b"ftyp":
        return "mov" if head[8:12] == b"qt  " else "mp4"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head.startswith(_EBML_MAGIC):
        return "webm" if b"webm" in head else "mkv"
    return None


def detect_kind(head: bytes) -> str | None:
    """'image' or 'video' from a known signature; None when only probing can tell."""
    if not head or image_extension(head):
        return IMAGE
    if video_extension(head):
        return VIDEO
    return None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def video_limits():
    """The configured limits in the inference library's own terms."""
    from inference import VideoLimits

    return VideoLimits(max_duration_s=float(settings.FER_MAX_VIDEO_SECONDS), max_pixels=settings.FER_MAX_VIDEO_PIXELS)


@dataclass
class CheckedUpload:
    kind: str
    extension: str
    data: bytes | None = None  # images
    path: Path | None = None  # videos: a temporary copy, removed when the check's context ends
    video_info: object | None = None  # inference.VideoInfo

    def open_for_storage(self) -> File:
        if self.data is not None:
            from django.core.files.base import ContentFile

            return ContentFile(self.data)
        return File(open(self.path, "rb"))


def file_head(uploaded_file) -> bytes:
    """The first HEAD_BYTES of an upload, which is left at its start for whoever reads it next."""
    uploaded_file.seek(0)
    head = uploaded_file.read(HEAD_BYTES)
    uploaded_file.seek(0)
    return head


@contextmanager
def checked_upload(uploaded_file, *, expected_kind: str | None = None):
    """Yield a CheckedUpload for a file that may be analysed; raise UploadRejected otherwise.

    Anything written on the way (the temporary copy of a video) is gone when the
    context ends, whether the file was accepted or not.
    """
    head = file_head(uploaded_file)
    kind = detect_kind(head)
    if kind is None:
        # No known signature: an image check would only say "not an image", so let the
        # video prober judge it (MPEG-TS, FLV...), and name both kinds if it refuses too.
        kind = IMAGE if expected_kind == IMAGE else VIDEO
        unknown_signature = True
    else:
        unknown_signature = False
    if expected_kind and kind != expected_kind:
        raise UploadRejected(
            f"This file is {'a video' if kind == VIDEO else 'an image'}; only {expected_kind}s are accepted here."
        )
    if kind == IMAGE:
        yield _checked_image(uploaded_file, head, strict=expected_kind == IMAGE)
        return
    extension = video_extension(head) or "video"
    temporary_path = None
    try:
        source_path, temporary_path = _video_on_disk(uploaded_file, extension)
        info = _probe(source_path, unknown_signature=unknown_signature)
        if unknown_signature:
            extension = _CONTAINER_EXTENSIONS.get(info.container.split(",")[0], "video")
        yield CheckedUpload(kind=VIDEO, extension=extension, path=source_path, video_info=info)
    finally:
        if temporary_path is not None:
            temporary_path.unlink(missing_ok=True)


_CONTAINER_EXTENSIONS = {"mpegts": "ts", "mpeg": "mpg", "flv": "flv", "ogg": "ogv", "mov": "mov", "matroska": "mkv"}


def _checked_image(uploaded_file, head: bytes, *, strict: bool) -> CheckedUpload:
    from inference import decode_image
    from inference.errors import InferenceError, UnsupportedFormatError

    max_bytes = settings.FER_MAX_UPLOAD_BYTES
    declared_size = getattr(uploaded_file, "size", None)
    if declared_size is not None and declared_size > max_bytes:
        raise UploadRejected(f"The file is {_megabytes(declared_size)}; the limit is {_megabytes(max_bytes)}.")
    # One byte over the limit is enough for the decoder to report the file as too large.
    data = uploaded_file.read(max_bytes + 1)
    try:
        decode_image(data, max_bytes=max_bytes, max_pixels=settings.FER_MAX_IMAGE_PIXELS)
    except UnsupportedFormatError as error:
        if strict:
            raise UploadRejected(str(error)) from error
        raise UploadRejected(
            f"This file is neither a supported image nor a supported video. {ACCEPTED_FORMATS_MESSAGE}"
        ) from error
    except InferenceError as error:
        raise UploadRejected(str(error)) from error
    return CheckedUpload(kind=IMAGE, extension=image_extension(head) or "bin", data=data)


def _video_on_disk(uploaded_file, extension: str) -> tuple[Path, Path | None]:
    """A path the video can be probed at, and the temporary copy to remove (None if not copied)."""
    max_bytes = settings.FER_MAX_VIDEO_BYTES
    declared_size = getattr(uploaded_file, "size", None)
    if declared_size is not None and declared_size > max_bytes:
        raise UploadRejected(f"The video is {_megabytes(declared_size)}; the limit is {_megabytes(max_bytes)}.")
    if hasattr(uploaded_file, "temporary_file_path"):
        return Path(uploaded_file.temporary_file_path()), None
    descriptor, name = tempfile.mkstemp(prefix="fer-upload-", suffix=f".{extension}")
    path = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as copy:
            copied = _copy_at_most(uploaded_file, copy, max_bytes)
        if copied > max_bytes:
            raise UploadRejected(f"The video is over the limit of {_megabytes(max_bytes)}.")
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, path


def _copy_at_most(source, target, limit: int) -> int:
    """Copy up to limit + 1 bytes (enough to tell the file is over the limit)."""
    source.seek(0)
    copied = 0
    while copied <= limit:
        chunk = source.read(min(COPY_CHUNK_BYTES, limit + 1 - copied))
        if not chunk:
            break
        target.write(chunk)
        copied += len(chunk)
    return copied


def _probe(path: Path, *, unknown_signature: bool):
    from inference import probe_video
    from inference.errors import InferenceError, UnsupportedFormatError, UnsupportedVideoCodecError

    try:
        return probe_video(path, limits=video_limits())
    except UnsupportedVideoCodecError as error:
        raise UploadRejected(str(error)) from error
    except UnsupportedFormatError as error:
        if unknown_signature:
            raise UploadRejected(
                f"This file is neither a supported image nor a supported video. {ACCEPTED_FORMATS_MESSAGE}"
            ) from error
        raise UploadRejected(str(error)) from error
    except InferenceError as error:
        raise UploadRejected(str(error)) from error
