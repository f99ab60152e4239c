"""Fit timings (printed): Himalia GJ15 cold (fresh process) and warm; all 8 GJ15 satellites with iterations and
time per iteration.  Run: python benchmarks/bench_fit.py"""
import subprocess
import sys
import time

COLD = """
import time; t = time.perf_counter()
import orbitfit
from orbitfit.paths import data_path
obs, _ = orbitfit.read(data_path("gj15", "Himalia.dat"))
orbitfit.fit(obs, orbitfit.gomes_junior_2016_orbit("Himalia"), orbitfit.FitOptions(night_deweighting=False))
print(time.perf_counter() - t)
"""


def main():
    cold = float(subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True,
                                check=True).stdout.split()[-1])
    print(f"Himalia GJ15 fit, cold (new process: imports, tables, IERS, fit): {cold:.2f} s")
    import orbitfit
    from orbitfit.paths import data_path
    from orbitfit.estimation.published import gomes_junior_2016_orbits
    options = dict(night_deweighting=False)
    observations, _ = orbitfit.read(data_path("gj15", "Himalia.dat"))
    orbitfit.fit(observations, orbitfit.gomes_junior_2016_orbit("Himalia"), orbitfit.FitOptions(**options))
    best = min(_timed(lambda: orbitfit.fit(observations, orbitfit.gomes_junior_2016_orbit("Himalia"),
                                           orbitfit.FitOptions(**options))) for _ in range(3))
    print(f"Himalia GJ15 fit, warm: {best:.2f} s")
    print(f"{'satellite':10s} {'n':>5s} {'iterations':>10s} {'seconds':>8s} {'s/iteration':>11s}")
    total = 0.0
    for name in gomes_junior_2016_orbits():
        observations, _ = orbitfit.read(data_path("gj15", f"{name}.dat"))
        start = time.perf_counter()
        solution = orbitfit.fit(observations, orbitfit.gomes_junior_2016_orbit(name), orbitfit.FitOptions(**options))
        elapsed = time.perf_counter() - start
        total += elapsed
        n_iter = len(solution.history)
        print(f"{name:10s} {len(observations):5d} {n_iter:10d} {elapsed:8.2f} {elapsed / n_iter:11.2f}")
    print(f"all 8 GJ15 satellites: {total:.1f} s")


def _timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
