"""Train an emotion classifier.

    python -m training.train --data data --arch vgg_lite --epochs 30 --out training_runs/vgg_lite

DATA is a class-folder root (train/, valid/) or a FER2013 CSV. OUT receives, after
every epoch: ``emotion_cnn.keras`` (the best-validation-accuracy weights, no
optimizer state), ``model_card.json``, ``training_curves.png``,
``confusion_matrix.png``; and ``checkpoints/`` (the last epoch with optimizer
state, for ``--resume``). Models are selected on valid/ only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from inference.labels import EMOTIONS
from training.errors import TrainingError

logger = logging.getLogger("training.train")

MODEL_FILENAME = "emotion_cnn.keras"
CARD_FILENAME = "model_card.json"
CURVES_FILENAME = "training_curves.png"
CONFUSION_FILENAME = "confusion_matrix.png"
CHECKPOINT_FILENAME = "checkpoints/last.keras"
STATE_FILENAME = "checkpoints/state.json"
SWA_WEIGHTS_DIR = "checkpoints/swa"  # one weights file per epoch of the averaging window
SWA_DIR = "swa"  # the averaged model, its card and plots


@dataclass(frozen=True)
class TrainConfig:
    data: str
    arch: str
    epochs: int
    out: str
    seed: int = 1337
    batch_size: int = 128
    learning_rate: float = 2e-3
    weight_decay: float = 1e-4
    label_smoothing: float = 0.1
    class_weights: str = "none"
    schedule: str = "cosine"
    warmup_epochs: float = 1.0
    augment: bool = True
    cache_dir: str | None = "training_runs/cache"
    max_train_samples: int | None = None
    teacher: str | None = None
    teacher_weight: float = 0.7
    init_from: str | None = None
    swa_epochs: int = 0
    swa_lr: float | None = None


@dataclass(frozen=True)
class RunOptions:
    """How this invocation runs; unlike TrainConfig, free to change between resumes."""

    resume: bool = False
    restart: bool = False  # start afresh in an --out that already holds a run
    stop_after: int | None = None
    time_budget_minutes: float | None = None
    # (after epoch, new --epochs) pairs, in order: a --time-budget run's schedule changes, replayed
    replans: tuple[tuple[int, int], ...] = ()


def parse_replans(text: str) -> tuple[tuple[int, int], ...]:
    """The --replan value "1:91,13:85" as ((1, 91), (13, 85))."""
    try:
        pairs = tuple((int(after), int(epochs)) for after, epochs in (item.split(":") for item in text.split(",")))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected EPOCH:EPOCHS[,EPOCH:EPOCHS...], got {text!r}") from None
    afters = [after for after, _ in pairs]
    if afters != sorted(set(afters)) or any(after < 1 or epochs <= after for after, epochs in pairs):
        raise argparse.ArgumentTypeError(
            f"each EPOCH must be at least 1, after the previous one and below its EPOCHS: {text!r}")
    return pairs


def parse_args(argv: list[str] | None = None) -> tuple[TrainConfig, RunOptions]:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="class-folder root with train/ and valid/, or fer2013.csv")
    parser.add_argument("--arch", required=True, help="architecture name (see training/archs.py)")
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--resume", action="store_true",
                        help="continue from OUT/checkpoints; a different --epochs re-plans the LR schedule")
    parser.add_argument("--restart", action="store_true",
                        help="start afresh in an OUT that already holds a run, replacing it")
    parser.add_argument("--stop-after", type=int, default=None, metavar="EPOCH",
                        help="stop once this epoch is done (continue later with --resume)")
    parser.add_argument("--time-budget", type=float, default=None, metavar="MINUTES", dest="time_budget_minutes",
                        help="after the first epoch, shorten --epochs to what fits in MINUTES of training, and "
                             "again if epochs slow down later (re-planned schedules are recorded in the model card); "
                             "each re-plan recompiles the training step, which slows every run sharing the machine, "
                             "so runs side by side do better with a fixed --epochs")
    parser.add_argument("--replan", type=parse_replans, default=(), metavar="EPOCH:EPOCHS[,...]",
                        dest="replans",
                        help="after epoch EPOCH, re-plan the learning-rate schedule to EPOCHS epochs, as a "
                             "--time-budget run did (its card's schedule_changes): reproduces that run")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3, dest="learning_rate", help="peak learning rate")
    parser.add_argument("--weight-decay", type=float, default=1e-4)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--class-weights", choices=["none", "sqrt", "balanced"], default="none",
                        help="loss weights against class imbalance: none, inverse square root or inverse frequency")
    parser.add_argument("--schedule", choices=["cosine", "onecycle"], default="cosine",
                        help="cosine: short warmup then cosine decay; onecycle: 30%% warmup then cosine decay")
    parser.add_argument("--warmup-epochs", type=float, default=1.0, help="warmup length for --schedule cosine")
    parser.add_argument("--no-augment", action="store_false", dest="augment")
    parser.add_argument("--cache-dir", default="training_runs/cache",
                        help="where decoded arrays are cached as .npz ('' disables)")
    parser.add_argument("--max-train-samples", type=int, default=None, help="train on a seeded subset (quick trials)")
    parser.add_argument("--teacher", default=None, metavar="NPZ",
                        help="distil: soft targets from python -m training.teacher for the training faces")
    parser.add_argument("--teacher-weight", type=float, default=0.7,
                        help="share of the teacher's probabilities in each target (the rest is the label)")
    parser.add_argument("--init-from", default=None, metavar="MODEL",
                        help="start from this model's weights (same --arch) instead of a random init")
    parser.add_argument("--swa-epochs", type=int, default=0, metavar="K",
                        help="stochastic weight averaging: hold the learning rate at --swa-lr for the last K epochs "
                             "and write the average of their weights to OUT/swa/ (recalibrate its BatchNorm next)")
    parser.add_argument("--swa-lr", type=float, default=None,
                        help="learning rate of the averaging epochs (default: a fifth of --lr)")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    if not 0 <= args.swa_epochs < args.epochs:
        parser.error("--swa-epochs must be at least 0 and fewer than --epochs")
    if args.swa_lr is not None and not args.swa_epochs:
        parser.error("--swa-lr needs --swa-epochs")
    if not 0.0 <= args.teacher_weight <= 1.0:
        parser.error("--teacher-weight must be between 0 and 1")
    if args.resume and args.restart:
        parser.error("--resume continues the run in OUT, --restart replaces it; give one or the other")
    if args.replans and args.time_budget_minutes:
        parser.error("--replan replays a --time-budget run's schedule; give one or the other")
    run = RunOptions(resume=args.resume, restart=args.restart, stop_after=args.stop_after,
                     time_budget_minutes=args.time_budget_minutes, replans=args.replans)
    del args.resume, args.restart, args.stop_after, args.time_budget_minutes, args.replans
    args.cache_dir = args.cache_dir or None
    return TrainConfig(**vars(args)), run


def class_weight_table(counts: np.ndarray, mode: str) -> dict[int, float] | None:
    if mode == "none":
        return None
    frequency = counts / counts.sum()
    raw = 1.0 / np.sqrt(frequency) if mode == "sqrt" else 1.0 / frequency
    raw = raw / (raw * frequency).sum()  # mean weight per sample stays 1, so the LR means the same
    return {i: float(w) for i, w in enumerate(raw)}


class Trainer:
    def __init__(self, config: TrainConfig, run: RunOptions = RunOptions()):
        import keras

        from training import archs, backend, data

        self.config = config
        self.stop_after = run.stop_after
        self.time_budget_s = run.time_budget_minutes * 60 if run.time_budget_minutes else None
        self.replans = dict(run.replans)
        # wall time of each epoch since this invocation started or last re-planned, saving included
        self._epoch_seconds: list[float] = []
        self.out = Path(config.out)
        if not (run.resume or run.restart) and (self.out / STATE_FILENAME).exists():
            # A second start into the same folder would overwrite hours of epochs without a word.
            done = json.loads((self.out / STATE_FILENAME).read_text())["epochs_completed"]
            raise TrainingError(f"{self.out} already holds a run ({done} epochs done): continue it with --resume, "
                                "replace it with --restart, or give another --out")
        self.keras = keras
        self.backend = keras.backend.backend()
        keras.utils.set_random_seed(config.seed)
        backend.enable_determinism(self.backend)
        self.on_gpu = bool(backend.gpu_names(self.backend))
        if self.on_gpu:
            # bfloat16 needs no loss scaling; the softmax layer stays float32 (archs.py)
            keras.mixed_precision.set_global_policy("mixed_bfloat16")

        if config.arch not in archs.ARCHITECTURES:
            raise TrainingError(f"unknown architecture {config.arch!r}; choose one of {', '.join(archs.ARCHITECTURES)}")
        self.train_split = data.load_split(Path(config.data), "train", config.cache_dir)
        self.valid_split = data.load_split(Path(config.data), "valid", config.cache_dir)
        self.soft_targets = None
        if config.teacher:
            from training.teacher import load_soft_targets

            self.soft_targets = load_soft_targets(Path(config.teacher), self.train_split.labels)
        if config.max_train_samples and config.max_train_samples < len(self.train_split):
            chosen = np.random.RandomState(config.seed).permutation(len(self.train_split))[: config.max_train_samples]
            self.train_split = data.Split(self.train_split.images[chosen], self.train_split.labels[chosen])
            if self.soft_targets is not None:
                self.soft_targets = self.soft_targets[chosen]
        self.steps_per_epoch = int(np.ceil(len(self.train_split) / config.batch_size))

        state_path = self.out / STATE_FILENAME
        if run.resume:
            if not state_path.exists():
                raise TrainingError(f"--resume: no checkpoint in {self.out / 'checkpoints'}")
            self.state = json.loads(state_path.read_text())
            saved = self.state["config"]
            if saved["arch"] != config.arch:
                raise TrainingError(f"--resume: checkpoint was made with --arch {saved['arch']}")
            self.model = keras.models.load_model(self.out / CHECKPOINT_FILENAME, compile=True)
            # a replayed run resumes on the schedule its re-plans so far had made
            done = self.state["epochs_completed"]
            replayed = [epochs for after, epochs in run.replans if after <= done]
            if replayed:
                self.config = config = replace(config, epochs=replayed[-1])
            if saved["epochs"] != config.epochs:
                self._replan_schedule(saved["epochs"])
            logger.info("resuming %s after epoch %d", config.arch, self.state["epochs_completed"])
        else:
            self.state = {"config": asdict(config), "epochs_completed": 0, "history": [],
                          "best": None, "train_seconds": 0.0}
            self.model = archs.build(config.arch)
            if config.init_from:
                self._load_initial_weights(Path(config.init_from))
            self.model.compile(optimizer=self._optimizer(),
                               loss=keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing),
                               metrics=["accuracy"])

    def _load_initial_weights(self, path: Path) -> None:
        if not path.is_file():
            raise TrainingError(f"--init-from: model not found: {path}")
        source = self.keras.models.load_model(path, compile=False)
        weights = source.get_weights()
        expected = [tuple(w.shape) for w in self.model.get_weights()]
        if [tuple(w.shape) for w in weights] != expected:
            raise TrainingError(f"--init-from: {path} is not a {self.config.arch} model (its weights differ in shape)")
        self.model.set_weights(weights)

    def _replan_schedule(self, old_epochs: int) -> None:
        """--resume with a new --epochs: keep weights and Adam moments, stretch or shrink the LR schedule."""
        completed = self.state["epochs_completed"]
        if self.config.epochs <= completed:
            raise TrainingError(f"--resume --epochs {self.config.epochs}: {completed} epochs are already done")
        old_optimizer = self.model.optimizer
        optimizer = self._optimizer()
        optimizer.build(self.model.trainable_variables)
        if [v.shape for v in optimizer.variables] != [v.shape for v in old_optimizer.variables]:
            raise TrainingError("--resume: the checkpoint's optimizer state does not match this model")
        for new_variable, old_variable in zip(optimizer.variables, old_optimizer.variables):
            new_variable.assign(old_variable)
        self.model.compile(optimizer=optimizer,
                           loss=self.keras.losses.CategoricalCrossentropy(label_smoothing=self.config.label_smoothing),
                           metrics=["accuracy"])
        self.state.setdefault("schedule_changes", []).append(
            {"after_epoch": completed, "epochs_before": old_epochs, "epochs_after": self.config.epochs})
        self.state["config"]["epochs"] = self.config.epochs
        logger.info("learning-rate schedule re-planned from %d to %d epochs", old_epochs, self.config.epochs)

    def _optimizer(self):
        return self.keras.optimizers.AdamW(learning_rate=self.learning_rate_schedule(),
                                           weight_decay=self.config.weight_decay)

    def learning_rate_schedule(self):
        keras = self.keras
        total_steps = self.steps_per_epoch * self.config.epochs
        if self.config.schedule == "onecycle":
            warmup_steps = int(0.3 * total_steps)
        else:
            warmup_steps = int(self.config.warmup_epochs * self.steps_per_epoch)
        warmup_steps = min(warmup_steps, total_steps - 1)
        # with averaging, the cosine ends at --swa-lr one window early and stays there (CosineDecay holds
        # its floor, alpha x peak, after decay_steps): the averaged epochs all train at that rate
        averaging_steps = self.swa_window() * self.steps_per_epoch
        return keras.optimizers.schedules.CosineDecay(
            initial_learning_rate=self.config.learning_rate / 20,
            decay_steps=max(total_steps - warmup_steps - averaging_steps, 1),
            warmup_target=self.config.learning_rate,
            warmup_steps=warmup_steps,
            alpha=self.swa_lr() / self.config.learning_rate if averaging_steps else 0.0,
        )

    def swa_window(self) -> int:
        """Epochs averaged: --swa-epochs, fewer if a time budget has shortened the run below it."""
        return min(self.config.swa_epochs, self.config.epochs - 1)

    def swa_lr(self) -> float:
        return self.config.swa_lr if self.config.swa_lr is not None else self.config.learning_rate / 5

    def _keep_weights_for_average(self, epoch_number: int) -> None:
        """One file per averaged epoch: a resumed run overwrites the ones it redoes, so it averages what a straight run does."""
        if not self.swa_window() or epoch_number <= self.config.epochs - self.swa_window():
            return
        folder = self.out / SWA_WEIGHTS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f"partial-epoch-{epoch_number:04d}.npz"
        with open(partial, "wb") as handle:
            np.savez(handle, *self.model.get_weights())
        partial.replace(folder / f"epoch-{epoch_number:04d}.npz")

    def _export_average(self) -> None:
        """Write OUT/swa/: the mean of the window's weights as a float32 model, its card and plots.

        Its BatchNorm statistics are means of the epochs' statistics, not those of
        the averaged network: training.recalibrate measures them next.
        """
        from training.metrics import validation_section
        from training.plots import plot_confusion_matrix

        first = self.config.epochs - self.swa_window() + 1
        averaged = [e for e in range(first, self.config.epochs + 1)
                    if (self.out / SWA_WEIGHTS_DIR / f"epoch-{e:04d}.npz").is_file()]
        if not averaged:
            raise TrainingError(f"--swa-epochs: no weights kept for epochs {first}-{self.config.epochs}")
        total = None
        for epoch_number in averaged:
            with np.load(self.out / SWA_WEIGHTS_DIR / f"epoch-{epoch_number:04d}.npz") as stored:
                weights = [stored[f"arr_{i}"].astype(np.float64) for i in range(len(stored.files))]
            total = weights if total is None else [t + w for t, w in zip(total, weights)]
        model = self._float32_copy([(t / len(averaged)).astype(np.float32) for t in total])
        summary, _ = self._validate(model)
        out = self.out / SWA_DIR
        out.mkdir(exist_ok=True)
        card = json.loads((self.out / CARD_FILENAME).read_text())
        card["weight_average"] = {
            "epochs": averaged,
            "learning_rate": self.swa_lr(),
            "what": "mean of the weights at the end of each of these epochs (stochastic weight averaging); "
                    "BatchNorm statistics averaged too, until training.recalibrate measures them",
        }
        card["validation"] = validation_section(summary, f"valid split, average of epochs {averaged[0]}-{averaged[-1]}")
        (out / CARD_FILENAME).write_text(json.dumps(card, indent=2) + "\n")
        (out / CURVES_FILENAME).write_bytes((self.out / CURVES_FILENAME).read_bytes())
        plot_confusion_matrix(summary["confusion"], out / CONFUSION_FILENAME,
                              title=f"{self.config.arch}, weights of epochs {averaged[0]}-{averaged[-1]} averaged "
                                    f"(accuracy {summary['accuracy']:.1%})")
        partial = out / f"partial-{MODEL_FILENAME}"
        model.save(partial)
        partial.replace(out / MODEL_FILENAME)
        logger.info("averaged epochs %d-%d: val accuracy %.4f (before BatchNorm recalibration); model in %s",
                    averaged[0], averaged[-1], summary["accuracy"], out / MODEL_FILENAME)

    def _train_batches(self, epoch: int):
        from training.batches import EpochBatches

        class_weights = class_weight_table(self.train_split.class_counts(), self.config.class_weights)
        return EpochBatches(self.train_split, batch_size=self.config.batch_size, seed=self.config.seed,
                            epoch=epoch, augment=self.config.augment, class_weights=class_weights,
                            soft_targets=self.soft_targets, soft_weight=self.config.teacher_weight)

    def _reseed_layers(self, epoch: int) -> None:
        """Dropout masks depend only on (seed, epoch, layer), so a resumed run repeats a straight one."""
        self.keras.utils.set_random_seed(self.config.seed * 1000 + epoch)
        for index, layer in enumerate(self.model.layers):
            generator = getattr(layer, "seed_generator", None)
            if generator is not None:
                layer_seed = (self.config.seed * 1_000_003 + epoch * 1009 + index) % (2**31 - 1)
                generator.state.assign(np.array([layer_seed, 0], dtype=generator.state.dtype))

    def _validate(self, model=None) -> tuple[dict, float]:
        """Figures and log loss on valid/ of `model` (default: the one training)."""
        from training.metrics import score

        return score(model or self.model, self.valid_split)

    def _float32_copy(self, weights: list[np.ndarray]):
        """The architecture built for inference (float32, no optimizer state) holding `weights`."""
        from training import archs

        policy = self.keras.mixed_precision.global_policy()
        self.keras.mixed_precision.set_global_policy("float32")
        try:
            model = archs.build(self.config.arch)
        finally:
            self.keras.mixed_precision.set_global_policy(policy)
        model.set_weights(weights)
        return model

    def _export_best(self) -> None:
        self._float32_copy(self.model.get_weights()).save(self.out / MODEL_FILENAME)

    def _write_report(self) -> None:
        from training import backend
        from training.metrics import validation_section
        from training.plots import plot_confusion_matrix, plot_training_curves

        best = self.state["best"]
        card = {
            "model_file": MODEL_FILENAME,
            "task": "facial expression recognition, 7 classes",
            "labels": list(EMOTIONS),
            "input": "(N, 48, 48, 1) float32 grayscale, raw 0..255 (normalised inside the model)",
            "output": "(N, 7) softmax in labels order",
            "architecture": self.config.arch,
            "parameters": int(self.model.count_params()),
            "data": {
                "source": str(self.config.data),
                "train_images": len(self.train_split),
                "valid_images": len(self.valid_split),
                "train_class_counts": dict(zip(EMOTIONS, self.train_split.class_counts().tolist())),
            },
            "training": {
                "epochs_planned": self.config.epochs,
                "epochs_completed": self.state["epochs_completed"],
                "finished": self.state["epochs_completed"] >= self.config.epochs,
                "best_epoch": best["epoch"],
                "seconds": round(self.state["train_seconds"], 1),
                "seconds_per_epoch": round(self.state["train_seconds"] / max(self.state["epochs_completed"], 1), 1),
                "hardware": backend.describe_hardware(self.backend),
                "mixed_precision": self.on_gpu,
                "schedule_changes": self.state.get("schedule_changes", []),
                "config": asdict(self.config),
                "command": "python -m training.train " + " ".join(sys.argv[1:]) if sys.argv[0].endswith("train.py") else None,
            },
            "validation": validation_section(best, "valid split, best accuracy over epochs"),
            "software": backend.software_versions(self.backend),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        (self.out / CARD_FILENAME).write_text(json.dumps(card, indent=2) + "\n")
        plot_training_curves(self.state["history"], self.out / CURVES_FILENAME)
        plot_confusion_matrix(best["confusion"], self.out / CONFUSION_FILENAME,
                              title=f"{self.config.arch} on valid (epoch {best['epoch']}, "
                                    f"accuracy {best['accuracy']:.1%})")

    def _fit_to_time_budget(self, steady_epoch_seconds: float) -> bool:
        """Cut the planned epochs to what the time budget affords (True if it did).

        When this happens after epoch 1 (all warmup under every plan), the shortened
        run equals a straight run with the new --epochs; later, it shortens the cosine
        tail. The card records every change under schedule_changes.
        """
        completed = self.state["epochs_completed"]
        left = self.time_budget_s - self.state["train_seconds"]
        affordable = completed + max(1, int(left // steady_epoch_seconds))
        if affordable >= self.config.epochs:
            return False
        self._change_schedule(affordable, f"--time-budget {self.time_budget_s / 60:g} min at "
                                          f"{steady_epoch_seconds:.1f} s per epoch")
        self._epoch_seconds.clear()
        return True

    def _change_schedule(self, epochs: int, reason: str) -> None:
        old_epochs = self.config.epochs
        self.config = replace(self.config, epochs=epochs)
        self._replan_schedule(old_epochs)
        self.state["schedule_changes"][-1]["reason"] = reason

    def _keep_to_time_budget(self) -> bool:
        """Later epochs: if the run has slowed down, end its schedule sooner (True if re-planned).

        Runs that share a GPU slow each other down once they all train, so epoch 1
        can promise too much; a run cut off by its deadline before the learning rate
        decays ends far below its potential. Only a slowdown that lasts counts: the
        fastest of the last three epochs since the last re-plan. A re-plan recompiles
        the training step, and runs starting side by side compile at once, so single
        epochs can take ten times the steady cost; counting those (a median did) cut a
        150-epoch run to 12 on an H100. The 5 % slack keeps timing noise from
        re-planning every epoch.
        """
        recent = self._epoch_seconds[-3:]
        if len(recent) < 3:
            return False
        per_epoch = min(recent)
        remaining = self.config.epochs - self.state["epochs_completed"]
        left = self.time_budget_s - self.state["train_seconds"]
        if remaining * per_epoch <= 1.05 * left:
            return False
        return self._fit_to_time_budget(per_epoch)

    def run(self) -> dict:
        (self.out / "checkpoints").mkdir(parents=True, exist_ok=True)
        verbose = 1 if sys.stdout.isatty() else 2
        last_report = 0.0
        epoch = self.state["epochs_completed"]
        from training.batches import StepClock

        while epoch < min(self.config.epochs, self.stop_after or self.config.epochs):
            self._reseed_layers(epoch)
            started = time.monotonic()
            step_clock = StepClock()
            fit = self.model.fit(self._train_batches(epoch), initial_epoch=epoch, epochs=epoch + 1,
                                 shuffle=False, verbose=verbose, callbacks=[step_clock])
            train_seconds = time.monotonic() - started
            summary, val_loss = self._validate()
            seconds = time.monotonic() - started
            entry = {
                "epoch": epoch + 1,
                "loss": float(fit.history["loss"][-1]),
                "accuracy": float(fit.history["accuracy"][-1]),
                "val_loss": val_loss,
                "val_accuracy": summary["accuracy"],
                "val_macro_f1": summary["macro_f1"],
                "seconds": round(seconds, 1),
            }
            self.state["history"].append(entry)
            self.state["epochs_completed"] = epoch + 1
            self.state["train_seconds"] += seconds
            improved = self.state["best"] is None or summary["accuracy"] > self.state["best"]["accuracy"]
            saving_started = time.monotonic()
            if improved:
                self.state["best"] = {"epoch": epoch + 1, **summary}
                self._export_best()
            self.model.save(self.out / CHECKPOINT_FILENAME)
            self._keep_weights_for_average(epoch + 1)
            saving_seconds = time.monotonic() - saving_started
            # saving counts against a time budget: on a GPU an epoch can take a second, saving a third of that
            self.state["train_seconds"] += saving_seconds
            self._epoch_seconds.append(time.monotonic() - started)
            replanned = False
            if epoch + 1 in self.replans:
                self._change_schedule(self.replans[epoch + 1], "--replan")
                replanned = True
            elif self.time_budget_s and epoch == 0:
                # epoch 1 paid for compiling the train and predict steps: time a second validation
                validation_started = time.monotonic()
                self._validate()
                validation_seconds = time.monotonic() - validation_started
                steady = step_clock.steady_epoch_seconds() or train_seconds
                replanned = self._fit_to_time_budget(steady + validation_seconds + saving_seconds)
            elif self.time_budget_s:
                replanned = self._keep_to_time_budget()
            if replanned:
                self.model.save(self.out / CHECKPOINT_FILENAME)  # with the re-planned schedule
            # state last: a crash between the two saves resumes from the previous epoch, never a torn one
            tmp = self.out / (STATE_FILENAME + ".tmp")
            tmp.write_text(json.dumps(self.state))
            tmp.replace(self.out / STATE_FILENAME)
            epoch += 1
            # plots take ~0.5 s: on a fast GPU, drawing them every epoch would cost a tenth of the run
            final = epoch >= self.config.epochs or epoch == self.stop_after
            if improved or final or time.monotonic() - last_report > 30:
                self._write_report()
                last_report = time.monotonic()
            logger.info("epoch %d/%d: %.1fs, val accuracy %.4f, macro-F1 %.4f%s", epoch, self.config.epochs,
                        seconds, summary["accuracy"], summary["macro_f1"], " (best)" if improved else "")
        if self.swa_window() and self.state["epochs_completed"] >= self.config.epochs and not self._average_is_current():
            self._export_average()
        return self.state["best"]

    def _average_is_current(self) -> bool:
        """True once OUT/swa/ holds the average of this run's finished window (a rerun of a done run skips it)."""
        averaged, checkpoint = self.out / SWA_DIR / MODEL_FILENAME, self.out / CHECKPOINT_FILENAME
        return averaged.is_file() and averaged.stat().st_mtime_ns > checkpoint.stat().st_mtime_ns


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    config, run = parse_args(argv)
    from training import backend

    backend_name = os.environ.get("KERAS_BACKEND", "tensorflow")
    backend.prepare_environment(backend_name)
    backend.start_tensorflow_if_chosen(backend_name)
    try:
        best = Trainer(config, run).run()
    except TrainingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"best validation accuracy {best['accuracy']:.4f} (epoch {best['epoch']}), "
          f"macro-F1 {best['macro_f1']:.4f}; model in {Path(config.out) / MODEL_FILENAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
