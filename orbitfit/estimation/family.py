"""Several satellites of one family fitted at once, optionally with the GM of some of them (Gomes-Junior et al. 2016, eq. 1: e.g.
Himalia's GM acting on Elara, Lysithea, Leda; Emelyanov 2005, A&A 438, L33, found Himalia's GM = 0.28 +- 0.04
km^3/s^2 from Elara's perturbations).

    family = fit_family({506: himalia_obs, 507: elara_obs}, {506: himalia0, 507: elara0}, FitOptions(),
                        fit_gm=(506,))
    print(family.summary())            # fitted GM +- sigma, per-body residual statistics
    family[507].to_spk("elara.bsp")    # per-body Solutions: marginal 6x6 covariance, residuals, export
    family.save("family/")             # <body>.h5 per member (each loads alone) + family.h5 (joint covariance, GMs)
    family = FamilySolution.load("family/")

Unknowns: every body's state at one epoch (relative to 5, ICRF, km and km/s) and the GMs of the bodies in
`fit_gm` (km^3/s^2), in that order. All bodies are integrated together with their GMs acting on each other; the
partials come from the coupled variational equations (dynamics.propagate(stm="coupled")), which include the
mutual attraction's cross terms, so d(Elara's position)/d(Himalia's state) and d/d(GM) are exact.

Weighting: fit_orbit's rules applied to each body's own data. Every body keeps its own weight groups (named
"body:dataset:site"), so floors, night de-weighting and the chi2 outlier thresholds are exactly those a
single-body fit would use; they are re-estimated (gauss_newton.settle_weights) around the joint solution.
Biases (`FitOptions.bias_groups`, by default one per apparition) are each member's own, as in its single fit
(named "body:group" in the joint problem, marginalised out of the FamilySolution's covariance, listed in each
member's Solution.biases). An optional prior on a fitted GM (gm_prior_sigma) enters as a pseudo-observation.

Loop, damping, floors, outlier rejection/readmission and FitError diagnostics are fit_orbit's own
(orbitfit.estimation.gauss_newton).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from dynamics import constants as C
from dynamics import propagate

from ..archive import read_family, save_family
from ..companions import HIMALIA
from ..observables import Evaluation, observe, prepare
from ..orbit import Orbit, OrbitModel
from ..provenance import versions
from ..solution import Solution
from ..tables import plain_table
from .gauss_newton import FitError
from .influence import jackknife_sigma, leave_one_out
from .bias_priors import SCATTER_RESPONSE, scatter_record, scatter_response
from .least_squares import (bias_table, drop_duplicates, far_then_mid_arc, integration_epoch, warn_gaia_ccd_rows,
                            with_biases)
from .options import FitOptions
from .screening import screen_start, screening_record
from .shared_error import META_KEY as SHARED_RESPONSE, response_record, state_part, state_response
from .weights import FitData, Weights, fit_data, initial_floors, member_name, split_member_name

# A-priori GMs (km^3/s^2) of family members; others are massless unless `gm` says otherwise.
DEFAULT_GM = {HIMALIA: C.GM_HIMALIA}        # Emelyanov 2005 via dynamics.constants


@dataclass
class FamilySolution:
    """The joint fit: per-body Solutions (marginal 6x6 covariances), the joint covariance, fitted GMs."""
    bodies: tuple                     # NAIF ids, in parameter order
    epoch: float                      # TDB s past J2000 of the fitted states
    parameters: np.ndarray            # (P,) states of `bodies` (6 each), then the fitted GMs in `fit_gm` order
    covariance: np.ndarray            # (P, P)
    fit_gm: tuple                     # bodies whose GM is a parameter
    gm: dict                          # body -> GM used in the final solution (fitted or fixed), km^3/s^2
    gm_prior: dict                    # body -> (a-priori GM, sigma or None)
    solutions: dict                   # body -> Solution
    history: list
    options: FitOptions
    model: OrbitModel                 # the family's dynamical model (without companions: the members are massive)
    meta: dict = field(default_factory=dict)

    def __getitem__(self, body):
        return self.solutions[int(body)]

    @property
    def parameter_names(self):
        names = [member_name(b, c) for b in self.bodies for c in ("x", "y", "z", "vx", "vy", "vz")]
        return names + [f"GM {b}" for b in self.fit_gm]

    @property
    def sigma(self):
        return np.sqrt(np.diag(self.covariance))

    def gm_sigma(self, body):
        """1-sigma of a fitted GM (km^3/s^2)."""
        return float(self.sigma[6 * len(self.bodies) + self.fit_gm.index(int(body))])

    def correlation(self):
        return self.covariance / np.outer(self.sigma, self.sigma)

    def gm_leave_one_out(self, body, by="dataset"):
        """A fitted GM without each data set (by="dataset") or each decade of observations (by="decade") of each
        member, one at a time, linearised at this solution (the deletion formula of orbitfit.estimation.influence;
        weights and flags as fitted; benchmarks/himalia_gm.py --refits compares it with refits): an astropy
        Table with member, the data set or decade, rows (accepted), gm_without and its shift from the fit
        (km^3/s^2), sigma_without (formal), sorted by |shift|, largest first."""
        from astropy.table import Table
        records = (self.meta.get("gm_leave_one_out") or {}).get(by)
        if records is None:
            raise ValueError(f"no leave-one-out record by {by!r} (by is 'dataset' or 'decade'; a family fitted "
                             f"without fit_gm, or before the record existed, has none: refit it)")
        key = str(int(body))
        values = np.array([np.nan if r["gm"][key] is None else r["gm"][key] for r in records], dtype=float)
        sigmas = np.array([np.nan if r["gm_sigma"][key] is None else r["gm_sigma"][key] for r in records],
                          dtype=float)
        table = Table({"member": [r["member"] for r in records], by: [r["group"] for r in records],
                       "rows": [r["rows"] for r in records], "gm_without": values,
                       "shift": values - self.gm[int(body)], "sigma_without": sigmas})
        table = table[np.argsort(-np.nan_to_num(np.abs(table["shift"]), nan=np.inf), kind="stable")]
        for name in ("gm_without", "shift", "sigma_without"):
            table[name].info.format = ".4f"
        return table

    def gm_jackknife_sigma(self, body):
        """The delete-a-data-set jackknife sigma of a fitted GM (km^3/s^2) over every member's data sets, from
        `gm_leave_one_out`: the systematic errors of whole data sets that the formal sigma does not see."""
        return jackknife_sigma(self.gm_leave_one_out(body)["gm_without"])

    @property
    def chi2(self):
        return float(sum(s.chi2 for s in self.solutions.values()))

    @property
    def dof(self):
        """Each member's (two per accepted observation, less its state and what its biases take), less the GMs."""
        return int(sum(s.dof for s in self.solutions.values()) - len(self.fit_gm))

    def summary(self):
        lines = [f"family fit of {', '.join(str(b) for b in self.bodies)} at TDB {self.epoch:.1f} s: "
                 f"chi2/dof = {self.chi2 / max(self.dof, 1):.3f}, {len(self.history)} iterations"]
        for body in self.fit_gm:
            prior, sigma = self.gm_prior[body]
            note = f" (prior {prior:.4g} +- {sigma:.3g})" if sigma else ""
            lines.append(f"  GM {body} = {self.gm[body]:.4f} +- {self.gm_sigma(body):.4f} km^3/s^2 (formal){note}")
            if self.meta.get("gm_leave_one_out") and np.isfinite(self.gm_jackknife_sigma(body)):
                table = self.gm_leave_one_out(body)
                lines.append(f"    data-set jackknife sigma {self.gm_jackknife_sigma(body):.4f} over {len(table)} "
                             f"data sets (linearised); largest shift: without {table['member'][0]}:"
                             f"{table['dataset'][0]} {table['shift'][0]:+.4f}")
        for body, solution in self.solutions.items():
            s = plain_table(solution.statistics(by=None))[0]
            lines.append(f"  {body}: {len(solution.accepted)} obs, {int((~solution.accepted).sum())} rejected, "
                         f"O-C RA* {s['mean_ra_mas']:+6.1f} +- {s['std_ra_mas']:5.1f} mas, "
                         f"Dec {s['mean_dec_mas']:+6.1f} +- {s['std_dec_mas']:5.1f} mas")
        return "\n".join(lines)


    # --- archive ------------------------------------------------------------------------------------------------
    def save(self, folder, samples=True):
        """Write the family to `folder` (`orbitfit.archive.save_family`): one Solution archive per body
        (`<body>.h5`, each loadable alone, with its companions) and `family.h5` with the joint parameters,
        covariance, GMs and history. Returns the folder."""
        if samples:
            for solution in self.solutions.values():
                if not solution.samples:
                    solution.sample()
        return save_family(self, folder)

    @classmethod
    def load(cls, folder):
        """Read a family written by `save`; damaged or missing files raise archive.ArchiveError."""
        fields = read_family(folder)
        fields["solutions"] = {b: Solution(**member) for b, member in fields["solutions"].items()}
        return cls(**fields)


