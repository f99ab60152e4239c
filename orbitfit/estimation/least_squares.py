"""Weighted least-squares orbit fit of one satellite: `fit_orbit`, and `refit` after new data.

The unknowns are the satellite's state at the fit epoch (relative to NAIF 5, ICRF, km and km/s), plus, with
`FitOptions.bias_groups`, a constant RA*/Dec offset per site. Partials of the computed (RA*, Dec) chain the
astrometric partials at the emission epoch with the state-transition matrix of the `OrbitModel` (variational
equations, exact to 1e-6 over 20 yr). The weights and their estimation are described in
`orbitfit.estimation.options`; the loop is `orbitfit.estimation.gauss_newton`.

Before iterating, `fit_orbit` checks what would make the fit fail late or mislead (each a FitError within a second):
observations of another body than the start orbit's, an arc on fewer than MIN_NIGHTS nights, a start state that is
not a satellite orbit of Jupiter, rows that cannot be weighted (`weights.unweightable_rows`, named by file:line).
Copies of one measurement among the observations (the same file twice, a repeated row; the rules of
`orbitfit.observations.datasets.find_duplicates`) would be counted as new data and shrink every sigma by sqrt(2):
unless `FitOptions.keep_duplicates`, they are dropped before the fit and listed in Solution.meta["duplicates"].
Gross errors against the start orbit (`FitOptions.screen_arcsec`, `orbitfit.estimation.screening`) start the fit
flagged, listed by file:line in Solution.meta["screened"]. When the outlier cap (`max_rejected_fraction`) leaves
observations above chi2_reject in the fit, a warning says how
many and Solution.meta["rejection_cap"] records it.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import replace

import numpy as np
from astropy.table import Table

from dynamics import constants as C

from ..bodies import NAIF_NAMES
from ..companions import default_model
from ..observables import evaluate, prepare
from ..observations.core import Observations
from ..observations.datasets import find_duplicates, preference_rank
from ..observations.gaia import FLOORS_META_KEY, OWN_FLOORS
from ..observations.gaia_archive import without_superseded
from ..orbit import Orbit, OrbitModel
from ..provenance import versions
from ..solution import Solution
from .gauss_newton import EVALUATION_ERRORS, STATE_NAMES, FitError, GaussNewtonResult, gauss_newton
from .bias_priors import (SCATTER_RESPONSE, bias_prior_arrays, bias_prior_whitening, default_bias_prior_mas,
                          scatter_record, scatter_response)
from .options import FitOptions
from .screening import screen_start, screening_record
from .shared_error import META_KEY as SHARED_RESPONSE, response_record, state_part, state_response
from .weights import fit_data, group_keys, initial_floors, own_covariance, unweightable_rows

MIN_NIGHTS = 3            # six state components need positions on three nights at least (Gauss: three directions)
# a start state is a satellite orbit of Jupiter if bound, above Jupiter's cloud tops and within its Hill sphere
# (a_J (m_J / 3 M_sun)^(1/3) = 0.35 au); the irregular moons reach about half of it
HILL_RADIUS_KM = 5.3e7


def fit_orbit(observations, initial: Orbit, options: FitOptions | None = None, *, model: OrbitModel | None = None,
              log=None, warm_start=None, bias_priors=None):
    """Fit one satellite's state at `options.epoch` (default: the initial orbit's) to its observations under the
    dynamical `model` (default: `orbitfit.companions.default_model(body)`, the full force model with de440 and, for
    Elara, Lysithea and Leda, Himalia's pull). Returns a `Solution`.

    log: called with each iteration's record (progress bars). warm_start: a previous Solution whose observations
    are the first rows of `observations` (`refit`): its weight floors (per group name), outlier flags and site biases
    are the starting values, and the fit starts as already near the solution, so floors and flags are settled from
    the first iteration. bias_priors: {bias group name: (mean_ra_mas, mean_dec_mas, sigma_mas)}, the prior of those
    biases (default zero mean and options.bias_prior_mas), e.g. the apparition biases the other moons measured
    (`orbitfit.estimation.shared_biases`); groups the fit does not have (no positions in that apparition) are not
    used; kept in Solution.biases and by a refit. Neither `options`, `model` nor `observations` is changed.
    """
    options = options or FitOptions()
    body = int(initial.body)
    model = model or default_model(body)
    check_observations(observations, body)
    warn_gaia_ccd_rows(observations)
    observations, duplicates = drop_duplicates(observations, options, model, warm_start)
    n = len(observations)
    if n < options.min_observations:
        raise FitError(f"too few observations: {n} (need at least {options.min_observations} for six unknowns)")
    check_arc(observations)
    epoch = float(options.epoch) if options.epoch is not None else float(initial.epoch)
    prepared = prepare(observations, model.ephemeris)
    # Once near the solution the state is fitted at the middle of the arc and carried to `epoch` at the end: every
    # propagation then runs half the arc each way, the two directions on two threads (dynamics.propagate); from the
    # 2000 elements to the data of 1894-2022 each iteration integrated ~100 years one way. Far from it the steps are
    # taken at `epoch`, where the start orbit is best known: from the middle of the arc the published elements'
    # Gauss-Newton steps had to be damped (Elara, Lysithea: 7 iterations instead of 5). The 8 moons' fits to every
    # embedded data set: 95 s before, 61 s with this and the companions' STM left out (benchmarks/bench_fit_all.py)
    pivot = epoch if warm_start is None else integration_epoch(prepared.t_obs)
    state = _start_state(model, initial, pivot)
    data = fit_data(prepared, options)
    floor_ra, floor_dec = initial_floors(data)
    accepted = np.ones(n, dtype=bool)
    biases = np.zeros(2 * len(data.bias_names))
    if warm_start is not None:
        floor_ra, floor_dec, accepted = _warm_weights(warm_start, data, floor_ra, floor_dec, accepted)
        biases = _warm_biases(warm_start, data.bias_names)
    if warm_start is not None and bias_priors is None:
        bias_priors = _priors_of(warm_start)
    evaluations = _Evaluations(model, prepared, body)
    screening = screen_start(Orbit(body, pivot, state), model, prepared, options,
                             start=evaluations.first(pivot, state))
    if screening is not None:
        accepted &= ~screening.flagged
    names = list(STATE_NAMES) + [f"bias_{c}[{g}]" for g in data.bias_names for c in ("ra", "dec")]
    x0 = np.concatenate([state, biases])
    evaluate_from = lambda at: evaluations.at(at, data, options, bias_priors)
    if warm_start is None:
        def carry(core, t_from, t_to):
            moved, phi = transition(model, Orbit(body, t_from, core), t_to)
            return moved.state, phi
        pivot = integration_epoch(prepared.t_obs)
        fit = far_then_mid_arc(x0, evaluate_from, epoch, pivot, carry, 6, data, options, floor_ra, floor_dec, log,
                               accepted, names)
    else:
        fit = gauss_newton(x0, evaluate_from(pivot), data, options, floor_ra, floor_dec, log, accepted=accepted,
                           near=True, names=names)
    meta = {"fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "versions": versions()}
    if duplicates:
        meta["duplicates"] = {"dropped": not options.keep_duplicates, "rows": duplicates}
    if screening is not None and screening.flagged.any():
        meta["screened"] = screening_record(screening, observations, fit.accepted)
    defaulted = prepared.full_covariance & ~own_covariance(prepared)
    if defaulted.any():
        meta["no_own_covariance"] = _located(observations, np.nonzero(defaulted)[0])
    if fit.left_in_by_cap:
        meta["rejection_cap"] = {"max_rejected_fraction": options.max_rejected_fraction,
                                 "rejected": int((~fit.accepted).sum()), "left_in": fit.left_in_by_cap}
        warnings.warn(f"the outlier cap binds: {fit.left_in_by_cap} observations with chi2 > {options.chi2_reject:g} "
                      f"stay in the fit because max_rejected_fraction={options.max_rejected_fraction:g} allows only "
                      f"{int((~fit.accepted).sum())} to be flagged", stacklevel=2)
    if options.night_deweighting == "estimated":
        meta["night_correlation"] = {name: float(r) for name, r in zip(data.group_names, fit.night_rho)}
    # how the error every moon's prediction shares moves this estimate (options.shared_sky_error_mas; a consider
    # parameter per apparition: orbitfit.estimation.shared_error), from the fit's own weights and design
    shared = state_response(fit, data, prepared.t_obs, names) if options.shared_sky_error_mas > 0 else None
    evaluation = fit.evaluation
    evaluation.design, evaluation.extra = None, None          # the record keeps values, not the fit's matrices
    # the orbit's covariance considers apparition biases beyond their prior (options.apparition_bias_scatter); the
    # biases' table keeps their posterior under the prior, which shared_biases.data_only undoes
    scatter = scatter_response(fit, data, options, bias_priors, body)
    state_covariance = fit.covariance[:6, :6]
    orbit, phi = transition(model, Orbit(body, pivot, fit.parameters[:6]), epoch)
    if scatter is not None:
        # kept so that two fits' errors can be read together (chance.influence_spread), not only each one's
        coordinates, lever, excess = scatter
        state_covariance = state_covariance + lever[:6] @ excess @ lever[:6].T
        meta[SCATTER_RESPONSE] = scatter_record(coordinates, phi @ lever[:6], excess)
    covariance = phi @ state_covariance @ phi.T
    if shared is not None:
        # the estimate moves by G e: its covariance holds s^2 Q (shared_error.state_part), the sky part is added
        # where a prediction is made (products.uncertainty.shared_covariance)
        variance = options.shared_sky_error_mas ** 2
        response = np.einsum("ij,kjc->kic", phi, shared[1][:, :6, :])
        covariance = covariance + state_part(response, variance)
        meta[SHARED_RESPONSE] = response_record(shared[0], response, variance)
    return Solution(orbit=orbit, covariance=covariance,
                    observations=observations, evaluation=evaluation, weights=fit.weights,
                    accepted=fit.accepted, options=options, model=model, history=fit.history, meta=meta,
                    biases=bias_table(data, fit, options.bias_prior_mas, bias_priors))


def _located(table, rows):
    """'source:line' of each of `rows` (the file and line an observation was read from)."""
    sources, lines = np.asarray(table["source"]).astype(str), np.asarray(table["line"])
    return [f"{sources[r]}:{lines[r]}" for r in rows]


def check_observations(observations, body):
    """FitError unless every row is of `body` (the start orbit's) and can be weighted (rows named by file:line)."""
    bodies = np.asarray(observations["body"], int) if len(observations) else np.zeros(0, int)
    others = sorted(set(bodies.tolist()) - {body})
    if others:
        name = lambda b: f"{b} ({NAIF_NAMES[b]})" if b in NAIF_NAMES else str(b)
        rows = np.nonzero(bodies != body)[0]
        raise FitError(f"the observations are of body {', '.join(name(b) for b in others)}, the start orbit is of "
                       f"body {name(body)} ({rows.size} rows, first {_located(observations, rows[:1])[0]}): give "
                       f"the start orbit of the observed body, or select its rows")
    bad = unweightable_rows(observations)
    if bad:
        where = _located(observations, [row for row, _ in bad])
        listing = "\n".join(f"  {w}: {why}" for w, (_, why) in zip(where[:20], bad[:20]))
        more = f"\n  ... and {len(bad) - 20} more" if len(bad) > 20 else ""
        raise FitError(f"{len(bad)} observations cannot be weighted (remove or correct them):\n{listing}{more}")


def check_arc(observations):
    """FitError when the positions lie on fewer than MIN_NIGHTS nights: no start orbit can make up for the
    missing geometry."""
    t = np.asarray(observations["tdb"], float)
    nights = np.unique(np.floor(t / 86400.0 + 0.5))
    if nights.size < MIN_NIGHTS:
        raise FitError(f"too short an arc (too few nights): {t.size} observations on {nights.size} night(s) spanning "
                       f"{(t.max() - t.min()) / 86400.0:.2f} days; the six state components need positions on at "
                       f"least {MIN_NIGHTS} nights (a better start orbit will not help: add observations)")


class _Evaluations:
    """The fit's model evaluations at a chosen integration epoch; the first one (with partials, made for the gross-
    error screening) is handed to the fit loop instead of being computed twice."""

    def __init__(self, model, prepared, body):
        self.model, self.prepared, self.body = model, prepared, body
        self._first = None

    def first(self, epoch, state):
        """The evaluation at (epoch, state), or None if the model fails there (the fit loop then says why)."""
        try:
            evaluation = evaluate(Orbit(self.body, epoch, state), self.model, self.prepared)
        except EVALUATION_ERRORS:
            return None
        self._first = (epoch, np.array(state), evaluation)
        return evaluation

    def at(self, epoch, data, options, bias_priors):
        """evaluate_at(parameters) of gauss_newton: the state at `epoch`, then the biases."""
        def state_evaluation(state):
            if self._first is not None and self._first[0] == epoch and np.array_equal(self._first[1], state):
                evaluation, self._first = self._first[2], None
                return evaluation
            return evaluate(Orbit(self.body, epoch, state), self.model, self.prepared)
        return with_biases(state_evaluation, data, options.bias_prior_mas, bias_priors, options)


def integration_epoch(t_obs):
    """The epoch a fit integrates from (TDB s): the middle of the observed arc, at a whole TDB day so that it does
    not move by fractions of a day when one night is added."""
    t_obs = np.asarray(t_obs, float)
    middle = 0.5 * (t_obs.min() + t_obs.max())
    return float(np.round(middle / C.SECONDS_PER_DAY) * C.SECONDS_PER_DAY)


def far_then_mid_arc(x0, evaluate_from, epoch, pivot, carry, n_core, data, options, floor_ra, floor_dec, log,
                     accepted, names=None):
    """The fit loop in two parts (fit_orbit, fit_family): Gauss-Newton at `epoch` while far from the solution
    (gauss_newton until_near), then the first n_core parameters (state, or states and GMs) carried to `pivot`
    (the middle of the arc) and the loop continued there, near=True, from the last far evaluation re-expressed for
    the new parameters. evaluate_from(t) -> evaluate_at of the parameters at t; carry(core, t_from, t_to) -> (core at
    t_to, d core(t_to) / d core(t_from)). Returns the GaussNewtonResult at `pivot` with the whole history."""
    far = gauss_newton(x0, evaluate_from(epoch), data, options, floor_ra, floor_dec, log, accepted=accepted,
                       names=names, until_near=True)
    core, forward = carry(far.parameters[:n_core], epoch, pivot)
    try:
        fit = gauss_newton(np.concatenate([core, far.parameters[n_core:]]), evaluate_from(pivot), data, options,
                           floor_ra, floor_dec, log, accepted=far.accepted, near=True, names=names,
                           iterations_before=len(far.history),
                           start=reparametrised(far.evaluation, np.linalg.inv(forward)))
    except FitError as exc:
        exc.history = far.history + (exc.history or [])
        raise
    fit.history[:0] = far.history
    return fit


def reparametrised(evaluation, jacobian):
    """The evaluation with the partials taken with respect to other parameters for its first k columns (the state,
    or a family's states and GMs): the same trajectory, so the same residuals; those columns of the design (and of
    the pseudo-observations) times `jacobian` (k x k, d old / d new). Saves the evaluation at the middle of the arc
    that would repeat it."""
    k = jacobian.shape[0]
    design = evaluation.design.copy()
    design[:, :, :k] = design[:, :, :k] @ jacobian
    extra = evaluation.extra
    if extra is not None:
        A = extra[0].copy()
        A[:, :k] = A[:, :k] @ jacobian
        extra = (A, extra[1])
    return replace(evaluation, design=design, extra=extra)


def transition(model, orbit, epoch):
    """(the orbit at `epoch`, its state-transition matrix d state(epoch) / d state(orbit.epoch)): propagated
    there landing on it exactly; a FitError if the model cannot carry it."""
    if float(orbit.epoch) == float(epoch):
        return orbit, np.eye(6)
    try:
        run = model.propagate(orbit.state, orbit.epoch, [epoch], stm=True, dense=False)
    except (ArithmeticError, ValueError, RuntimeError) as exc:
        raise FitError(f"the orbit cannot be propagated from TDB {orbit.epoch:.0f} s to {float(epoch):.0f} s "
                       f"({type(exc).__name__}: {exc})") from exc
    return Orbit(orbit.body, float(epoch), run.states[0, 0]), run.stm[0, 0]


def _start_state(model, initial, epoch):
    """The start state at the fit epoch, refused (FitError) unless it is a satellite orbit of Jupiter."""
    state = np.asarray(initial.state, float)
    if state.shape != (6,) or not np.all(np.isfinite(state)):
        raise FitError(f"the start state is not six finite numbers: {state!r}")
    r, v = state[:3], state[3:]
    distance, speed = np.linalg.norm(r), np.linalg.norm(v)
    energy = 0.5 * speed ** 2 - C.GM_JUPITER_SYSTEM / max(distance, 1e-9)
    h = np.linalg.norm(np.cross(r, v))
    a = -C.GM_JUPITER_SYSTEM / (2 * energy) if energy < 0 else np.inf
    e = np.sqrt(max(0.0, 1.0 + 2.0 * energy * h ** 2 / C.GM_JUPITER_SYSTEM ** 2))
    about = f"the start state (|r| = {distance:.4g} km, |v| = {speed:.4g} km/s from Jupiter's barycentre)"
    why = None
    if energy >= 0:
        why = "unbound (positive orbital energy)"
    elif a * (1 + e) > HILL_RADIUS_KM:
        why = f"apoapsis {a * (1 + e):.3g} km, beyond the Hill sphere ({HILL_RADIUS_KM:.2g} km)"
    elif a * (1 - e) < C.JUPITER_REFERENCE_RADIUS_KM:
        why = f"it falls into Jupiter (periapsis {a * (1 - e):.4g} km < {C.JUPITER_REFERENCE_RADIUS_KM:g} km" + \
              ("; zero velocity)" if speed == 0 else ")")
    if why:
        raise FitError(f"{about} is not a bound satellite orbit of Jupiter: {why}; start from a satellite orbit")
    try:
        return model.state_at(initial, epoch)
    except (ArithmeticError, ValueError, RuntimeError) as exc:
        raise FitError(f"{about} cannot be propagated to the fit epoch ({type(exc).__name__}: {exc})") from exc


def warn_gaia_ccd_rows(observations, stacklevel=2):
    """Warn when Gaia DR3 rows are one per CCD (what `orbitfit.read` gives of a Gaia file): fitted so, each is a
    position of its own, where the rows of one transit share most of their error and say little across the scan."""
    ccd = int((np.asarray(observations["kind"]).astype(str) == "gaia").sum())
    if ccd:
        warnings.warn(f"{ccd} Gaia DR3 positions are one row per CCD and are fitted as independent positions; a "
                      "transit is one measurement, precise along the scan only: orbitfit.load_all, or "
                      "orbitfit.observations.gaia_visits.as_gaia_transits on a file's rows, makes the normal points "
                      "the default fit takes", stacklevel=stacklevel + 1)


def drop_duplicates(observations, options, model, warm_start=None):
    """(observations without the rows that copy another row of the fit, [the dropped rows as
    "source:line repeats source:line"]) by `find_duplicates`' rules; all kept with options.keep_duplicates (the
    list then names them all the same). A refit prefers the rows the previous solution already had."""
    if len(observations) < 2:
        return observations, []
    tiers = np.zeros(len(observations), dtype=int)
    if warm_start is not None:
        tiers[len(warm_start.observations):] = 1
    rank = preference_rank(observations, tiers)
    dropped, matches, _ = find_duplicates(observations, rank, ephemeris=model.ephemeris)
    if not dropped.any():
        return observations, []
    rows = sorted(matches)
    copies = [f"{w} repeats {o}" for w, o in zip(_located(observations, rows),
                                                 _located(observations, [matches[r][0] for r in rows]))]
    if options.keep_duplicates:
        return observations, copies
    return Observations(observations[~dropped], copy=False), copies


def refit(solution, new_observations, log=None, **option_changes):
    """`solution` refitted with `new_observations` added (an occultation's `CentreFit.observations()`, a new batch of
    astrometry): the same options (changed by `option_changes`, e.g. chi2_reject=...) and model, starting from its
    orbit, floors, flags and biases, so it converges in two or three iterations. Gaia records of another release
    (FPR) of this solution's Gaia transits replace them (`gaia_archive.superseded_transits`; a warning, and the new
    Solution's meta["superseded"]): the fit then starts from the orbit and the biases' priors. Returns a Solution."""
    if new_observations is None or len(new_observations) == 0:
        raise ValueError("refit: no new observations given")
    bodies = sorted(set(np.asarray(new_observations["body"]).tolist()))
    if bodies != [solution.body]:
        raise ValueError(f"refit: the new observations are of bodies {bodies}, this solution is of {solution.body}")
    options = solution.options.changed(**option_changes) if option_changes else solution.options
    previous, replaced = without_superseded(solution.observations, new_observations)
    if replaced:
        warnings.warn(f"refit: {len(replaced)} of the solution's Gaia transits are observed again by the new Gaia "
                      f"records of another release, which replace them: {', '.join(replaced)}", stacklevel=2)
    try:
        combined = Observations.concatenate([previous, new_observations])
    except ValueError as exc:
        if FLOORS_META_KEY not in str(exc) or FLOORS_META_KEY in solution.observations.meta:
            raise
        # the solution's transits say nothing of their floors: one floor for all (load_all before 2026-12-05
        # evening), or an archive written before 2026-12-06, which did not record them; only the user knows which
        raise ValueError(f"refit: {exc}. This solution's table does not say which floors its Gaia transits carry (an "
                         "archive written before 2026-12-06 does not record it): if it was fitted to load_all's "
                         "transits of 2026-12-05 evening or later (each moon's own floor), set "
                         f"solution.observations.meta[{FLOORS_META_KEY!r}] = {OWN_FLOORS!r} first; if to 7 mas "
                         "transits, build the new ones with load_all(..., gaia_floors='common'), and with "
                         "gaia_visit_offsets=None too if they were as Gaia gave them (load_all before 2026-12-05, "
                         "whose transits no visit correction had moved)") from None
    start = {"bias_priors": _priors_of(solution)} if replaced else {"warm_start": solution}
    refitted = fit_orbit(combined, solution.orbit, options, model=solution.model, log=log, **start)
    if replaced:
        refitted.meta["superseded"] = replaced
    return refitted


def linearised(solution):
    """The linear system a fit ended with, rebuilt from its Solution: a GaussNewtonResult whose parameters are the
    state at the solution's epoch and its biases (data.bias_names' order), whose evaluation holds the design and the
    biases' prior as pseudo-observations, with the weights and outlier flags the fit settled. What the deletion
    formula (`influence.leave_one_out`) needs to give the fit without a data set with every other weight held; the
    Solution keeps values, not the fit's matrices. One model evaluation with partials (1.8 s for Elara's 2951
    rows, measured 2026-12-06)."""
    options, model, observations = solution.options, solution.model, solution.observations
    prepared = prepare(observations, model.ephemeris)
    data = fit_data(prepared, options)
    named = [] if solution.biases is None else list(np.asarray(solution.biases["group"]).astype(str))
    if named != list(data.bias_names):
        raise ValueError("the solution's bias table does not name the groups its observations and options give")
    biases = _warm_biases(solution, data.bias_names)
    epoch, state = float(solution.epoch), np.asarray(solution.state, float)
    evaluation = _Evaluations(model, prepared, int(solution.body)).at(epoch, data, options, _priors_of(solution))(
        np.concatenate([state, biases]))
    return GaussNewtonResult(parameters=np.concatenate([state, biases]), covariance=None, evaluation=evaluation,
                             weights=solution.weights, accepted=np.asarray(solution.accepted, bool), history=[],
                             night_rho=None)


def with_biases(evaluate_at, data, prior_mas, bias_priors=None, options=None):
    """evaluate_at for the parameters [orbit..., b_ra(0), b_dec(0), b_ra(1), ...] with one RA*/Dec bias pair per
    data.bias_names: each row's computed position is the orbit's plus its bias (design column 1; M @ b where
    data.bias_coefficients gives a level's matrices M, as the "zenith" level's), and the biases
    have a prior (pseudo-observations in Evaluation.extra): zero mean and sigma prior_mas, or what `bias_priors`
    gives for its group (`bias_prior_arrays`), the apparitions' correlated as `options` (FitOptions) say
    (`bias_prior_whitening`). Without bias names: unchanged."""
    k = len(data.bias_names)
    if k == 0:
        return evaluate_at
    prior_mean, prior_sigma = bias_prior_arrays(data.bias_names, prior_mas, bias_priors)
    whitening = bias_prior_whitening(data, prior_sigma, options)
    # (rows, columns of their bias pair, their matrices M) per level: a row's position is the orbit's plus the sum of
    # its levels' M @ bias pair, M the identity but where data.bias_coefficients says (the "zenith" level's)
    identity = lambda rows: np.broadcast_to(np.eye(2), (rows.size, 2, 2))
    levels = [(rows, 2 * data.bias_group[rows, level][:, None] + [0, 1],
               identity(rows) if data.bias_coefficients is None else data.bias_coefficients[rows, level])
              for level in range(data.bias_group.shape[1]) for rows in [np.nonzero(data.bias_group[:, level] >= 0)[0]]]

    def evaluate_with_biases(x):
        n_orbit = x.size - 2 * k
        evaluation = evaluate_at(x[:n_orbit])
        b = x[n_orbit:]
        evaluation.res_ra = evaluation.res_ra.copy()
        evaluation.res_dec = evaluation.res_dec.copy()
        for rows, columns, m in levels:                 # offset M @ (b_ra, b_dec) (weights.bias_coefficients)
            offset = np.einsum("nij,nj->ni", m, b[columns])
            evaluation.res_ra[rows] -= offset[:, 0]
            evaluation.res_dec[rows] -= offset[:, 1]
        if evaluation.design is not None:
            design = np.zeros(evaluation.design.shape[:2] + (x.size,))
            design[:, :, :n_orbit] = evaluation.design
            for rows, columns, m in levels:
                design[rows[:, None, None], [[[0], [1]]], n_orbit + columns[:, None, :]] = m
            evaluation.design = design
        A = np.zeros((2 * k, x.size))
        A[:, n_orbit:] = whitening
        residual = whitening @ (prior_mean - b)                     # whitened: W^T W is the prior's inverse
        if evaluation.extra is not None:
            A_old, b_old = evaluation.extra
            A = np.vstack([np.hstack([A_old, np.zeros((A_old.shape[0], 2 * k))]), A])
            residual = np.concatenate([b_old, residual])
        evaluation.extra = (A, residual)
        return evaluation
    return evaluate_with_biases

def bias_table(data, fit, prior_mas, bias_priors=None):
    """The fitted biases (mas) with their 1-sigma, the number of accepted rows each applies to and their prior
    (mean and sigma), or None; meta["covariance_mas2"]: their joint covariance (2k x 2k, ordered [ra(0), dec(0),
    ra(1), ...]; the orbit marginalised)."""
    k = len(data.bias_names)
    if k == 0:
        return None
    b = fit.parameters[-2 * k:].reshape(k, 2)
    sigma = np.sqrt(np.diag(fit.covariance)[-2 * k:]).reshape(k, 2)
    index = data.bias_group[fit.accepted]
    used = np.bincount(index[index >= 0], minlength=k)
    mean, prior_sigma = (v.reshape(k, 2) for v in bias_prior_arrays(data.bias_names, prior_mas, bias_priors))
    return Table({"group": list(data.bias_names), "n": used, "bias_ra_mas": b[:, 0], "sigma_ra_mas": sigma[:, 0],
                  "bias_dec_mas": b[:, 1], "sigma_dec_mas": sigma[:, 1], "prior_ra_mas": mean[:, 0],
                  "prior_dec_mas": mean[:, 1], "prior_sigma_mas": prior_sigma[:, 0]},
                 meta={"covariance_mas2": np.array(fit.covariance[-2 * k:, -2 * k:])})

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

def _priors_of(solution):
    """{group: (mean_ra, mean_dec, sigma)} of a solution's biases whose prior is not the default zero mean (a refit
    keeps them), or None."""
    table = getattr(solution, "biases", None)
    if table is None or "prior_sigma_mas" not in table.colnames:
        return None
    prior = solution.options.bias_prior_mas
    out = {str(row["group"]): (float(row["prior_ra_mas"]), float(row["prior_dec_mas"]), float(row["prior_sigma_mas"]))
           for row in table if row["prior_ra_mas"] != 0 or row["prior_dec_mas"] != 0
           or row["prior_sigma_mas"] != default_bias_prior_mas(row["group"], prior)}
    return out or None


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
