"""Reading the images and videos out of an uploaded .zip, safely.

Members are never written under their own names: each is copied into an
anonymous temporary file, so a name like `../../etc/passwd` cannot reach the
file system. Names that try it are still refused by name, so the person learns
why a file was left out. Sizes come from the archive's directory and bound what
is read (zipfile stops at the declared size), which defuses zip bombs.
"""

import stat
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files import File

from studies.errors import UploadRejected

ZIP_MAGIC = b"PK\x03\x04"
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"})
IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})
MEDIA_EXTENSIONS = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS
# Photos and videos are compressed already and shrink little more in a zip (a flat BMP the most,
# tens of times); a member past this ratio is a decompression bomb, refused before it is expanded.
MAX_COMPRESSION_RATIO = 100
_RATIO_CHECKED_FROM_BYTES = 1024 * 1024
_COPY_CHUNK_BYTES = 1024 * 1024


def is_zip(uploaded_file) -> bool:
    uploaded_file.seek(0)
    head = uploaded_file.read(len(ZIP_MAGIC))
    uploaded_file.seek(0)
    return head == ZIP_MAGIC


@dataclass(frozen=True)
class ArchiveMember:
    """One file of the archive: `file` to analyse, or `skipped_because` to tell the person."""

    name: str
    file: File | None = None
    skipped_because: str = ""


def _unsafe_name_reason(name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or (path.parts and path.parts[0].endswith(":")):
        return "its path is absolute"
    if ".." in path.parts:
        return "its path leads outside the archive"
    return ""


def _is_metadata(name: str) -> bool:
    # macOS resource forks and hidden files are not what anybody meant to upload.
    parts = PurePosixPath(name).parts
    return any(part == "__MACOSX" or (part.startswith(".") and part not in (".", "..")) for part in parts)


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _max_member_bytes(name: str) -> int:
    """A member is held to the upload limit of what its name says it is (an image is judged by its
    content once extracted, so a video named .jpg is refused there, not expanded to video size)."""
    if PurePosixPath(name).suffix.lower() in IMAGE_EXTENSIONS:
        return settings.FER_MAX_UPLOAD_BYTES
    return settings.FER_MAX_VIDEO_BYTES


def _open_archive(uploaded_file) -> zipfile.ZipFile:
    uploaded_file.seek(0)
    try:
        return zipfile.ZipFile(uploaded_file)
    except (zipfile.BadZipFile, OSError) as error:
        raise UploadRejected("The .zip archive is corrupt or truncated and cannot be opened.") from error


def _classify(info: zipfile.ZipInfo) -> ArchiveMember | None:
    """None for a member to analyse, a skipped member to report, or a silent skip (directories)."""
    name = info.filename
    reason = _unsafe_name_reason(name)
    if reason:
        return ArchiveMember(name=name, skipped_because=f"skipped because {reason}.")
    if _is_symlink(info):
        return ArchiveMember(name=name, skipped_because="skipped because it is a symbolic link.")
    if info.flag_bits & 0x1:
        return ArchiveMember(name=name, skipped_because="skipped because it is encrypted.")
    if PurePosixPath(name).suffix.lower() not in MEDIA_EXTENSIONS:
        return ArchiveMember(name=name, skipped_because="skipped because it is not an image or a video.")
    limit = _max_member_bytes(name)
    if info.file_size > limit:
        return ArchiveMember(name=name, skipped_because=f"skipped because it is over the {limit / 1024 / 1024:.0f} MB "
                                                        "limit.")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size >= _RATIO_CHECKED_FROM_BYTES and ratio > MAX_COMPRESSION_RATIO:
        return ArchiveMember(name=name, skipped_because=(
            f"skipped because it expands {ratio:.0f} times in size; photos and videos hardly shrink in a zip, "
            "so it holds something else."))
    return None


def zip_members(uploaded_file, *, max_files: int, max_bytes: int | None = None) -> Iterator[ArchiveMember]:
    """The archive's members one at a time; the caller closes each member's file when done.

    The whole archive is refused (UploadRejected, before anything is yielded)
    when it holds more media files than `max_files` or would expand beyond
    `max_bytes` (default FER_MAX_ZIP_BYTES; less for a second zip of one upload).
    """
    max_bytes = settings.FER_MAX_ZIP_BYTES if max_bytes is None else max_bytes
    archive = _open_archive(uploaded_file)
    with archive:
        members = [
            info for info in archive.infolist()
            if not info.is_dir() and (_unsafe_name_reason(info.filename) or not _is_metadata(info.filename))
        ]
        # The ratio rule trusts each member's stated compressed size; members whose data overlap (older
        # Pythons do not refuse them) could each claim the whole archive's bytes.
        if sum(info.compress_size for info in members) > uploaded_file.size:
            raise UploadRejected("The .zip archive is malformed: its entries claim more bytes than it holds.")
        verdicts = [(info, _classify(info)) for info in members]
        accepted = [info for info, verdict in verdicts if verdict is None]
        if len(accepted) > max_files:
            raise UploadRejected(
                f"The archive holds {len(accepted)} images and videos; at most {max_files} can be analysed at once."
            )
        total = sum(info.file_size for info in accepted)
        if total > max_bytes:
            limit = f"{settings.FER_MAX_ZIP_BYTES / 1024 / 1024:.1f} MB"
            if max_bytes < settings.FER_MAX_ZIP_BYTES:
                limit += f" for all the archives of one upload, {max_bytes / 1024 / 1024:.1f} MB of it left"
            raise UploadRejected(f"The archive expands to {total / 1024 / 1024:.1f} MB; the limit is {limit}.")
        for info, verdict in verdicts:
            if verdict is not None:
                yield verdict
                continue
            try:
                yield ArchiveMember(name=info.filename, file=_extract(archive, info))
            except (zipfile.BadZipFile, OSError, EOFError):
                yield ArchiveMember(name=info.filename, skipped_because="skipped because it is damaged in the archive.")


def _extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> File:
    # Anonymous temporary file: the member's name never becomes a path.
    target = tempfile.TemporaryFile()
    try:
        with archive.open(info) as source:
            while chunk := source.read(_COPY_CHUNK_BYTES):
                target.write(chunk)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    return File(target, name=_member_path(info.filename))


def _member_path(name: str) -> str:
    """The member's path inside the archive, with forward slashes ("shoot 2/take1.jpg"): the folders
    tell two files of the same name apart."""
    return PurePosixPath(name.replace("\\", "/")).as_posix().lstrip("/")
