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


STATE_NAMES = ("x", "y", "z", "vx", "vy", "vz")
MAX_CONDITION = 1e12              # beyond this the normal matrix is numerically singular (float64 has 16 digits)
# Up to this condition number (of the whitened design, columns scaled to unit norm) the normal equations are solved
# through the eigenvectors of A^T A instead of an SVD of A: float64 then keeps the smallest eigenvalue to ~1e-16 x
# condition^2 <= 1e-6 of itself. Ten times less arithmetic for a tall design: 23 000 x 300, 0.05 s against 0.53 s
# (one core); notebook 06's family fit of Himalia and Elara spent 10.9 of its 50 s in the SVD (2026-12-07). Fits of
# every data set condition at 1e4 - 3e4 (Leda 1.3e4, Himalia 3.4e4, with their biases); their estimates moved by
# ~1e-6 of sigma (Himalia: state 1.3 mm, sigma 2.4e-6 of itself). Beyond this the SVD, as before.
NORMAL_MATRIX_CONDITION = 1e5
START_CHI2_TOLERANCE = 1e-6     # relative growth of chi^2 allowed on the first step from a given start evaluation
UNTIL_NEAR_STEP_SIGMA = 5.0     # gauss_newton(until_near=True) returns after a full step at most this long
# a stalled fit gives up before max_iterations: STALL_ITERATIONS steps in a row each cut to <= STALL_DAMPING of the
# Gauss-Newton step, and chi^2 over them down by less than STALL_CHI2 of itself. Himalia's 200 plate positions of
# 1894-1905 from the published 1995-2014 orbit crawled at damping 2^-11, chi^2 -0.02% per step, for 25 iterations
# (745 s) before the same FitError (2026-12-03)
STALL_ITERATIONS = 5
STALL_DAMPING = 1.0 / 64
STALL_CHI2 = 1e-3
# what evaluating the model may raise for an absurd orbit (light time not converging, overflow, a singular matrix):
# a failed trial step inside the loop, a FitError at the start orbit
EVALUATION_ERRORS = (ArithmeticError, ValueError, RuntimeError, np.linalg.LinAlgError)


class FitError(RuntimeError):
    """A fit that cannot give a trustworthy result; the message says why (the diagnosis) and, for a failure inside
    the loop, `history` holds the iterations so far, printed as a table after the message."""

    def __init__(self, message, history=None):
        super().__init__(message)
        self.diagnosis = message
        self.history = history

    def __str__(self):
        if not self.history:
            return self.diagnosis
        return f"{self.diagnosis}\nhistory:\n{history_table(self.history)}"


def history_table(history):
    """The iterations of a fit as a text table (one line per iteration)."""
    lines = [f"{'iter':>4s} {'chi2':>12s} {'n_used':>6s} {'step/sigma':>10s} {'damping':>8s} {'condition':>9s} "
             f"{'rounds':>6s} {'seconds':>7s}"]
    for h in history:
        lines.append(f"{h['iteration']:4d} {h['chi2']:12.6g} {h['n_used']:6d} {h['step_in_sigma']:10.3g} "
                     f"{h['damping']:8.3g} {h['condition']:9.2e} {h['weight_rounds']:6d} {h['seconds']:7.1f}"
                     + (f"  {h['note']}" if h.get("note") else ""))
    return "\n".join(lines)


def parameter_names(count, names=None):
    """Names of the fitted parameters: `names` as given, else the state components of a six-parameter fit, else
    p0, p1, ... (a family's layout is its own)."""
    names = list(names) if names is not None else (list(STATE_NAMES) if count == 6 else [])
    return names + [f"p{k}" for k in range(len(names), count)]


def _direction(vector, names):
    """The parameter combination of a (unit) vector in words: its components above 0.2, largest first."""
    order = np.argsort(-np.abs(vector))
    return " ".join(f"{vector[k]:+.2f}*{names[k]}" for k in order if abs(vector[k]) > 0.2)


