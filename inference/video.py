"""Video analysis: decode -> detect every few frames + track -> classify -> smooth -> render -> encode.

Decoding, detection, classification with drawing, and encoding run in four threads joined by
short queues.

`iter_video_frames` is the generator underneath: one FrameResult at a time, holding
only the frames between two detection rounds, so memory does not grow with the video.
`process_video` drives it and writes the annotated MP4, the CSV/JSON timeline and a
summary, each under a temporary name until complete.

    result = process_video("ad.mp4", annotated_path="out.mp4", timeline_csv_path="t.csv",
                           timeline_json_path="t.json", progress=print)
"""

from __future__ import annotations

import time
from collections import deque
from contextlib import closing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .background import BackgroundWorker, prefetch
from .crop import face_crop_gray48
from .detectors import FAST_DETECTOR, DetectedFace
from .errors import VideoTooLongError
from .labels import EMOTIONS
from .pipeline import EngineOptions, detect_downscaled, get_engine
from .smoothing import ProbabilitySmoother
from .timeline import TimelineSummary, TimelineWriter, TrackSummary
from .tracking import FaceTracker
from .video_render import draw_video_annotations
from .video_source import DecodedFrame, VideoInfo, VideoLimits, VideoReader
from .video_writer import DEFAULT_CRF, DEFAULT_PRESET, AnnotatedVideoWriter, bgr_to_yuv420

ProgressCallback = Callable[[int, int, float], None]
_PROGRESS_INTERVAL_S = 0.5
# Frames waiting between the decode, analysis and render+encode threads (each at most
# max_side^2 x 3 bytes: 11 MB at 1920x1920 before the pixel limit scales it down).
_QUEUE_DEPTH = 8


@dataclass(frozen=True)
class VideoOptions:
    detector: str = FAST_DETECTOR  # video uses the fast detector whatever EngineOptions.detector says
    detect_every: int = 5  # frames; the last frame is always a detection frame too
    # Frames between classifier runs per face (others reuse the latest output; the moving
    # average blends it): 2 keeps 15 readings a second at 30 fps for half the cost.
    classify_every: int = 2
    smoothing: float = 0.3  # half-life in seconds of the per-track moving average of probabilities; 0: off
    max_side: int = 1920  # longer side of the processed and annotated frames; bigger videos shrink to it
    detect_max_side: int = 640  # frames shrink further for the detector (BlazeFace sees 192 px anyway)
    max_missed_frames: int | None = None  # a track ends after this many frames unseen; None: 2 x detect_every
    chart_points: int = 240  # per track, for the chart in VideoResult
    encoder_preset: str = DEFAULT_PRESET
    crf: int = DEFAULT_CRF
    limits: VideoLimits = field(default_factory=VideoLimits)

    def __post_init__(self) -> None:
        for name in ("detect_every", "classify_every", "max_side", "detect_max_side", "chart_points"):
            if getattr(self, name) < 1:
                raise ValueError(f"VideoOptions.{name} must be at least 1.")
        if self.smoothing < 0:
            raise ValueError("VideoOptions.smoothing is a half-life in seconds and cannot be negative.")

    @property
    def missed_frames_limit(self) -> int:
        return 2 * self.detect_every if self.max_missed_frames is None else self.max_missed_frames


@dataclass(frozen=True)
class TrackedFace:
    track_id: int
    box: tuple[int, int, int, int]  # x, y, w, h in video pixels (VideoInfo.width x height, upright)
    probabilities: dict[str, float]  # smoothed, EMOTIONS order
    label: str
    confidence: float
    detection_score: float
    detected: bool  # the detector saw it on this frame; False: interpolated between detections or held

    def to_dict(self) -> dict:
        return {"track_id": self.track_id, "box": list(self.box),
                "probabilities": {name: float(p) for name, p in self.probabilities.items()},
                "label": self.label, "confidence": self.confidence,
                "detection_score": self.detection_score, "detected": self.detected}


@dataclass(frozen=True)
class FrameResult:
    index: int
    time_s: float
    faces: list[TrackedFace]
    image: np.ndarray | None = field(default=None, repr=False, compare=False)  # upright BGR working frame
    pts: int | None = field(default=None, repr=False)  # input timestamp, in the stream's time base

    def to_dict(self) -> dict:
        return {"index": self.index, "time_s": round(self.time_s, 3), "faces": [f.to_dict() for f in self.faces]}


@dataclass(frozen=True)
class VideoResult:
    info: VideoInfo
    frames: int  # frames decoded, analysed and written
    width: int  # of the annotated video
    height: int
    detector: str
    model: str
    tracks: list[TrackSummary]
    chart: list[dict]  # [{time_s, track_id, probabilities}], averaged over chart bins
    timings_s: dict[str, float]  # busy seconds per stage (stages overlap in threads), and total
    realtime_factor: float | None  # processing seconds / video seconds

    def to_dict(self) -> dict:
        return {
            "info": self.info.to_dict(), "frames": self.frames,
            "output": {"width": self.width, "height": self.height, "codec": "h264"},
            "detector": self.detector, "model": self.model,
            "tracks": [track.to_dict() for track in self.tracks], "chart": self.chart,
            "timings": {stage: round(s, 3) for stage, s in self.timings_s.items()},
            "realtime_factor": None if self.realtime_factor is None else round(self.realtime_factor, 4),
        }


