"""Making a viewer's webcam recording behave like any video file: a known length and a seek index.

MediaRecorder writes WebM as a live stream, with neither a duration nor an index (Cues): a player
shows 0:00 and seeks only after reading the whole file. Copying its packets into a new file (no
re-encoding, milliseconds per minute of video) writes both.
"""

import logging
import os
import secrets
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

logger = logging.getLogger(__name__)

# Container formats browsers record in, by the file's extension, with the options that put the
# index where a player finds it first; others are left as they are.
REMUX_FORMATS = {
    "webm": ("webm", {}),
    "mkv": ("matroska", {}),
    "mp4": ("mp4", {"movflags": "+faststart"}),
}


@dataclass(frozen=True)
class Finalized:
    path: Path
    size: int
    duration_ms: int


def finalize(recorded: Path, *, size: int) -> Finalized | None:
    """Write beside `recorded` a copy of its first `size` bytes with a length and a seek index.

    Bytes past `size` are those of a write that failed, and no chunk will overwrite them now: they
    are cut off. None, and nothing written, when the recording is to be left as it came.
    """
    if recorded.stat().st_size > size:
        os.truncate(recorded, size)
    target = recorded.with_name(f"{recorded.stem}-{secrets.token_hex(4)}{recorded.suffix}")
    duration_ms = remux(recorded, target)
    if duration_ms is None:
        return None
    return Finalized(target, target.stat().st_size, duration_ms)


def remux(source: Path, target: Path) -> int | None:
    """Copy `source`'s audio and video packets into `target`; returns the duration in ms.

    A recording cut short (the tab closed mid-write) keeps every packet before the damage. None,
    and no `target`, when the format is not one browsers record in, no packet could be read, or
    a packet could not be written (timestamps going backwards, say): better the recording as it
    came than a copy missing part of it.
    """
    import av

    container_format, options = REMUX_FORMATS.get(source.suffix.lstrip(".").lower(), (None, None))
    if container_format is None:
        return None
    end, packets = Fraction(0), 0
    try:
        with av.open(str(source)) as recorded:
            streams = [stream for stream in recorded.streams if stream.type in ("video", "audio")]
            if not streams:
                return None
            with av.open(str(target), "w", format=container_format, options=options) as indexed:
                copies = {stream.index: indexed.add_stream_from_template(stream) for stream in streams}
                for packet in _readable_packets(recorded, streams, source.name):
                    if packet.pts is not None:
                        end = max(end, (packet.pts + (packet.duration or 0)) * packet.time_base)
                    packet.stream = copies[packet.stream.index]
                    indexed.mux(packet)  # a failure here loses packets: the whole copy is given up
                    packets += 1
    except Exception as error:  # whatever went wrong, the recording as it came still plays
        logger.warning("Recording %s could not be rewritten (%s); left as it came.", source.name, error)
        packets = 0
    if packets == 0:
        target.unlink(missing_ok=True)
        return None
    return round(end * 1000)


def _readable_packets(container, streams, name: str):
    """The packets up to the first one the demuxer cannot read (a file cut mid-write)."""
    import av

    demuxed = container.demux(*streams)
    while True:
        try:
            packet = next(demuxed)
        except StopIteration:
            return
        except av.error.FFmpegError as damage:
            logger.warning("Recording %s is damaged (%s); keeping what came before.", name, damage)
            return
        if packet.dts is not None:  # None: the demuxer's end-of-stream marker
            yield packet
