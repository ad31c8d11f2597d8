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
    def __init__(self, image_format: str, detail: str = "") -> None:
        message = f"The {image_format} image is corrupt or truncated and cannot be decoded."
        if detail:
            message = f"{message} ({detail})"
        super().__init__(message)


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
