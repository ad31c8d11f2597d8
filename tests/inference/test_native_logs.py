import os
import subprocess
import sys
from pathlib import Path

import pytest

from inference.native_logs import startup_notices_hidden

REPO_ROOT = Path(__file__).resolve().parents[2]

NOTICES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795817811.574946   10209 port.cc:153] oneDNN custom operations are on.\n"
    "I0000 00:00:1795817812.305798   10209 cpu_feature_guard.cc:227] This TensorFlow binary is optimized\n"
    "To enable the following instructions: AVX2 AVX512F FMA, in other operations, rebuild TensorFlow\n"
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n"
    "E0000 00:00:1795817816.918731   10209 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error\n"
)


def test_start_up_notices_go_and_everything_else_written_to_stderr_stays(capfd):
    with startup_notices_hidden():
        os.write(2, NOTICES.encode())
        os.write(2, b"E0000 00:00:1795817816.9 12 op_kernel.cc:1] the model file is damaged\n")
        print("a Python warning", file=sys.stderr)
    # (pytest's sys.stderr bypasses descriptor 2, so the order of the two is not the point)
    err = capfd.readouterr().err
    assert sorted(err.splitlines()) == ["E0000 00:00:1795817816.9 12 op_kernel.cc:1] the model file is damaged",
                                        "a Python warning"]


def test_stderr_works_again_after_the_block_even_when_it_raised(capfd):
    with pytest.raises(ValueError):
        with startup_notices_hidden():
            raise ValueError("model missing")
    os.write(2, b"I0000 00:00:1.0 1 port.cc:1] written after the block\n")
    assert capfd.readouterr().err == "I0000 00:00:1.0 1 port.cc:1] written after the block\n"


@pytest.mark.slow
def test_the_command_line_prints_results_without_tensorflow_start_up_notices(sample_path):
    result = subprocess.run([sys.executable, "-m", "inference.cli", str(sample_path("single_face.jpg"))],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    assert "1 face(s)" in result.stdout
    assert result.stderr == ""