def split_by_body(observations):
    """{body: Observations} from a dict or from one table holding several bodies (its "body" column)."""
    if isinstance(observations, dict):
        return {int(body): table for body, table in observations.items()}
    body = np.asarray(observations["body"]).astype(int)
    return {int(b): observations[body == b] for b in np.unique(body)}


def fit_family(observations, initial_orbits: dict, options: FitOptions | None = None, fit_gm=(), gm=None,
               gm_prior_sigma=None, log=None, *, model: OrbitModel | None = None):
    """Fit the states of several satellites at one epoch (and the GMs of `fit_gm`) to all their observations.

    observations: {body: Observations} or one Observations table with several bodies.
    initial_orbits: {body: Orbit}; the order of this dict is the order of the parameters.
    options: FitOptions (epoch default: the first initial orbit's).
    model: OrbitModel; its forces.satellite_gm and companions must be empty: massive neighbours belong in the
        family, their GMs in `gm`.
    fit_gm: bodies whose GM is a parameter, e.g. (506,).
    gm: {body: GM km^3/s^2} a priori / fixed (default DEFAULT_GM, i.e. Himalia 0.28; other bodies 0).
    gm_prior_sigma: None (GMs free), a number (every fitted GM) or {body: sigma}: a Gaussian prior at `gm`.
    Returns a FamilySolution.
    """
    options = options or FitOptions()
    model = model or OrbitModel()
    if model.companions:
        raise ValueError("fit_family: put massive neighbours in the family (initial_orbits, with their GM in `gm`) "
                         "instead of the model's companions")
    if model.forces.satellite_gm:
        raise ValueError("fit_family sets the satellite GMs itself: leave model.forces.satellite_gm empty")
    bodies = tuple(int(b) for b in initial_orbits)
    if len(set(bodies)) != len(bodies) or not bodies:
        raise ValueError(f"initial_orbits must name distinct bodies, got {list(initial_orbits)}")
    fit_gm = tuple(int(b) for b in fit_gm)
    if any(b not in bodies for b in fit_gm) or len(set(fit_gm)) != len(fit_gm):
        raise ValueError(f"fit_gm {fit_gm} must be distinct members of the family {bodies}")
    by_body = split_by_body(observations)
    duplicates = {}
    for body in bodies:
        if body in by_body:
            # as fit_orbit: a copy of a measurement (the same file twice) would count twice and shrink every sigma
            warn_gaia_ccd_rows(by_body[body])
            by_body[body], duplicates[body] = drop_duplicates(by_body[body], options, model)
        n = len(by_body.get(body, ()))
        if n < options.min_observations:
            raise FitError(f"too few observations of body {body}: {n} (need at least {options.min_observations} "
                           f"for its six unknowns)")
    gm_values = {b: float((gm or {}).get(b, DEFAULT_GM.get(b, 0.0))) for b in bodies}
    prior_sigma = ({b: gm_prior_sigma.get(b) for b in fit_gm} if isinstance(gm_prior_sigma, dict)
                   else {b: gm_prior_sigma for b in fit_gm})
    epoch = float(options.epoch if options.epoch is not None else initial_orbits[bodies[0]].epoch)
    # each body's state at the epoch propagated alone (without mutual attraction) if its epoch differs
    states0 = np.array([model.state_at(initial_orbits[b], epoch) for b in bodies])

    # each body's data prepared and weighted as fit_orbit would; one combined view for the joint loop
    prepared = {body: prepare(by_body[body], model.ephemeris) for body in bodies}
    data = {body: fit_data(prepared[body], options) for body in bodies}
    floors = [initial_floors(data[body]) for body in bodies]
    combined, rows, group_slices = _combine(data, bodies)
    t_nominal = np.concatenate([prepared[b].t_nominal for b in bodies])
    floor_ra = np.concatenate([f[0] for f in floors])
    floor_dec = np.concatenate([f[1] for f in floors])

    n_body = len(bodies)
    n_core = 6 * n_body + len(fit_gm)
    gm_index = tuple(bodies.index(b) for b in fit_gm)
    prior = [(6 * n_body + j, gm_values[b], prior_sigma[b]) for j, b in enumerate(fit_gm) if prior_sigma[b]]

    def gms_of(x):
        values = dict(gm_values)
        for j, body in enumerate(fit_gm):
            values[body] = float(x[6 * n_body + j])
        return values

    def forces_of(x):
        values = gms_of(x)
        return replace(model.forces, satellite_gm=tuple(values[b] for b in bodies))

    def transition(core, t_from, t_to):
        """(the states and GMs `core` carried from t_from to t_to, d core(t_to) / d core(t_from))."""
        run = propagate(core[:6 * n_body].reshape(n_body, 6), t_from, [t_to], model=forces_of(core),
                        ephemeris=model.ephemeris, stm="coupled", gm_parameters=gm_index, step=model.step_s,
                        dense=False)
        matrix = np.eye(n_core)
        matrix[:6 * n_body] = run.stm[0].reshape(6 * n_body, n_core)
        return np.concatenate([run.states[0].ravel(), core[6 * n_body:]]), matrix

    def evaluate_from(at):
        return lambda x: evaluate_at(x, at)

    def evaluate_at(x, at):
        run = propagate(x[:6 * n_body].reshape(n_body, 6), at, t_nominal, model=forces_of(x),
                        ephemeris=model.ephemeris, stm="coupled", gm_parameters=gm_index, step=model.step_s)
        parts = [observe(prepared[b], run.states[rows[b], i], run.stm[rows[b], i], model.ephemeris)
                 for i, b in enumerate(bodies)]
        joined = Evaluation(*(np.concatenate([getattr(p, name) for p in parts]) for name in
                              ("res_ra", "res_dec", "design", "calc_ra", "calc_dec", "distance_km")))
        if prior:
            A = np.zeros((len(prior), x.size))
            b = np.empty(len(prior))
            for k, (column, value, sigma) in enumerate(prior):
                A[k, column] = 1.0 / sigma                   # whitened: (prior - GM) / sigma, d(GM)/d(GM) / sigma
                b[k] = (value - x[column]) / sigma
            joined.extra = (A, b)
        return joined

    # gross errors against each member's start orbit (alone: the members' pulls move positions by mas, not arcsec)
    screenings = {b: screen_start(Orbit(b, epoch, states0[i]), model, prepared[b], options)
                  for i, b in enumerate(bodies)}
    accepted = np.concatenate([~s.flagged if s is not None else np.ones(len(by_body[b]), dtype=bool)
                               for b, s in screenings.items()])
    # each member's biases (options.bias_groups, as its single fit would have), appended after the GMs and
    # marginalised: the FamilySolution keeps states and GMs, each member's Solution.biases its own
    x0 = np.concatenate([states0.ravel(), [gm_values[b] for b in fit_gm], np.zeros(2 * len(combined.bias_names))])
    # as fit_orbit: far from the solution the steps are taken at `epoch`, near it at the middle of the arc (half
    # the integration each way, on two threads), and the states and covariance are carried back to `epoch`
    pivot = integration_epoch(np.concatenate([prepared[b].t_obs for b in bodies]))
    fit = far_then_mid_arc(x0, lambda at: with_biases(evaluate_from(at), combined, options.bias_prior_mas,
                                                      options=options), epoch,
                           pivot, transition, n_core, combined, options, floor_ra, floor_dec, log, accepted)
    biases = bias_table(combined, fit, options.bias_prior_mas)

    # as fit_orbit's: the states' and GMs' covariance considers apparition biases beyond their prior
    x, back = transition(fit.parameters[:n_core], pivot, epoch)
    core_covariance = fit.covariance[:n_core, :n_core]
    scatter = scatter_response(fit, combined, options)
    if scatter is not None:                  # each member keeps its states' move per mas of a bias, as fit_orbit's
        coordinates, lever, excess = scatter
        core_covariance = core_covariance + lever[:n_core] @ excess @ lever[:n_core].T
        scatter = coordinates, back @ lever[:n_core], excess
    covariance = back @ core_covariance @ back.T
    # how the error every moon's prediction shares moves the states (as fit_orbit's; one offset per apparition for
    # every member's rows alike), carried to `epoch` with the states
    shared = None
    if options.shared_sky_error_mas > 0:
        years, response = state_response(fit, combined, combined.t_obs)
        shared = years, np.einsum("ij,kjc->kic", back, response[:, :n_core, :])
        covariance = covariance + state_part(shared[1], options.shared_sky_error_mas ** 2)   # states' and GMs'
    final_gm = gms_of(x)
    fitted_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    family_meta = {"bodies": list(bodies), "fit_gm": list(fit_gm), "bias_groups": options.bias_groups,
                   "gm": {str(b): final_gm[b] for b in bodies},
                   "gm_sigma": {str(b): float(np.sqrt(covariance[6 * n_body + j, 6 * n_body + j]))
                                for j, b in enumerate(fit_gm)},
                   "gm_prior_sigma": {str(b): prior_sigma[b] for b in fit_gm}}
    solutions = {}
    for i, body in enumerate(bodies):
        r, g = rows[body], group_slices[body]
        own = slice(6 * i, 6 * i + 6)
        ev = fit.evaluation
        evaluation = Evaluation(ev.res_ra[r], ev.res_dec[r], None, ev.calc_ra[r], ev.calc_dec[r], ev.distance_km[r])
        w = fit.weights
        weights = Weights(w.sigma_ra[r], w.sigma_dec[r], w.corr[r], w.floor_ra[g], w.floor_dec[g],
                          w.night_factor[r])
        # the other massive bodies as companions at their fitted states: per-body evaluate/export reproduce the
        # family's dynamics for a massless body (a massive body's own pull on its companions is then left out)
        companions = tuple((Orbit(other, epoch, x[6 * k:6 * k + 6]), final_gm[other])
                           for k, other in enumerate(bodies) if other != body and final_gm[other] != 0.0)
        meta = {"fitted_at": fitted_at, "versions": versions(), "family": family_meta}
        if shared is not None:
            meta[SHARED_RESPONSE] = response_record(shared[0], shared[1][:, own, :], options.shared_sky_error_mas ** 2)
        if scatter is not None:
            # every member's coordinates, each named with its moon ("510:apparition:2003:ra"): through the GMs a
            # member's state moves with the other members' biases too
            meta[SCATTER_RESPONSE] = scatter_record(scatter[0], scatter[1][own], scatter[2])
        if duplicates.get(body):
            meta["duplicates"] = {"dropped": not options.keep_duplicates, "rows": duplicates[body]}
        if screenings[body] is not None and screenings[body].flagged.any():
            meta["screened"] = screening_record(screenings[body], by_body[body], fit.accepted[r])
        if options.night_deweighting == "estimated":
            meta["night_correlation"] = {name: float(rho) for name, rho in
                                         zip(data[body].group_names, fit.night_rho[g])}
        solutions[body] = Solution(orbit=Orbit(body, epoch, x[own]), covariance=covariance[own, own].copy(),
                                   observations=by_body[body], evaluation=evaluation, weights=weights,
                                   accepted=fit.accepted[r].copy(), options=options,
                                   model=model.with_companions(companions), history=fit.history, meta=meta,
                                   biases=_member_biases(biases, body))
    meta = {"fitted_at": fitted_at}
    if fit_gm:
        meta["gm_leave_one_out"] = _gm_leave_one_out(fit, by_body, bodies, fit_gm)
    return FamilySolution(bodies, epoch, x, covariance, fit_gm, final_gm,
                          {b: (gm_values[b], prior_sigma[b]) for b in fit_gm}, solutions, fit.history, options,
                          model, meta)


