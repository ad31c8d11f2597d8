"""End-to-end image analysis speed: decode + detect + crop + classify of one photo.

Median over --runs after --warmup runs, for the accurate (MTCNN) and the fast
detector, with per-stage medians. Target: accurate median < 300 ms for
../shared/samples/multi_face.jpg (1000x667, 5 faces) on 2 CPU cores.

    nice .venv/bin/python benchmarks/bench_image.py [--runs 30] [--model PATH] [--image PATH]

Without models/emotion_cnn.tflite (and no --model) it times a randomly
initialised stand-in CNN and says so: the detector dominates either way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SAMPLES = (REPO / ".." / "shared" / "samples").resolve()

import numpy as np  # noqa: E402

from inference import (  # noqa: E402
    ACCURATE_DETECTOR,
    DEFAULT_MODEL_PATH,
    FAST_DETECTOR,
    EngineOptions,
    get_engine,
)
from inference.classifiers.tflite_runtime import cpu_threads  # noqa: E402


def stand_in_model(folder: Path) -> Path:
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((48, 48, 1)),
        keras.layers.Rescaling(1.0 / 255.0),
        keras.layers.Conv2D(32, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(128, 3, activation="relu", padding="same"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(7, activation="softmax"),
    ])
    path = folder / "stand_in_emotion_cnn.keras"
    model.save(path)
    return path


def bench_detector(engine, data: bytes, detector: str, runs: int, warmup: int) -> None:
    for _ in range(warmup):
        analysis = engine.analyze(data, detector=detector)
    per_stage: dict[str, list[float]] = {}
    for _ in range(runs):
        analysis = engine.analyze(data, detector=detector)
        for stage, ms in analysis.timings_ms.items():
            per_stage.setdefault(stage, []).append(ms)
    totals = per_stage["total"]
    stages = "  ".join(f"{stage} {statistics.median(values):6.1f}" for stage, values in per_stage.items()
                       if stage != "total")
    print(f"{detector:10} faces {len(analysis.faces)}  median {statistics.median(totals):6.1f} ms  "
          f"p90 {np.percentile(totals, 90):6.1f}  min {min(totals):6.1f}  | stage medians (ms): {stages}",
          flush=True)


def bench_classifier_batch1(engine, runs: int) -> None:
    crop = np.random.default_rng(0).integers(0, 256, (1, 48, 48), dtype=np.uint8)
    classifier = engine.classifier
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        classifier.predict(crop)
        times.append((time.perf_counter() - start) * 1000)
    print(f"classifier batch-1: median {statistics.median(times):.2f} ms/face", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", type=Path, default=SAMPLES / "multi_face.jpg")
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--min-face-size", type=int, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        model = args.model or (DEFAULT_MODEL_PATH if DEFAULT_MODEL_PATH.is_file() else None)
        label = str(model) if model else "random stand-in CNN (models/emotion_cnn.tflite not found)"
        model = model or stand_in_model(Path(scratch))
        options = EngineOptions(model_path=model)
        if args.min_face_size:
            options = EngineOptions(model_path=model, min_face_size=args.min_face_size)
        data = args.image.read_bytes()
        print(f"image {args.image.name} ({len(data)} bytes), model: {label}")
        print(f"cpu cores available: {cpu_threads()}, runs: {args.runs} after {args.warmup} warm-up, "
              f"min_face_size: {options.min_face_size}")
        load_start = time.perf_counter()
        engine = get_engine(options).warm_up((ACCURATE_DETECTOR, FAST_DETECTOR))
        print(f"model + detectors load: {(time.perf_counter() - load_start) * 1000:.0f} ms")
        for detector in (ACCURATE_DETECTOR, FAST_DETECTOR):
            bench_detector(engine, data, detector, args.runs, args.warmup)
        bench_classifier_batch1(engine, args.runs * 3)


if __name__ == "__main__":
    main()
