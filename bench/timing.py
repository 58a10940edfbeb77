"""Warm timing: p50 / p95 / max over repetitions."""

import math
import time
from dataclasses import dataclass


@dataclass
class Stats:
    n: int
    p50: float  # milliseconds
    p95: float
    max: float

    @classmethod
    def of(cls, samples_ms: list[float]) -> "Stats":
        s = sorted(samples_ms)
        return cls(len(s), percentile(s, 50), percentile(s, 95), s[-1])

    def as_dict(self):
        return {"n": self.n, "p50": round(self.p50, 3), "p95": round(self.p95, 3), "max": round(self.max, 3)}


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        raise ValueError("no samples")
    k = max(0, math.ceil(pct / 100 * len(sorted_values)) - 1)
    return sorted_values[k]


def measure(fn, args_list: list, reps: int, warmup: int = 2) -> Stats:
    """Call fn(*args) cycling through args_list: `warmup` untimed rounds, then `reps` timed calls."""
    if not args_list:
        raise ValueError("nothing to measure")
    for i in range(max(warmup, 1) * min(len(args_list), 5)):
        fn(*args_list[i % len(args_list)])
    samples = []
    for i in range(reps):
        args = args_list[i % len(args_list)]
        t0 = time.perf_counter()
        fn(*args)
        samples.append((time.perf_counter() - t0) * 1000)
    return Stats.of(samples)
