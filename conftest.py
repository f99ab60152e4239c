"""pytest's first conftest, loaded before the xdist workers start, so that they and every process they start
(notebook kernels, command-line runs, the installed-wheel checks) inherit it: one BLAS thread per process.

The suite runs two workers on two cores (pyproject.toml: -n 2), and a fit already runs its two integration
directions on two threads. OpenBLAS's own threads on top oversubscribe the cores and spin while they wait: measured
on 2 cores (2026-12-02), notebook 06 took 202 s beside the night-correlation tests with OpenBLAS's default threads
and 72 s with one (54 s alone); those tests 94 s and 82 s, and 31 s and 16 s. A value the caller set is kept.
"""
import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
