"""Keeping TensorFlow's C++ start-up lines out of what command-line users read.

TensorFlow 2.21 logs through absl before absl is configured, so TF_CPP_MIN_LOG_LEVEL no
longer hides its start-up notices (oneDNN, missing CUDA drivers, CPU features, the TFLite
delegate, a failed cuInit on machines without a GPU). They are written by C++ straight to
file descriptor 2, so the only way to drop them is to point that descriptor elsewhere while
TensorFlow starts, then pass on whatever else was written meanwhile: a real error still
reaches the user, only the known notices go.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

_STARTUP_NOTICE = re.compile(
    r"^(?:[IW]\d{4} "  # absl INFO and WARNING lines: I0000 00:00:17958... port.cc:153] ...
    r"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|To enable the following instructions:"  # the second line of cpu_feature_guard's notice
    r"|INFO: Created TensorFlow Lite XNNPACK delegate"
    r"|E\d{4} .*failed call to cuInit)"  # a CPU-only machine, which is expected, not an error
)


def is_startup_notice(line: str) -> bool:
    return bool(_STARTUP_NOTICE.match(line))


@contextmanager
def startup_notices_hidden() -> Iterator[None]:
    """Run the block with TensorFlow's start-up notices dropped from stderr; every other line
    written to stderr meanwhile (Python's included) is passed on when the block ends."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    try:
        with tempfile.TemporaryFile() as captured:
            os.dup2(captured.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved_stderr, 2)
                captured.seek(0)
                kept = [line for line in captured.read().decode("utf-8", "replace").splitlines(keepends=True)
                        if not is_startup_notice(line)]
                if kept:
                    sys.stderr.write("".join(kept))
                    sys.stderr.flush()
    finally:
        os.close(saved_stderr)


def start_tensorflow_quietly() -> None:
    """Import TensorFlow and let it look for devices (where cuInit speaks), without its notices."""
    with startup_notices_hidden():
        import tensorflow as tf

        tf.config.list_physical_devices()
