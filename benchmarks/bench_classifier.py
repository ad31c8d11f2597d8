"""Emotion classifier cost on this machine's CPU, through the inference API.

Prints the median milliseconds per face at batch 1 and faces per second at
batch 64 (targets: <= 10 ms and >= 500 faces/s on 2 CPU cores).

    nice .venv/bin/python benchmarks/bench_classifier.py [--model PATH] [--runs 200] [--json]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--runs", type=int, default=200, help="timed calls at batch 1 (batch 64 gets a fifth)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    classifier = EmotionClassifier(args.model)
    crops = np.random.default_rng(0).integers(0, 256, (64, 48, 48), dtype=np.uint8)
    single = median_seconds(lambda: classifier.predict(crops[:1]), args.runs, warmup=5)
    batch = median_seconds(lambda: classifier.predict(crops), max(args.runs // 5, 10), warmup=5)
    figures = {
        "model": str(args.model),
        "cpu_cores": os.cpu_count(),
        "ms_per_face_batch1": round(single * 1000, 3),
        "faces_per_s_batch64": round(64 / batch, 1),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(f"model {figures['model']} on {figures['cpu_cores']} CPU cores")
        print(f"batch 1 : {figures['ms_per_face_batch1']:.2f} ms/face (median of {args.runs})")
        print(f"batch 64: {figures['faces_per_s_batch64']:.0f} faces/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
