"""Making a viewer's webcam recording behave like any video file: a known length and a seek index.

MediaRecorder writes WebM as a live stream, with neither a duration nor an index (Cues): a player
shows 0:00 and seeks only after reading the whole file. Copying its packets into a new file (no
re-encoding, milliseconds per minute of video) writes both.
"""

import logging
from fractions import Fraction
from pathlib import Path

logger = logging.getLogger(__name__)

# Container formats browsers record in, by the file's extension; others are left as they are.
REMUX_FORMATS = {"webm": "webm", "mkv": "matroska", "mp4": "mp4"}


def remux(source: Path, target: Path) -> int | None:
    """Copy `source`'s audio and video packets into `target`; returns the duration in ms.

    A recording cut short (the tab closed mid-write) keeps every packet before the damage. None,
    and no `target`, when the format is not one browsers record in or no packet could be read.
    """
    import av

    container_format = REMUX_FORMATS.get(source.suffix.lstrip(".").lower())
    if container_format is None:
        return None
    end = Fraction(0)
    packets = 0
    try:
        with av.open(str(source)) as recorded:
            streams = [stream for stream in recorded.streams if stream.type in ("video", "audio")]
            if not streams:
                return None
            with av.open(str(target), "w", format=container_format) as indexed:
                copies = {stream.index: indexed.add_stream_from_template(stream) for stream in streams}
                try:
                    for packet in recorded.demux(*streams):
                        if packet.dts is None:
                            continue  # the demuxer's end-of-stream marker
                        if packet.pts is not None:
                            end = max(end, (packet.pts + (packet.duration or 0)) * packet.time_base)
                        packet.stream = copies[packet.stream.index]
                        indexed.mux(packet)
                        packets += 1
                except av.error.FFmpegError as damage:
                    logger.warning("Recording %s is damaged after %d packets (%s); keeping those.",
                                   source.name, packets, damage)
    except av.error.FFmpegError as error:
        logger.warning("Recording %s could not be read (%s); left as it is.", source.name, error)
        packets = 0
    if packets == 0:
        target.unlink(missing_ok=True)
        return None
    return round(end * 1000)