def solve_normal(d_ra, d_dec, w_ra, w_dec, rows, extra=None, names=None):
    """Least-squares correction and covariance from whitened rows (and whitened pseudo-observations `extra`,
    see Evaluation.extra), and the condition number of the design with unit-norm columns: through the eigenvectors
    of its normal matrix up to NORMAL_MATRIX_CONDITION, through its SVD beyond; raises FitError when ill-determined,
    naming the parameters (`names`, default `parameter_names`) that the observations do not determine."""
    A = np.concatenate([d_ra[rows], d_dec[rows]])
    b = np.concatenate([w_ra[rows], w_dec[rows]])
    if extra is not None:
        A, b = np.concatenate([A, extra[0]]), np.concatenate([b, extra[1]])
    names = parameter_names(A.shape[1], names)
    bad = ~np.isfinite(A).all(axis=1) | ~np.isfinite(b)
    if bad.any():
        raise FitError(f"{bad.sum()} whitened observation rows are not finite (a sigma of 0, inf or NaN, or a "
                       f"non-finite residual): the normal equations cannot be formed")
    scale = np.linalg.norm(A, axis=0)
    if np.any(scale == 0):
        unused = ", ".join(n for n, s in zip(names, scale) if s == 0)
        raise FitError(f"singular normal matrix: {unused} has no effect on any accepted observation")
    A = A / scale
    try:
        eigenvalues, vectors = np.linalg.eigh(A.T @ A)              # ascending
    except np.linalg.LinAlgError:                                   # the SVD below says why
        eigenvalues = np.zeros(1)
    if eigenvalues[0] > 0 and eigenvalues[-1] <= NORMAL_MATRIX_CONDITION ** 2 * eigenvalues[0]:
        correction = vectors @ ((vectors.T @ (A.T @ b)) / eigenvalues) / scale
        covariance = (vectors / eigenvalues) @ vectors.T / np.outer(scale, scale)
        return correction, covariance, float(np.sqrt(eigenvalues[-1] / eigenvalues[0]))
    try:
        U, s, Vt = np.linalg.svd(A, full_matrices=False)
    except np.linalg.LinAlgError as exc:            # only for non-finite or absurd rows, checked above
        raise FitError(f"singular normal matrix: the SVD failed ({exc})") from exc
    condition = s[0] / s[-1]
    if not np.isfinite(condition) or condition > MAX_CONDITION:
        raise FitError(f"singular normal matrix (condition number {condition:.1e}): the observations do not "
                       f"determine the combination {_direction(Vt[-1], names)} (of the parameters scaled to "
                       f"unit column norm): too short an arc, or a single night?")
    correction = (Vt.T @ ((U.T @ b) / s)) / scale
    covariance = (Vt.T / s ** 2) @ Vt / np.outer(scale, scale)
    return correction, covariance, condition

def settle_weights(data, evaluation, floor_ra, floor_dec, rho, accepted, options, names=None):
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
        correction, covariance, _ = solve_normal(d_ra, d_dec, w_ra, w_dec, accepted, evaluation.extra, names)
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
    left_in_by_cap: int = 0          # accepted observations above chi2_reject because max_rejected_fraction binds

def _objective(evaluation, weights, accepted):
    """chi^2 of the accepted observations with the normal-equation weights (plus any pseudo-observations)."""
    chi2 = chi2_per_observation(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations())[accepted].sum()
    if evaluation.extra is not None:
        chi2 = chi2 + np.sum(evaluation.extra[1] ** 2)
    return chi2

