"""Reading back video files in tests."""


def video_frame_count_and_duration(path) -> tuple[int, float, str]:
    """Frames (decoded, not the header's claim), duration in seconds and codec of a video file."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        duration = float(stream.duration * stream.time_base) if stream.duration else container.duration / 1e6
        return frames, duration, stream.codec_context.name
