"""The annotated MP4: H.264 (yuv420p, +faststart, so browsers play it inline) with the
input's audio, written under a temporary name and renamed only when complete.

Frames keep their input timestamps, so frame count, frame rate (variable ones too) and
duration match the input. Audio packets are copied when MP4 and browsers take their
codec, otherwise re-encoded to AAC; they are read from a second handle on the input,
kept just ahead of the video, so the file is interleaved and memory stays flat.

Damaged audio never costs the video: a packet that cannot be muxed is skipped, and a
track that keeps failing is dropped for the rest of the video, with a warning in the log.
"""

from __future__ import annotations

import logging
import os
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from .timeline import partial_path
from .video_source import codec_name

logger = logging.getLogger(__name__)

DEFAULT_PRESET = "ultrafast"  # x264's fastest; the real-time targets of issue 4 need it on 2 cores
DEFAULT_CRF = 23  # x264's default quality
# Codecs MP4 holds and Chrome, Firefox and Safari play; anything else becomes AAC.
_COPYABLE_AUDIO = frozenset({"aac", "mp3", "opus"})
_AUDIO_LEAD_S = 0.5  # audio is muxed this far ahead of the video it accompanies
# Audio packets failing one after another before the rest of the track is given up. Damage in
# the middle of an MP3 or ADTS stream fails a handful (the parser resyncs with repeated or
# backwards timestamps, ADTS headers fail their bitstream filter); a run this long is a lost cause.
_MAX_AUDIO_FAILURES_IN_A_ROW = 25


class AnnotatedVideoWriter:
    def __init__(self, path, *, width: int, height: int, time_base: Fraction, frame_rate: Fraction,
                 audio_source=None, origin_s: float = 0.0, preset: str = DEFAULT_PRESET,
                 crf: int = DEFAULT_CRF) -> None:
        import av

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._partial = partial_path(self.path)
        self._output = av.open(str(self._partial), mode="w", format="mp4", options={"movflags": "+faststart"})
        self._audio = None
        try:
            stream = self._output.add_stream("libx264", rate=frame_rate)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.time_base = stream.codec_context.time_base = time_base
            stream.options = {"preset": preset, "crf": str(crf)}
            self._video = stream
            if audio_source is not None:
                self._audio = _AudioTrack(audio_source, self._output, origin_s)
        except BaseException:
            self.abort()
            raise
        self._origin_pts = int(round(origin_s / time_base))
        self._time_base = time_base
        self._last_pts: int | None = None
        self._frame_step = max(1, int(round(1 / (frame_rate * time_base)))) if frame_rate else 1

    def write(self, image_bgr: np.ndarray, pts: int | None) -> None:
        self.write_yuv420(bgr_to_yuv420(image_bgr), pts)

    def write_yuv420(self, yuv420: np.ndarray, pts: int | None) -> None:
        """Like write(), for a frame bgr_to_yuv420 already converted (in another thread, say)."""
        import av

        if pts is None:
            pts = 0 if self._last_pts is None else self._last_pts + self._frame_step
        else:
            pts -= self._origin_pts
        if self._last_pts is not None and pts <= self._last_pts:
            pts = self._last_pts + 1  # the encoder needs strictly increasing timestamps
        self._last_pts = pts
        frame = av.VideoFrame.from_ndarray(yuv420, format="yuv420p")
        frame.pts, frame.time_base = pts, self._time_base
        if self._audio is not None:
            self._audio.mux_until(float(pts * self._time_base) + _AUDIO_LEAD_S)
        self._output.mux(self._video.encode(frame))

    def finish(self) -> Path:
        """Flush, close, and move the file into place; returns its path."""
        self._output.mux(self._video.encode(None))
        if self._audio is not None:
            self._audio.finish()
        self._output.close()
        os.replace(self._partial, self.path)
        return self.path

    def abort(self) -> None:
        try:
            if self._audio is not None:
                self._audio.close()
            self._output.close()
        except Exception:  # the file is being thrown away; a failed close changes nothing
            logger.debug("Closing an aborted video output failed", exc_info=True)
        self._partial.unlink(missing_ok=True)


