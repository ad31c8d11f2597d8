"""Measure a trained model's BatchNorm statistics again, on clean training faces.

    python -m training.recalibrate --data data --model training_runs/x/emotion_cnn.keras --out DIR

Each BatchNormalization layer normalises with a moving mean and variance kept
during training. Those were gathered on augmented batches (shifted, rotated,
partly erased faces) and, in the head, behind active dropout, so they describe
faces the product never sees. This step runs the training faces as they are
(and mirrored) through the network and sets every layer's statistics to the
exact mean and variance of what reaches it, layer after layer, since each
layer's new statistics change what the next one receives. No weight is
trained and no label is read; valid/ only reports the effect.

OUT receives ``emotion_cnn.keras``, ``model_card.json`` (the source model's
card, if it has one beside it, with its validation figures replaced and a
``batchnorm_recalibration`` section added), ``confusion_matrix.png`` and, if
the source has one, ``training_curves.png``.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from training.cli import parse_step_args, step_parser
from training.errors import ModelFileError, TrainingError
from training.train import CARD_FILENAME, CONFUSION_FILENAME, CURVES_FILENAME, MODEL_FILENAME

BATCH = 512


def batchnorm_layers(model) -> list:
    import keras

    layers = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    if not layers:
        raise TrainingError(f"model {model.name} has no BatchNormalization layers to recalibrate")
    return layers


def _batch_moments_model(model, layer):
    """A model from the input to the per-channel mean and variance, over one batch, of what reaches `layer`.

    The moments are taken where the network runs (a GPU's memory, or TensorFlow's
    threads), so only 2 x channels numbers per batch come back to NumPy instead
    of every activation: a round trip that made recalibration CPU-bound.
    """
    import keras

    reaching = layer.input
    channel_axis = (layer.axis if isinstance(layer.axis, int) else layer.axis[0]) % len(reaching.shape)
    axes = [axis for axis in range(len(reaching.shape)) if axis != channel_axis]
    positions = int(np.prod([reaching.shape[axis] for axis in axes[1:]]))  # per face, besides the batch axis
    moments = keras.Model(model.input, [keras.ops.mean(reaching, axis=axes), keras.ops.var(reaching, axis=axes)])
    return moments, positions


def _input_statistics(moments, positions: int, images: np.ndarray, progress) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and variance over every face and position, from batch moments.

    Batch moments are merged with Chan's formula in float64, so no
    E[x^2] - E[x]^2 cancellation creeps in across batches.
    """
    count, mean, squared_deviations = 0, 0.0, 0.0
    for start in range(0, len(images), BATCH):
        batch = images[start:start + BATCH]
        batch_mean, batch_variance = (np.asarray(m, np.float64) for m in moments.predict_on_batch(batch))
        batch_count = len(batch) * positions
        total = count + batch_count
        delta = batch_mean - mean
        mean = mean + delta * batch_count / total
        squared_deviations = squared_deviations + batch_variance * batch_count + delta ** 2 * count * batch_count / total
        count = total
        progress.update(len(batch))
    return mean, squared_deviations / count


def recalibrate_batchnorm(model, images: np.ndarray) -> list[dict]:
    """Set every BatchNormalization layer's moving statistics to those of `images` ((N, 48, 48, 1) float32).

    Returns, per layer, how far its statistics moved (mean absolute mean shift,
    median variance ratio new/old), for the log and the model card.
    """
    import keras
    from tqdm import tqdm

    layers = batchnorm_layers(model)
    changes = []
    with tqdm(total=len(layers) * len(images), unit="face", desc="BatchNorm statistics") as progress:
        for layer in layers:
            mean, variance = _input_statistics(*_batch_moments_model(model, layer), images, progress)
            old_mean = keras.ops.convert_to_numpy(layer.moving_mean)
            old_variance = keras.ops.convert_to_numpy(layer.moving_variance)
            layer.moving_mean.assign(mean.astype(old_mean.dtype))
            layer.moving_variance.assign(variance.astype(old_variance.dtype))
            changes.append({
                "layer": layer.name,
                "mean_shift": round(float(np.mean(np.abs(mean - old_mean))), 4),
                "variance_ratio": round(float(np.median(variance / np.maximum(old_variance, 1e-12))), 4),
            })
    return changes


