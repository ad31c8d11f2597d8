"""The benchmarks' timer: medians, because the machines they run on are shared and noisy."""

from __future__ import annotations

import statistics
import time


def median_seconds(call, runs: int, warmup: int = 0) -> float:
    """Median wall time of `runs` calls of `call()`, after `warmup` untimed ones (thread pools, caches)."""
    for _ in range(warmup):
        call()
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)
