"""Training-curve and confusion-matrix figures (matplotlib, headless Agg backend)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)
import numpy as np  # noqa: E402

from inference.labels import EMOTIONS  # noqa: E402


def plot_training_curves(history: list[dict], path: Path, marks: list[tuple[float, str]] = ()) -> None:
    """history: one dict per epoch with loss, val_loss, accuracy, val_accuracy, val_macro_f1
    (a missing figure leaves a gap); marks: (epoch, text) drawn as vertical lines."""
    epochs = [entry["epoch"] for entry in history]

    def series(key):
        return [entry.get(key, np.nan) for entry in history]

    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(11, 4))
    loss_axes.plot(epochs, series("loss"), label="train")
    loss_axes.plot(epochs, series("val_loss"), label="valid")
    loss_axes.set(title="loss", xlabel="epoch")
    accuracy_axes.plot(epochs, series("accuracy"), label="train accuracy (augmented)")
    accuracy_axes.plot(epochs, series("val_accuracy"), label="valid accuracy")
    accuracy_axes.plot(epochs, series("val_macro_f1"), label="valid macro-F1", linestyle="--")
    accuracy_axes.set(title="accuracy", xlabel="epoch", ylim=(0, 1))
    for axes in (loss_axes, accuracy_axes):
        for epoch, text in marks:
            axes.axvline(epoch, color="grey", linewidth=0.8, linestyle=":")
            axes.annotate(text, (epoch, 0.97), xycoords=("data", "axes fraction"), rotation=90,
                          fontsize=7, color="grey", ha="right", va="top")
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_confusion_matrix(confusion, path: Path, title: str = "confusion matrix") -> None:
    """Row-normalised (recall) colours with raw counts written in each cell."""
    counts = np.asarray(confusion)
    rows = counts.sum(axis=1, keepdims=True)
    normalised = np.divide(counts, rows, out=np.zeros(counts.shape), where=rows > 0)
    figure, axes = plt.subplots(figsize=(7, 6))
    image = axes.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    axes.set_xticks(range(len(EMOTIONS)), EMOTIONS, rotation=45, ha="right")
    axes.set_yticks(range(len(EMOTIONS)), EMOTIONS)
    axes.set(xlabel="predicted", ylabel="true", title=title)
    for row in range(counts.shape[0]):
        for col in range(counts.shape[1]):
            colour = "white" if normalised[row, col] > 0.5 else "black"
            axes.text(col, row, f"{counts[row, col]}\n{normalised[row, col]:.0%}",
                      ha="center", va="center", fontsize=7, color=colour)
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
