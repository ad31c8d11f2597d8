"""Classification figures shared by training (per epoch) and evaluation."""

from __future__ import annotations

import numpy as np

from inference.labels import EMOTIONS


def confusion_matrix(true: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """7x7 counts, rows = true class, columns = predicted class, in EMOTIONS order."""
    classes = len(EMOTIONS)
    return np.bincount(true * classes + predicted, minlength=classes * classes).reshape(classes, classes)


def summarize(true: np.ndarray, predicted: np.ndarray) -> dict:
    """accuracy, macro_f1, per_class {label: {recall, precision, f1, support}}, n, confusion."""
    true = np.asarray(true, dtype=np.int64)
    predicted = np.asarray(predicted, dtype=np.int64)
    confusion = confusion_matrix(true, predicted)
    hits = np.diag(confusion).astype(np.float64)
    support = confusion.sum(axis=1)
    predicted_count = confusion.sum(axis=0)
    recall = np.divide(hits, support, out=np.zeros_like(hits), where=support > 0)
    precision = np.divide(hits, predicted_count, out=np.zeros_like(hits), where=predicted_count > 0)
    f1_denominator = precision + recall
    f1 = np.divide(2 * precision * recall, f1_denominator, out=np.zeros_like(hits), where=f1_denominator > 0)
    present = support > 0  # classes absent from the data would drag macro-F1 down meaninglessly
    n = int(true.size)
    return {
        "accuracy": float(hits.sum() / n) if n else 0.0,
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "per_class": {
            label: {
                "recall": float(recall[i]),
                "precision": float(precision[i]),
                "f1": float(f1[i]),
                "support": int(support[i]),
            }
            for i, label in enumerate(EMOTIONS)
        },
        "n": n,
        "confusion": confusion.tolist(),
    }


def validation_section(report: dict, selected_on: str) -> dict:
    """The model card's "validation" entry from a summarize() report."""
    return {
        "selected_on": selected_on,
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "per_class_recall": {label: v["recall"] for label, v in report["per_class"].items()},
        "per_class_precision": {label: v["precision"] for label, v in report["per_class"].items()},
        "confusion": report["confusion"],
    }


def predict_split(model, split) -> np.ndarray:
    """A Keras model's (N, 7) probabilities on a split's faces, predicted in batches of 256."""
    return model.predict(split.images[..., None].astype(np.float32), batch_size=256, verbose=0)


def score(model, split) -> tuple[dict, float]:
    """A model's figures (as summarize) and mean log loss on a split's faces."""
    probabilities = predict_split(model, split)
    one_hot = np.eye(len(EMOTIONS))[split.labels]
    loss = float(-np.mean(np.sum(one_hot * np.log(np.clip(probabilities, 1e-7, 1.0)), axis=1)))
    return summarize(split.labels, probabilities.argmax(axis=1)), loss
