"""Weighted least-squares orbit fit of one satellite: `fit_orbit`, and `refit` after new data.

The unknowns are the satellite's state at the fit epoch (relative to NAIF 5, ICRF, km and km/s), plus, with
`FitOptions.bias_groups`, a constant RA*/Dec offset per site. Partials of the computed (RA*, Dec) chain the
astrometric partials at the emission epoch with the state-transition matrix of the `OrbitModel` (variational
equations, exact to 1e-6 over 20 yr). The weights and their estimation are described in
`orbitfit.estimation.options`; the loop is `orbitfit.estimation.gauss_newton`.
"""
from __future__ import annotations

import time

import numpy as np
from astropy.table import Table

from ..observables import evaluate, prepare
from ..observations.core import Observations
from ..orbit import Orbit, OrbitModel
from ..provenance import versions
from ..solution import Solution
from .gauss_newton import FitError, gauss_newton
from .options import FitOptions
from .weights import fit_data, group_keys, initial_floors


def fit_orbit(observations, initial: Orbit, options: FitOptions | None = None, *, model: OrbitModel | None = None,
              log=None, warm_start=None):
    """Fit one satellite's state at `options.epoch` (default: the initial orbit's) to its observations under the
    dynamical `model` (default: OrbitModel(), the full force model with de440). Returns a `Solution`.

    log: called with each iteration's record (progress bars). warm_start: a previous Solution whose observations
    are the first rows of `observations` (`refit`): its weight floors (per group name), outlier flags and site biases
    are the starting values, and the fit starts as already near the solution, so floors and flags are settled from
    the first iteration. Neither `options`, `model` nor `observations` is changed.
    """
    options = options or FitOptions()
    model = model or OrbitModel()
    n = len(observations)
    if n < options.min_observations:
        raise FitError(f"too few observations: {n} (need at least {options.min_observations} for six unknowns)")
    prepared = prepare(observations, model.ephemeris)
    data = fit_data(prepared, options)
    floor_ra, floor_dec = initial_floors(data)
    accepted = np.ones(n, dtype=bool)
    biases = np.zeros(2 * len(data.bias_names))
    if warm_start is not None:
        floor_ra, floor_dec, accepted = _warm_weights(warm_start, data, floor_ra, floor_dec, accepted)
        biases = _warm_biases(warm_start, data.bias_names)
    body = int(initial.body)
    epoch = float(options.epoch) if options.epoch is not None else float(initial.epoch)
    state = model.state_at(initial, epoch)
    evaluate_at = with_biases(lambda x: evaluate(Orbit(body, epoch, x), model, prepared), data,
                              options.bias_prior_mas)
    fit = gauss_newton(np.concatenate([state, biases]), evaluate_at, data, options, floor_ra, floor_dec, log,
                       accepted=accepted, near=warm_start is not None)
    meta = {"fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "versions": versions()}
    if options.night_deweighting == "estimated":
        meta["night_correlation"] = {name: float(r) for name, r in zip(data.group_names, fit.night_rho)}
    evaluation = fit.evaluation
    evaluation.design, evaluation.extra = None, None          # the record keeps values, not the fit's matrices
    return Solution(orbit=Orbit(body, epoch, fit.parameters[:6]), covariance=fit.covariance[:6, :6],
                    observations=observations, evaluation=evaluation, weights=fit.weights,
                    accepted=fit.accepted, options=options, model=model, history=fit.history, meta=meta,
                    biases=bias_table(data, fit))


def refit(solution, new_observations, log=None, **option_changes):
    """`solution` refitted with `new_observations` added (an occultation's `CentreFit.observations()`, a new batch of
    astrometry): the same options (changed by `option_changes`, e.g. chi2_reject=...) and model, starting from its
    orbit, floors, flags and biases, so it converges in two or three iterations. Returns a new Solution."""
    if new_observations is None or len(new_observations) == 0:
        raise ValueError("refit: no new observations given")
    bodies = set(np.asarray(new_observations["body"]).tolist())
    if bodies != {solution.body}:
        raise ValueError(f"refit: the new observations are of bodies {sorted(bodies)}, this solution is of "
                         f"{solution.body}")
    options = solution.options.changed(**option_changes) if option_changes else solution.options
    combined = Observations.concatenate([solution.observations, new_observations])
    return fit_orbit(combined, solution.orbit, options, model=solution.model, log=log, warm_start=solution)


def with_biases(evaluate_at, data, prior_mas):
    """evaluate_at for the parameters [orbit..., b_ra(0), b_dec(0), b_ra(1), ...] with one RA*/Dec bias pair per
    data.bias_names: each row's computed position is the orbit's plus its bias (design column 1), and each bias
    has a zero-mean prior of prior_mas (a pseudo-observation in Evaluation.extra). Without bias names: unchanged."""
    k = len(data.bias_names)
    if k == 0:
        return evaluate_at
    rows = np.nonzero(data.bias_group >= 0)[0]
    column = 2 * data.bias_group[rows]

    def evaluate_with_biases(x):
        n_orbit = x.size - 2 * k
        evaluation = evaluate_at(x[:n_orbit])
        b = x[n_orbit:]
        evaluation.res_ra = evaluation.res_ra.copy()
        evaluation.res_dec = evaluation.res_dec.copy()
        evaluation.res_ra[rows] -= b[column]
        evaluation.res_dec[rows] -= b[column + 1]
        if evaluation.design is not None:
            design = np.zeros(evaluation.design.shape[:2] + (x.size,))
            design[:, :, :n_orbit] = evaluation.design
            design[rows, 0, n_orbit + column] = 1.0
            design[rows, 1, n_orbit + column + 1] = 1.0
            evaluation.design = design
        A = np.zeros((2 * k, x.size))
        A[:, n_orbit:] = np.eye(2 * k) / prior_mas
        residual = -b / prior_mas                                   # whitened (0 - b) / sigma_prior
        if evaluation.extra is not None:
            A_old, b_old = evaluation.extra
            A = np.vstack([np.hstack([A_old, np.zeros((A_old.shape[0], 2 * k))]), A])
            residual = np.concatenate([b_old, residual])
        evaluation.extra = (A, residual)
        return evaluation
    return evaluate_with_biases

def bias_table(data, fit):
    """The fitted biases (mas) with their 1-sigma and the number of accepted rows each applies to, or None."""
    k = len(data.bias_names)
    if k == 0:
        return None
    b = fit.parameters[-2 * k:].reshape(k, 2)
    sigma = np.sqrt(np.diag(fit.covariance)[-2 * k:]).reshape(k, 2)
    used = np.bincount(data.bias_group[fit.accepted & (data.bias_group >= 0)], minlength=k)
    return Table({"group": list(data.bias_names), "n": used, "bias_ra_mas": b[:, 0], "sigma_ra_mas": sigma[:, 0],
                  "bias_dec_mas": b[:, 1], "sigma_dec_mas": sigma[:, 1]})

def _warm_weights(previous, data, floor_ra, floor_dec, accepted):
    """Floors (matched by group name) and flags (first rows) of a previous solution, for a refit."""
    old_names = sorted(set(group_keys(previous.observations, previous.options.weight_groups)))
    for g, name in enumerate(data.group_names):
        if name in old_names:
            k = old_names.index(name)
            floor_ra[g], floor_dec[g] = previous.weights.floor_ra[k], previous.weights.floor_dec[k]
    n_old = len(previous.accepted)
    old_t = np.asarray(previous.observations["tdb"], dtype=float)
    if n_old <= data.t_obs.size and np.array_equal(old_t, data.t_obs[:n_old]):
        accepted[:n_old] = previous.accepted
    return floor_ra, floor_dec, accepted

def _warm_biases(previous, names):
    """A previous solution's biases for the same group names (0 for new groups), as starting values."""
    out = np.zeros(2 * len(names))
    table = getattr(previous, "biases", None)
    if table is not None:
        old = list(np.asarray(table["group"]).astype(str))
        for k, name in enumerate(names):
            if name in old:
                j = old.index(name)
                out[2 * k:2 * k + 2] = table["bias_ra_mas"][j], table["bias_dec_mas"][j]
    return out
