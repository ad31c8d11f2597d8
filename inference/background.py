"""Two small helpers that let video stages overlap on separate cores.

Decoding (FFmpeg), the detector and classifier (TensorFlow), drawing (OpenCV) and
encoding (x264) all release the GIL while they work, so one thread per stage runs them
side by side. Queues are bounded: memory holds a few frames, whatever the video's length.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

_DONE = object()
_POLL_S = 0.1


def prefetch(iterator, depth: int, name: str = "video-prefetch") -> Iterator:
    """Yield the items of `iterator`, produced up to `depth` ahead in a background thread.

    The producer's exceptions re-raise here; closing this generator stops the producer and
    waits for it, so whatever the iterator reads from can be closed right after."""
    items: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in iterator:
                if not _put(items, (item, None), stop):
                    return
            _put(items, (_DONE, None), stop)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            _put(items, (_DONE, exc), stop)
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()


class BackgroundWorker:
    """Runs `handle(item)` for each submitted item, in order, in one thread.

    `submit` blocks when `depth` items wait; an exception in `handle` is raised by the
    next `submit` or by `join`."""

    def __init__(self, handle: Callable, depth: int, name: str) -> None:
        self._handle = handle
        self._items: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, item) -> None:
        self._raise_error()
        if not _put(self._items, item, self._stop):
            self._raise_error()

    def join(self) -> None:
        """Wait until every submitted item is handled."""
        _put(self._items, _DONE, self._stop)
        self._thread.join()
        self._raise_error()

    def cancel(self) -> None:
        """Stop without handling what is still queued."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                item = self._items.get(timeout=_POLL_S)
            except queue.Empty:
                continue
            if item is _DONE:
                return
            try:
                self._handle(item)
            except BaseException as exc:  # re-raised in the submitting thread
                self._error = exc
                self._stop.set()
                return

    def _raise_error(self) -> None:
        if self._error is not None:
            raise self._error


def _put(items: queue.Queue, item, stop: threading.Event) -> bool:
    """Put unless `stop` is set first; False when stopped."""
    while not stop.is_set():
        try:
            items.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False
