"""Reproduce the shipped emotion model in one command.

    KERAS_BACKEND=jax python -m training.recipe --data data --out training_runs/recipe --parallel

Three rounds of the same three steps, each in its own folder under OUT:

1. Teacher nets trained from scratch.
2. Their averaged probabilities, with mirrored faces, on the training set
   (``training.teacher``).
3. A vgg_deep student distilled towards those soft targets. Round 1 starts it
   from its own vgg_deep teacher, round 2 from the round-1 student, so round 2
   refines the first model with a second, stronger set of teachers. Round 3
   builds on the finished round-1 student (recalibrated, see below): it joins
   the new teachers' ensemble and its student starts from it; that student's
   weights averaged over its last 10 epochs (``--swa-epochs``) are the result.

Then, for each round's student (``OUT/<round>/recalibrated/``),
``training.recalibrate`` measures its BatchNorm statistics again on the clean
training faces (no training; 4-12 minutes on two CPU cores) and
``training.export`` turns it into the int8 file the product serves (under a
minute), scored on valid/ as served (with the served views of
``inference/classifiers/views.py``). Last, the best of the three is copied to
``OUT/final/`` (``emotion_cnn.keras`` and ``emotion_cnn.tflite`` with card and
plots): the shipped model.

Every step is an ordinary ``training.train`` or ``training.teacher`` run in its
own process (the commands are printed), so each can also be run, resumed or
changed by hand. The epochs are those of the shipped model (``--stop-after``
where a run was cut at a session's deadline, ``--replan`` where a
``--time-budget`` re-planned it: runs are deterministic, so the same weights
come out again); ``--scale`` shrinks them for a quick trial (and drops the
re-plans). About 35 minutes on one H100/H200 with ``--parallel``; days on two
CPU cores.

Stopped part-way (Ctrl-C, or SIGTERM from ``timeout``: the running steps are
stopped with it), the same command continues where it stopped: finished runs
are skipped, interrupted ones resumed from their last epoch (an export whose
card measured other views than ``SERVED`` is done again). That is how the
recipe fits machines lent in slices shorter than the whole run.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from inference.classifiers.views import SERVED

BATCH_512 = ["--batch-size", "512", "--lr", "4e-3", "--warmup-epochs", "5"]
BATCH_256 = ["--batch-size", "256", "--lr", "3e-3", "--warmup-epochs", "3"]


@dataclass(frozen=True)
class Round:
    name: str
    teachers: dict[str, list[str]]
    student: list[str]
    # the student starts from this teacher of the round; None: from the previous round's student
    student_init_teacher: str | None
    # a round building on an earlier round's finished (recalibrated) student: that model joins the teachers'
    # ensemble, first, and the student starts from it
    builds_on: str | None = None
    # the round's result inside the student's folder: its best epoch, or the average of --swa-epochs
    student_result: str = "emotion_cnn.keras"


ROUNDS = [
    Round("round1",
          teachers={
              "compact": ["--arch", "vgg_compact", "--epochs", "101"],
              "deep": ["--arch", "vgg_deep", "--epochs", "109"],
              "medium": ["--arch", "vgg_medium", "--epochs", "107"],
              "deep_wd": ["--arch", "vgg_deep", "--epochs", "104", "--weight-decay", "0.05"],
          },
          student=["--arch", "vgg_deep", "--epochs", "55", "--lr", "5e-4", "--teacher-weight", "0.7"],
          student_init_teacher="deep"),
    # the five of eight new nets whose ensemble scored best on valid; trained side by side, cut at a deadline
    Round("round2",
          teachers={
              "deep": ["--arch", "vgg_deep", "--epochs", "73", "--stop-after", "61", "--seed", "3"],
              "deep_b256": ["--arch", "vgg_deep", "--epochs", "102", "--stop-after", "83", "--seed", "4",
                            "--batch-size", "256", "--lr", "3e-3", "--warmup-epochs", "3"],
              "medium": ["--arch", "vgg_medium", "--epochs", "74", "--stop-after", "66", "--seed", "3"],
              "deep_wd_b512": ["--arch", "vgg_deep", "--epochs", "134", "--stop-after", "115", "--seed", "2",
                               "--weight-decay", "0.05", *BATCH_512],
              "compact_b512": ["--arch", "vgg_compact", "--epochs", "133", "--stop-after", "111", "--seed", "1",
                               *BATCH_512],
          },
          student=["--arch", "vgg_deep", "--epochs", "32", "--lr", "5e-4", "--teacher-weight", "0.7"],
          student_init_teacher=None),
    # four of five nets trained side by side under a --time-budget (its re-plans replayed), chosen greedily by
    # log loss on valid together with the finished round-1 student; a student of theirs averaged over 10 epochs
    Round("round3",
          teachers={
              "deep_wd_b256": ["--arch", "vgg_deep", "--epochs", "150", "--seed", "34", "--weight-decay", "0.05",
                               *BATCH_256, "--replan", "1:111,22:100,25:94,36:90,39:78"],
              "deep": ["--arch", "vgg_deep", "--epochs", "150", "--seed", "31", "--replan", "1:91,13:85,16:72,23:66"],
              "compact_b256": ["--arch", "vgg_compact", "--epochs", "150", "--seed", "35", *BATCH_256,
                               "--replan", "1:107,38:95"],
              "medium": ["--arch", "vgg_medium", "--epochs", "150", "--stop-after", "53", "--seed", "33",
                         "--replan", "1:90,26:81,40:78,43:72,46:67,49:63,52:62"],
          },
          student=["--arch", "vgg_deep", "--epochs", "40", "--swa-epochs", "10", "--lr", "2e-4",
                   "--teacher-weight", "0.7", "--seed", "42"],
          student_init_teacher=None, builds_on="round1", student_result="swa/emotion_cnn.keras"),
]


def _value(args: list[str], flag: str) -> str | None:
    return args[args.index(flag) + 1] if flag in args else None


def scaled(args: list[str], scale: float) -> list[str]:
    """ARGS with every epoch count scaled; a trial drops replayed re-plans and averages at least one epoch."""
    if scale == 1.0:
        return list(args)
    args = list(args)
    if "--replan" in args:
        position = args.index("--replan")
        del args[position:position + 2]
    for flag in ("--epochs", "--stop-after", "--swa-epochs"):
        if flag in args:
            position = args.index(flag) + 1
            args[position] = str(max(1, round(int(args[position]) * scale)))
    if "--swa-epochs" in args:
        position = args.index("--epochs") + 1
        args[position] = str(max(int(args[position]), int(_value(args, "--swa-epochs")) + 1))
    return args


def train_command(data: str, out: Path, args: list[str], common: list[str]) -> list[str]:
    return [sys.executable, "-m", "training.train", "--data", data, "--out", str(out), *args, *common]


def epochs_done(out: Path) -> int:
    try:
        return json.loads((out / "checkpoints" / "state.json").read_text())["epochs_completed"]
    except (OSError, ValueError, KeyError):
        return 0


def planned_epochs(command: list[str]) -> int:
    """The epochs the command trains: --epochs or its last --replan, or --stop-after when it ends the run sooner."""
    from training.train import parse_replans

    epochs = int(_value(command, "--epochs"))
    if "--replan" in command:
        epochs = parse_replans(_value(command, "--replan"))[-1][1]
    if "--stop-after" in command:
        epochs = min(epochs, int(_value(command, "--stop-after")))
    return epochs


def continuation(command: list[str], out: Path) -> list[str] | None:
    """The command that finishes the run in OUT: None if it is done, with --resume if it was cut short."""
    done = epochs_done(out)
    if done >= planned_epochs(command):
        print(f"{out}: done ({done} epochs), skipped")
        return None
    return command + ["--resume"] if done else command


class Interrupted(Exception):
    """SIGTERM or Ctrl-C while steps were running; they have been stopped."""


def _raise_interrupted(signum, frame):
    raise Interrupted


def supervise(processes: dict[str, subprocess.Popen], poll) -> None:
    """Wait for the processes, calling poll() every few seconds; on SIGTERM or Ctrl-C, stop them all.

    Killing only this process would leave the training runs going on as orphans,
    and a second invocation would then train the same folders twice at once.
    """
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        while any(p.poll() is None for p in processes.values()):
            time.sleep(2)
            poll()
        poll()
    except (Interrupted, KeyboardInterrupt):
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for process in processes.values():
            process.wait()
        raise SystemExit("interrupted; the same command continues where this run stopped") from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_in_parallel(commands: dict[str, list[str]], outs: dict[str, Path]) -> None:
    """Start every command, show one progress bar over all their epochs, fail if any fails."""
    from tqdm import tqdm

    processes = {}
    for name, command in commands.items():
        outs[name].mkdir(parents=True, exist_ok=True)
        log = open(outs[name].with_suffix(".log"), "a")
        print("$", " ".join(command), f">> {log.name}")
        processes[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    total = sum(planned_epochs(c) for c in commands.values())
    with tqdm(total=total, unit="epoch", desc="teachers") as progress:
        supervise(processes, lambda: progress.update(sum(epochs_done(outs[n]) for n in commands) - progress.n))
    failed = [name for name, p in processes.items() if p.returncode != 0]
    if failed:
        raise SystemExit(f"teacher run(s) {', '.join(failed)} failed; see {outs[failed[0]].with_suffix('.log')}")


def run(command: list[str]) -> None:
    print("$", " ".join(command), flush=True)
    process = subprocess.Popen(command)
    supervise({"step": process}, lambda: None)
    if process.returncode != 0:
        raise SystemExit(f"step failed: {' '.join(command)}")


def run_round(spec: Round, data: str, out: Path, previous_student: Path | None, previous_retrained: bool,
              parallel: bool, scale: float, common: list[str], base: Path | None = None) -> tuple[Path, bool]:
    """Teachers, soft targets, student; returns the student folder and whether the student was (re)trained.

    BASE: the finished model of the round that SPEC builds on, if any.
    """
    outs = {name: out / name for name in spec.teachers}
    commands = {}
    for name, teacher in spec.teachers.items():
        command = continuation(train_command(data, outs[name], scaled(teacher, scale), common), outs[name])
        if command:
            commands[name] = command
    if parallel and commands:
        run_in_parallel(commands, outs)
    else:
        for command in commands.values():
            run(command)

    soft_targets = out / "teacher.npz"
    # new teacher epochs (or a new base model) mean new soft targets, and a student of the old ones is stale
    targets_remade = (bool(commands) or not soft_targets.exists()
                      or (base is not None and base.stat().st_mtime_ns > soft_targets.stat().st_mtime_ns))
    if targets_remade:
        models = ([base] if base else []) + [outs[name] / "emotion_cnn.keras" for name in spec.teachers]
        run([sys.executable, "-m", "training.teacher", "--data", data, "--out", str(soft_targets), *common,
             "--models", *map(str, models)])
    student = out / "student"
    if base:
        init = base
    else:
        init_folder = outs[spec.student_init_teacher] if spec.student_init_teacher else previous_student
        init = init_folder / "emotion_cnn.keras"
    student_command = (train_command(data, student, scaled(spec.student, scale), common)
                       + ["--init-from", str(init), "--teacher", str(soft_targets)])
    # so is one started from a previous student that has just been retrained
    if targets_remade or (previous_retrained and spec.student_init_teacher is None and base is None):
        run(student_command + ["--restart"])
        return student, True
    command = continuation(student_command, student)
    if command:
        run(command)
    return student, bool(command)


def _unless_done(output: Path, source: Path, command: list[str], outdated: bool = False) -> Path:
    """Run COMMAND, which writes OUTPUT from SOURCE, unless OUTPUT was written after SOURCE was last saved
    and is not `outdated` for another reason."""
    if not outdated and output.is_file() and output.stat().st_mtime_ns > source.stat().st_mtime_ns:
        print(f"{output}: done (written after {source.name} was last saved), skipped")
    else:
        run(command)
    return output


def recalibrate_step(data: str, source: Path, out: Path, common: list[str]) -> Path:
    """A student's BatchNorm statistics measured on clean faces, into OUT."""
    return _unless_done(out / "emotion_cnn.keras", source, [
        sys.executable, "-m", "training.recalibrate", "--data", data, "--model", str(source), "--out", str(out),
        *common])


