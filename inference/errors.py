"""Typed errors of the inference library; every message is fit to show to a user."""


class InferenceError(Exception):
    """Base class: catch this to handle any failure of the library."""


class EmptyFileError(InferenceError):
    def __init__(self) -> None:
        super().__init__("The file is empty.")


class UnsupportedFormatError(InferenceError):
    def __init__(self, accepted: tuple[str, ...]) -> None:
        self.accepted = accepted
        super().__init__(
            "This file is not a supported image. Accepted formats: " + ", ".join(accepted) + "."
        )


class CorruptImageError(InferenceError):
    """`reason` is a short one a person understands ("the file ends early"); the decoder's own
    words (offsets, marker names, Python object reprs) are for the log, not for this message."""

    def __init__(self, image_format: str, reason: str = "") -> None:
        self.image_format, self.reason = image_format, reason
        because = f" ({reason})" if reason else ""
        super().__init__(f"The {image_format} image is corrupt or truncated{because}, so it cannot be opened.")


class ImageTooLargeError(InferenceError):
    """Raised for files over the byte limit and images over the pixel limit."""


class ModelNotFoundError(InferenceError):
    def __init__(self, path) -> None:
        self.path = path
        super().__init__(
            f"The emotion model file was not found at {path}. Train it with "
            "`python -m training.train` or set the model path (FER_MODEL_PATH)."
        )


class UnknownDetectorError(InferenceError):
    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"Unknown face detector {name!r}. Known detectors: {', '.join(known)}.")


class IncompatibleModelError(InferenceError):
    """The model file loads but does not honour the contract: (N, 48, 48, 1) in, (N, 7) out."""


# Video (issue 4) --------------------------------------------------------------------------


class UnsupportedVideoFormatError(UnsupportedFormatError):
    """A file that is not a video at all; an UnsupportedFormatError so one handler serves both."""

    def __init__(self, accepted: tuple[str, ...], detail: str = "") -> None:
        self.accepted = accepted
        message = "This file is not a supported video. Accepted formats: " + ", ".join(accepted) + "."
        if detail:
            message = f"{message} ({detail})"
        InferenceError.__init__(self, message)


class UnsupportedVideoCodecError(UnsupportedVideoFormatError):
    """The container is fine but no decoder here reads its video codec."""

    def __init__(self, codec: str, accepted: tuple[str, ...]) -> None:
        self.codec = codec
        self.accepted = accepted
        InferenceError.__init__(
            self,
            f"The video's codec ({codec}) cannot be decoded here. "
            "Re-encode it as H.264 in MP4 and upload it again.",
        )


class CorruptVideoError(InferenceError):
    """A video container or stream that cannot be read to the end (corrupt, truncated, no frames).

    Its message is for a person: FFmpeg's error text (errno, temporary file path) goes to the log.
    """


class NoVideoStreamError(InferenceError):
    def __init__(self) -> None:
        super().__init__("The file has no video track (is it audio only?). Upload a video file.")


class VideoTooLongError(InferenceError):
    def __init__(self, duration_s: float, limit_s: float) -> None:
        self.duration_s, self.limit_s = duration_s, limit_s
        super().__init__(
            f"The video lasts {_clock(duration_s)}; the limit is {_clock(limit_s)}. Trim it and upload again."
        )


class VideoTooLargeError(InferenceError):
    """Frames over the pixel limit (or a file over the byte limit); the message names the limit."""


def _clock(seconds: float) -> str:
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d} (min:s)"