def _gm_leave_one_out(fit, by_body, bodies, fit_gm):
    """The fitted GMs without each member's data set, and without each member's decade of observations, linearised
    (orbitfit.estimation.influence), as JSON-ready rows for FamilySolution.meta (NaN written as None)."""
    columns = [6 * len(bodies) + j for j in range(len(fit_gm))]
    labels = {"dataset": [np.asarray(by_body[body]["dataset"]).astype(str) for body in bodies],
              "decade": [_decades(by_body[body]) for body in bodies]}
    out = {}
    for by, parts in labels.items():
        joined = np.concatenate([[member_name(body, name) for name in part] for body, part in zip(bodies, parts)])
        out[by] = []
        for label, (rows, values, sigmas, _) in leave_one_out(fit, joined, columns).items():
            member, group = split_member_name(label)
            out[by].append({"member": member, "group": group, "rows": rows,
                            "gm": {str(b): _json_number(v) for b, v in zip(fit_gm, values)},
                            "gm_sigma": {str(b): _json_number(v) for b, v in zip(fit_gm, sigmas)}})
    return out


def _decades(table):
    """Each row's decade of observation ("1940s"), from its UTC (UT before 1960) Julian date."""
    jd = np.asarray(table["utc_jd1"], dtype=float) + np.asarray(table["utc_jd2"], dtype=float)
    year = 2000.0 + (jd - 2451545.0) / 365.25
    return [f"{int(np.floor(y / 10.0)) * 10}s" for y in year]