def exported_with_served_views(folder: Path) -> bool:
    """Whether FOLDER's card scores its served file with the views the product serves today."""
    card = folder / "model_card.json"
    return card.is_file() and json.loads(card.read_text()).get("serving", {}).get("views") == SERVED.to_dict()


def export_step(data: str, model: Path, common: list[str]) -> Path:
    """The served int8 file next to MODEL, exported again when its card measured other views than SERVED."""
    served = model.with_suffix(".tflite")
    # selection compares the cards' figures, so they must all be taken as served now
    return _unless_done(served, model, [
        sys.executable, "-m", "training.export", "--data", data, "--model", str(model), "--out", str(served),
        *common], outdated=not exported_with_served_views(model.parent))


SELECTED_FILES = ("emotion_cnn.keras", "emotion_cnn.tflite", "model_card.json", "training_curves.png",
                  "confusion_matrix.png", "confusion_matrix_served.png")


def _served_accuracy(folder: Path) -> float:
    serving = json.loads((folder / "model_card.json").read_text())["serving"]
    return serving["validation"]["accuracy"] if "validation" in serving else -1.0


def select_step(candidates: dict[str, Path], out: Path) -> str:
    """Copy into OUT the candidate folder whose served file scores best on valid/ (a tie: the later round).

    The card gets a `selection` section with every candidate's figure; a winner
    already copied (same files) is skipped.
    """
    scores = {name: _served_accuracy(folder) for name, folder in candidates.items()}
    chosen = max(scores, key=lambda name: (scores[name], list(candidates).index(name)))
    source = candidates[chosen]
    files = [name for name in SELECTED_FILES if name != "model_card.json" and (source / name).is_file()]
    card = json.loads((source / "model_card.json").read_text())
    card["selection"] = {
        "rule": f"the student whose served file (int8; {SERVED.describe()}) scores best on valid/",
        "served_valid_accuracy": scores, "chosen": chosen, "source": str(source)}
    card_text = json.dumps(card, indent=2) + "\n"
    out_card = out / "model_card.json"
    if (out_card.is_file() and out_card.read_text() == card_text
            and all((out / name).is_file() and filecmp.cmp(source / name, out / name, shallow=False) for name in files)):
        print(f"{out}: done (holds {chosen}'s model), skipped")
        return chosen
    out.mkdir(parents=True, exist_ok=True)
    for name in files:
        shutil.copy2(source / name, out / name)
    out_card.write_text(card_text)
    print(f"{out}: {chosen}'s model, " + ", ".join(f"{name} {score:.4f}" for name, score in scores.items())
          + " on valid/ as served")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.recipe", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, help="class-folder root with train/ and valid/, or fer2013.csv")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--parallel", action="store_true", help="train a round's teachers at once (one GPU has room)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every run's epochs (e.g. 0.05 for a trial)")
    parser.add_argument("--cache-dir", default="training_runs/cache")
    args = parser.parse_args(argv)
    common = ["--cache-dir", args.cache_dir]

    def finish(spec: Round) -> Path:
        """The round's student recalibrated and exported (each skipped when done); returns the Keras file."""
        model = recalibrate_step(args.data, args.out / spec.name / "student" / spec.student_result,
                                 candidates[spec.name], common)
        export_step(args.data, model, common)
        return model

    student, retrained = None, False
    candidates = {spec.name: args.out / spec.name / "recalibrated" for spec in ROUNDS}
    rounds = {spec.name: spec for spec in ROUNDS}
    for spec in ROUNDS:
        base = finish(rounds[spec.builds_on]) if spec.builds_on else None
        student, retrained = run_round(spec, args.data, args.out / spec.name, student, retrained,
                                       args.parallel, args.scale, common, base)
    # every round's student is a candidate: a later round's is not reliably better on valid/
    for spec in ROUNDS:
        finish(spec)
    final = args.out / "final"
    chosen = select_step(candidates, final)
    print(f"the final model ({chosen}'s student): {final / 'emotion_cnn.keras'}, served as "
          f"{final / 'emotion_cnn.tflite'} (copy the folder into models/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