def gauss_newton(parameters, evaluate_at, data, options, floor_ra, floor_dec, log=None, accepted=None,
                 near=False, rho=None, names=None, until_near=False, iterations_before=0, start=None):
    """The fit loop shared by fit_orbit and orbitfit.estimation.family.fit_family: Gauss-Newton steps with the damped
    fallback; once near the solution, floors and outlier flags settled by settle_weights (at most
    options.max_weight_rounds passes), until a step is below options.convergence sigma with settled weights.

    evaluate_at(parameters) -> Evaluation with design (n, 2, P) for the data observations.
    accepted: starting flags (default all); near: start as near the solution (a warm start from a previous fit);
    rho: starting intra-night correlations per weight group (default 0); names: the parameters' names for the
    diagnoses (default `parameter_names`). until_near: return as soon as an undamped step is at most
    UNTIL_NEAR_STEP_SIGMA long, before any weight is settled (fit_orbit then carries the state to the middle of the
    arc and goes on there, near=True): the next Gauss-Newton step from there is tiny (measured on the 8 moons from
    their 2000 elements: steps of 0.4-4.9 sigma were followed by steps below 0.008 sigma), so no iteration is
    spent at the old epoch only to find that.
    iterations_before: the iterations already made (history numbering and options.max_iterations count them).
    start: the evaluation at `parameters` when the caller has it (it is not computed again).
    Every failure is a FitError with a diagnosis and the history so far.
    """
    history = []
    try:
        return _loop(parameters, evaluate_at, data, options, floor_ra, floor_dec, log, accepted, near, rho, names,
                     history, until_near, iterations_before, start)
    except FitError as exc:
        exc.history = exc.history or history
        raise


def _start(evaluate_at, x):
    """The evaluation at the start parameters; the model failing there is a FitError that says so."""
    try:
        return evaluate_at(x)
    except EVALUATION_ERRORS as exc:
        if isinstance(exc, FitError):
            raise
        raise FitError(f"the observations cannot be computed from the start orbit ({type(exc).__name__}: {exc}): "
                       f"the start state is not a usable orbit of this body") from exc