def recalibrate(data: Path, model_path: Path, out: Path, mirror: bool = True, cache_dir: Path | None = None) -> dict:
    """Recalibrate MODEL on DATA's train/ faces, write OUT; returns the model card written."""
    import keras

    from training.data import has_split, load_split
    from training.metrics import score, validation_section
    from training.plots import plot_confusion_matrix

    if not model_path.is_file():
        raise ModelFileError(f"model not found: {model_path}")
    try:
        model = keras.models.load_model(model_path, compile=False)
    except (OSError, ValueError) as error:
        raise ModelFileError(f"cannot load model {model_path}: {error}") from error
    batchnorm_layers(model)
    train = load_split(data, "train", cache_dir)
    faces = train.images.astype(np.float32)[..., None]
    if mirror:
        faces = np.concatenate([faces, faces[:, :, ::-1]])
    valid = load_split(data, "valid", cache_dir) if has_split(data, "valid") else None
    before = score(model, valid)[0] if valid is not None else None

    started = time.monotonic()
    changes = recalibrate_batchnorm(model, faces)
    seconds = time.monotonic() - started
    after = score(model, valid)[0] if valid is not None else None

    out.mkdir(parents=True, exist_ok=True)
    source_card = model_path.with_name(CARD_FILENAME)
    card = json.loads(source_card.read_text()) if source_card.is_file() else {
        "model_file": MODEL_FILENAME, "parameters": int(model.count_params())}
    card["batchnorm_recalibration"] = {
        "source_model": str(model_path),
        "source_valid_accuracy": before["accuracy"] if before else None,
        "faces": len(faces),
        "what": "every BatchNormalization layer's moving mean and variance measured again, layer by layer, "
                "on the clean training faces" + (" and their mirror images" if mirror else ""),
        "layers": changes,
        "seconds": round(seconds, 1),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if after is not None:
        selected_on = card.get("validation", {}).get("selected_on", "valid split")
        card["validation"] = validation_section(after, f"{selected_on}; figures after BatchNorm recalibration")
        plot_confusion_matrix(after["confusion"], out / CONFUSION_FILENAME,
                              title=f"{model.name} on valid, BatchNorm recalibrated (accuracy {after['accuracy']:.1%})")
    (out / CARD_FILENAME).write_text(json.dumps(card, indent=2) + "\n")
    curves = model_path.with_name(CURVES_FILENAME)
    if curves.is_file() and curves.resolve() != (out / CURVES_FILENAME).resolve():
        shutil.copyfile(curves, out / CURVES_FILENAME)
    # the model last, renamed into place: training.recipe takes a model file newer than its source as done
    partial = out / f"partial-{MODEL_FILENAME}"
    model.save(partial)
    partial.replace(out / MODEL_FILENAME)
    return card


def main(argv: list[str] | None = None) -> int:
    parser = step_parser("recalibrate", __doc__, "class-folder root with train/ (and valid/), or fer2013.csv")
    parser.add_argument("--model", required=True, type=Path, help="trained .keras model")
    parser.add_argument("--out", required=True, type=Path, help="output folder")
    parser.add_argument("--no-mirror", action="store_false", dest="mirror", help="skip the mirrored faces")
    args = parse_step_args(parser, argv)

    try:
        card = recalibrate(args.data, args.model, args.out, args.mirror, args.cache_dir)
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    before = card["batchnorm_recalibration"]["source_valid_accuracy"]
    if before is not None:
        print(f"valid accuracy {before:.4f} before, {card['validation']['accuracy']:.4f} after; "
              f"model in {args.out / MODEL_FILENAME}")
    else:
        print(f"recalibrated model in {args.out / MODEL_FILENAME} (no valid/ split to score it on)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
