"""The fit loop shared by one satellite (`least_squares.fit_orbit`) and a family (`family.fit_family`): Gauss-Newton
steps with a damped fallback, and, near the solution, the weights (floors, intra-night correlation, outlier flags)
settled in the linearised problem until a step is below `FitOptions.convergence` sigma with settled weights.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ..observables import Evaluation
from .weights import Weights, build_weights, cap_rejections, chi2_per_observation, estimate_floors, leverages, \
    night_correlation, whiten


class FitError(RuntimeError):
    """A fit that cannot give a trustworthy result; the message says why."""


def solve_normal(d_ra, d_dec, w_ra, w_dec, rows, extra=None):
    """Least-squares correction and covariance from whitened rows (and whitened pseudo-observations `extra`,
    see Evaluation.extra); raises FitError when ill-determined."""
    A = np.concatenate([d_ra[rows], d_dec[rows]])
    b = np.concatenate([w_ra[rows], w_dec[rows]])
    if extra is not None:
        A, b = np.concatenate([A, extra[0]]), np.concatenate([b, extra[1]])
    scale = np.linalg.norm(A, axis=0)
    if np.any(scale == 0):
        raise FitError("singular normal matrix: a parameter has no effect on any observation")
    U, s, Vt = np.linalg.svd(A / scale, full_matrices=False)
    condition = s[0] / s[-1]
    if not np.isfinite(condition) or condition > 1e12:
        raise FitError(f"singular normal matrix (condition number {condition:.1e}): the observations do not "
                       f"determine all six state components (too short an arc, or a single night?)")
    correction = (Vt.T @ ((U.T @ b) / s)) / scale
    covariance = (Vt.T / s ** 2) @ Vt / np.outer(scale, scale)
    return correction, covariance, condition

def settle_weights(data, evaluation, floor_ra, floor_dec, rho, accepted, options):
    """Floors and outlier flags settled in the linearised problem around the current orbit.

    Near the solution the residuals of orbit x0 + delta are r0 - A delta to first order, so floors, flags and the
    correction can be iterated to a fixed point with linear algebra only; the nonlinear loop then confirms them.
    Returns (floor_ra, floor_dec, rho, accepted, correction, rounds).
    """
    design = evaluation.design
    correction = np.zeros(design.shape[2])
    for rounds in range(1, 31):
        weights = build_weights(data, floor_ra, floor_dec, rho, options)
        w_ra, w_dec, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations(),
                                          design)
        correction, covariance, _ = solve_normal(d_ra, d_dec, w_ra, w_dec, accepted, evaluation.extra)
        predicted = Evaluation(evaluation.res_ra - design[:, 0] @ correction,
                               evaluation.res_dec - design[:, 1] @ correction, None, None, None, None)
        changed = False
        if options.estimate_floors:
            # a night's positions share its error, so the fit absorbs it N times over: the leverage in the
            # normal-equation weights times the night factor^2 (sigma_eff^2 / sigma^2) is the share absorbed
            lev_ra, lev_dec = leverages(d_ra, d_dec, covariance)
            absorbed = weights.night_factor ** 2
            new_ra, new_dec = estimate_floors(data, predicted, accepted, floor_ra, floor_dec,
                                              (lev_ra * absorbed, lev_dec * absorbed))
            if np.any(np.abs(new_ra - floor_ra) > 0.005 * np.maximum(new_ra, 1.0)) or \
                    np.any(np.abs(new_dec - floor_dec) > 0.005 * np.maximum(new_dec, 1.0)):
                floor_ra, floor_dec, changed = new_ra, new_dec, True
        if options.night_deweighting == "estimated":
            new_rho = night_correlation(data, predicted, build_weights(data, floor_ra, floor_dec, rho, options),
                                        accepted, design.shape[2])
            if np.any(np.abs(new_rho - rho) > 0.005):
                rho, changed = new_rho, True
        if options.reject_outliers:
            weights = build_weights(data, floor_ra, floor_dec, rho, options)
            chi2_obs = chi2_per_observation(predicted.res_ra, predicted.res_dec, weights)
            new_accepted = np.where(accepted, chi2_obs <= options.chi2_reject, chi2_obs < options.chi2_readmit)
            new_accepted = cap_rejections(new_accepted, chi2_obs, options.max_rejected_fraction)
            if not np.array_equal(new_accepted, accepted):
                accepted, changed = new_accepted, True
        if accepted.sum() < options.min_observations:
            raise FitError(f"too few accepted observations ({accepted.sum()}) after outlier rejection")
        if not changed:
            break
    return floor_ra, floor_dec, rho, accepted, correction, rounds

@dataclass
class GaussNewtonResult:
    parameters: np.ndarray
    covariance: np.ndarray
    evaluation: Evaluation
    weights: Weights
    accepted: np.ndarray
    history: list
    night_rho: np.ndarray            # per weight group (0 unless night_deweighting="estimated")

def _objective(evaluation, weights, accepted):
    """chi^2 of the accepted observations with the normal-equation weights (plus any pseudo-observations)."""
    chi2 = chi2_per_observation(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations())[accepted].sum()
    if evaluation.extra is not None:
        chi2 = chi2 + np.sum(evaluation.extra[1] ** 2)
    return chi2

def gauss_newton(parameters, evaluate_at, data, options, floor_ra, floor_dec, log=None, accepted=None,
                 near=False, rho=None):
    """The fit loop shared by fit_orbit and orbitfit.estimation.family.fit_family: Gauss-Newton steps with the damped
    fallback; once near the solution, floors and outlier flags settled by settle_weights (at most
    options.max_weight_rounds passes), until a step is below options.convergence sigma with settled weights.

    evaluate_at(parameters) -> Evaluation with design (n, 2, P) for the data observations.
    accepted: starting flags (default all); near: start as near the solution (a warm start from a previous fit);
    rho: starting intra-night correlations per weight group (default 0).
    """
    x = np.asarray(parameters, dtype=float)
    n = data.t_obs.size
    accepted = np.ones(n, dtype=bool) if accepted is None else np.asarray(accepted, dtype=bool).copy()
    rho = np.zeros(len(data.group_names)) if rho is None else np.asarray(rho, dtype=float)
    history = []
    start = time.perf_counter()
    evaluation = evaluate_at(x)
    weights = build_weights(data, floor_ra, floor_dec, rho, options)
    chi2 = _objective(evaluation, weights, accepted)
    settles = 0                 # passes of settle_weights; after options.max_weight_rounds the weights are frozen
    for iteration in range(1, options.max_iterations + 1):
        rounds = 0
        frozen = settles >= options.max_weight_rounds
        if near and not frozen and _settles_weights(options):
            settles += 1
            floor_ra, floor_dec, rho, accepted, correction, rounds = settle_weights(
                data, evaluation, floor_ra, floor_dec, rho, accepted, options)
            weights = build_weights(data, floor_ra, floor_dec, rho, options)
            chi2 = _objective(evaluation, weights, accepted)
            _, _, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations(),
                                       evaluation.design)
            _, covariance, condition = solve_normal(d_ra, d_dec, np.zeros(n), np.zeros(n), accepted,
                                                    _zeroed(evaluation.extra))
        else:
            if accepted.sum() < options.min_observations:
                raise FitError(f"too few accepted observations ({accepted.sum()}) after outlier rejection")
            w_ra, w_dec, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations(),
                                              evaluation.design)
            correction, covariance, condition = solve_normal(d_ra, d_dec, w_ra, w_dec, accepted, evaluation.extra)
        sigma = np.sqrt(np.diag(covariance))
        # damped fallback: shorten the step until chi^2 does not grow (Gauss-Newton far from the solution)
        for attempt in range(12):
            trial = x + correction * 0.5 ** attempt
            try:
                trial_eval = evaluate_at(trial)
            except (ValueError, FloatingPointError) as exc:
                trial_eval = None
                reason = str(exc)
            if trial_eval is not None:
                trial_chi2 = _objective(trial_eval, weights, accepted)
                if np.isfinite(trial_chi2) and trial_chi2 <= chi2 * (1 + 1e-9) + 1e-9:
                    break
                reason = f"chi2 {chi2:.6g} -> {trial_chi2:.6g}"
        else:
            raise FitError(f"divergence: no step along the Gauss-Newton direction reduces chi^2 at iteration "
                           f"{iteration} ({reason}); start from a better initial orbit")
        damping = 0.5 ** attempt
        x, evaluation, chi2 = trial, trial_eval, trial_chi2
        step_in_sigma = np.max(np.abs(correction * damping) / sigma)
        history.append({"iteration": iteration, "chi2": float(chi2), "n_used": int(accepted.sum()),
                        "step_in_sigma": float(step_in_sigma), "damping": damping, "condition": float(condition),
                        "weight_rounds": rounds, "seconds": time.perf_counter() - start})
        if log:
            log(history[-1])
        if damping < 1 or step_in_sigma > 1.0:
            continue                     # still far: weights and flags are judged only near the solution
        settling = _settles_weights(options)
        if near and step_in_sigma <= options.convergence and (rounds == 1 or frozen or not settling):
            if frozen:
                history[-1]["note"] = f"weights frozen after {settles} settling passes"
            break                        # converged, and the last settling changed neither floors nor flags
        near = True
    else:
        raise FitError(f"no convergence in {options.max_iterations} iterations (last step "
                       f"{history[-1]['step_in_sigma']:.2g} sigma); history: {history[-3:]}")
    w_ra, w_dec, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations(),
                                      evaluation.design)
    _, covariance, condition = solve_normal(d_ra, d_dec, w_ra, w_dec, accepted, evaluation.extra)
    if options.night_deweighting == "estimated":
        covariance = night_sandwich(covariance, evaluation, weights, data, rho, accepted)
    return GaussNewtonResult(x, covariance, evaluation, weights, accepted, history, rho)

def night_sandwich(covariance, evaluation, weights, data, rho, accepted):
    """The covariance of the estimate under errors shared within a night (night_deweighting="estimated").

    The weights sigma^2 f^2 with f^2 = 1 + (N - 1) rho give each night the information of its mean; the positions'
    errors have covariance sigma_i sigma_j (rho + (1 - rho) delta_ij) within a night (per coordinate). The estimator
    is linear with these weights W, so its covariance is N^-1 (A^T W Sigma W A) N^-1 with N^-1 the normal-equation
    covariance: exact for the error model, where N^-1 alone is right only if the partials are constant over a night.
    For GJ15's nights they nearly are (on the synthetic closed loop of tests/test_night_correlation.py the two agree
    to 4 digits); the sandwich keeps it right for long nights of fast-moving moons. Rows with their own 2x2
    covariance (occultations, Gaia transits) and the prior pseudo-observations count as independent, as in N."""
    rows = accepted & ~data.full_covariance
    rho = rho[data.group][rows]
    factor2 = weights.night_factor[rows] ** 2
    night = data.night[rows]
    middle = np.zeros_like(covariance)
    for c, sigma in ((0, weights.sigma_ra), (1, weights.sigma_dec)):
        u = evaluation.design[rows, c] / (sigma[rows] * factor2)[:, None]
        middle += (u * (1.0 - rho)[:, None]).T @ u
        sums = np.zeros((night.max() + 1 if night.size else 0, u.shape[1]))
        np.add.at(sums, night, u * np.sqrt(rho)[:, None])          # rho is constant within a night (one group)
        middle += sums.T @ sums
    own = accepted & data.full_covariance
    if own.any() or evaluation.extra is not None:
        _, _, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations(),
                                   evaluation.design)
        independent = [d_ra[own], d_dec[own]] + ([evaluation.extra[0]] if evaluation.extra is not None else [])
        A = np.concatenate(independent)
        middle += A.T @ A
    return covariance @ middle @ covariance

def _settles_weights(options):
    """Whether anything in the weights is estimated from the residuals (floors, flags, night correlation)."""
    return options.estimate_floors or options.reject_outliers or options.night_deweighting == "estimated"

def _zeroed(extra):
    return None if extra is None else (extra[0], np.zeros_like(extra[1]))
