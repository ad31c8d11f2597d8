"""The live-camera WebSocket protocol: parsing client messages and pacing a connection.

Plain Python (no Django, no I/O), so every rule here is tested without a server.

Client -> server, JSON text messages:
    {"type": "frame", "seq": 12, "t": 1234.5, "image": "<base64 JPEG, PNG or WebP>"[, "ad_ms": 5120]}
        seq: any integer, echoed back; t: capture time in milliseconds on any clock that
        only moves forward (the page sends performance.now()); image may be a data: URL;
        ad_ms (viewer pages only): where the ad was when the frame was captured.
    {"type": "record", "action": "start" | "stop"}     (live camera page only)
    {"type": "finish"}                                  (viewer page: the ad ended)
Server -> client:
    {"type": "ready", ...limits}                once the models are loaded: start sending
    {"type": "result", "seq", "t", "width", "height", "faces": [...], "timings_ms", "server_ms"}
    {"type": "error", "seq", "code", "message"[, "retry_after_ms"]}     the connection stays open
The client sends its next frame when the previous answer arrived, so nothing queues up.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass


class LiveProtocolError(Exception):
    """A message the server refuses; `code` is machine-readable, `message` is for people."""

    def __init__(self, code: str, message: str, *, seq=None, retry_after_ms: int | None = None):
        super().__init__(message)
        self.code, self.message, self.seq, self.retry_after_ms = code, message, seq, retry_after_ms

    def to_message(self) -> dict:
        reply = {"type": "error", "code": self.code, "message": self.message, "seq": self.seq}
        if self.retry_after_ms is not None:
            reply["retry_after_ms"] = self.retry_after_ms
        return reply


@dataclass(frozen=True)
class FrameMessage:
    seq: int | None
    t_ms: float | None
    image: bytes
    ad_ms: int | None = None


# Where "t" may be: performance.now() counts from the page's opening, and a page open for
# thirty years is not one. Beyond it, times in seconds lose the precision tracking needs.
MAX_CLOCK_MS = 1e12
# An unknown message type is named back only this far.
ECHOED_TYPE_CHARS = 40


def unknown_type_error(message_type: str) -> LiveProtocolError:
    shown = message_type if len(message_type) <= ECHOED_TYPE_CHARS else message_type[:ECHOED_TYPE_CHARS] + "…"
    return LiveProtocolError("bad_message", f"Unknown message type {shown!r}.")


def max_message_chars(max_frame_bytes: int) -> int:
    """Base64 grows the frame by a third; a few hundred characters more hold the rest."""
    return max_frame_bytes * 4 // 3 + 1024


def parse_message(text: str | None, *, max_chars: int) -> dict:
    if text is None:
        raise LiveProtocolError("bad_message", "Send JSON text messages; binary messages are not accepted.")
    if len(text) > max_chars:
        raise LiveProtocolError("too_large", f"The message is {len(text):,} characters; the limit is {max_chars:,}. "
                                             "Send smaller (downscaled) frames.")
    try:
        message = json.loads(text)
    except ValueError:
        raise LiveProtocolError("bad_message", "The message is not valid JSON.") from None
    except RecursionError:  # "[[[[..." nested deeper than Python's stack
        raise LiveProtocolError("bad_message", "The message is nested too deeply.") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise LiveProtocolError("bad_message", 'The message must be a JSON object with a "type".')
    return message


def parse_frame(message: dict, *, max_frame_bytes: int) -> FrameMessage:
    seq = message.get("seq")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool)):
        raise LiveProtocolError("bad_message", '"seq" must be an integer.')
    t_ms = message.get("t")
    if t_ms is not None and not (_is_number(t_ms) and 0 <= t_ms <= MAX_CLOCK_MS):
        raise LiveProtocolError("bad_message", '"t" must be a number of milliseconds from 0 (the page sends '
                                               'performance.now()).', seq=seq)
    ad_ms = message.get("ad_ms")
    if ad_ms is not None and (not _is_number(ad_ms) or ad_ms < 0):
        raise LiveProtocolError("bad_message", '"ad_ms" must be a time in the ad, in milliseconds.', seq=seq)
    encoded = message.get("image")
    if not isinstance(encoded, str) or not encoded:
        raise LiveProtocolError("bad_message", 'A frame needs "image": a base64-encoded JPEG.', seq=seq)
    if encoded.startswith("data:"):
        encoded = encoded.partition(",")[2]
    try:
        image = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise LiveProtocolError("bad_base64", '"image" is not valid base64.', seq=seq) from None
    if len(image) > max_frame_bytes:
        raise LiveProtocolError("too_large", f"The frame is {len(image):,} bytes; the limit is "
                                             f"{max_frame_bytes:,} bytes. Send downscaled frames.", seq=seq)
    return FrameMessage(seq=seq, t_ms=None if t_ms is None else float(t_ms), image=image,
                        ad_ms=None if ad_ms is None else int(round(ad_ms)))


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) != float("inf")


class FramePacer:
    """At most `max_fps` frames per second per connection, with a burst of one second's worth.

    A token bucket: the page's own pacing (one frame in flight) stays far under it;
    a client that floods gets `rate_limited` replies instead of server time.
    """

    def __init__(self, max_fps: float, clock=time.monotonic) -> None:
        self.rate = float(max_fps)
        self.capacity = max(1.0, float(max_fps))
        self._tokens = self.capacity
        self._clock = clock
        self._last = clock()

    def take(self) -> int | None:
        """None when the frame may go ahead; otherwise the milliseconds to wait."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return None
        return max(1, int((1.0 - self._tokens) / self.rate * 1000))
