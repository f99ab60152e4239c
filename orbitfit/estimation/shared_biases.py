"""Apparition biases shared by the moons of Jupiter: what the others measured becomes one moon's prior.

The default fit has one RA*/Dec bias per apparition of Jupiter for all ground-based positions of a moon
(`FitOptions.bias_groups="apparition+uncatalogued+zenith"`, whose further levels, an observatory's own bias for
positions without a named catalogue and the displacement towards the zenith, are not shared): the zonal errors of
the catalogue stars around Jupiter that year. The moons are within ~1-2 deg of Jupiter, often on the same frames,
so much of that error is common to all of them: fitted one by one to every embedded data set (2026-12-02), the
apparition biases of different moons correlate by 0.5-0.9
(Elara, Pasiphae, Sinope, Carme, Ananke; e.g. 2003: RA* +20..+47 mas for all eight; 2017: Dec +28..+108 mas). A
moon with few positions in an apparition (Leda, Lysithea) cannot measure its own bias; the others can.

`apparition_priors(solutions, body)` turns the other moons' fitted apparition biases into the prior of `body`'s:
for each apparition, the others' data-only estimates (their posterior de-shrunk from the prior: d = b (P + D) / P
with D = 1 / (1/V - 1/P), V the posterior and P the prior variance) combined with weights 1/D, and around that mean
a moon's own deviation of MOON_SIGMA_MAS. That sigma is a method-of-moments estimate from the same fits
(`moon_sigma`: the mean square deviation of each moon's well-measured biases from the others' mean, less the
estimates' own variance): 26.6 mas from 257 coordinates of the 8 moons fitted alone to every embedded data set
(2026-12-02, apparition biases alone; benchmarks/validation.py --shared prints it; tests/test_shared_biases.py
recovers a known value). With the default of 2026-12-03, whose observatory biases take the uncatalogued sites' own
offsets, it is 19.9 mas from 241 coordinates (20.3 from 342 with the zenith level of 2026-12-05);
MOON_SIGMA_MAS stays 26 (the larger, the less a moon borrows, and the shared harness in docs/validation.md was run
with it). Give the result to `fit_orbit(..., bias_priors=...)`, or fit the moons together with
`fit_with_shared_biases`. With apparition biases correlated a priori (FitOptions.apparition_bias_correlation_*,
apparition_bias_periodic_*) `data_only` undoes each bias's own prior sigma only, an approximation.
"""
from __future__ import annotations

import numpy as np

from .bias_priors import default_bias_prior_mas
from .least_squares import fit_orbit
from .options import FitOptions

MOON_SIGMA_MAS = 26.0       # one moon's apparition bias about the other moons' (module docstring: 26.6 measured)
MIN_SHRINK = 0.02           # a posterior within 2% of its prior variance carries no information of its own


def data_only(bias_mas, sigma_mas, prior_sigma_mas, prior_mean_mas=0.0):
    """(estimate, variance) of a bias from its data alone, undoing its Gaussian prior N(m, P): a measurement d of
    variance D gives the posterior b = (d/D + m/P) / (1/D + 1/P) with V = P D / (P + D), so D = 1 / (1/V - 1/P) and
    d = b (P + D) / P - m D / P. Variance inf when V >= (1 - MIN_SHRINK) P (the prior alone)."""
    V, P = np.asarray(sigma_mas, float) ** 2, np.asarray(prior_sigma_mas, float) ** 2
    m = np.asarray(prior_mean_mas, float)
    informative = V < (1.0 - MIN_SHRINK) * P
    D = np.where(informative, 1.0 / np.where(informative, 1.0 / V - 1.0 / P, 1.0), np.inf)
    D_used = np.where(informative, D, 0.0)
    d = np.where(informative, (np.asarray(bias_mas, float) * (P + D_used) - m * D_used) / P, 0.0)
    return d, D


def apparition_priors(solutions, body, moon_sigma_mas=MOON_SIGMA_MAS):
    """{"apparition:YYYY": (mean_ra_mas, mean_dec_mas, sigma_mas)} for `body` from the apparition biases of the
    other solutions (an iterable of Solutions fitted with apparition biases, `_has_apparition_biases`; `body`'s own
    is skipped): the
    weighted mean of their data-only estimates (`data_only`) and sigma = sqrt(moon_sigma^2 + variance of that mean).
    Apparitions that no other moon measured are left out (they keep the default prior), and so are those before 1960:
    MOON_SIGMA_MAS was measured on the modern ones, and old plates differ by arcseconds from moon to moon."""
    out = {}
    for name, (mean, variance) in _others_mean(solutions, body).items():
        if default_bias_prior_mas(name, 0.0) > 0.0:            # an apparition before 1960
            continue
        out[name] = (float(mean[0]), float(mean[1]), float(np.sqrt(moon_sigma_mas ** 2 + variance.max())))
    return out


