"""The whole training loop on a tiny generated dataset: train, checkpoint, resume, evaluate, plots."""

from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest

from inference.labels import EMOTIONS
from training import evaluate, train

pytestmark = pytest.mark.slow


@pytest.fixture
def dataset(class_folders):
    class_folders("data/train", 12)
    class_folders("data/valid", 4, seed=1, size=64, colour=True)  # any size, colour or grey
    return class_folders("data/test", 3, seed=2).parent


def _train(dataset, out, *extra):
    argv = ["--data", str(dataset), "--arch", "tiny", "--epochs", "2", "--out", str(out),
            "--batch-size", "16", "--cache-dir", "", "--seed", "3", *extra]
    return train.main(argv)


def _history(out):
    return json.loads((out / "checkpoints" / "state.json").read_text())["history"]


def _assert_same_epochs(reference, history):
    for a, b in zip(reference, history):
        assert a["val_accuracy"] == b["val_accuracy"]
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-4), (reference, history)


def test_train_writes_model_card_plots_and_checkpoint(dataset, tmp_path):
    out = tmp_path / "run"
    assert _train(dataset, out) == 0

    for name in ("emotion_cnn.keras", "training_curves.png", "confusion_matrix.png", "checkpoints/last.keras"):
        assert (out / name).stat().st_size > 0, name
    card = json.loads((out / "model_card.json").read_text())
    assert card["architecture"] == "tiny" and card["labels"] == list(EMOTIONS)
    assert card["training"]["epochs_completed"] == 2 and card["training"]["finished"]
    assert 0.0 <= card["validation"]["accuracy"] <= 1.0
    assert set(card["validation"]["per_class_recall"]) == set(EMOTIONS)
    assert card["data"]["train_images"] == 7 * 12 and card["data"]["valid_images"] == 7 * 4
    assert card["training"]["hardware"]


