"""Predict what was not fitted: the harness that judges orbitfit's weighting and covariance.

A fit's own residuals cannot tell a good weighting from an over-confident one; data the fit never saw can. Two
tests, both on embedded data only:

* **Gaia cut** (`gaia_cut`): the Gaia DR3 transit normal points (`orbitfit.observations.gaia`, one per transit,
  precise to ~7 mas along the scan) after a cut date are held out; the orbit is fitted either to everything before
  the cut ("cut": a prediction forward in time) or to everything but the held-out transits ("all": later ground data
  included, as a user's fit would). Each held-out transit gives its along-scan (AL) residual, the short axis of its
  own covariance, where Gaia is precise, and that residual divided by the combined 1-sigma along the scan, the
  transit's own and the orbit's (its covariance carried linearly to the transit's epoch). A covariance that predicts
  well gives normalised residuals of rms ~1.
* **Gaia folds** (`gaia_folds`): each apparition's transits held out in turn and predicted by a fit of everything
  else: the user's fit, judged on three apparitions of transits rather than one interval.
* **Leave one opposition out** (`leave_one_opposition_out`): each apparition of Jupiter in the ground data
  (`orbitfit.estimation.weights.apparition_year`, conjunction to conjunction) is held out in turn and predicted by a
  fit of the rest; the residuals are normalised by the observation's sigma (as the fit weighted it) and the orbit's
  sigma combined.

* **Gaia visits** (`common_visit_harness`): the Gaia tests with every moon under one held-out rule, the fitted
  transits freed of their visit's error common to the moons (`orbitfit.observations.gaia_visits`, what `load_all`
  does by default) as the other moons' fits of that rule measure it. The single-moon tests above take the
  transits as Gaia gave them: a correction from fits that saw the held-out epochs would leak them.

* **Data-set influence** (`dataset_influence`): the Gaia cut test repeated without each data set in turn; a data set
  whose addition makes the held-out prediction worse by more than an honestly weighted one would by chance
  (`influence_spread`), with the moon's data sets read together (`beyond_chance_together`: of twenty honest ones,
  one is beyond its own 95% by chance), is weighted or modelled wrongly. Optionally on the held-out transits freed of
  what the other moons' held-out transits share in each visit (`rule_held_out_offsets`): an error every moon's
  prediction meets alike (Gaia's, or a frame error common to the ground data) is no data set's fault.

`summary` reduces either to the figures the project quotes: n, rms, mean (bias), rms of the normalised residuals,
and the fractions within 1 and 2 sigma (0.68 and 0.95 for honest Gaussian errors); for the Gaia tests also what an
honest sigma would give them (`honest_spread`: the held-out residuals drawn from the covariance the fit predicts for
them, the orbit's error shared by the transits of one visit), so that a moon's figures can be told from the noise of
its one to four held-out visits. Those yardsticks of chance live in `orbitfit.chance`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from astropy.table import vstack
from scipy.linalg import block_diag

from .estimation.gauss_newton import FitError
from .estimation.least_squares import fit_orbit
from .estimation.options import FitOptions
from .estimation.shared_biases import apparition_priors
from .estimation.weights import apparition_year
from .observations.datasets import load_all
from .observations.gaia import TRANSIT_KIND, along_scan_direction, along_scan_directions, covariance_2x2
from .observations.gaia_visits import GaiaVisitOffsets, visit_index
from .companions import default_model
from .chance import beyond_chance_together, honest_spread, influence_spread
from .products.uncertainty import sky_jacobian, sky_uncertainty
from .residuals import compute_residuals
from .tables import plain_table, quantity_table
from .times import to_tdb_seconds

GAIA_TRANSIT = TRANSIT_KIND
DEFAULT_CUT = "2016-06-01"          # ~1 year of DR3 transits after it (DR3 ends 2017-05-28)
# a held-out residual beyond 3 sigma is what a fit would flag in its own data (FitOptions.chi2_reject, 3 sigma in
# 2-D): counted apart, so that one bad transit does not stand for the orbit (Sinope's 2016-07-04 pair, the two
# fields of view 106 min apart: -2.4 and -33.6 mas along the scan, where the orbit's error cannot change by 1 mas)
OUTLIER_Z = 3.0
# Gaia's scanning law revisits a sky region in bursts of a few days every few weeks: transits closer than this are
# one visit (Leda's 14 held-out transits of the cut: 13 in 2017-02-22 ... 02-26, one on 2017-01-14)
VISIT_GAP_DAYS = 10.0
# a held-out transit further off than this is left out of its visit's common error (`rule_held_out_offsets`): the
# held-out residuals are larger than fitted ones (Leda's -32 mas in the cut), so only blunders
# (benchmarks/gaia_held_out_common.py)
HELD_OUT_GROSS_MAS = 80.0


def along_scan(solution, held_out, visit_tau_mas=None):
    """QTable of the held-out Gaia transit normal points (kind "gaia_transit") predicted by `solution`: AL residual
    (O-C along the short axis of the transit's covariance), the transit's own AL sigma, the orbit's AL sigma (linear
    propagation of the covariance to the epoch, geocentric sky: within ~1e-4 of Gaia's view at 4-6 au), and the
    normalised residual AL / sqrt(own^2 + orbit^2). The along-scan direction is taken with a northward (else
    eastward) component, so that one sky offset gives AL residuals of one sign where the scans are alike; without
    the scan angle (not in the NSDB copy of DR3) the sign is a convention.

    meta["covariance_mas2"]: the (n, n) covariance of the AL residuals that the solution and the transits' sigmas
    predict: the orbit's between every two epochs (J_i P J_j^T along each scan), the transits' own on the diagonal,
    and Gaia's error common to one visit (`visit_tau_mas`, default the embedded table's, 3.1 mas; part of each
    transit's 7 mas floor) between the transits of one visit. `summary` uses it for the spread an honest sigma
    would give the held-out figures. meta["orbit_covariance_mas2"]: the orbit's part alone; meta["common_visit_mas2"]:
    Gaia's common visit error part alone."""
    rows = np.asarray(held_out["kind"]).astype(str) == GAIA_TRANSIT
    transits = held_out[rows]
    n = len(transits)
    out = {"tdb": np.asarray(transits["tdb"], float), "al_mas": np.zeros(n), "sigma_al_mas": np.zeros(n),
           "sigma_orbit_al_mas": np.zeros(n), "normalised": np.zeros(n)}
    if n == 0:
        table = quantity_table(out)
        table.meta["covariance_mas2"] = table.meta["orbit_covariance_mas2"] = np.zeros((0, 0))
        return table
    residuals = plain_table(compute_residuals(transits, solution.orbit, solution.model))
    _, jacobian = sky_jacobian(solution, out["tdb"], observer="500")
    directions = along_scan_directions(transits)
    along_state = np.einsum("ni,nij->nj", directions, jacobian)               # (n, 6): mas per state unit
    orbit = along_state @ solution.covariance @ along_state.T
    for i in range(n):
        measured = covariance_2x2(transits["sigma_ra_mas"][i], transits["sigma_dec_mas"][i], transits["corr"][i])
        along = directions[i]
        out["al_mas"][i] = along @ [residuals["res_ra_mas"][i], residuals["res_dec_mas"][i]]
        out["sigma_al_mas"][i] = np.sqrt(along @ measured @ along)
    out["sigma_orbit_al_mas"] = np.sqrt(np.diag(orbit))
    out["normalised"] = out["al_mas"] / np.hypot(out["sigma_al_mas"], out["sigma_orbit_al_mas"])
    tau = gaia_visit_tau_mas() if visit_tau_mas is None else float(visit_tau_mas)
    visit = visit_index(out["tdb"])                                           # Gaia's own visits (2-day gaps)
    common = np.minimum(tau ** 2, np.outer(out["sigma_al_mas"], out["sigma_al_mas"])) * (visit[:, None] == visit)
    covariance = orbit + common + np.diag(out["sigma_al_mas"] ** 2 - np.diag(common))
    table = quantity_table({**out, "dataset": np.asarray(transits["dataset"]).astype(str)})
    table.meta["covariance_mas2"] = covariance
    table.meta["orbit_covariance_mas2"] = orbit
    table.meta["common_visit_mas2"] = common
    return table


def gaia_visit_tau_mas():
    """Gaia DR3's along-scan error common to the moons of one visit (mas), as the embedded table of visit offsets
    measures it (`orbitfit.observations.gaia_visits`, method of moments: 3.1 mas from fits with the default
    options, 3.8 from those with the defaults before 2026-12-04)."""
    return float(np.sqrt(GaiaVisitOffsets.read().variances()[0]))


def summary(residual_mas, normalised, tdb=None, covariance=None):
    """n, rms and mean of the residuals (mas), rms of the normalised ones, the fractions within 1 and 2 sigma; the
    held-out outliers (|z| > OUTLIER_Z, the fit's own 3-sigma rule) and the rms of the others; with the epochs (`tdb`,
    s) the number of Gaia visits (transits less than VISIT_GAP_DAYS apart are one: their residuals share the orbit's
    error, so 14 transits of one visit are one draw of it, not 14).

    With the residuals' predicted `covariance` (mas^2, `along_scan`'s meta), what an honest sigma would give
    (`honest_spread`): `expected_rms_mas` (rms of the predicted sigmas), the central 90% of the AL rms
    (`honest_rms_mas_90`) and of the z rms (`honest_rms_normalised_90`), and `p_rms_normalised`, the chance that an
    honest sigma gives a z rms at least this large (small: sigma too small; near 1: too large)."""
    r, z = np.asarray(residual_mas, float), np.asarray(normalised, float)
    visits = None if tdb is None else (int(visit_index(tdb, VISIT_GAP_DAYS).max()) + 1 if r.size else 0)
    if r.size == 0:
        empty = {"n": 0, "rms_mas": np.nan, "mean_mas": np.nan, "rms_normalised": np.nan, "within_1sigma": np.nan,
                 "within_2sigma": np.nan, "n_outliers": 0, "rms_mas_inliers": np.nan,
                 "rms_normalised_inliers": np.nan, "visits": visits}
        if covariance is not None:
            empty.update(expected_rms_mas=np.nan, honest_rms_mas_90=(np.nan, np.nan),
                         honest_rms_normalised_90=(np.nan, np.nan), p_rms_normalised=np.nan)
        return empty
    inlier = np.abs(z) <= OUTLIER_Z
    out = {"n": int(r.size), "rms_mas": float(np.sqrt(np.mean(r ** 2))), "mean_mas": float(np.mean(r)),
           "rms_normalised": float(np.sqrt(np.mean(z ** 2))), "within_1sigma": float(np.mean(np.abs(z) <= 1.0)),
           "within_2sigma": float(np.mean(np.abs(z) <= 2.0)), "n_outliers": int(np.sum(~inlier)),
           "rms_mas_inliers": float(np.sqrt(np.mean(r[inlier] ** 2))) if inlier.any() else np.nan,
           "rms_normalised_inliers": float(np.sqrt(np.mean(z[inlier] ** 2))) if inlier.any() else np.nan,
           "visits": visits}
    if covariance is not None:
        z_draws, rms_draws = honest_spread(covariance)
        out.update({"expected_rms_mas": float(np.sqrt(np.mean(np.diag(covariance)))),
                    "honest_rms_mas_90": tuple(float(q) for q in np.quantile(rms_draws, [0.05, 0.95])),
                    "honest_rms_normalised_90": tuple(float(q) for q in np.quantile(z_draws, [0.05, 0.95])),
                    "p_rms_normalised": float(np.mean(z_draws >= out["rms_normalised"]))})
    return out


@dataclass
class HarnessResult:
    """One harness run: what was fitted (`solution`), the held-out predictions (`table`) and their `summary`."""
    body: str
    test: str                       # "gaia cut", "gaia all", "gaia folds" or "opposition"
    table: object
    summary: dict
    solution: object = None
    notes: dict = field(default_factory=dict)


def _defaults(body, observations, options, model, start):
    """The harness's inputs where not given: load_all(body) with transit normal points as Gaia gave them (a fit's
    corrections from other moons need the same held-out rule for every moon: `common_visit_harness`), FitOptions(),
    the body's default model (orbitfit.companions) and the published STE orbit as the start."""
    from .estimation.published import gomes_junior_2016_orbit
    if observations is None:
        observations = load_all(body, gaia_transits=True, gaia_visit_offsets=None)[0]
    start = start or gomes_junior_2016_orbit(body)
    return observations, options or FitOptions(), model or default_model(start.body), start


def gaia_cut(body, options=None, cut=DEFAULT_CUT, *, mode="cut", observations=None, start=None, model=None,
             gaia_transits=True, bias_priors=None, gaia_offsets=None):
    """Fit `body` (name or NAIF id) without its Gaia DR3 transits after `cut` (Time, ISO UTC or TDB s) and predict
    them (`along_scan`). mode "cut": only the data before the cut are fitted; "all": every other row too (later
    ground data included). observations: the table to use (default `load_all(body, gaia_transits=True,
    gaia_visit_offsets=None)`: transits as Gaia gave them, see `common_visit_harness`); start:
    the starting orbit (default the published STE's, `gomes_junior_2016_orbit`); bias_priors: as `fit_orbit`'s;
    gaia_offsets: a `GaiaVisitOffsets` that corrects the fitted transits (never the held-out ones: a prediction has
    no later Gaia data). Returns a HarnessResult."""
    from .estimation.published import gomes_junior_2016_orbit
    if mode not in ("cut", "all"):
        raise ValueError(f"mode must be 'cut' or 'all', not {mode!r}")
    if observations is None:
        observations = load_all(body, gaia_transits=gaia_transits, gaia_visit_offsets=None)[0]
    t_cut = to_tdb_seconds(cut, "cut")
    tdb = np.asarray(observations["tdb"], float)
    transit = np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT
    held = transit & (tdb >= t_cut)
    fitted = (tdb < t_cut) if mode == "cut" else ~held
    start = start or gomes_junior_2016_orbit(body)
    solution = fit_orbit(_corrected(observations[fitted], gaia_offsets), start, options or FitOptions(), model=model,
                         bias_priors=bias_priors)            # model None: the body's default (fit_orbit's rule)
    table = along_scan(solution, observations[held])
    return HarnessResult(str(body), f"gaia {mode}", table, summary(table["al_mas"].value, table["normalised"],
                                                                   table["tdb"].value,
                                                                   table.meta["covariance_mas2"]),
                         solution, {"cut_tdb": float(t_cut), "n_fitted": int(fitted.sum())})


def gaia_folds(body, options=None, *, observations=None, start=None, model=None, min_transits=2,
               bias_priors=None, gaia_offsets=None):
    """Leave one apparition of Gaia transits out: for each apparition of Jupiter (`apparition_year`) with at least
    `min_transits` DR3 transit normal points, fit every other row (the ground data of all years and the other
    apparitions' transits) and predict the held-out transits along the scan (`along_scan`). It judges the fit a user
    makes, with everything, where the "all" test of `gaia_cut` has one held-out interval of ~1 year (for several moons
    one or two epochs of Gaia's scanning law): the three DR3 apparitions (2014/15, 2015/16, 2016/17) triple the
    held-out epochs. bias_priors: {apparition year held out: bias_priors of that fold's fit} (`fit_orbit`);
    gaia_offsets: {apparition year held out: `GaiaVisitOffsets` correcting that fold's fitted transits}. Returns a
    HarnessResult whose table has the apparition of each transit (`apparition`) and notes["solutions"] each fold's
    Solution by year."""
    observations, options, model, start = _defaults(body, observations, options, model, start)
    transit = np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT
    years = apparition_year(observations["tdb"])
    tables, solutions = [], {}
    for year in np.unique(years[transit]):
        held = transit & (years == year)
        if held.sum() < min_transits:
            continue
        priors = bias_priors.get(int(year)) if bias_priors else None
        offsets = gaia_offsets.get(int(year)) if gaia_offsets else None
        solution = fit_orbit(_corrected(observations[~held], offsets), start, options, model=model,
                             bias_priors=priors)
        table = along_scan(solution, observations[held])
        table["apparition"] = np.full(len(table), int(year))
        tables.append(table)
        solutions[int(year)] = solution
    # the folds' predictions taken as independent (each fold's orbit error is its own draw; their fits share most
    # data, so the spread an honest sigma gives is, if anything, wider than this)
    covariance = block_diag(*(t.meta["covariance_mas2"] for t in tables)) if tables else np.zeros((0, 0))
    orbit = block_diag(*(t.meta["orbit_covariance_mas2"] for t in tables)) if tables else np.zeros((0, 0))
    table = vstack(tables, metadata_conflicts="silent") if tables else along_scan(None, observations[:0])
    table.meta.update(covariance_mas2=covariance, orbit_covariance_mas2=orbit)
    return HarnessResult(str(body), "gaia folds", table, summary(table["al_mas"].value, table["normalised"],
                                                                 table["tdb"].value, covariance),
                         None, {"solutions": solutions})


class _SameRule:
    """Every body's harness test under one held-out rule (`shared_bias_harness`, `common_visit_harness`): `run` one
    body (extra keywords to `gaia_cut` or `gaia_folds`), and the `rule_solutions` of every body that others' priors
    or offsets may come from."""

    def __init__(self, bodies, options, test, cut, observations, starts, model):
        from .estimation.published import gomes_junior_2016_orbit
        self.bodies, self.options, self.test, self.cut, self.model = bodies, options or FitOptions(), test, cut, model
        self.observations = observations or {b: load_all(b, gaia_transits=True, gaia_visit_offsets=None)[0]
                                             for b in bodies}
        self.starts = starts or {b: gomes_junior_2016_orbit(b) for b in bodies}

    def run(self, body, **extra):
        if self.test == "folds":
            return gaia_folds(body, self.options, observations=self.observations[body], start=self.starts[body],
                              model=self.model, min_transits=1, **extra)
        return gaia_cut(body, self.options, self.cut, mode=self.test, observations=self.observations[body],
                        start=self.starts[body], model=self.model, **extra)

    def rule_solutions(self, alone):
        """[Solution per body] of the rule (cut, all), or {apparition year: [Solution per body]} for the folds, where
        a body without transits in that apparition contributes its all-data fit, which is that rule."""
        if self.test != "folds":
            return [alone[b].solution for b in self.bodies]
        years = sorted({y for r in alone.values() for y in r.notes["solutions"]})
        lacking = {b for b in self.bodies if any(y not in alone[b].notes["solutions"] for y in years)}
        whole = {b: fit_orbit(self.observations[b], self.starts[b], self.options, model=self.model) for b in lacking}
        return {y: [alone[b].notes["solutions"][y] if y in alone[b].notes["solutions"] else whole[b]
                    for b in self.bodies] for y in years}


def shared_bias_harness(bodies, options=None, test="folds", *, observations=None, starts=None, model=None):
    """The Gaia harness for fits whose apparition biases take the other moons' as prior
    (`orbitfit.estimation.shared_biases.apparition_priors`), with every moon's fit under the same held-out rule, so
    that no moon learns the held-out epochs from another's transits: first each body alone (`gaia_cut` with
    mode=test, or `gaia_folds` with test="folds", min_transits=1), then each body again with the priors from the
    others' fits of the same rule (in a fold, a moon without transits in that apparition contributes its all-data
    fit, which is that rule). observations, starts: {body: table}, {body: Orbit} (default load_all, transits as
    Gaia gave them, and the published orbits). Returns ({body: HarnessResult alone}, {body: HarnessResult with
    shared priors})."""
    rule = _SameRule(bodies, options, test, DEFAULT_CUT, observations, starts, model)
    alone = {b: rule.run(b) for b in bodies}
    solutions = rule.rule_solutions(alone)
    if test == "folds":
        shared = {b: rule.run(b, bias_priors={y: apparition_priors(solutions[y], alone[b].notes["solutions"][y].body)
                                              for y in alone[b].notes["solutions"]}) for b in bodies}
    else:
        shared = {b: rule.run(b, bias_priors=apparition_priors(solutions, alone[b].solution.body)) for b in bodies}
    return alone, shared


def _corrected(observations, gaia_offsets):
    return observations if gaia_offsets is None else gaia_offsets.correct(observations)[0]


def fitted_transit_residuals(solution):
    """(tdb s, AL residual mas) of the Gaia transits `solution` fitted, as `along_scan` measures them (the input of
    `GaiaVisitOffsets.from_residuals`). The transits as the fit saw them: a corrected table's are corrected."""
    table = along_scan(solution, solution.observations)
    return table["tdb"].value, table["al_mas"].value


def common_visit_harness(bodies, options=None, test="cut", *, cut=DEFAULT_CUT, observations=None, starts=None,
                         model=None):
    """The Gaia harness for fits whose transits are freed of their visit's error common to the moons
    (`orbitfit.observations.gaia_visits`), under one held-out rule for every moon, so that no moon's correction
    comes from epochs it must predict: first each body alone with its transits as Gaia gave them (`gaia_cut` with
    mode=test, or `gaia_folds` with test="folds", min_transits=1), then the visits' offsets from those fits' fitted
    transits (`GaiaVisitOffsets.from_residuals`; in a fold, a moon without transits in that apparition contributes
    its all-data fit, which is that rule), then each body again with its fitted transits corrected by the other
    moons' offsets (cut: as `gaia_cut`'s). observations, starts: {body: table} (transits as Gaia gave them, default
    `load_all(body, gaia_visit_offsets=None)`) and {body: Orbit} (default the published orbits). Returns ({body:
    HarnessResult alone}, {body: HarnessResult corrected}, offsets: GaiaVisitOffsets, or {year: ...} for folds)."""
    rule = _SameRule(bodies, options, test, cut, observations, starts, model)
    alone, offsets = _alone_and_offsets(rule)
    return alone, {b: rule.run(b, gaia_offsets=offsets) for b in bodies}, offsets


def rule_visit_offsets(bodies, options=None, test="cut", *, cut=DEFAULT_CUT, observations=None, starts=None,
                       model=None):
    """The Gaia visit offsets of one held-out rule (`common_visit_harness`'s first step; arguments as its): a
    GaiaVisitOffsets from the bodies' fits of that rule, or {apparition year: ...} for the folds; what
    `gaia_cut(..., gaia_offsets=)` and `dataset_influence(..., gaia_offsets=)` take for one moon."""
    return _alone_and_offsets(_SameRule(bodies, options, test, cut, observations, starts, model))[1]


def _alone_and_offsets(rule):
    """({body: HarnessResult with transits as Gaia gave them}, the visit offsets from those fits) of one rule."""
    from .observations.gaia_visits import GaiaVisitOffsets

    def offsets_of(solutions):
        return GaiaVisitOffsets.from_residuals({s.body: fitted_transit_residuals(s) for s in solutions},
                                               meta={"rule": f"harness {rule.test}"})

    alone = {b: rule.run(b) for b in rule.bodies}
    solutions = rule.rule_solutions(alone)
    return alone, {y: offsets_of(v) for y, v in solutions.items()} if rule.test == "folds" else offsets_of(solutions)


def rule_held_out_offsets(bodies, options=None, test="cut", *, cut=DEFAULT_CUT, observations=None, starts=None,
                          model=None, gaia_offsets=None):
    """What the bodies' held-out Gaia transits share in each visit under one held-out rule ("cut" or "all"): a
    GaiaVisitOffsets from every body's `gaia_cut` residuals of that rule (fitted transits corrected by `gaia_offsets`
    when given, as `rule_visit_offsets` makes them; transits beyond HELD_OUT_GROSS_MAS left out). The moons'
    orbit errors are independent of each other, so what their held-out residuals share in a visit is an error of
    the reference or one every moon's fit makes alike: measured 2026-12-05 (all, transits as Gaia gave them),
    the other seven moons' mean in the last DR3 visit (2017-02-22 ... 28) is -11.2 mas, where Gaia's own common
    error fitted is ~3 mas; not every moon shares it (Elara +4: docs/validation.md). For
    `dataset_influence(..., held_out_offsets=)`."""
    if test not in ("cut", "all"):
        raise ValueError(f"test must be 'cut' or 'all', not {test!r}")
    rule = _SameRule(bodies, options, test, cut, observations, starts, model)
    residuals = {}
    for body in bodies:
        result = rule.run(body, gaia_offsets=gaia_offsets)
        residuals[result.solution.body] = (result.table["tdb"].value, result.table["al_mas"].value)
    return GaiaVisitOffsets.from_residuals(residuals, gross_mas=HELD_OUT_GROSS_MAS,
                                           meta={"rule": f"held-out transits, harness {test}"})


def leave_one_opposition_out(body, options=None, *, observations=None, start=None, model=None, min_rows=10,
                             kinds=("optical",)):
    """For each apparition with at least `min_rows` rows of `kinds` (ground astrometry by default), fit every other
    row and predict the held-out rows: residuals (RA*, Dec) divided by the combined sigma (the observation's, as the
    full fit weighted it, and the orbit's, linear). Only rows the full fit accepted are judged. Returns a
    HarnessResult whose table has one row per held-out observation (its apparition in `opposition`), its summary
    over both coordinates."""
    observations, options, model, start = _defaults(body, observations, options, model, start)
    full = fit_orbit(observations, start, options, model=model)
    observations = full.observations            # as the fit kept them (exact copies dropped), row for row
    sigma_ra, sigma_dec = full.weights.sigma_ra, full.weights.sigma_dec
    index = apparition_year(observations["tdb"])
    # the outliers the full fit flagged are not predictions to judge (a 5" blunder says nothing of the sigma)
    eligible = np.isin(np.asarray(observations["kind"]).astype(str), kinds) & full.accepted
    rows = {"tdb": [], "opposition": [], "res_ra_mas": [], "res_dec_mas": [], "z_ra": [], "z_dec": []}
    for k in np.unique(index[eligible]):
        held = eligible & (index == k)
        if held.sum() < min_rows:
            continue
        solution = fit_orbit(observations[~held], full.orbit, options, model=model)
        res = plain_table(compute_residuals(observations[held], solution.orbit, model))
        sky = plain_table(sky_uncertainty(solution, np.asarray(observations["tdb"], float)[held], observer="500"))
        z_ra = res["res_ra_mas"] / np.hypot(sigma_ra[held], sky["sigma_ra_mas"])
        z_dec = res["res_dec_mas"] / np.hypot(sigma_dec[held], sky["sigma_dec_mas"])
        for name, values in (("tdb", res["tdb"]), ("opposition", np.full(held.sum(), k)),
                             ("res_ra_mas", res["res_ra_mas"]), ("res_dec_mas", res["res_dec_mas"]),
                             ("z_ra", z_ra), ("z_dec", z_dec)):
            rows[name].append(np.asarray(values))
    table = quantity_table({name: np.concatenate(v) if v else np.zeros(0) for name, v in rows.items()})
    residual = np.concatenate([table["res_ra_mas"].value, table["res_dec_mas"].value])
    normalised = np.concatenate([np.asarray(table["z_ra"]), np.asarray(table["z_dec"])])
    return HarnessResult(str(body), "opposition", table, summary(residual, normalised), full,
                         {"n_oppositions": int(np.unique(table["opposition"]).size) if len(table) else 0})


def dataset_influence(body, options=None, cut=DEFAULT_CUT, *, mode="cut", observations=None, start=None, model=None,
                      min_rows=20, n_boot=2000, rng=None, gaia_offsets=None, held_out_offsets=None):
    """What each data set does to the prediction of the held-out Gaia transits (`gaia_cut`): for every data set
    with at least `min_rows` fitted rows (the Gaia transits excepted: they are the reference), the fit without it.
    Returns (HarnessResult of the fit with everything, QTable per data set: rows fitted, AL rms without it, the
    change of AL rms when it is added (`d_rms_mas` = with - without: > 0 means it makes the prediction worse) and
    the noise of that change: `noise_mas`, the standard deviation of the paired difference over bootstrap
    resamplings of the held-out transits, and `noise_visits_mas`, the same over resamplings of the held-out Gaia
    visits (`visit_index`), each visit's transits drawn together. The transits of one visit share the orbit's error
    and an error of Gaia's own (~3.5 mas common to the moons it sees, benchmarks/gaia_error_structure.py), so they
    are not independent draws: the visits' noise is larger where few visits hold most transits). Both resample the
    held-out transits only; the orbit's move that the data set's own errors cause is not in them. That is in
    `honest_d_rms_95_mas`, the 95th percentile of the change an honestly weighted data set would make by chance
    (`influence_spread`: from the two fits' covariances and the held-out transits' own), and `p_worse`, the chance
    of a change at least as large (the Monte Carlo estimate (1 + k) / (1 + draws), never 0 from finite draws): a
    small p says the data set pulls the orbit more than its weight allows. A data set that adds no information
    along the held-out scans has an honest change of ~0, so even a 0.1 mas worsening gets a small p: read p with
    d_rms_mas. `beyond_chance`: worse, and beyond chance when the moon's data sets are read together
    (`beyond_chance_together`, family-wise 5%): of N honest data sets, 0.05 N have p_worse < 0.05 by chance.
    gaia_offsets: as `gaia_cut`'s, for every fit (from the other moons' fits of the same rule:
    `rule_visit_offsets`). held_out_offsets: what the other moons' HELD-OUT transits share in each Gaia visit under
    the same rule (`rule_held_out_offsets`); given, every table is freed of it before the changes and their chance
    are measured (`GaiaVisitOffsets.free_predictions`; the returned base too): a data set is then judged on what
    this moon's prediction alone can be blamed for, not on the error every moon's prediction meets in a visit."""
    if observations is None:
        observations = load_all(body, gaia_visit_offsets=None)[0]
    options = options or FitOptions()
    rng = rng or np.random.default_rng(15)
    base = gaia_cut(body, options, cut, mode=mode, observations=observations, start=start, model=model,
                    gaia_offsets=gaia_offsets)
    freed = (lambda table: table) if held_out_offsets is None else \
        (lambda table: held_out_offsets.free_predictions(table, base.solution.body))
    if held_out_offsets is not None:
        table = freed(base.table)
        base = HarnessResult(base.body, base.test, table, summary(table["al_mas"].value, table["normalised"],
                                                                  table["tdb"].value, table.meta["covariance_mas2"]),
                             base.solution, {**base.notes, "held_out_freed": True})
    start = base.solution.orbit
    with_all = base.table["al_mas"].value
    n = with_all.size
    draws = rng.integers(0, n, size=(n_boot, n)) if n else np.zeros((0, 0), dtype=int)
    visit = visit_index(base.table["tdb"].value, VISIT_GAP_DAYS)
    n_visits = int(visit.max()) + 1 if n else 0
    visit_draws = rng.integers(0, n_visits, size=(n_boot, n_visits)) if n else np.zeros((0, 0), dtype=int)
    per_visit = np.bincount(visit, minlength=n_visits)

    def rms_by_visits(al):                  # the rms over the transits of each resampling's visits
        squares = np.bincount(visit, weights=al ** 2, minlength=n_visits)
        return np.sqrt(squares[visit_draws].sum(axis=1) / per_visit[visit_draws].sum(axis=1))
    t_cut = base.notes["cut_tdb"]
    tdb = np.asarray(observations["tdb"], float)
    datasets = np.asarray(observations["dataset"]).astype(str)
    transit = np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT
    fitted = (tdb < t_cut) if mode == "cut" else ~(transit & (tdb >= t_cut))
    rows = []
    for name in sorted(set(datasets[fitted & ~transit])):
        count = int((fitted & ~transit & (datasets == name)).sum())
        if count < min_rows:
            continue
        keep = ~((datasets == name) & ~transit)
        try:
            without_table = freed(gaia_cut(body, options, cut, mode=mode, observations=observations[keep],
                                           start=start, model=model, gaia_offsets=gaia_offsets).table)
        except FitError as error:
            rows.append((name, count) + (np.nan,) * 6 + (str(error).splitlines()[0][:60],))
            continue
        without = without_table["al_mas"].value
        rms = lambda al: np.sqrt(np.mean(al[draws] ** 2, axis=1))
        change = float(np.sqrt(np.mean(with_all ** 2)) - np.sqrt(np.mean(without ** 2)))
        chance = influence_spread(base.table, without_table)
        rows.append((name, count, float(np.sqrt(np.mean(without ** 2))), change,
                     float(np.std(rms(with_all) - rms(without))),
                     float(np.std(rms_by_visits(with_all) - rms_by_visits(without))),
                     float(np.quantile(chance, 0.95)) if n else np.nan,
                     float((np.sum(chance >= change) + 1) / (chance.size + 1)) if n else np.nan, ""))
    columns = list(zip(*rows)) if rows else [[]] * 9
    table = quantity_table({"dataset": list(columns[0]), "n_fitted": list(columns[1]),
                            "rms_without_mas": list(columns[2]), "d_rms_mas": list(columns[3]),
                            "noise_mas": list(columns[4]), "noise_visits_mas": list(columns[5]),
                            "honest_d_rms_95_mas": list(columns[6]), "p_worse": list(columns[7]),
                            "note": list(columns[8])}, time=False)
    table["beyond_chance"] = beyond_chance_together(table["p_worse"]) & (np.asarray(table["d_rms_mas"]) > 0)
    table.sort("d_rms_mas", reverse=True)
    return base, table
