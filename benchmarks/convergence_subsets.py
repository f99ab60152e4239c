"""Does every subset of the embedded data converge from the published start orbit? For each of the 8 main irregular
moons: GJ15 plus each other data set alone, and every data set without GJ15 (issue 17: before the gross-outlier
screening of orbitfit.estimation.screening, Elara's data without GJ15 never converged). Default FitOptions.

    python benchmarks/convergence_subsets.py [--moons Elara,Sinope]

Prints one line per fit (data set, rows, iterations, chi2/dof, rows screened, seconds) and a count per moon.
"""
import argparse
import time
import warnings

import numpy as np

from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits


def subsets(observations):
    """(label, rows) of GJ15 + each other data set, and of everything but GJ15."""
    datasets = np.asarray(observations["dataset"]).astype(str)
    gj15 = datasets == "gj15"
    for name in sorted(set(datasets) - {"gj15"}):
        yield f"gj15 + {name}", gj15 | (datasets == name)
    yield "all but gj15", ~gj15


def main():
    from orbitfit.observations.datasets import load_all
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moons", help="comma-separated names (default: the 8 moons)")
    args = parser.parse_args()
    moons = args.moons.split(",") if args.moons else list(gomes_junior_2016_orbits())
    warnings.simplefilter("ignore")                    # outlier-cap and similar notes of individual fits
    totals = []
    for moon in moons:
        observations, _ = load_all(moon)
        start_orbit = gomes_junior_2016_orbit(moon)
        failed, count = [], 0
        for label, rows in subsets(observations):
            count += 1
            start = time.perf_counter()
            try:
                solution = fit_orbit(observations[rows], start_orbit)
            except Exception as exc:                   # a failure is the finding: report it, go on
                failed.append(label)
                print(f"{moon:9s} {label:26s} {rows.sum():5d} FAILED {type(exc).__name__}: "
                      f"{str(exc).splitlines()[0][:120]}  {time.perf_counter() - start:5.1f} s", flush=True)
                continue
            screened = len(solution.meta.get("screened", {}).get("rows", []))
            print(f"{moon:9s} {label:26s} {rows.sum():5d} {len(solution.history):2d} it  chi2/dof "
                  f"{solution.chi2 / solution.dof:6.3f}  screened {screened}  {time.perf_counter() - start:5.1f} s",
                  flush=True)
        totals.append((moon, count, failed))
    print()
    for moon, count, failed in totals:
        print(f"{moon:9s} {count - len(failed):3d} of {count:3d} subsets converged" +
              (f"; failed: {', '.join(failed)}" if failed else ""))


if __name__ == "__main__":
    main()
