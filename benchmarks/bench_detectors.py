"""The measurement behind inference.detectors.FAST_DETECTOR: speed and faces found.

For every registered detector: median detection time per sample photo and per
video frame, faces found against the known counts (multi_face.jpg 5,
single_face.jpg 1, ivan.jpg 1, no_faces.jpg 0; every frame of single_face.mp4
has one face, no_face.mp4 none).

    nice .venv/bin/python benchmarks/bench_detectors.py [--runs 15] [--min-face-size 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
SAMPLES = (REPO / ".." / "shared" / "samples").resolve()

import cv2  # noqa: E402

from inference.detectors import DETECTORS, create_detector  # noqa: E402

EXPECTED_FACES = {"multi_face.jpg": 5, "single_face.jpg": 1, "ivan.jpg": 1, "no_faces.jpg": 0}
EXPECTED_PER_FRAME = {"single_face.mp4": 1, "no_face.mp4": 0}


def video_frames(path: Path, every: int) -> list:
    capture = cv2.VideoCapture(str(path))
    frames, index = [], 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        if index % every == 0:
            frames.append(frame)
        index += 1
    capture.release()
    return frames


def median_ms(detector, image, runs: int) -> tuple[float, int]:
    found = len(detector.detect(image))  # warm-up (graph tracing, allocation)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        detector.detect(image)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--min-face-size", type=int, default=40)
    parser.add_argument("--frame-step", type=int, default=6, help="use every Nth video frame")
    parser.add_argument("--detectors", nargs="*", default=list(DETECTORS))
    args = parser.parse_args()

    photos = {name: cv2.imread(str(SAMPLES / name)) for name in EXPECTED_FACES}
    videos = {name: video_frames(SAMPLES / name, args.frame_step) for name in EXPECTED_PER_FRAME}
    print(f"cpus: {os.cpu_count()}, runs: {args.runs} after 1 warm-up, min_face_size: {args.min_face_size}")
    print(f"{'detector':16} {'input':18} {'right':>9}  {'median ms':>9}")
    for name in args.detectors:
        load_start = time.perf_counter()
        detector = create_detector(name, min_face_size=args.min_face_size)
        load_ms = (time.perf_counter() - load_start) * 1000
        for photo, image in photos.items():
            ms, found = median_ms(detector, image, args.runs)
            verdict = f"{found}/{EXPECTED_FACES[photo]}"
            print(f"{name:16} {photo:18} {verdict:>9}  {ms:9.1f}   (faces found/expected)")
        for video, frames in videos.items():
            detector.detect(frames[0])
            start = time.perf_counter()
            right = sum(len(detector.detect(f)) == EXPECTED_PER_FRAME[video] for f in frames)
            per_frame = (time.perf_counter() - start) * 1000 / len(frames)
            print(f"{name:16} {video:18} {f'{right}/{len(frames)}':>9}  {per_frame:9.1f}   "
                  f"(frames with the right count; ms per frame)")
        print(f"{name:16} {'(model load)':18} {'':>9}  {load_ms:9.1f}", flush=True)

if __name__ == "__main__":
    main()