def iter_video_frames(input_path, *, options: EngineOptions | None = None,
                      video_options: VideoOptions | None = None) -> Iterator[FrameResult]:
    """Analyse a video lazily, one FrameResult (with its working image) at a time."""
    video_options = video_options or VideoOptions()
    engine = get_engine(options)
    with VideoReader(input_path, limits=video_options.limits, max_side=video_options.max_side) as reader:
        yield from _analyse(reader, engine, video_options, _Stopwatch())


def process_video(input_path, *, annotated_path, timeline_csv_path, timeline_json_path,
                  options: EngineOptions | None = None, video_options: VideoOptions | None = None,
                  progress: ProgressCallback | None = None) -> VideoResult:
    """Write the annotated MP4 and the timeline files; return the summary.

    Raises the InferenceError subclasses of video_source for unreadable or over-limit input;
    nothing is left at the output paths unless the whole video was processed.
    """
    video_options = video_options or VideoOptions()
    engine = get_engine(options)
    # Models load (once per process) before any output exists and outside the measured time.
    detector, classifier = engine.detector(video_options.detector), engine.classifier
    started = time.perf_counter()
    stopwatch = _Stopwatch()
    with VideoReader(input_path, limits=video_options.limits, max_side=video_options.max_side) as reader:
        info = reader.info
        width, height = reader.working_size
        writer = AnnotatedVideoWriter(
            annotated_path, width=width, height=height, time_base=reader.time_base,
            frame_rate=reader.frame_rate, audio_source=input_path if info.has_audio else None,
            origin_s=reader.origin_s, preset=video_options.encoder_preset, crf=video_options.crf)
        try:
            timeline = TimelineWriter(timeline_csv_path, timeline_json_path, info=info.to_dict())
        except BaseException:
            writer.abort()
            raise
        summary = TimelineSummary(duration_s=info.duration_s, chart_points=video_options.chart_points)
        report = _ProgressReporter(progress, info.frame_count)
        scale = (width / info.width, height / info.height)

        def encode(frame: tuple[np.ndarray, int | None]) -> None:
            with stopwatch("encode"):
                writer.write_yuv420(*frame)

        encoder = BackgroundWorker(encode, depth=_QUEUE_DEPTH, name="video-encode")
        analysis = _analyse(reader, engine, video_options, stopwatch)
        frames = 0
        try:
            for result in analysis:
                timeline.write(result.index, result.time_s, result.faces)
                summary.add(result.time_s, result.faces)
                # Drawing and the colour conversion run here, not in the encoder's thread: x264 alone
                # keeps that thread busy, and the threads stay about evenly loaded.
                with stopwatch("render"):
                    draw_video_annotations(result.image, result.faces, scale)  # the frame is ours alone now
                    frame = (bgr_to_yuv420(result.image), result.pts)
                encoder.submit(frame)
                frames += 1
                report(frames)
            encoder.join()
            with stopwatch("encode"):
                writer.finish()
            timeline.finish(summary.track_dicts())
        except BaseException:
            encoder.cancel()
            writer.abort()
            timeline.abort()
            raise
        finally:
            analysis.close()  # stops the decoding thread before the reader closes the file
    report(frames, final=True)
    total = time.perf_counter() - started
    return VideoResult(
        info=info, frames=frames, width=width, height=height, detector=detector.name, model=classifier.name,
        tracks=[summary.tracks[track_id] for track_id in sorted(summary.tracks)], chart=summary.chart(),
        timings_s={**stopwatch.totals, "total": total},
        realtime_factor=total / info.duration_s if info.duration_s > 0 else None,
    )