def _loop(parameters, evaluate_at, data, options, floor_ra, floor_dec, log, accepted, near, rho, names, history,
          until_near, iterations_before, first):
    x = np.asarray(parameters, dtype=float)
    names = parameter_names(x.size, names)
    n = data.t_obs.size
    accepted = np.ones(n, dtype=bool) if accepted is None else np.asarray(accepted, dtype=bool).copy()
    rho = np.zeros(len(data.group_names)) if rho is None else np.asarray(rho, dtype=float)
    start = time.perf_counter()
    evaluation = first if first is not None else _start(evaluate_at, x)
    weights = build_weights(data, floor_ra, floor_dec, rho, options)
    chi2 = _objective(evaluation, weights, accepted)
    settles = 0                 # passes of settle_weights; after options.max_weight_rounds the weights are frozen
    for iteration in range(iterations_before + 1, max(options.max_iterations, iterations_before) + 1):
        rounds = 0
        frozen = settles >= options.max_weight_rounds
        if near and not frozen and _settles_weights(options):
            settles += 1
            floor_ra, floor_dec, rho, accepted, correction, rounds = settle_weights(
                data, evaluation, floor_ra, floor_dec, rho, accepted, options, names)
            weights = build_weights(data, floor_ra, floor_dec, rho, options)
            chi2 = _objective(evaluation, weights, accepted)
            _, _, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations(),
                                       evaluation.design)
            _, covariance, condition = solve_normal(d_ra, d_dec, np.zeros(n), np.zeros(n), accepted,
                                                    _zeroed(evaluation.extra), names)
        else:
            if accepted.sum() < options.min_observations:
                raise FitError(f"too few accepted observations ({accepted.sum()}) after outlier rejection")
            w_ra, w_dec, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations(),
                                              evaluation.design)
            correction, covariance, condition = solve_normal(d_ra, d_dec, w_ra, w_dec, accepted, evaluation.extra,
                                                             names)
        sigma = np.sqrt(np.diag(covariance))
        # damped fallback: shorten the step until chi^2 does not grow (Gauss-Newton far from the solution). A start
        # evaluation given by the caller comes from another integration (fit_orbit: from another epoch), whose
        # residuals differ by the integrator's error: 1e-5 mas, chi^2 by ~1e-9 of itself (measured; 1e-6 allowed)
        tolerance = START_CHI2_TOLERANCE if (first is not None and iteration == iterations_before + 1) else 1e-9
        failures, relinearised = 0, False
        for attempt in range(12):
            trial = x + correction * 0.5 ** attempt
            try:
                trial_eval = evaluate_at(trial)
            except EVALUATION_ERRORS as exc:
                if isinstance(exc, FitError):
                    raise
                trial_eval, failures = None, failures + 1
                reason = f"{type(exc).__name__}: {exc}"
            if trial_eval is not None:
                trial_chi2 = _objective(trial_eval, weights, accepted)
                if np.isfinite(trial_chi2) and trial_chi2 <= chi2 * (1 + tolerance) + 1e-9:
                    break
                reason = f"chi2 {chi2:.6g} -> {trial_chi2:.6g} at the shortest step"
                if attempt == 0 and near:
                    again = _step_from_landing(trial, trial_eval, evaluate_at, weights, accepted, names)
                    if again is not None and again[2] <= chi2 * (1 + tolerance) + 1e-9:
                        (trial, trial_eval, trial_chi2), relinearised = again, True
                        break
        else:
            raise FitError(_divergence(iteration, reason, failures, condition, chi2, accepted.sum(), covariance,
                                       names))
        damping = 0.5 ** attempt
        step = trial - x if relinearised else correction * damping
        x, evaluation, chi2 = trial, trial_eval, trial_chi2
        step_in_sigma = np.max(np.abs(step) / sigma)
        history.append({"iteration": iteration, "chi2": float(chi2), "n_used": int(accepted.sum()),
                        "step_in_sigma": float(step_in_sigma), "damping": damping, "condition": float(condition),
                        "weight_rounds": rounds, "seconds": time.perf_counter() - start})
        if relinearised:
            history[-1]["note"] = "the full step, then a Gauss-Newton step from where it landed"
        if log:
            log(history[-1])
        if until_near and damping == 1 and step_in_sigma <= UNTIL_NEAR_STEP_SIGMA:
            break
        if _stalled(history):
            raise FitError(_no_convergence(history, options, stalled=True))
        if damping < 1 or step_in_sigma > 1.0:
            continue                     # still far: weights and flags are judged only near the solution
        settling = _settles_weights(options)
        if near and step_in_sigma <= options.convergence and (rounds == 1 or frozen or not settling):
            if frozen:
                history[-1]["note"] = f"weights frozen after {settles} settling passes"
            break                        # converged, and the last settling changed neither floors nor flags
        near = True
    else:
        raise FitError(_no_convergence(history, options))
    w_ra, w_dec, d_ra, d_dec = whiten(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations(),
                                      evaluation.design)
    _, covariance, condition = solve_normal(d_ra, d_dec, w_ra, w_dec, accepted, evaluation.extra, names)
    if options.night_deweighting == "estimated":
        covariance = night_sandwich(covariance, evaluation, weights, data, rho, accepted)
    return GaussNewtonResult(x, covariance, evaluation, weights, accepted, history, rho,
                             left_in_by_cap(evaluation, weights, accepted, options))


def _step_from_landing(trial, trial_eval, evaluate_at, weights, accepted, names):
    """(parameters, evaluation, chi^2) one Gauss-Newton step on from a full step that raised chi^2, or None.

    Near the solution a full step can overshoot along a combination the data pin far tighter than any one
    parameter: Leda's all-data fit, after its weights settled (23 positions flagged), stepped 21 sigma to within
    0.02 sigma of its solution (in the largest component) and chi^2 went 1434 -> 28458: the residuals' curvature
    over so long a step, on a combination whose own sigma is ~1e-4 of the components'; halving took three more
    iterations (8 evaluations) to reach the point a step from the landing, relinearised there, reaches in one (the
    same chi^2, 352.85; measured 2026-12-07). Tried before any halving: one evaluation; its result is kept only if
    chi^2 falls below that of the start of the step."""
    w_ra, w_dec, d_ra, d_dec = whiten(trial_eval.res_ra, trial_eval.res_dec, weights.for_normal_equations(),
                                      trial_eval.design)
    try:
        correction, _, _ = solve_normal(d_ra, d_dec, w_ra, w_dec, accepted, trial_eval.extra, names)
        parameters = trial + correction
        evaluation = evaluate_at(parameters)
    except EVALUATION_ERRORS:                       # FitError is a RuntimeError: a singular landing is no step
        return None
    chi2 = _objective(evaluation, weights, accepted)
    return (parameters, evaluation, chi2) if np.isfinite(chi2) else None


