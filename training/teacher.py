"""Soft targets for knowledge distillation: an ensemble's probabilities on the training faces.

    python -m training.teacher --data data --models a.keras b.keras c.keras --out training_runs/teacher.npz

Several trained models (and each face's mirror image) vote; the averaged
probabilities carry what a single label cannot ("this angry face looks a bit
sad"). ``training.train --teacher FILE`` then trains one fast model towards
them, so the shipped model gets much of the ensemble's accuracy at the cost
of one network.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from inference.labels import EMOTIONS
from training.cli import parse_step_args, step_parser
from training.errors import TrainingError

BATCH = 512


def ensemble_probabilities(model_paths: list[Path], images: np.ndarray, mirror: bool = True) -> np.ndarray:
    """(N, 48, 48) uint8 faces -> (N, 7) mean probabilities of every model (and mirror view)."""
    import keras
    from tqdm import tqdm

    inputs = images.astype(np.float32)[..., None]
    views = [inputs, inputs[:, :, ::-1]] if mirror else [inputs]
    total = np.zeros((len(images), len(EMOTIONS)), np.float64)
    with tqdm(total=len(model_paths) * len(views) * len(images), unit="face", desc="teacher") as progress:
        for path in model_paths:
            if not Path(path).is_file():
                raise TrainingError(f"teacher model not found: {path}")
            model = keras.models.load_model(path, compile=False)
            for view in views:
                for start in range(0, len(view), BATCH):
                    total[start:start + BATCH] += np.asarray(model.predict_on_batch(view[start:start + BATCH]))
                    progress.update(min(BATCH, len(view) - start))
    return (total / (len(model_paths) * len(views))).astype(np.float32)


def save_soft_targets(path: Path, probabilities: np.ndarray, labels: np.ndarray, model_paths: list[Path]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # write then rename: an interrupted write must not leave a file that training.recipe takes as done
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as handle:
        np.savez_compressed(handle, probabilities=probabilities, labels=labels,
                            models=np.array([str(p) for p in model_paths]))
    partial.replace(path)


def load_soft_targets(path: Path, labels: np.ndarray) -> np.ndarray:
    """The teacher's (N, 7) probabilities, checked to belong to this training split."""
    path = Path(path)
    if not path.is_file():
        raise TrainingError(f"--teacher: file not found: {path}")
    with np.load(path) as stored:
        probabilities, stored_labels = stored["probabilities"], stored["labels"]
    if probabilities.shape != (len(labels), len(EMOTIONS)) or not np.array_equal(stored_labels, labels):
        raise TrainingError(f"--teacher: {path} was made for another training set "
                            f"({len(stored_labels)} faces, this one has {len(labels)})")
    return probabilities


def main(argv: list[str] | None = None) -> int:
    parser = step_parser("teacher", __doc__, "class-folder root with train/, or fer2013.csv")
    parser.add_argument("--models", required=True, nargs="+", type=Path, help="trained .keras models")
    parser.add_argument("--out", required=True, type=Path, help="output .npz")
    parser.add_argument("--no-mirror", action="store_false", dest="mirror", help="skip the mirrored view")
    args = parse_step_args(parser, argv)
    from training.data import load_split
    from training.metrics import summarize

    try:
        split = load_split(args.data, "train", args.cache_dir)
        probabilities = ensemble_probabilities(args.models, split.images, args.mirror)
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    save_soft_targets(args.out, probabilities, split.labels, args.models)
    agreement = summarize(split.labels, probabilities.argmax(axis=1))["accuracy"]
    print(f"soft targets for {len(split)} faces in {args.out}; the ensemble agrees with "
          f"{agreement:.1%} of the training labels")
    return 0


if __name__ == "__main__":
    sys.exit(main())
