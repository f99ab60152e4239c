"""How far a level of fitted biases scatters beyond what each bias's own sigma explains: the measurement behind the
biases' priors and the scatter the covariance considers beyond them (`orbitfit.estimation.options`:
UNCATALOGUED_PRIOR_MAS, APPARITION_BIAS_SCATTER_MAS, MOON_APPARITION_SCATTER_MAS; benchmarks/bias_variance.py prints
them for the 8 moons, tests/test_bias_scatter.py re-measures Lysithea's).

A moon is fitted to its data with the biases of the measured level under a loose prior (`LOOSE_PRIOR_MAS`, so that the
prior hardly shrinks them: what their data alone say), each bias coordinate b_i with its sigma s_i; their scatter is
the variance component tau of b_i ~ N(0, tau^2 + s_i^2), by maximum likelihood (`variance_component`). The
apparition biases' priors are independent in that fit (`INDEPENDENT_APPARITION_PRIORS`), the model the variance
component assumes."""
from __future__ import annotations

import warnings

import numpy as np
from scipy.optimize import brentq

from .least_squares import fit_orbit
from .options import INDEPENDENT_APPARITION_PRIORS, FitOptions
from .weights import GAIA_REDUCED, bias_index

LOOSE_PRIOR_MAS = 1000.0
# apparitions before 1960 keep their own prior (bias_priors.BIAS_PRIOR_BEFORE_1960_MAS): plates, not measured here
FIRST_MEASURED_APPARITION = 1960
# the bias groups each level is measured in (an observatory's own bias, catalogued or not, on top of the apparitions',
# is the "observatory" level; one bias shared by all of a moon's ground positions, on top of the two levels of
# 2026-12-04, the "ground" level); the two levels of 2026-12-04, on which the options' figures were measured, for the
# others (since 2026-12-05 the default also has the zenith level, which is no level measured here)
GROUPS = {"uncatalogued": "apparition+uncatalogued", "apparition": "apparition+uncatalogued",
          "observatory": "apparition+observatory", "ground": "apparition+uncatalogued+ground",
          GAIA_REDUCED: "apparition+uncatalogued"}


def variance_component(values_mas, sigmas_mas):
    """tau (mas) of values ~ N(0, tau^2 + sigma^2), by maximum likelihood: the root in t = tau^2 >= 0 of the score
    sum(x^2 / (t + s^2)^2 - 1 / (t + s^2)), 0 where the score is not positive at t = 0 (the values scatter no more
    than their sigmas say). It is the fixed point that EM (the posterior mean squared plus the posterior variance of
    each true value, averaged) converges to, found directly: EM crawls near tau = 0 (3000 values with sigmas of
    10-100 mas and no scatter read 4.8 mas after 300 steps, 0.8 after 30000), and reaches the same figures for the
    moons' measured scatters (Himalia 25.3, Lysithea 157.4 mas in 1995-2009, to 0.01 mas).
    tests/test_bias_scatter.py recovers a known tau from draws."""
    values, sigmas = np.asarray(values_mas, float), np.asarray(sigmas_mas, float)
    if values.size == 0 or values.shape != sigmas.shape or not (np.all(np.isfinite(values))
                                                                and np.all(sigmas > 0)):
        raise ValueError(f"variance_component: expected finite values with sigmas > 0 of the same shape, got "
                         f"{values.shape} and {sigmas.shape}")

    def score(t):
        total = t + sigmas ** 2
        return float(np.sum(values ** 2 / total ** 2 - 1.0 / total))

    if score(0.0) <= 0.0:
        return 0.0
    # beyond t = max(x^2) every term is (x^2 - t - s^2) / (t + s^2)^2 < 0
    return float(np.sqrt(brentq(score, 0.0, float(np.max(values ** 2)), xtol=1e-12, rtol=1e-12)))


def of_level(name, level):
    """Whether bias group `name` ("apparition:2003", "uncatalogued:G36", ...) belongs to the measured `level` (an
    apparition only from FIRST_MEASURED_APPARITION)."""
    kind, _, key = str(name).partition(":")
    if kind != level:
        return False
    return level != "apparition" or int(key) >= FIRST_MEASURED_APPARITION


def catalogued(observations, code):
    """Whether every position of observatory `code` in `observations` names its reference catalogue (the fit's own
    rule: no "uncatalogued" bias group of that code, `bias_index`)."""
    return f"uncatalogued:{code}" not in bias_index(observations, "uncatalogued")[1]


def loose_fit(observations, start, level, *, model=None):
    """The Solution of `observations` from the Orbit `start` with the biases of `level` (a key of GROUPS) under
    LOOSE_PRIOR_MAS, in that level's bias groups, the apparition priors independent, every ground position of an
    apparition in its bias (gaia_reduced_bias "apparition", as the scatters were measured, 2026-12-03…06) but for the
    level "gaia-reduced" (the positions reduced against Gaia in one of their own, "own"); the other options the
    default's. The fit's warnings (floors, flags) are a user's fit's, not this measurement's, and are not shown."""
    options = FitOptions(**INDEPENDENT_APPARITION_PRIORS, bias_groups=GROUPS[level],
                         gaia_reduced_bias="own" if level == GAIA_REDUCED else "apparition")
    names = [n for n in bias_index(observations, options.bias_groups,
                                   gaia_reduced_bias=options.gaia_reduced_bias)[1] if of_level(n, level)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_orbit(observations, start, options, model=model,
                         bias_priors={n: (0.0, 0.0, LOOSE_PRIOR_MAS) for n in names})


def level_coordinates(solution, level):
    """(values mas, sigmas mas, axis "ra"/"dec", group key: the year of an apparition, the code of an observatory)
    of every RA*/Dec coordinate of the biases of `level` in `solution` (of the "observatory" level the catalogued
    sites only: the uncatalogued have their own level and prior)."""
    table = solution.biases
    rows = [k for k, g in enumerate(table["group"]) if of_level(g, level)]
    if level == "observatory":
        rows = [k for k in rows if catalogued(solution.observations, str(table["group"][k]).partition(":")[2])]
    values = np.array([float(table[f"bias_{a}_mas"][k]) for a in ("ra", "dec") for k in rows])
    sigmas = np.array([float(table[f"sigma_{a}_mas"][k]) for a in ("ra", "dec") for k in rows])
    axes = np.array(["ra"] * len(rows) + ["dec"] * len(rows))
    keys = np.array(2 * [str(table["group"][k]).partition(":")[2] for k in rows])
    return values, sigmas, axes, keys


def apparition_scatter(solution, first_year, last_year):
    """(tau mas, coordinates) of the apparition biases of `solution` (a `loose_fit` of level "apparition") of the
    apparitions `first_year` ... `last_year`: MOON_APPARITION_SCATTER_MAS for 1995-2009."""
    values, sigmas, _, keys = level_coordinates(solution, "apparition")
    years = keys.astype(int)
    chosen = (years >= first_year) & (years <= last_year)
    if not chosen.any():
        raise ValueError(f"no apparition bias of {first_year}-{last_year} in the solution of body {solution.body}")
    return variance_component(values[chosen], sigmas[chosen]), int(chosen.sum())