def _measured(solution):
    """{group: (data-only estimates (ra, dec), their variances)} of a solution's apparition biases measured by its
    own positions (n > 0 and both variances finite)."""
    table = solution.biases
    if table is None or not _has_apparition_biases(solution.options):
        return {}
    column = lambda name, default: (np.asarray(table[name], float) if name in table.colnames
                                    else np.full(len(table), default))
    prior_sigma = column("prior_sigma_mas", solution.options.bias_prior_mas)
    estimates = [data_only(table[f"bias_{c}_mas"], table[f"sigma_{c}_mas"], prior_sigma, column(f"prior_{c}_mas", 0.0))
                 for c in ("ra", "dec")]
    out = {}
    for k, (name, n) in enumerate(zip(np.asarray(table["group"]).astype(str), table["n"])):
        if not name.startswith("apparition:"):        # an observatory's or season's own: not shared
            continue
        d, D = np.array([estimates[0][0][k], estimates[1][0][k]]), np.array([estimates[0][1][k], estimates[1][1][k]])
        if n > 0 and np.all(np.isfinite(D)):
            out[name] = (d, D)
    return out


def _others_mean(solutions, body):
    """{group: (weighted mean (ra, dec) of the other solutions' data-only estimates, its variances)}."""
    sums = {}
    for solution in solutions:
        if int(solution.body) == int(body):
            continue
        for name, (d, D) in _measured(solution).items():
            acc = sums.setdefault(name, np.zeros((2, 2)))
            acc[:, 0] += d / D
            acc[:, 1] += 1.0 / D
    return {name: (acc[:, 0] / acc[:, 1], 1.0 / acc[:, 1]) for name, acc in sorted(sums.items())}


def moon_sigma(solutions, max_variance_mas2=40.0 ** 2):
    """The method-of-moments estimate of MOON_SIGMA_MAS from moons fitted alone (apparition biases, zero-mean
    priors): over every moon's well-measured biases (data-only variance D < max_variance), the mean of
    (d - others' mean)^2 less the mean of (D + variance of that mean), its square root (0 if negative).
    Returns (sigma_mas, number of coordinates used)."""
    solutions = list(solutions)
    squares, variances = [], []
    for solution in solutions:
        others = _others_mean(solutions, solution.body)
        for name, (d, D) in _measured(solution).items():
            if name not in others:
                continue
            mean, variance = others[name]
            use = D < max_variance_mas2
            squares += list((d - mean)[use] ** 2)
            variances += list((D + variance)[use])
    if not squares:
        return float("nan"), 0
    return float(np.sqrt(max(np.mean(squares) - np.mean(variances), 0.0))), len(squares)


def _has_apparition_biases(options):
    """Whether a fit with these FitOptions has one bias per apparition ("apparition", or a two-level grouping
    "apparition+uncatalogued" / "apparition+observatory" / "apparition+season", whose second level is each moon's
    own)."""
    return options.bias_groups is not None and options.bias_groups.split("+")[0] == "apparition"


def fit_with_shared_biases(observations, starts, options=None, *, model=None):
    """Fit several moons so that each one's apparition biases have the others' as prior: each moon alone first
    (`fit_orbit` with `options`, which must have apparition biases), then each again from its first orbit with
    `apparition_priors` of the others' first fits. observations, starts: {body: Observations}, {body: Orbit}.
    Returns {body: Solution} of the second fits (their Solution.biases keep the priors).

    Judged on the held-out Gaia DR3 transits with every moon under the same held-out rule
    (`orbitfit.validation.shared_bias_harness`, benchmarks/validation.py --shared, 8 moons, rms over the moons of the
    AL rms, 2026-12-02): one apparition of transits out 15.7 -> 12.9 mas (z rms 1.54 -> 1.33), all data 14.4 ->
    12.4, forward prediction (cut 2016-06) 12.3 -> 12.0; Elara with all data 19.2 -> 6.6, Sinope's folds 20.8 ->
    11.8; Lysithea is unchanged (17.7)."""
    options = options or FitOptions()
    if not _has_apparition_biases(options):
        raise ValueError(f"fit_with_shared_biases shares apparition biases: options.bias_groups must be "
                         f"'apparition' or 'apparition+...', not {options.bias_groups!r}")
    alone = {body: fit_orbit(observations[body], starts[body], options, model=model) for body in observations}
    return {body: fit_orbit(observations[body], alone[body].orbit, options, model=model,
                            bias_priors=apparition_priors(alone.values(), alone[body].body))
            for body in observations}