def bgr_to_yuv420(image_bgr: np.ndarray) -> np.ndarray:
    """The encoder's input: planar I420, (height * 3 / 2, width) uint8."""
    # OpenCV's BGR -> I420 (BT.601, limited range, like swscale's default) costs a fifth
    # of PyAV's bgr24 reformat: 0.9 ms against 4.2 ms for a 720p frame.
    return cv2.cvtColor(image_bgr, cv2.COLOR_BGR2YUV_I420)


class _AudioTrack:
    def __init__(self, source, output, origin_s: float) -> None:
        import av

        self._av = av
        self._name = Path(source).name  # for the log
        self._input = av.open(str(source), metadata_errors="ignore")
        self._in_stream = self._input.streams.audio[0]
        name = codec_name(self._in_stream)
        self._copy = name in _COPYABLE_AUDIO
        if self._copy:
            self._out_stream = output.add_stream_from_template(self._in_stream)
        else:
            self._out_stream = output.add_stream("aac", rate=self._in_stream.codec_context.sample_rate or 48000)
            logger.info("Re-encoding %s audio as AAC for MP4.", name)
        self._output = output
        self._origin = int(round(origin_s / self._in_stream.time_base)) if self._in_stream.time_base else 0
        self._packets = self._input.demux(self._in_stream)
        self._pending = None
        self._done = False
        self._failures_in_a_row = 0

    def mux_until(self, time_s: float) -> None:
        while not self._done:
            try:
                packet = self._pending if self._pending is not None else next(self._packets, None)
            except self._av.error.FFmpegError as exc:
                self._give_up(f"reading it stopped ({exc})")
                break
            self._pending = None
            if packet is None:
                self._done = True
                break
            if packet.dts is None and packet.pts is None:
                continue  # the demuxer's end-of-stream marker
            if packet.pts is not None and float((packet.pts - self._origin) * packet.time_base) > time_s:
                self._pending = packet
                break
            self._mux_or_skip(packet)

    def finish(self) -> None:
        self.mux_until(float("inf"))
        if not self._copy:
            self._mux_or_skip(None)  # flushes the AAC encoder
        self.close()

    def close(self) -> None:
        self._packets.close()
        self._input.close()

    def _mux_or_skip(self, packet) -> None:
        """Mux `packet` (None: flush the encoder); a damaged one is skipped, a run of them ends the track.

        Every FFmpeg error counts as damage: one that is really the output's (a full disk) fails
        the video's next write, or the file's close, so it is not lost here.
        """
        time_s = None if packet is None or packet.pts is None else \
            float((packet.pts - self._origin) * packet.time_base)  # read now: _mux shifts the packet
        try:
            self._mux(packet)
        except self._av.error.FFmpegError as exc:
            self._failures_in_a_row += 1
            logger.warning("Skipping a damaged audio packet of %s%s: %s", self._name,
                           "" if time_s is None else f" at {time_s:.2f} s", exc)
            if self._failures_in_a_row >= _MAX_AUDIO_FAILURES_IN_A_ROW:
                self._give_up(f"{self._failures_in_a_row} packets in a row failed")
        else:
            self._failures_in_a_row = 0

    def _give_up(self, reason: str) -> None:
        logger.warning("The audio of %s is too damaged to keep (%s); the annotated video goes on without it.",
                       self._name, reason)
        self._done = True
        self._pending = None

    def _mux(self, packet) -> None:
        if packet is None:
            self._output.mux(self._out_stream.encode(None))
            return
        if self._copy:
            if packet.pts is not None:
                packet.pts -= self._origin
            if packet.dts is not None:
                packet.dts -= self._origin
            packet.stream = self._out_stream
            self._output.mux(packet)
            return
        for frame in packet.decode():
            frame.pts = None  # the AAC encoder numbers samples itself, from zero
            self._output.mux(self._out_stream.encode(frame))