def left_in_by_cap(evaluation, weights, accepted, options):
    """How many accepted observations have chi2 above chi2_reject because the rejection cap is full
    (max_rejected_fraction < 1 and as many flagged as it allows); 0 when the cap does not bind."""
    if not options.reject_outliers or options.max_rejected_fraction >= 1.0:
        return 0
    if (~accepted).sum() < np.floor(options.max_rejected_fraction * accepted.size):
        return 0
    chi2_obs = chi2_per_observation(evaluation.res_ra, evaluation.res_dec, weights)
    return int(np.sum(accepted & (chi2_obs > options.chi2_reject)))


def _divergence(iteration, reason, failures, condition, chi2, n_used, covariance, names):
    """Why no step reduced chi^2: the model failing along the step, an ill-determined problem, or a start orbit
    beyond the reach of the linearisation."""
    head = f"divergence at iteration {iteration}: no step along the Gauss-Newton direction reduces chi^2 ({reason})"
    if failures == 12:
        return f"{head}; the model cannot be evaluated along the step: the orbit is leaving the realm of a bound " \
               f"satellite orbit (start from a better initial orbit)"
    if condition > 1e8:
        sigma = np.sqrt(np.diag(covariance))
        worst = ", ".join(f"{names[k]} ({sigma[k]:.3g})" for k in np.argsort(-sigma)[:3])
        return f"{head}; the normal matrix is nearly singular (condition number {condition:.1e}), largest " \
               f"1-sigma {worst}: the observations hardly determine the orbit (too short an arc or too few nights)"
    return f"{head}; chi2 per observation is {chi2 / max(n_used, 1):.3g}: the start orbit is too far from the " \
           f"solution for the linearisation (start from a better initial orbit, e.g. orbitfit.estimation.ranging)"


def _stalled(history):
    """The last STALL_ITERATIONS steps all damped to <= STALL_DAMPING and chi^2 over them down by < STALL_CHI2."""
    if len(history) <= STALL_ITERATIONS:
        return False
    last = history[-STALL_ITERATIONS:]
    before = history[-STALL_ITERATIONS - 1]["chi2"]
    return all(h["damping"] <= STALL_DAMPING for h in last) and before - last[-1]["chi2"] < STALL_CHI2 * before


def _no_convergence(history, options, stalled=False):
    """Why the loop ran out of iterations (or stalled): damped steps (far from the solution), steps that do not
    shrink, or too few iterations for a slow but steady approach."""
    if not history:
        return f"no convergence in {options.max_iterations} iterations"
    last = history[-3:]
    head = f"no convergence in {options.max_iterations} iterations (last step {history[-1]['step_in_sigma']:.2g} " \
           f"sigma, convergence at {options.convergence:g})"
    if stalled:
        head = f"no convergence: stalled after {len(history)} iterations, the last {STALL_ITERATIONS} damped to " \
               f"<= 1/{1 / STALL_DAMPING:g} of the step with chi2 down by less than {STALL_CHI2:g} of itself " \
               f"(last step {history[-1]['step_in_sigma']:.2g} sigma)"
    if any(h["damping"] < 1 for h in last):
        return f"{head}: the last steps were damped, the fit is still far from the solution (start from a " \
               f"better initial orbit)"
    if max(h["condition"] for h in last) > 1e8:
        return f"{head}: the normal matrix is nearly singular (condition number " \
               f"{max(h['condition'] for h in last):.1e}): the observations hardly determine the orbit"
    if all(h["step_in_sigma"] < 1 for h in last):
        return f"{head}: the steps are small but not yet below the convergence limit (weights still settling); " \
               f"raise max_iterations"
    return f"{head}: the steps do not shrink (the linearisation does not hold: start from a better initial orbit)"

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
