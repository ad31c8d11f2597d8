"""Facial-expression recognition: face detection, 7-emotion classification, rendering.

Plain Python (no Django). Importing it is cheap: TensorFlow and the models load
on first use, once per process.

    from inference import analyze_image, load_image, render_annotated
    image = load_image("photo.jpg")
    analysis = analyze_image(image)          # ImageAnalysis; faces == [] is a normal result
    annotated = render_annotated(image, analysis)

Video: probe_video, process_video, iter_video_frames, VideoOptions, ...; the live camera:
LiveSession, LiveOptions; timelines: TimelineWriter, TimelineSummary. These load PyAV on first
use (module __getattr__ below). Command lines hide TensorFlow's start-up notices with
startup_notices_hidden.
"""

import importlib

from .detectors import ACCURATE_DETECTOR, DETECTORS, FAST_DETECTOR
from .errors import (
    CorruptImageError,
    CorruptVideoError,
    EmptyFileError,
    ImageTooLargeError,
    IncompatibleModelError,
    InferenceError,
    ModelNotFoundError,
    NoVideoStreamError,
    UnknownDetectorError,
    UnsupportedFormatError,
    UnsupportedVideoCodecError,
    UnsupportedVideoFormatError,
    VideoTooLargeError,
    VideoTooLongError,
)
from .imageio import ACCEPTED_FORMATS, decode_image, encode_jpeg, load_image
from .labels import EMOJI, EMOTIONS
from .native_logs import start_tensorflow_quietly, startup_notices_hidden
from .pipeline import DEFAULT_MODEL_PATH, Engine, EngineOptions, analyze_image, get_engine
from .render import render_annotated
from .types import Face, ImageAnalysis

_VIDEO_EXPORTS = {
    "ACCEPTED_VIDEO_FORMATS": ".video_source",
    "VideoInfo": ".video_source",
    "VideoLimits": ".video_source",
    "probe_video": ".video_source",
    "FrameResult": ".video",
    "TrackedFace": ".video",
    "VideoOptions": ".video",
    "VideoResult": ".video",
    "iter_video_frames": ".video",
    "process_video": ".video",
    "CSV_COLUMNS": ".timeline",
    "TimelineSummary": ".timeline",
    "TimelineWriter": ".timeline",
    "LiveOptions": ".live",
    "LiveSession": ".live",
}


def __getattr__(name: str):
    module = _VIDEO_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ACCEPTED_FORMATS",
    "ACCEPTED_VIDEO_FORMATS",
    "CSV_COLUMNS",
    "ACCURATE_DETECTOR",
    "DEFAULT_MODEL_PATH",
    "DETECTORS",
    "EMOJI",
    "EMOTIONS",
    "FAST_DETECTOR",
    "CorruptImageError",
    "CorruptVideoError",
    "EmptyFileError",
    "Engine",
    "EngineOptions",
    "Face",
    "FrameResult",
    "ImageAnalysis",
    "ImageTooLargeError",
    "IncompatibleModelError",
    "InferenceError",
    "LiveOptions",
    "LiveSession",
    "ModelNotFoundError",
    "NoVideoStreamError",
    "TimelineSummary",
    "TimelineWriter",
    "TrackedFace",
    "UnknownDetectorError",
    "UnsupportedFormatError",
    "UnsupportedVideoCodecError",
    "UnsupportedVideoFormatError",
    "VideoInfo",
    "VideoLimits",
    "VideoOptions",
    "VideoResult",
    "VideoTooLargeError",
    "VideoTooLongError",
    "analyze_image",
    "decode_image",
    "encode_jpeg",
    "get_engine",
    "iter_video_frames",
    "load_image",
    "probe_video",
    "process_video",
    "render_annotated",
    "start_tensorflow_quietly",
    "startup_notices_hidden",
]
