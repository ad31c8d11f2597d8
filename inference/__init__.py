"""Facial-expression recognition: face detection, 7-emotion classification, rendering.

Plain Python (no Django). Importing it is cheap: TensorFlow and the models load
on first use, once per process.

    from inference import analyze_image, load_image, render_annotated
    image = load_image("photo.jpg")
    analysis = analyze_image(image)          # ImageAnalysis; faces == [] is a normal result
    annotated = render_annotated(image, analysis)
"""

from .detectors import ACCURATE_DETECTOR, DETECTORS, FAST_DETECTOR
from .errors import (
    CorruptImageError,
    EmptyFileError,
    ImageTooLargeError,
    IncompatibleModelError,
    InferenceError,
    ModelNotFoundError,
    UnknownDetectorError,
    UnsupportedFormatError,
)
from .imageio import ACCEPTED_FORMATS, decode_image, encode_jpeg, load_image
from .labels import EMOJI, EMOTIONS
from .pipeline import DEFAULT_MODEL_PATH, Engine, EngineOptions, analyze_image, get_engine
from .render import render_annotated
from .types import Face, ImageAnalysis

__all__ = [
    "ACCEPTED_FORMATS",
    "ACCURATE_DETECTOR",
    "DEFAULT_MODEL_PATH",
    "DETECTORS",
    "EMOJI",
    "EMOTIONS",
    "FAST_DETECTOR",
    "CorruptImageError",
    "EmptyFileError",
    "Engine",
    "EngineOptions",
    "Face",
    "ImageAnalysis",
    "ImageTooLargeError",
    "IncompatibleModelError",
    "InferenceError",
    "ModelNotFoundError",
    "UnknownDetectorError",
    "UnsupportedFormatError",
    "analyze_image",
    "decode_image",
    "encode_jpeg",
    "get_engine",
    "load_image",
    "render_annotated",
]