def _json_number(value):
    return float(value) if np.isfinite(value) else None


def _combine(data, bodies):
    """One FitData for the joint loop: bodies one after the other, weight and bias groups renamed body:group.

    Returns it, each body's row slice and each body's slice of the group (floor) arrays.
    """
    parts = [data[b] for b in bodies]
    rows, group_slices, groups, names, bias_groups, bias_names = {}, {}, [], [], [], []
    start = first_group = 0
    for body, part in zip(bodies, parts):
        n, g = part.t_obs.size, len(part.group_names)
        rows[body], group_slices[body] = slice(start, start + n), slice(first_group, first_group + g)
        groups.append(part.group + first_group)
        names += [member_name(body, name) for name in part.group_names]
        bias_groups.append(np.where(part.bias_group >= 0, part.bias_group + len(bias_names), -1))
        bias_names += [member_name(body, name) for name in part.bias_names]
        start, first_group = start + n, first_group + g
    joined = {name: np.concatenate([getattr(p, name) for p in parts]) for name in
              ("t_obs", "sigma_ra", "sigma_dec", "corr", "full_covariance", "night_count")}
    first_night = np.cumsum([0] + [p.night.max() + 1 if p.night.size else 0 for p in parts])
    joined["night"] = np.concatenate([p.night + first for p, first in zip(parts, first_night)])
    if all(p.bias_coefficients is None for p in parts):
        coefficients = None
    else:                                  # the identity where a member has none (every part has the same levels)
        identity = lambda p: np.broadcast_to(np.eye(2), p.bias_group.shape + (2, 2))
        coefficients = np.concatenate([identity(p) if p.bias_coefficients is None else p.bias_coefficients
                                       for p in parts])
    combined = FitData(group=np.concatenate(groups), group_names=names, bias_group=np.concatenate(bias_groups),
                       bias_names=bias_names, bias_coefficients=coefficients, **joined)
    return combined, rows, group_slices


def _member_biases(biases, body):
    """The rows of the family's bias table (names "body:group") that are `body`'s, named as its single fit names
    them; None without biases."""
    if biases is None:
        return None
    members = [split_member_name(name) for name in biases["group"]]
    mine = np.array([member == int(body) for member, _ in members], dtype=bool)
    table = biases[mine]
    table["group"] = [name for member, name in members if member == int(body)]
    if "covariance_mas2" in biases.meta:                 # the member's block of the joint covariance, not the family's
        coordinates = np.repeat(np.nonzero(mine)[0] * 2, 2) + np.tile([0, 1], int(mine.sum()))
        joint = biases.meta["covariance_mas2"][np.ix_(coordinates, coordinates)]
        table.meta = {**biases.meta, "covariance_mas2": joint}
    return table
