"""Score an emotion model on a folder of labelled face crops.

    python -m training.evaluate --data DIR [--model PATH] [--json] [--plots OUT_DIR]

DIR holds the 7 class folders (angry, disgust, fear, happy, neutral, sad,
surprise) of face crops of any size, colour or grey. The model is run through
``inference.classifiers.EmotionClassifier``, exactly as the product runs it;
the default model is the shipped ``models/emotion_cnn.tflite``, and each face is
seen in the views the product averages (``--views``; ``--no-mirror``: one
view). With ``--json`` stdout carries one JSON object: accuracy, macro_f1,
per_class {label: {recall, precision}}, n, confusion (7x7, rows = true class,
EMOTIONS order), and the model and views used.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from inference.classifiers.views import BY_NAME as VIEWS_BY_NAME
from inference.classifiers.views import SERVED, Views
from inference.labels import EMOTIONS
from training.errors import TrainingError


def load_model(model_path: Path | None = None, views: Views = SERVED):
    """The classifier to evaluate (default: the shipped model); raises InferenceError."""
    from inference.classifiers import EmotionClassifier
    from inference.pipeline import DEFAULT_MODEL_PATH

    return EmotionClassifier(Path(model_path) if model_path else DEFAULT_MODEL_PATH, views=views)


def evaluate(data_dir: Path, model_path: Path | None = None, views: Views = SERVED, *, classifier=None) -> dict:
    """Return the figures for the model (or `classifier`, loaded by load_model) on DIR; raises
    TrainingError or InferenceError."""
    from training.data import load_class_folders
    from training.metrics import summarize

    split = load_class_folders(Path(data_dir))
    empty = [label for label, count in zip(EMOTIONS, split.class_counts()) if count == 0]
    if empty:
        raise TrainingError(f"class folder(s) {', '.join(empty)} in {data_dir} hold no images")
    classifier = classifier or load_model(model_path, views)
    report = summarize(split.labels, classifier.predict(split.images).argmax(axis=1))
    report["model"] = str(classifier.model_path)
    report["mirror"] = classifier.views.mirror
    report["views"] = classifier.views.to_dict()
    return report


def format_table(report: dict) -> str:
    lines = [f"model {report['model']}  n={report['n']}  ({report['views']['description']})",
             f"accuracy {report['accuracy']:.4f}  macro-F1 {report['macro_f1']:.4f}",
             f"{'class':<10}{'recall':>8}{'precision':>11}{'support':>9}"]
    for label, figures in report["per_class"].items():
        lines.append(f"{label:<10}{figures['recall']:>8.3f}{figures['precision']:>11.3f}{figures['support']:>9}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="folder holding the 7 class folders")
    parser.add_argument("--model", default=None, help=".tflite or .keras model file (default: the shipped model)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    parser.add_argument("--plots", default=None, metavar="OUT_DIR", help="write confusion_matrix.png here")
    parser.add_argument("--views", choices=sorted(VIEWS_BY_NAME), default="served",
                        help="views of each face to average: as the product does (served, the default), "
                             "face and mirror, one view, or every face with its shifts")
    parser.add_argument("--no-mirror", action="store_const", const="one", dest="views", help="same as --views one")
    # --tta asked for mirror averaging before the product did it by default; old commands still run
    parser.add_argument("--tta", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    from inference import InferenceError, startup_notices_hidden

    try:
        with startup_notices_hidden():  # TensorFlow starts as the model loads
            classifier = load_model(Path(args.model) if args.model else None, VIEWS_BY_NAME[args.views])
        report = evaluate(Path(args.data), classifier=classifier)
    except (TrainingError, InferenceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.plots:
        from training.plots import plot_confusion_matrix

        out_dir = Path(args.plots)
        out_dir.mkdir(parents=True, exist_ok=True)
        plot_confusion_matrix(report["confusion"], out_dir / "confusion_matrix.png",
                              title=f"{Path(report['model']).name} on {Path(args.data).name} "
                                    f"(accuracy {report['accuracy']:.1%})")
    print(json.dumps(report) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