def test_a_second_start_into_a_run_folder_is_refused_without_resume(dataset, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(dataset, out, "--stop-after", "1") == 0
    before = (out / "checkpoints" / "state.json").read_text()

    assert _train(dataset, out) != 0

    assert "already holds a run (1 epochs done): continue it with --resume, replace it with --restart" in \
        capsys.readouterr().err
    assert (out / "checkpoints" / "state.json").read_text() == before
    assert _train(dataset, out, "--restart") == 0  # on purpose: a fresh run of 2 epochs replaces it
    assert json.loads((out / "checkpoints" / "state.json").read_text())["epochs_completed"] == 2


def test_interrupted_run_resumes_to_the_same_result(dataset, tmp_path):
    assert _train(dataset, tmp_path / "straight") == 0
    assert _train(dataset, tmp_path / "split", "--stop-after", "1") == 0
    state = json.loads((tmp_path / "split" / "checkpoints" / "state.json").read_text())
    assert state["epochs_completed"] == 1
    assert _train(dataset, tmp_path / "split", "--resume") == 0

    resumed = _history(tmp_path / "split")
    assert [e["epoch"] for e in resumed] == [1, 2]
    _assert_same_epochs(_history(tmp_path / "straight"), resumed)


def test_resume_without_checkpoint_is_a_clear_error(dataset, tmp_path, capsys):
    assert _train(dataset, tmp_path / "nothing", "--resume") == 2
    assert "no checkpoint" in capsys.readouterr().err


def test_trained_model_is_scored_by_evaluate(dataset, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(dataset, out) == 0
    capsys.readouterr()
    plots = tmp_path / "plots"
    code = evaluate.main(["--data", str(dataset / "test"), "--model", str(out / "emotion_cnn.keras"),
                          "--json", "--plots", str(plots)])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n"] == 7 * 3
    assert sum(map(sum, report["confusion"])) == 21
    assert (plots / "confusion_matrix.png").stat().st_size > 0


def test_fer2013_csv_trains_too(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    rows = ["emotion,pixels,Usage"]
    for usage, count in (("Training", 21), ("PublicTest", 7), ("PrivateTest", 7)):
        for n in range(count):
            pixels = " ".join(map(str, rng.integers(0, 256, 48 * 48)))
            rows.append(f"{n % 7},{pixels},{usage}")
    csv_path = tmp_path / "fer2013.csv"
    csv_path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "run"
    argv = ["--data", str(csv_path), "--arch", "tiny", "--epochs", "1", "--out", str(out), "--cache-dir", ""]
    assert train.main(argv) == 0
    card = json.loads((out / "model_card.json").read_text())
    assert card["data"]["train_images"] == 21 and card["data"]["valid_images"] == 7


def test_resume_with_more_epochs_replans_the_schedule(dataset, tmp_path):
    out = tmp_path / "run"
    assert _train(dataset, out, "--stop-after", "1") == 0
    argv = ["--data", str(dataset), "--arch", "tiny", "--epochs", "3", "--out", str(out),
            "--batch-size", "16", "--cache-dir", "", "--seed", "3", "--resume"]
    assert train.main(argv) == 0
    state = json.loads((out / "checkpoints" / "state.json").read_text())
    assert [e["epoch"] for e in state["history"]] == [1, 2, 3]
    assert state["schedule_changes"] == [{"after_epoch": 1, "epochs_before": 2, "epochs_after": 3}]
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["epochs_planned"] == 3 and card["training"]["finished"]


def test_time_budget_shortens_the_run_and_records_why(dataset, tmp_path):
    out = tmp_path / "run"
    assert _train(dataset, out, "--epochs", "5", "--time-budget", "0.0001") == 0
    state = json.loads((out / "checkpoints" / "state.json").read_text())
    assert [e["epoch"] for e in state["history"]] == [1, 2]
    change, = state["schedule_changes"]
    assert change["after_epoch"] == 1 and change["epochs_before"] == 5 and change["epochs_after"] == 2
    assert "--time-budget" in change["reason"]
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["epochs_planned"] == 2 and card["training"]["finished"]


def test_time_budget_ends_the_schedule_sooner_when_epochs_slow_down(dataset, tmp_path):
    out = tmp_path / "run"
    assert _train(dataset, out, "--epochs", "10", "--stop-after", "3") == 0
    config, run = train.parse_args(["--data", str(dataset), "--arch", "tiny", "--epochs", "10", "--out", str(out),
                                    "--batch-size", "16", "--cache-dir", "", "--seed", "3", "--resume",
                                    "--time-budget", "1"])
    trainer = train.Trainer(config, run)
    trainer.state["train_seconds"] = 30.0  # 30 of the 60 s spent
    trainer._epoch_seconds = [4.0, 4.0, 4.0]  # 7 more epochs at 4 s fit in the 30 s left
    assert not trainer._keep_to_time_budget()
    assert trainer.config.epochs == 10

    trainer._epoch_seconds += [40.0, 40.0]  # one-off stalls (a recompile, runs compiling side by side)
    assert not trainer._keep_to_time_budget()
    trainer._epoch_seconds += [10.0]  # other runs joined the GPU: 10 s per epoch for three epochs now
    assert trainer._keep_to_time_budget()
    assert trainer.config.epochs == 3 + 3
    change = trainer.state["schedule_changes"][-1]
    assert change["after_epoch"] == 3 and change["epochs_before"] == 10 and change["epochs_after"] == 6
    assert "10.0 s per epoch" in change["reason"]
    assert trainer._epoch_seconds == []  # the epochs before the re-plan no longer count

    trainer.run()
    card = json.loads((out / "model_card.json").read_text())
    assert card["training"]["epochs_completed"] == 6 and card["training"]["finished"]


def test_replan_replays_schedule_changes_and_resumes_on_them(dataset, tmp_path):
    # what a --time-budget run's re-plans after epochs 1 and 2 amount to, done by hand with --resume
    by_hand = tmp_path / "by_hand"
    assert _train(dataset, by_hand, "--epochs", "6", "--stop-after", "1") == 0
    assert _train(dataset, by_hand, "--epochs", "4", "--stop-after", "2", "--resume") == 0
    assert _train(dataset, by_hand, "--epochs", "3", "--resume") == 0
    replayed = tmp_path / "replayed"
    assert _train(dataset, replayed, "--epochs", "6", "--replan", "1:4,2:3") == 0
    # stopped after the first re-plan and resumed with the same command
    cut = tmp_path / "cut"
    assert _train(dataset, cut, "--epochs", "6", "--replan", "1:4,2:3", "--stop-after", "1") == 0
    assert _train(dataset, cut, "--epochs", "6", "--replan", "1:4,2:3", "--resume") == 0

    reference = _history(by_hand)
    assert len(reference) == 3
    for out in (replayed, cut):
        card = json.loads((out / "model_card.json").read_text())["training"]
        assert [(c["after_epoch"], c["epochs_before"], c["epochs_after"]) for c in card["schedule_changes"]] == [
            (1, 6, 4), (2, 4, 3)]
        assert card["epochs_completed"] == 3 and card["finished"]
        _assert_same_epochs(reference, _history(out))


@pytest.mark.parametrize("value", ["1-4", "2:4,1:3", "0:4", "3:3", "1:4,1:3"])
def test_bad_replan_is_a_usage_error(dataset, tmp_path, capsys, value):
    with pytest.raises(SystemExit):
        _train(dataset, tmp_path / "run", "--epochs", "6", "--replan", value)
    assert "--replan" in capsys.readouterr().err


def test_replan_and_time_budget_exclude_each_other(dataset, tmp_path, capsys):
    with pytest.raises(SystemExit):
        _train(dataset, tmp_path / "run", "--epochs", "6", "--replan", "1:4", "--time-budget", "1")
    assert "one or the other" in capsys.readouterr().err


def _stored_weights(path):
    with np.load(path) as stored:
        return [stored[f"arr_{i}"] for i in range(len(stored.files))]


def test_swa_holds_the_learning_rate_and_averages_the_last_epochs(dataset, tmp_path):
    out = tmp_path / "run"
    assert _train(dataset, out, "--epochs", "4", "--swa-epochs", "2", "--swa-lr", "3e-4") == 0

    config, run = train.parse_args(["--data", str(dataset), "--arch", "tiny", "--epochs", "4", "--out", str(out),
                                    "--batch-size", "16", "--cache-dir", "", "--swa-epochs", "2", "--swa-lr", "3e-4",
                                    "--restart"])  # only built, to read its schedule: the run stays
    trainer = train.Trainer(config, run)
    schedule = trainer.learning_rate_schedule()
    steps = trainer.steps_per_epoch
    rates = [float(schedule(step)) for step in range(4 * steps)]
    assert max(rates) == pytest.approx(2e-3, rel=1e-3)
    assert rates[2 * steps:] == pytest.approx([3e-4] * (2 * steps), rel=1e-4)  # the averaged epochs 3 and 4
    assert rates[2 * steps - 1] > 3e-4

    kept = sorted(p.name for p in (out / "checkpoints" / "swa").iterdir())
    assert kept == ["epoch-0003.npz", "epoch-0004.npz"]
    epoch3, epoch4 = (_stored_weights(out / "checkpoints" / "swa" / name) for name in kept)
    averaged = keras.models.load_model(out / "swa" / "emotion_cnn.keras", compile=False).get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(epoch3, epoch4))
    for a, b, mean in zip(epoch3, epoch4, averaged):
        np.testing.assert_allclose(mean, (a.astype(np.float64) + b) / 2, rtol=1e-6, atol=1e-7)

    card = json.loads((out / "swa" / "model_card.json").read_text())
    assert card["weight_average"]["epochs"] == [3, 4]
    assert card["weight_average"]["learning_rate"] == pytest.approx(3e-4)
    assert card["validation"]["selected_on"] == "valid split, average of epochs 3-4"
    for name in ("training_curves.png", "confusion_matrix.png"):
        assert (out / "swa" / name).stat().st_size > 0


def test_swa_of_a_resumed_run_equals_a_straight_one(dataset, tmp_path):
    swa = ["--epochs", "4", "--swa-epochs", "2"]
    assert _train(dataset, tmp_path / "straight", *swa) == 0
    assert _train(dataset, tmp_path / "split", *swa, "--stop-after", "3") == 0
    assert not (tmp_path / "split" / "swa").exists()  # no average before the window has been trained
    assert _train(dataset, tmp_path / "split", *swa, "--resume") == 0

    straight, resumed = (keras.models.load_model(tmp_path / run / "swa" / "emotion_cnn.keras", compile=False)
                         for run in ("straight", "split"))
    for a, b in zip(straight.get_weights(), resumed.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_resuming_a_finished_run_writes_a_missing_average_and_keeps_a_current_one(dataset, tmp_path):
    out = tmp_path / "run"
    swa = ["--epochs", "3", "--swa-epochs", "2"]
    assert _train(dataset, out, *swa) == 0
    averaged = out / "swa" / "emotion_cnn.keras"
    written = averaged.stat().st_mtime_ns
    assert _train(dataset, out, *swa, "--resume") == 0
    assert averaged.stat().st_mtime_ns == written  # nothing to redo

    shutil.rmtree(out / "swa")  # killed after its last epoch, before the average was written
    assert _train(dataset, out, *swa, "--resume") == 0
    assert json.loads((out / "swa" / "model_card.json").read_text())["weight_average"]["epochs"] == [2, 3]
    assert json.loads((out / "checkpoints" / "state.json").read_text())["epochs_completed"] == 3


@pytest.mark.parametrize("extra, message", [
    (["--swa-epochs", "2"], "--swa-epochs must be at least 0 and fewer than --epochs"),
    (["--swa-lr", "1e-4"], "--swa-lr needs --swa-epochs"),
])
def test_swa_options_are_checked(dataset, tmp_path, capsys, extra, message):
    with pytest.raises(SystemExit):
        _train(dataset, tmp_path / "run", *extra)
    assert message in capsys.readouterr().err
