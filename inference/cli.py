"""Analyse image files from the command line (no Django needed).

    python -m inference.cli PATH... [--json] [--out DIR] [--detector NAME] [--model PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import EMOJI, EMOTIONS, EngineOptions, InferenceError, get_engine, load_image, render_annotated
from .detectors import ACCURATE_DETECTOR, DETECTORS
from .imageio import encode_jpeg
from .native_logs import startup_notices_hidden
from .pipeline import DEFAULT_MIN_FACE_SIZE


def describe(path: Path, analysis) -> str:
    lines = [f"{path}: {len(analysis.faces)} face(s), {analysis.detector}, "
             f"{analysis.timings_ms['total']:.0f} ms"]
    for number, face in enumerate(analysis.faces, start=1):
        shares = "  ".join(f"{label} {face.probabilities[label] * 100:.0f}%" for label in EMOTIONS)
        lines.append(f"  face {number} at {face.box}: {EMOJI[face.label]} {face.label} "
                     f"{face.confidence * 100:.0f}%  [{shares}]")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m inference.cli", description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON document with every result")
    parser.add_argument("--out", type=Path, help="write <name>_annotated.jpg files here")
    parser.add_argument("--detector", choices=sorted(DETECTORS), default=ACCURATE_DETECTOR)
    parser.add_argument("--model", type=Path, help="emotion model, .tflite or .keras (default: models/emotion_cnn.tflite)")
    parser.add_argument("--min-face-size", type=int, default=DEFAULT_MIN_FACE_SIZE)
    args = parser.parse_args(argv)

    engine = get_engine(EngineOptions(model_path=args.model, detector=args.detector,
                                      min_face_size=args.min_face_size))
    try:
        # Loaded before the first image so its reported time is the analysis, not the model load.
        with startup_notices_hidden():
            engine.warm_up()
    except InferenceError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
    results, failed = [], 0
    for path in args.paths:
        try:
            image = load_image(path)
            analysis = engine.analyze(image)
        except (InferenceError, OSError) as exc:
            failed += 1
            print(f"{path}: {exc}", file=sys.stderr)
            if args.json:
                results.append({"path": str(path), "error": str(exc)})
            continue
        if args.out:
            (args.out / f"{path.stem}_annotated.jpg").write_bytes(encode_jpeg(render_annotated(image, analysis)))
        if args.json:
            # "path" and fractions 0..1, as `manage.py analyze_image --json` and the API's result.
            results.append({"path": str(path), **analysis.to_dict()})
        else:
            print(describe(path, analysis))
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
