"""Uncertainty and export timings (printed): 1000 Monte Carlo clones x 10 yr, SPK export of 40 years, linear
sigma at 10^4 epochs, and the dask speed-up of the 8 GJ15 fits on 2 workers.
Run: python benchmarks/bench_uncertainty.py"""
import time

import numpy as np

YEAR = 365.25 * 86400.0


def main():
    import orbitfit
    from orbitfit.estimation.batch import gj15_jobs, run_jobs
    from orbitfit.paths import data_path
    from orbitfit.products.uncertainty import monte_carlo_sky, sky_uncertainty
    observations, _ = orbitfit.read(data_path("gj15", "Himalia.dat"))
    solution = orbitfit.fit(observations, orbitfit.gomes_junior_2016_orbit("Himalia"),
                            orbitfit.FitOptions(night_deweighting=False, epoch=14.5 * YEAR))
    epochs = np.linspace(14.5 * YEAR, 24.5 * YEAR, 41)
    sky_uncertainty(solution, epochs[:2])
    start = time.perf_counter()
    monte_carlo_sky(solution, epochs, n_clones=1000)
    print(f"Monte Carlo, 1000 clones x 10 yr: {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    report = solution.to_spk("/tmp/orbitfit-bench.bsp", span=(-5 * YEAR, 35 * YEAR))
    print(f"SPK export of 40 years: {time.perf_counter() - start:.2f} s ({report.n_records} records, "
          f"interpolation error {report.max_error_km * 1e3:.3f} m)")

    many = np.linspace(14.5 * YEAR, 24.5 * YEAR, 10_000)
    start = time.perf_counter()
    sky_uncertainty(solution, many)
    print(f"linear sigma at 10^4 epochs: {time.perf_counter() - start:.2f} s")

    jobs = gj15_jobs({"night_deweighting": False})
    start = time.perf_counter()
    run_jobs(jobs, scheduler="serial", progress=False)
    serial = time.perf_counter() - start
    start = time.perf_counter()
    run_jobs(jobs, workers=2, progress=False)
    parallel = time.perf_counter() - start
    print(f"8 GJ15 fits: serial {serial:.1f} s, dask 2 workers {parallel:.1f} s (incl. cluster start), "
          f"speed-up {serial / parallel:.2f}x")


if __name__ == "__main__":
    main()
