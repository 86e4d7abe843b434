"""How the benchmarks time a call: the median of a few runs, in milliseconds."""
from __future__ import annotations

import statistics
import time
from typing import Callable


def median_ms(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)
