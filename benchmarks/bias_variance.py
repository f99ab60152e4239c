"""The scatter of the uncatalogued observatories' biases (the measurement behind options.UNCATALOGUED_PRIOR_MAS):
each of the 8 moons fitted with the default options to every embedded data set, its "uncatalogued:<code>" biases
under a loose prior (LOOSE_PRIOR_MAS, so that the prior hardly shrinks them), then the variance component tau of
b_i ~ N(0, tau^2 + s_i^2) by EM over all their RA*/Dec coordinates.

    python benchmarks/bias_variance.py        # ~2 min on 2 cores; 2026-12-03: 298 coordinates, tau 159 mas
"""
import warnings

import numpy as np

from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import UNCATALOGUED_PRIOR_MAS, FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.estimation.weights import bias_index
from orbitfit.observations.datasets import load_all

LOOSE_PRIOR_MAS = 1000.0


def variance_component(values, sigmas, start=100.0, iterations=300):
    """tau of values ~ N(0, tau^2 + sigma^2) by EM (the posterior mean and variance of each true value, averaged)."""
    tau = start
    for _ in range(iterations):
        shrink = tau ** 2 / (tau ** 2 + sigmas ** 2)
        tau = np.sqrt(np.mean((shrink * values) ** 2 + shrink * sigmas ** 2))
    return tau


def main():
    options = FitOptions()
    values, sigmas = [], []
    for name in gomes_junior_2016_orbits():
        observations = load_all(name, gaia_transits=True)[0]
        names = [n for n in bias_index(observations, options.bias_groups)[1] if n.startswith("uncatalogued:")]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solution = fit_orbit(observations, gomes_junior_2016_orbit(name), options,
                                 bias_priors={n: (0.0, 0.0, LOOSE_PRIOR_MAS) for n in names})
        rows = [k for k, g in enumerate(solution.biases["group"]) if str(g).startswith("uncatalogued:")]
        for axis in ("ra", "dec"):
            values += [float(solution.biases[f"bias_{axis}_mas"][k]) for k in rows]
            sigmas += [float(solution.biases[f"sigma_{axis}_mas"][k]) for k in rows]
        print(f"{name:9s} {len(rows):3d} uncatalogued observatories", flush=True)
    values, sigmas = np.array(values), np.array(sigmas)
    print(f"{values.size} coordinates: variance component (EM) {variance_component(values, sigmas):.0f} mas; "
          f"UNCATALOGUED_PRIOR_MAS {UNCATALOGUED_PRIOR_MAS:g}")


if __name__ == "__main__":
    main()
