"""Shared by the benchmark scripts (run as `python benchmarks/<script>.py`, so this folder is on sys.path)."""
import time

import numpy as np


def best_of(function, repeat=3):
    """The shortest of `repeat` wall-clock runs of function() in seconds (the least disturbed by other load)."""
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best
