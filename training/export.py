"""Turn a trained Keras model into the file the product serves: int8 TensorFlow Lite.

    python -m training.export --data data --model models/emotion_cnn.keras --out models/emotion_cnn.tflite

Weights become int8 per output channel and activations int8 per tensor, with
ranges measured on a fixed sample of training faces (``--calibration-faces``,
``--seed``); XNNPACK then runs the network about seven times faster at batch 1
and twice as fast at batch 64 on two CPU cores (benchmarks/bench_classifier.py).
The file returns logits, so probabilities keep full precision; ``--float``
writes a float32 file instead (same figures as the Keras model, no speed-up at
batch 64).

The served file is then scored on valid/ exactly as the product runs it (the
served views of ``inference/classifiers/views.py``), with its mirror only, and
in one view, beside the Keras model,
into a ``serving`` section of the ``model_card.json`` next to OUT, and its
confusion matrix into ``confusion_matrix_served.png``.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from training.cli import parse_step_args, step_parser
from training.errors import ModelFileError, TrainingError
from training.train import CARD_FILENAME

SERVED_CONFUSION_FILENAME = "confusion_matrix_served.png"
DEFAULT_CALIBRATION_FACES = 2000


def logits_model(model):
    """The same network with its final softmax left out (shared weights, nothing copied)."""
    import keras

    head = model.layers[-1]
    if not (isinstance(head, keras.layers.Dense) and keras.activations.serialize(head.activation) == "softmax"):
        raise TrainingError(f"model {model.name} does not end in a softmax Dense layer, so its logits are unknown")
    logits = keras.layers.Dense.from_config({**head.get_config(), "activation": "linear", "name": "logits"})
    outputs = logits(head.input)
    logits.set_weights(head.get_weights())
    return keras.Model(model.inputs, outputs, name=model.name)


def to_tflite(model, calibration_faces: np.ndarray | None) -> bytes:
    """The model's logits as a TensorFlow Lite file: int8 calibrated on `calibration_faces`
    ((N, 48, 48, 1) float32), or float32 when it is None."""
    import keras
    import tensorflow as tf

    from inference.classifiers.contract import INPUT_SIZE
    from inference.classifiers.tflite_runtime import LOGITS, SIGNATURE

    network = logits_model(model)
    archive = keras.export.ExportArchive()
    archive.track(network)
    # a named output lets the runtime tell logits from probabilities
    archive.add_endpoint(SIGNATURE, lambda gray48: {LOGITS: network([gray48], training=False)},
                         input_signature=[tf.TensorSpec((None, INPUT_SIZE, INPUT_SIZE, 1), tf.float32, name="gray48")])
    with tempfile.TemporaryDirectory() as saved_model:
        archive.write_out(saved_model, verbose=False)
        converter = tf.lite.TFLiteConverter.from_saved_model(saved_model)
        if calibration_faces is not None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            converter.representative_dataset = lambda: ([calibration_faces[i:i + 16]]
                                                        for i in range(0, len(calibration_faces), 16))
        return converter.convert()


def calibration_sample(images: np.ndarray, count: int, seed: int) -> np.ndarray:
    """`count` faces drawn without replacement, always the same ones for a seed, as (N, 48, 48, 1) float32."""
    if count < 1:
        raise TrainingError("--calibration-faces must be at least 1")
    picked = np.sort(np.random.default_rng(seed).permutation(len(images))[:count])
    return images[picked].astype(np.float32)[..., None]


def export(data: Path, model_path: Path, out: Path, calibration_faces: int = DEFAULT_CALIBRATION_FACES,
           seed: int = 0, quantize: bool = True, cache_dir: Path | None = None) -> dict:
    """Write OUT (.tflite) from MODEL, score it on DATA's valid/; returns the card's serving section."""
    import keras

    from inference.classifiers import EmotionClassifier
    from inference.classifiers.views import MIRROR, ONE, SERVED
    from training.data import has_split, load_split
    from training.metrics import predict_split, summarize, validation_section
    from training.plots import plot_confusion_matrix

    if out.suffix.lower() != ".tflite":
        raise TrainingError(f"--out must name a .tflite file, not {out}")
    if not model_path.is_file():
        raise ModelFileError(f"model not found: {model_path}")
    try:
        model = keras.models.load_model(model_path, compile=False)
    except (OSError, ValueError) as error:
        raise ModelFileError(f"cannot load model {model_path}: {error}") from error
    calibration = calibration_sample(load_split(data, "train", cache_dir).images, calibration_faces, seed) \
        if quantize else None

    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f"partial-{out.name}")
    partial.write_bytes(to_tflite(model, calibration))

    section = {
        "file": out.name,
        "source_model": str(model_path),
        "source_sha256": hashlib.sha256(model_path.read_bytes()).hexdigest(),  # tells a stale export
        "format": "TensorFlow Lite (XNNPACK on CPU), returns logits",
        "quantization": {"weights": "int8, per output channel", "activations": "int8, per tensor",
                         "calibration_faces": len(calibration), "calibration_seed": seed,
                         "calibrated_on": "training faces"} if quantize else None,
        "views": SERVED.to_dict(),
        "size_bytes": partial.stat().st_size,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if has_split(data, "valid"):
        valid = load_split(data, "valid", cache_dir)
        classifier = EmotionClassifier(partial, views=SERVED)
        served = classifier.predict(valid.images)
        mirrored = classifier.predict(valid.images, views=MIRROR).argmax(axis=1)
        one_view = classifier.predict(valid.images, views=ONE).argmax(axis=1)
        source = predict_split(model, valid).argmax(axis=1)
        report = summarize(valid.labels, served.argmax(axis=1))
        section["validation"] = validation_section(report, f"valid split, as served: {SERVED.describe()}")
        section["validation_mirror_only_accuracy"] = summarize(valid.labels, mirrored)["accuracy"]
        section["validation_one_view_accuracy"] = summarize(valid.labels, one_view)["accuracy"]
        section["source_model_valid_accuracy"] = summarize(valid.labels, source)["accuracy"]
        section["one_view_agreement_with_source"] = float(np.mean(one_view == source))
        plot_confusion_matrix(report["confusion"], out.parent / SERVED_CONFUSION_FILENAME,
                              title=f"{out.name} on valid, as served (accuracy {report['accuracy']:.1%})")

    card_path = out.parent / CARD_FILENAME
    # the card beside OUT if there is one (models/ keeps its own), else the source model's
    existing = next((path for path in (card_path, model_path.with_name(CARD_FILENAME)) if path.is_file()), None)
    card = json.loads(existing.read_text()) if existing else {"model_file": model_path.name}
    card["serving"] = section
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    # the file last, renamed into place: training.recipe takes a file newer than its source, with its card, as done
    partial.replace(out)
    return section


def main(argv: list[str] | None = None) -> int:
    parser = step_parser("export", __doc__, "class-folder root with train/ (and valid/), or fer2013.csv")
    parser.add_argument("--model", required=True, type=Path, help="trained .keras model")
    parser.add_argument("--out", required=True, type=Path, help="the .tflite file to write")
    parser.add_argument("--calibration-faces", type=int, default=DEFAULT_CALIBRATION_FACES)
    parser.add_argument("--seed", type=int, default=0, help="which training faces calibrate the int8 ranges")
    parser.add_argument("--float", action="store_false", dest="quantize", help="float32 instead of int8")
    args = parse_step_args(parser, argv)

    from inference.errors import InferenceError

    try:
        section = export(args.data, args.model, args.out, args.calibration_faces, args.seed, args.quantize,
                         args.cache_dir)
    except (TrainingError, InferenceError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if "validation" in section:
        print(f"{args.out} ({section['size_bytes'] / 1e6:.1f} MB): valid accuracy {section['validation']['accuracy']:.4f} "
              f"as served, {section['validation_mirror_only_accuracy']:.4f} with its mirror only, "
              f"{section['validation_one_view_accuracy']:.4f} in one view "
              f"(the Keras model: {section['source_model_valid_accuracy']:.4f})")
    else:
        print(f"{args.out} ({section['size_bytes'] / 1e6:.1f} MB) written; no valid/ split to score it on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
