"""Emotion classifier cost on this machine's CPU, through the inference API, on real faces.

Prints, for every model and views asked for, the median milliseconds per face at
batch 1, its 95th percentile, and faces per second at batch 64 (targets:
<= 10 ms and >= 500 faces/s on 2 CPU cores). The served views give a face the
model is unsure about eight extra views, so the cost depends on the faces: they
are real FER2013 validation faces (spread over the whole split, read from the
shared tarball, or from --faces, a folder of class folders), and the share of
them that got the extra views is printed too. Every combination is measured
alternately so all see the same machine.

    nice .venv/bin/python benchmarks/bench_classifier.py [--model PATH ...] [--views NAME ...]
        [--faces DIR] [--runs 200] [--json]

Defaults: the served int8 file and the Keras file it was made from, each with
the served views and with the face and its mirror only.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the target is CPU serving
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
FER_TARBALL = (REPO / ".." / "shared" / "datasets" / "fer2013" / "fer2013-train-valid.tar.gz").resolve()

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from benchmarks.timing import median_seconds  # noqa: E402
from inference.classifiers import EmotionClassifier  # noqa: E402
from inference.classifiers.tflite_runtime import cpu_threads  # noqa: E402
from inference.classifiers.views import BY_NAME  # noqa: E402
from inference.pipeline import DEFAULT_MODEL_PATH  # noqa: E402

SOURCE_MODEL_PATH = DEFAULT_MODEL_PATH.with_suffix(".keras")
BATCH = 64


def faces_from_tarball(count: int) -> np.ndarray:
    """`count` validation faces taken evenly over the whole split (it is stored class by class)."""
    from training.data import tarball_class_files

    if not FER_TARBALL.is_file():
        raise SystemExit(f"error: the FER2013 tarball is missing ({FER_TARBALL}); pass --faces DIR")
    files = tarball_class_files(FER_TARBALL, "valid")
    chosen = [files[i][2] for i in np.linspace(0, len(files) - 1, count).astype(int)]
    return np.stack([cv2.resize(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE), (48, 48))
                     for data in chosen])


def faces_from_folders(root: Path, count: int) -> np.ndarray:
    from training.data import load_class_folders

    images = load_class_folders(root).images
    return images[np.linspace(0, len(images) - 1, min(count, len(images))).astype(int)]


def measure(classifier: EmotionClassifier, views, faces: np.ndarray, runs: int) -> dict:
    milliseconds = []
    for call in range(runs + 5):  # a different face each call; the first five warm up
        started = time.perf_counter()
        classifier.predict(faces[call % len(faces)][None], views)
        milliseconds.append((time.perf_counter() - started) * 1000)
    batches = itertools.cycle([faces[start:start + BATCH] for start in range(0, len(faces) - BATCH + 1, BATCH)])
    batch_seconds = median_seconds(lambda: classifier.predict(next(batches), views), max(runs // 5, 10), warmup=5)
    unsure = views.unsure(classifier.predict(faces, views.unshifted))
    return {"ms_per_face_batch1": round(float(np.median(milliseconds[5:])), 3),
            "ms_per_face_batch1_p95": round(float(np.percentile(milliseconds[5:], 95)), 3),
            "faces_per_s_batch64": round(BATCH / batch_seconds, 1),
            "share_with_shifted_views": round(float(np.mean(unsure)), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append",
                        help=f"model file, repeatable (default: {DEFAULT_MODEL_PATH.name} and {SOURCE_MODEL_PATH.name})")
    parser.add_argument("--views", action="append", choices=sorted(BY_NAME),
                        help="views to average, repeatable (default: served and mirror)")
    parser.add_argument("--faces", type=Path, help="a folder of class folders to take faces from")
    parser.add_argument("--count", type=int, default=640, help="faces to cycle through")
    parser.add_argument("--runs", type=int, default=200, help="timed calls at batch 1 (batch 64 gets a fifth)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds over the models; the median is kept")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    faces = faces_from_folders(args.faces, args.count) if args.faces else faces_from_tarball(args.count)
    # the split is stored class by class and batch 1 times the first --runs faces: mix the classes
    faces = faces[np.random.default_rng(0).permutation(len(faces))]
    if len(faces) < BATCH:
        raise SystemExit(f"error: {len(faces)} faces, fewer than one batch of {BATCH}")
    paths = args.model or [DEFAULT_MODEL_PATH, SOURCE_MODEL_PATH]
    view_names = args.views or ["served", "mirror"]
    classifiers = [EmotionClassifier(path) for path in paths]
    combinations = [(classifier, name) for classifier in classifiers for name in view_names]
    rounds = [[measure(classifier, BY_NAME[name], faces, args.runs) for classifier, name in combinations]
              for _ in range(args.rounds)]
    results = []
    for index, (classifier, name) in enumerate(combinations):
        measured = [figures[index] for figures in rounds]
        results.append({"model": str(classifier.model_path), "views": name, "cpu_cores": cpu_threads(),
                        "faces": len(faces),
                        **{key: float(np.median([m[key] for m in measured])) for key in measured[0]}})
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"{cpu_threads()} CPU cores, {len(faces)} real faces, median of {args.rounds} alternating rounds")
    for figures in results:
        print(f"{Path(figures['model']).name:<20} {figures['views']:<7}"
              f" batch 1: {figures['ms_per_face_batch1']:6.2f} ms/face (p95 {figures['ms_per_face_batch1_p95']:6.2f})"
              f"   batch 64: {figures['faces_per_s_batch64']:6.0f} faces/s"
              f"   shifted views for {figures['share_with_shifted_views']:.0%} of faces")
    return 0


if __name__ == "__main__":
    sys.exit(main())
