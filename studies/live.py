"""Live camera analysis inside the web process, and the recording of its emotion scores.

Frames are analysed by one thread pool per process, shared first-come first-served
by every connection; since each page keeps one frame in flight, every camera gets
an equal share and a busy server lowers everyone's frame rate rather than letting
queues (and latency) grow. Models load once per process, in that pool.

A recording keeps only what LiveSession returns (boxes and probabilities per face
and frame), streamed into the same timeline files as a video job; the frames
themselves never leave memory.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings

CHART_POINTS = 240
HEARTBEAT_S = 5.0
# How far a frame's time (the page's clock) may run ahead of the server's own since the recording's
# first frame: network jitter, never minutes.
PAGE_CLOCK_SLACK_S = 2.0

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def executor() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=max(1, settings.FER_LIVE_WORKERS),
                                           thread_name_prefix="live-analysis")
        return _executor


async def in_pool(function, *args):
    """Run a blocking call in the live pool without holding up the event loop."""
    return await asyncio.get_running_loop().run_in_executor(executor(), function, *args)


def new_session():
    """A LiveSession on the process's engine; the first call loads the models."""
    from inference import LiveOptions, LiveSession
    from studies.services import get_analysis_engine

    options = LiveOptions(max_frame_bytes=settings.FER_LIVE_MAX_FRAME_BYTES)
    engine = get_analysis_engine()
    engine.warm_up((options.detector,))
    return LiveSession(engine, options)


class LiveRecording:
    """The timeline of one recorded live session, written as results come in.

    Times are seconds since the first recorded frame, by the page's clock (when each frame was
    taken) held to the server's: never backwards, never ahead of the server's time since that frame
    by more than PAGE_CLOCK_SLACK_S, and the length limit counts on the server's clock, so a page
    cannot make a recording longer than allowed. Files go to a private folder until `finish`, when
    the service attaches them to the job.
    """

    def __init__(self, job_id, *, max_seconds: float, clock=time.monotonic) -> None:
        from inference import TimelineSummary, TimelineWriter

        self.job_id = job_id
        self.max_seconds = max_seconds
        self.folder = Path(tempfile.mkdtemp(prefix=f"fer-live-{job_id}-"))
        self.csv_path, self.json_path = self.folder / "timeline.csv", self.folder / "timeline.json"
        self._writer = TimelineWriter(self.csv_path, self.json_path, info={"source": "live camera"})
        self._summary = TimelineSummary(duration_s=None, chart_points=CHART_POINTS)
        self.frames = 0
        self.width = self.height = 0
        self._origin_s: float | None = None
        self.clock = clock  # the server's; tests give their own
        self._started: float | None = None  # the server's clock at the first frame
        self.duration_s = 0.0
        self._last_heartbeat = clock()
        self._lock = threading.Lock()

    def add(self, frame) -> None:
        """Record one inference.live.LiveFrame."""
        with self._lock:
            now = self.clock()
            if self._origin_s is None:
                self._origin_s, self._started = frame.time_s, now
            latest_s = now - self._started + PAGE_CLOCK_SLACK_S
            time_s = min(max(self.duration_s, frame.time_s - self._origin_s), latest_s)
            self._writer.write(self.frames, time_s, frame.faces)
            self._summary.add(time_s, frame.faces)
            self.frames += 1
            self.duration_s = time_s
            self.width, self.height = frame.width, frame.height

    @property
    def is_full(self) -> bool:
        if self._started is None:
            return False
        return self.duration_s >= self.max_seconds or self.clock() - self._started >= self.max_seconds

    def heartbeat_due(self) -> bool:
        now = self.clock()
        if now - self._last_heartbeat < HEARTBEAT_S:
            return False
        self._last_heartbeat = now
        return True

    def progress(self) -> dict:
        return {"frames": self.frames, "seconds": round(self.duration_s, 1), "faces": len(self._summary.tracks)}

    def finish(self) -> dict:
        """Close the files; returns the job result in the video result's shape."""
        with self._lock:
            tracks = self._summary.track_dicts()
            self._writer.finish(tracks)
            return {
                "info": {"source": "live camera", "width": self.width, "height": self.height,
                         "frame_count": self.frames, "duration_s": round(self.duration_s, 3),
                         "fps": round(self.frames / self.duration_s, 2) if self.duration_s > 0 else None},
                "frames": self.frames,
                "tracks": tracks,
                "chart": self._summary.chart(),
            }

    def discard(self) -> None:
        with self._lock:
            self._writer.abort()
            shutil.rmtree(self.folder, ignore_errors=True)

    def remove_files(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
