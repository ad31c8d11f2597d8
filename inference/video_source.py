"""Reading videos with PyAV: probing, limits, and upright BGR frames streamed one at a time.

Phone videos store frames sideways with a display matrix saying how to turn them;
frames come out turned, so a vertical video is vertical here. Frames whose longer
side exceeds `max_side` are scaled down while converting from YUV (one swscale pass).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import (
    CorruptVideoError,
    EmptyFileError,
    NoVideoStreamError,
    UnsupportedVideoCodecError,
    UnsupportedVideoFormatError,
    VideoTooLargeError,
    VideoTooLongError,
)

logger = logging.getLogger(__name__)

ACCEPTED_VIDEO_FORMATS = ("mp4", "mov", "avi", "mkv", "webm")
# FFmpeg demuxer names for those containers and their close kin from phones and cameras
# (m4v/3gp are mov variants, MPEG-TS from camcorders); photos and audio files are not here.
_VIDEO_DEMUXERS = frozenset({"mov", "mp4", "3gp", "3g2", "mj2", "matroska", "webm", "avi", "mpegts", "mpeg",
                             "flv", "ogg"})
DEFAULT_MAX_DURATION_S = 600.0  # 10 minutes
DEFAULT_MAX_PIXELS = 7680 * 4320  # 8K UHD; larger frames are refused, smaller ones scaled to max_side
# Undecodable packets are skipped, as players skip them: a damaged stretch costs only its own
# frames. A video is refused as damaged when more of its packets fail than decode (judged at its
# end, since a damaged start may be followed by minutes that decode), or when this many fail
# before any frame decodes, so that probing a file of noise stays quick (x264's longest default
# keyframe interval is 250 frames; damage before the first keyframe loses at most that many).
_MIN_BAD_PACKETS_TO_REFUSE = 25
_MAX_BAD_PACKETS_BEFORE_A_FRAME = 300
# Packets ending this much before an MP4's announced end mean the file was cut (timestamps round).
_CUT_SHORT_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class VideoLimits:
    max_duration_s: float = DEFAULT_MAX_DURATION_S
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class VideoInfo:
    width: int  # as displayed, i.e. after rotation
    height: int
    fps: float
    frame_count: int  # the container's count (may include frames an edit list hides), else duration x fps
    duration_s: float
    rotation: int  # 0, 90, 180 or 270: counter-clockwise turn the metadata asks for (as ffprobe shows it)
    has_audio: bool
    codec: str
    container: str
    audio_codec: str | None = None

    def to_dict(self) -> dict:
        return {
            "width": self.width, "height": self.height, "fps": round(self.fps, 3),
            "frame_count": self.frame_count, "duration_s": round(self.duration_s, 3),
            "rotation": self.rotation, "has_audio": self.has_audio, "codec": self.codec,
            "container": self.container, "audio_codec": self.audio_codec,
        }


@dataclass(frozen=True)
class DecodedFrame:
    index: int
    pts: int | None  # in the stream's time base, as stored
    time_s: float  # from the start of the video
    image: np.ndarray  # upright BGR uint8 at the working size


def probe_video(path, *, limits: VideoLimits | None = None) -> VideoInfo:
    """Read the metadata (decoding one frame to prove the stream is readable), check the limits, and
    that the file holds the stream to its announced end."""
    with VideoReader(path, limits=limits) as reader:
        info = reader.info
    _check_not_cut_short(Path(path))
    return info


def _check_not_cut_short(path: Path) -> None:
    """An MP4 whose index (moov) comes first opens, and decodes up to where its data was cut off,
    without an error; the analysis would find out only at that point, after a wait. The index tells
    where the last second lies: demux (without decoding) from there and see whether the packets go
    on to the announced end."""
    import av

    with _open_container(path) as container:
        stream = _video_stream(container)
        if "mp4" not in container.format.name.split(",") or not stream.duration or not stream.time_base:
            return
        start = stream.start_time or 0
        end = start + stream.duration
        try:
            container.seek(max(start, end - int(1 / stream.time_base)), stream=stream, backward=True)
            reached = max((packet.pts + (packet.duration or 0) for packet in container.demux(stream)
                           if packet.pts is not None), default=start)
        except av.error.FFmpegError as exc:  # the worker reads it through and says what is wrong
            logger.warning("Could not check where %s ends: %s", path.name, exc)
            return
    total_s, reached_s = float(stream.duration * stream.time_base), float((reached - start) * stream.time_base)
    if total_s - reached_s > max(_CUT_SHORT_TOLERANCE_S, 0.05 * total_s):
        raise CorruptVideoError(f"The video is truncated: the file ends after {reached_s:.1f} s of its "
                                f"{total_s:.1f} s.")


class VideoReader:
    """An open video; `frames()` streams it. Use as a context manager."""

    def __init__(self, path, *, limits: VideoLimits | None = None, max_side: int | None = None) -> None:
        import av

        self.path = Path(path)
        self.limits = limits or VideoLimits()
        self._container = _open_container(self.path)
        try:
            self._stream = _video_stream(self._container)
            self._stream.thread_type = "AUTO"  # frame threads: decoding uses every core it can get
            self._av = av
            self._av_frames = self._decode()
            first = self._first = next(self._av_frames, None)
            if first is None:
                raise CorruptVideoError("The video has no frames that can be decoded.")
            self.rotation = _rotation(first)
            self.info = self._describe(first)
            _check_limits(self.info, self.limits)
            self.working_size = working_size(self.info.width, self.info.height, max_side)
        except BaseException:
            self.close()
            raise
        self.time_base: Fraction = self._stream.time_base
        self.frame_rate: Fraction = (self._stream.average_rate or self._stream.guessed_rate
                                     or Fraction(round(self.info.fps * 1000), 1000))
        start = self._container.start_time  # microseconds, the earliest of all streams
        # MPEG-TS clocks start anywhere; times here (and the output) start at zero.
        self.origin_s = start / av.time_base if start and start > 0 else 0.0

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        frames = getattr(self, "_av_frames", None)
        if frames is not None:
            frames.close()  # a suspended demux loop must not outlive its container
        self._container.close()

    def frames(self) -> Iterator[DecodedFrame]:
        """Every frame once, in presentation order; raises CorruptVideoError on a broken stream."""
        if self._first is None:
            raise RuntimeError("frames() streams the video once; open a new VideoReader to read it again.")
        first, self._first = self._first, None
        stored_w, stored_h = self.working_size if self.rotation in (0, 180) else self.working_size[::-1]
        for index, frame in enumerate(itertools.chain((first,), self._av_frames)):
            # Checked per frame: a stream may change resolution midway; the output cannot.
            if (frame.width, frame.height) != (stored_w, stored_h):
                image = frame.to_ndarray(format="bgr24", width=stored_w, height=stored_h, interpolation="AREA")
            else:
                image = frame.to_ndarray(format="bgr24")
            yield DecodedFrame(index=index, pts=frame.pts, time_s=self._time_s(frame, index),
                               image=_upright(image, self.rotation))

    def _decode(self):
        """PyAV frames; skips undecodable packets the way players do."""
        av = self._av
        bad_packets = good_packets = packets = frames = 0
        try:
            for packet in self._container.demux(self._stream):
                if packet.size or packet.dts is not None:  # not the empty packet that flushes the decoder
                    packets += 1
                try:
                    decoded = packet.decode()
                except av.error.FFmpegError as exc:
                    # Any decoder error here is about this packet's bytes, whatever its code (some
                    # decoders return a bare -1, which PyAV reports as EPERM): none ends the video.
                    bad_packets += 1
                    logger.warning("Skipping an undecodable packet in %s: %s", self.path.name, exc)
                    if not frames and bad_packets >= _MAX_BAD_PACKETS_BEFORE_A_FRAME:
                        raise CorruptVideoError(
                            f"The video is corrupt: its first {bad_packets} frames cannot be decoded."
                        ) from exc
                    continue
                good_packets += 1
                frames += len(decoded)
                yield from decoded
        except av.error.FFmpegError as exc:
            logger.warning("Reading %s stopped after %d packets: %s", self.path.name, packets, exc)
            raise CorruptVideoError(
                "The video is corrupt or truncated and cannot be read to the end."
            ) from exc
        if bad_packets >= _MIN_BAD_PACKETS_TO_REFUSE and bad_packets > good_packets:
            raise CorruptVideoError(  # packets, told as frames: one packet holds one frame of video
                f"The video is corrupt: most of it cannot be decoded ({bad_packets} of its "
                f"{bad_packets + good_packets} frames)."
            )
        # An MP4 cut short after its index (moov) ends early without any error from FFmpeg;
        # its index still counts every frame.
        expected = self._stream.frames
        if expected and packets < expected and "mp4" in self._container.format.name.split(","):
            raise CorruptVideoError(f"The video is truncated: the file ends after {packets} of its {expected} frames.")

    def _time_s(self, frame, index: int) -> float:
        if frame.pts is None:
            return index / float(self.frame_rate)
        return max(0.0, float(frame.pts * self.time_base) - self.origin_s)

    def _describe(self, first) -> VideoInfo:
        stream, container = self._stream, self._container
        fps = float(stream.average_rate or stream.guessed_rate or 0) or 25.0
        if stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / 1_000_000
        else:
            duration = (stream.frames or 0) / fps
        width, height = stream.codec_context.width or first.width, stream.codec_context.height or first.height
        rotation = _rotation(first)
        if rotation in (90, 270):
            width, height = height, width
        audio = container.streams.audio
        return VideoInfo(
            width=int(width), height=int(height), fps=fps,
            frame_count=int(stream.frames or round(duration * fps)), duration_s=duration, rotation=rotation,
            has_audio=bool(audio), codec=codec_name(stream), container=container.format.name,
            audio_codec=codec_name(audio[0]) if audio else None,
        )


def codec_name(stream) -> str:
    """The codec's own name (mp3), not its decoder's (mp3float), as ffprobe prints it."""
    codec = stream.codec_context.codec
    return getattr(codec, "canonical_name", None) or codec.name


def working_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """The processing and output size: at most max_side on the longer side, both sides even
    (yuv420p needs even sizes), aspect ratio kept."""
    factor = 1.0 if not max_side or max(width, height) <= max_side else max_side / max(width, height)
    return max(2, int(width * factor) // 2 * 2), max(2, int(height * factor) // 2 * 2)


def _open_container(path: Path):
    import av

    size = path.stat().st_size  # FileNotFoundError for a missing path, as open() would raise
    if size == 0:
        raise EmptyFileError()
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        # FFmpeg's words ("[Errno 1094995529] Invalid data found when processing input:
        # '/tmp/fer-upload-....mp4'") are for the log; the person who uploaded it gets a plain reason.
        logger.warning("FFmpeg cannot open %s: %s", path.name, exc)
        if _looks_like_video(path):
            raise CorruptVideoError("The video file is corrupt or truncated and cannot be opened.") from exc
        raise UnsupportedVideoFormatError(ACCEPTED_VIDEO_FORMATS) from exc
    try:
        if not _has_video(container):
            raise NoVideoStreamError()
        if not set(container.format.name.split(",")) & _VIDEO_DEMUXERS:
            raise UnsupportedVideoFormatError(ACCEPTED_VIDEO_FORMATS, f"it is {container.format.long_name}")
    except BaseException:
        container.close()
        raise
    return container


def _has_video(container) -> bool:
    return any(not _is_cover_art(stream) for stream in container.streams.video)


def _is_cover_art(stream) -> bool:
    import av

    # Music files carry album art as a one-picture "video" stream.
    return bool(stream.disposition & av.stream.Disposition.attached_pic)


def _video_stream(container):
    stream = next(s for s in container.streams.video if not _is_cover_art(s))
    name = stream.codec_context.name if stream.codec_context is not None else ""
    if stream.codec_context is None or not _has_decoder(name):
        raise UnsupportedVideoCodecError(_codec_label(stream, name), ACCEPTED_VIDEO_FORMATS)
    return stream


def _codec_label(stream, name: str) -> str:
    tag = getattr(stream.codec_context, "codec_tag", "") if stream.codec_context is not None else ""
    tag = tag.strip("\x00 ") if isinstance(tag, str) else ""
    if name and name != "none":
        return name
    return f"unknown, tagged {tag!r}" if tag else "unknown"


def _has_decoder(name: str) -> bool:
    import av

    if not name or name == "none":
        return False
    try:
        av.codec.Codec(name, "r")
    except (av.error.FFmpegError, ValueError):
        return False
    return True


def _rotation(frame) -> int:
    angle = getattr(frame, "rotation", 0) or 0
    right_angle = int(round(angle / 90.0)) * 90 % 360
    if not math.isclose(angle % 90, 0, abs_tol=1) and not math.isclose(angle % 90, 90, abs_tol=1):
        logger.warning("Ignoring a display rotation of %.1f degrees (not a right angle).", angle)
        return 0
    return right_angle


def _upright(image: np.ndarray, rotation: int) -> np.ndarray:
    import cv2

    if rotation == 90:
        return cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)
    if rotation == 180:
        return cv2.rotate(image, cv2.ROTATE_180)
    if rotation == 270:
        return cv2.rotate(image, cv2.ROTATE_90_CLOCKWISE)
    return image


def _check_limits(info: VideoInfo, limits: VideoLimits) -> None:
    if info.width * info.height > limits.max_pixels:
        raise VideoTooLargeError(
            f"The video's frames are {info.width}x{info.height} ({info.width * info.height / 1e6:.1f} MP); "
            f"the limit is {limits.max_pixels / 1e6:.1f} MP. Export it at a lower resolution and upload again."
        )
    if info.duration_s > limits.max_duration_s:
        raise VideoTooLongError(info.duration_s, limits.max_duration_s)


def _looks_like_video(path: Path) -> bool:
    """Judged by the first bytes, so a cut-off MP4 reads as corrupt rather than 'not a video'."""
    with path.open("rb") as handle:
        head = handle.read(12)
    return (
        head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")
        or head[:4] == b"\x1a\x45\xdf\xa3"  # Matroska / WebM
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
        or head[:4] == b"\x00\x00\x01\xba"  # MPEG program stream
    )
