"""Emotion classifier cost on this machine's CPU, through the inference API.

Prints the median milliseconds per face at batch 1 and faces per second at
batch 64 (targets: <= 10 ms and >= 500 faces/s on 2 CPU cores), each face
averaged with its mirror as the product does (``--no-mirror``: one view), for
the served int8 file and the Keras model it was made from, measured
alternately so both see the same machine.

    nice .venv/bin/python benchmarks/bench_classifier.py [--model PATH ...] [--no-mirror] [--runs 200] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the target is CPU serving
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from benchmarks.timing import median_seconds  # noqa: E402
from inference.classifiers import EmotionClassifier  # noqa: E402
from inference.pipeline import DEFAULT_MODEL_PATH  # noqa: E402

SOURCE_MODEL_PATH = DEFAULT_MODEL_PATH.with_suffix(".keras")


def measure(classifier: EmotionClassifier, crops: np.ndarray, runs: int) -> dict:
    single = median_seconds(lambda: classifier.predict(crops[:1]), runs, warmup=5)
    batch = median_seconds(lambda: classifier.predict(crops), max(runs // 5, 10), warmup=5)
    return {"ms_per_face_batch1": round(single * 1000, 3), "faces_per_s_batch64": round(len(crops) / batch, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append",
                        help=f"model file, repeatable (default: {DEFAULT_MODEL_PATH.name} and {SOURCE_MODEL_PATH.name})")
    parser.add_argument("--no-mirror", action="store_false", dest="mirror", help="one view per face")
    parser.add_argument("--runs", type=int, default=200, help="timed calls at batch 1 (batch 64 gets a fifth)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds over the models; the median is kept")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    paths = args.model or [DEFAULT_MODEL_PATH, SOURCE_MODEL_PATH]
    classifiers = [EmotionClassifier(path, mirror=args.mirror) for path in paths]
    crops = np.random.default_rng(0).integers(0, 256, (64, 48, 48), dtype=np.uint8)
    rounds = [[measure(classifier, crops, args.runs) for classifier in classifiers] for _ in range(args.rounds)]
    results = []
    for index, path in enumerate(paths):
        measured = [figures[index] for figures in rounds]
        results.append({"model": str(path), "cpu_cores": os.cpu_count(), "mirror": args.mirror,
                        **{key: float(np.median([m[key] for m in measured])) for key in measured[0]}})
    if args.json:
        print(json.dumps(results))
        return 0
    views = "each face and its mirror" if args.mirror else "one view per face"
    print(f"{os.cpu_count()} CPU cores, {views}, median of {args.rounds} alternating rounds")
    for figures in results:
        print(f"{Path(figures['model']).name:<24} batch 1: {figures['ms_per_face_batch1']:6.2f} ms/face"
              f"   batch 64: {figures['faces_per_s_batch64']:6.0f} faces/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
