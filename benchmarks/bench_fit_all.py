"""Fit time of the 8 main irregular moons with every embedded data set (load_all: GJ15, NSDB units with the Gaia DR3
transits as normal points, MPC; 19 952 rows), the default options against the same without the apparition biases.

    python benchmarks/bench_fit_all.py

Measured 2026-12-02 on 2 cores (numba warm): 34.0 s without biases, 44.2 s with the default apparition biases
(18 937 rows from 1965); with the plates from 1894 read (19 952 rows) 77.5 s and 86.4 s: the integration runs at a
fixed 1-day step, and the arc is 2.2x longer; with Himalia integrated alongside Elara, Lysithea and Leda
(orbitfit.companions) 93.9 s and 95.3 s. Since fit_orbit integrates from the middle of the arc once near the
solution (both directions on the two cores), without Himalia's own STM, and with the leverages through BLAS:
65.3 s and 61.1 s (2026-12-02). On 2026-12-03, with the uncatalogued-site biases and the Gaia visit correction in
load_all: 87.2 s and 87.6 s (93.1 s and 88.8 s at the commit before the correction, the same hour: the correction
costs nothing; the machine's speed varies by ~10-30% between runs). On 2026-12-04, with the periodic RA* apparition
prior of the default: 48.7 s and 52.9 s (its dense prior block costs nothing measurable). On 2026-12-05, with the
zenith level of the default (differential colour refraction; "two levels" is the default of 2026-12-04): no biases
48.9 s, two levels 51.9 s, defaults 51.7 s. Reading Himalia's default solution (summary, statistics, residuals):
2.0 s when each call recomputed every row's zenith geometry, 0.85 s with the rows' biases computed once per Solution
(2026-12-05, both with two experiments running alongside); later that day, the machine quiet: no biases 55.1 s, two
levels 56.1 s, defaults 61.4 s, and the reading 0.32 s. That evening, with each moon's own Gaia floor (load_all's
default, every option set here) and the default fit's response to the error every moon's prediction shares
(orbitfit.estimation.shared_error), the machine quiet: no biases 58.0 s, two levels 72.0 s, defaults 69.9 s, the
reading 0.33 s. On 2026-12-06 evening (each moon's own apparition scatter considered and the fit's record of its
response), the machine quiet: no biases 52.2 s, two levels 59.3 s, defaults 61.0 s, the reading 0.29 s.
Re-measured late on 2026-12-06 (same code): no biases 53.6 s, two levels 62.3 s, defaults 63.2 s, the reading 0.32 s.
On 2026-12-07 with the normal equations solved through the eigenvectors of A^T A (gauss_newton.
NORMAL_MATRIX_CONDITION) instead of the SVD of A: no biases 51.1 s, two levels 55.6 s, defaults 54.6 s, the reading
0.27 s; the defaults alternated with the SVD the same hour: 58.6 - 66.4 s through the SVD, 54.6 - 55.5 s without.
That afternoon, with the positions reduced against Gaia DR2 in an apparition bias of their own (the default, and in
"two levels" too), the machine quiet: no biases 50.9 s, two levels 59.0 s, defaults 59.3 s, the reading 0.27 s.
That evening, with the force's x, y, z Chebyshev sums side by side and its scratch in its buffer (bit-identical
orbits): no biases 45.8 s, two levels 50.8 s, defaults 50.1 s, the reading 0.33 s; the commit before, the same hour:
51.5 s, 54.5 s, 53.7 s, 0.31 s. Re-measured that evening, the machine slower (the same code gave 56-60 s for
the defaults), with the floors' bisection summing through np.add.reduce and the gross-error screening vectorised
(bit-identical orbits and covariances: checked on Himalia and Leda): no biases 52.0 / 51.8 s, two levels 56.9 /
56.3 s, defaults 55.9 / 56.4 s (two runs); the commit before, alternated with them: 48.4 / 54.6 s, 57.6 / 60.6 s,
59.6 / 57.9 s.
"""
import time
import warnings

from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.observations.datasets import load_all


def main():
    warnings.simplefilter("ignore")        # the outlier-cap and similar notes of individual fits
    data = {name: load_all(name)[0] for name in gomes_junior_2016_orbits()}
    fit_orbit(data["Leda"], gomes_junior_2016_orbit("Leda"), FitOptions())       # numba's compilation, once
    for label, options in (("no biases", FitOptions(bias_groups=None)),
                           ("two levels", FitOptions(bias_groups="apparition+uncatalogued")),   # default of 12-04
                           ("defaults", FitOptions())):
        start = time.perf_counter()
        solutions = {name: fit_orbit(observations, gomes_junior_2016_orbit(name), options)
                     for name, observations in data.items()}
        print(f"{label:10s} {time.perf_counter() - start:6.1f} s for 8 moons, "
              f"{sum(len(o) for o in data.values())} rows")
    himalia = solutions["Himalia"]                    # the default fit: what a notebook reads after it
    start = time.perf_counter()
    himalia.summary(), himalia.statistics(), himalia.residuals()
    print(f"Himalia's default solution read: summary + statistics + residuals {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
