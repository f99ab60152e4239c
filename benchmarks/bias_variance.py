"""The scatter of the fitted biases, the measurement behind the priors in orbitfit.estimation.options: each of the
8 moons fitted with the default options to every embedded data set, the biases of one level under a loose prior
(LOOSE_PRIOR_MAS, so that the prior hardly shrinks them), then the variance component tau of
b_i ~ N(0, tau^2 + s_i^2) by EM over all their RA*/Dec coordinates (and per moon).

    python benchmarks/bias_variance.py                      # uncatalogued observatories (UNCATALOGUED_PRIOR_MAS);
                                                            # ~2 min on 2 cores; 2026-12-03: 298 coordinates, 159 mas
    python benchmarks/bias_variance.py --level apparition   # apparitions since 1960 (BIAS_PRIOR_MAS); ~2 min;
                                                            # 2026-12-03: 644 coordinates, 74 mas (moons 20-235)
"""
import argparse
import warnings

import numpy as np

from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import BIAS_PRIOR_MAS, UNCATALOGUED_PRIOR_MAS, FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.estimation.weights import bias_index
from orbitfit.observations.datasets import load_all

LOOSE_PRIOR_MAS = 1000.0
FIRST_APPARITION = 1960            # earlier apparitions have their own prior (BIAS_PRIOR_BEFORE_1960_MAS)
PRIORS = {"uncatalogued": ("UNCATALOGUED_PRIOR_MAS", UNCATALOGUED_PRIOR_MAS),
          "apparition": ("BIAS_PRIOR_MAS", BIAS_PRIOR_MAS)}


def variance_component(values, sigmas, start=100.0, iterations=300):
    """tau of values ~ N(0, tau^2 + sigma^2) by EM (the posterior mean and variance of each true value, averaged)."""
    tau = start
    for _ in range(iterations):
        shrink = tau ** 2 / (tau ** 2 + sigmas ** 2)
        tau = np.sqrt(np.mean((shrink * values) ** 2 + shrink * sigmas ** 2))
    return tau


def of_level(name, level):
    """Whether bias group `name` belongs to the level measured."""
    kind, _, key = str(name).partition(":")
    if kind != level:
        return False
    return level != "apparition" or int(key) >= FIRST_APPARITION


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", choices=list(PRIORS), default="uncatalogued")
    parser.add_argument("--moons", nargs="*", default=list(gomes_junior_2016_orbits()))
    args = parser.parse_args()
    options = FitOptions()
    values, sigmas = [], []
    for name in args.moons:
        observations = load_all(name, gaia_transits=True, gaia_visit_offsets=None)[0]
        names = [n for n in bias_index(observations, options.bias_groups)[1] if of_level(n, args.level)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solution = fit_orbit(observations, gomes_junior_2016_orbit(name), options,
                                 bias_priors={n: (0.0, 0.0, LOOSE_PRIOR_MAS) for n in names})
        rows = [k for k, g in enumerate(solution.biases["group"]) if of_level(g, args.level)]
        mine_v, mine_s = [], []
        for axis in ("ra", "dec"):
            mine_v += [float(solution.biases[f"bias_{axis}_mas"][k]) for k in rows]
            mine_s += [float(solution.biases[f"sigma_{axis}_mas"][k]) for k in rows]
        values, sigmas = values + mine_v, sigmas + mine_s
        print(f"{name:9s} {len(rows):3d} {args.level} biases: variance component "
              f"{variance_component(np.array(mine_v), np.array(mine_s)):.0f} mas", flush=True)
    values, sigmas = np.array(values), np.array(sigmas)
    constant, value = PRIORS[args.level]
    print(f"{values.size} coordinates: variance component (EM) {variance_component(values, sigmas):.0f} mas; "
          f"{constant} {value:g}")


if __name__ == "__main__":
    main()
