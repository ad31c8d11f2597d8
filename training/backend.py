"""What the active Keras backend computes on, and how to make it repeatable.

Training runs under any Keras 3 backend: TensorFlow here and in the product,
JAX or PyTorch on a GPU machine that has no TensorFlow. Choose one with the
``KERAS_BACKEND`` environment variable; nothing else changes.
"""

from __future__ import annotations

import os
import platform
from pathlib import Path


def prepare_environment(backend: str) -> None:
    """Deterministic-kernel switches; they must be set before the backend starts."""
    if backend == "tensorflow":
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    elif backend == "jax":
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_gpu_deterministic_ops" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " --xla_gpu_deterministic_ops=true").strip()
        # several trainings may share one GPU: take memory as needed, not 75 % up front
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    elif backend == "torch":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def start_tensorflow_if_chosen(backend: str) -> None:
    """Start TensorFlow now, without its C++ start-up notices, when it is the backend (JAX and PyTorch
    runs need not have it at all)."""
    if backend == "tensorflow":
        from inference import start_tensorflow_quietly

        start_tensorflow_quietly()


def enable_determinism(backend: str) -> None:
    if backend == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    elif backend == "torch":
        import torch

        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.benchmark = False


def gpu_names(backend: str) -> list[str]:
    if backend == "tensorflow":
        import tensorflow as tf

        return [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
                for gpu in tf.config.list_physical_devices("GPU")]
    if backend == "jax":
        import jax

        return [device.device_kind for device in jax.devices() if device.platform in ("gpu", "cuda", "rocm")]
    if backend == "torch":
        import torch

        return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return []


def describe_hardware(backend: str) -> str:
    gpus = gpu_names(backend)
    if gpus:
        return f"GPU: {', '.join(gpus)}"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"CPU: {cpu}, {os.cpu_count()} cores"


def software_versions(backend: str) -> dict[str, str]:
    import keras

    versions = {"keras": keras.__version__, "keras_backend": backend, "python": platform.python_version()}
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module:
        versions[module] = __import__(module).__version__
    return versions