def _analyse(reader: VideoReader, engine, video_options: VideoOptions, stopwatch) -> Iterator[FrameResult]:
    detector = engine.detector(video_options.detector)
    classifier = engine.classifier
    tracker = FaceTracker(max_missed_frames=video_options.missed_frames_limit)
    smoother = ProbabilitySmoother(video_options.smoothing)
    info = reader.info
    width, height = reader.working_size
    to_video = (info.width / width, info.height / height)
    every = video_options.detect_every

    def detect(frame: DecodedFrame):
        with stopwatch("detect"):
            return detect_downscaled(detector, frame.image, video_options.detect_max_side)

    latest: dict[int, np.ndarray] = {}  # track id -> its latest classifier output

    def release(frames: list[DecodedFrame], boxes: dict) -> Iterator[FrameResult]:
        with stopwatch("classify"):
            wanted = [(frame, tracked) for frame in frames for tracked in boxes.get(frame.index, ())
                      if frame.index % video_options.classify_every == 0 or tracked.track_id not in latest]
            crops = np.stack([face_crop_gray48(frame.image, t.box) for frame, t in wanted]) if wanted else \
                np.empty((0, 48, 48), np.uint8)
            fresh = dict(zip(((frame.index, t.track_id) for frame, t in wanted), classifier.predict(crops)))
        for frame in frames:
            # The container's duration may understate it: the frames decoded tell (both callers' check).
            if frame.time_s > video_options.limits.max_duration_s:
                raise VideoTooLongError(frame.time_s, video_options.limits.max_duration_s)
            faces = []
            for tracked in boxes.get(frame.index, ()):
                raw = fresh.get((frame.index, tracked.track_id))
                if raw is None:
                    raw = latest[tracked.track_id]
                latest[tracked.track_id] = raw
                smoothed = smoother.update(tracked.track_id, frame.time_s, raw)
                box = frame_box(tracked.box, to_video, info.width, info.height)
                faces.append(tracked_face(tracked, box, smoothed))
            yield FrameResult(index=frame.index, time_s=frame.time_s, faces=faces, image=frame.image, pts=frame.pts)

    def with_detections(frames) -> Iterator[tuple[DecodedFrame, list[DetectedFace] | None]]:
        with closing(frames):  # stops the decoding thread when this stage stops
            for frame in frames:
                yield frame, (detect(frame) if frame.index % every == 0 else None)

    # The detector gets a thread of its own: in this one it left classifying, tracking and
    # drawing one core's worth of work, the limit on small videos.
    decoded = prefetch(stopwatch.timed_iter("decode", reader.frames()), depth=_QUEUE_DEPTH, name="video-decode")
    pending: deque[DecodedFrame] = deque()
    for frame, detections in prefetch(with_detections(decoded), depth=_QUEUE_DEPTH, name="video-detect"):
        pending.append(frame)
        if detections is not None:
            boxes = tracker.advance(frame.index, detections)
            yield from release([pending.popleft() for _ in range(len(pending) - 1)], boxes)
    if not pending:
        return
    last = pending[-1]
    if last.index % every != 0:  # close the final stretch with a detection on the last frame
        boxes = tracker.advance(last.index, detect(last))
        yield from release([pending.popleft() for _ in range(len(pending) - 1)], boxes)
    yield from release([pending.popleft()], tracker.finish())


def frame_box(box, scale: tuple[float, float], width: int, height: int) -> tuple[int, int, int, int]:
    """A tracked (float) box scaled to the output frame, rounded and kept inside its width x height."""
    x, y, w, h = box
    left, top = max(0, round(x * scale[0])), max(0, round(y * scale[1]))
    right, bottom = min(width, round((x + w) * scale[0])), min(height, round((y + h) * scale[1]))
    return (int(left), int(top), int(max(1, right - left)), int(max(1, bottom - top)))


def tracked_face(tracked, box: tuple[int, int, int, int], smoothed: np.ndarray) -> TrackedFace:
    """A tracking.TrackedBox with its smoothed probabilities (EMOTIONS order) -> TrackedFace."""
    top = int(np.argmax(smoothed))
    return TrackedFace(track_id=tracked.track_id, box=box,
                       probabilities={name: float(p) for name, p in zip(EMOTIONS, smoothed)},
                       label=EMOTIONS[top], confidence=float(smoothed[top]),
                       detection_score=round(float(tracked.score), 4), detected=tracked.detected)


class _Stopwatch:
    def __init__(self) -> None:
        self.totals: dict[str, float] = dict.fromkeys(("decode", "detect", "classify", "render", "encode"), 0.0)

    def __call__(self, stage: str) -> "_Lap":
        return _Lap(self, stage)

    def timed_iter(self, stage: str, iterator):
        iterator = iter(iterator)
        while True:
            start = time.perf_counter()
            try:
                item = next(iterator)
            except StopIteration:
                self.totals[stage] += time.perf_counter() - start
                return
            self.totals[stage] += time.perf_counter() - start
            yield item


class _Lap:
    def __init__(self, stopwatch: _Stopwatch, stage: str) -> None:
        self._stopwatch, self._stage = stopwatch, stage

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *exc) -> None:
        self._stopwatch.totals[self._stage] += time.perf_counter() - self._start


class _ProgressReporter:
    """Calls progress(frames_done, frames_total, frames_per_s) about twice a second."""

    def __init__(self, callback: ProgressCallback | None, frames_total: int) -> None:
        self._callback = callback
        self._total = frames_total
        self._started = self._last = time.perf_counter()

    def __call__(self, frames_done: int, *, final: bool = False) -> None:
        if self._callback is None:
            return
        now = time.perf_counter()
        if not final and now - self._last < _PROGRESS_INTERVAL_S:
            return
        self._last = now
        # Container frame counts can include frames an edit list hides; never report over 100%.
        total = frames_done if final else max(self._total, frames_done)
        self._callback(frames_done, total, frames_done / max(now - self._started, 1e-9))


__all__ = ["FrameResult", "TrackedFace", "VideoOptions", "VideoResult", "iter_video_frames", "process_video"]
