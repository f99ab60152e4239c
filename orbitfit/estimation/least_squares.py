"""Weighted least-squares orbit fit: Gauss-Newton with a damped fallback, honest weights, outlier flags.

The unknowns are the satellite's state at the fit epoch (relative to NAIF 5, ICRF, km and km/s). Partials of the
computed (RA*, Dec) chain the astrometric partials at the emission epoch with the state-transition matrix from
`dynamics.propagate` (variational equations, exact to 1e-6 over 20 yr).

Weights (documented in `FitOptions`):
  * sigma_i^2 = sigma_given^2 + floor_g^2 per coordinate, the floor of each group g = (data set, site) estimated
    from the data so that the group's normalised residuals have unit variance (a variance-component estimate;
    a group whose given sigmas already over-explain its scatter keeps floor 0). Groups with no given sigma get
    their whole sigma this way. The estimate is refreshed after each convergence.
  * de-weighting of nights with many observations from one site, because errors within a night are correlated:
    sigma x sqrt(N/4) for N > 4 in one night (Vereš et al. 2017, Icarus 296, 139, eq. 4), or, with
    night_deweighting="estimated", sigma x sqrt(1 + (N - 1) rho) with rho the intra-night correlation of each
    group's residuals (one-way analysis of variance over its nights, refreshed with the floors): N positions of one
    night then carry the information of their mean, N / (sigma_within^2 + N sigma_night^2), no more. On GJ15 the
    nightly offsets dominate (Himalia: 62 mas between nights, 25 mas within; rho = 0.85).
  * occultation positions and Gaia transit normal points (orbitfit.observations.gaia) carry their own 2x2 covariance
    (sigma_ra, sigma_dec, corr) and no floor.
Site biases (optional, `FitOptions.bias_groups`): a constant RA*/Dec offset per group of ground-based positions
("site" or "dataset"), estimated with the orbit under a zero-mean a-priori sigma `bias_prior_mas`. Positions reduced
against a pre-Gaia catalogue (GJ15: UCAC4) carry zonal errors of tens of mas that a six-parameter orbit cannot
absorb: they stay in the means of the residuals (seed 003 Table 3 has |mean| up to 21 mas). The orbit's covariance
is marginalised over the biases; occultation and Gaia rows are never biased (they anchor the frame).
Outliers: an observation with chi2_i = r^T S^-1 r > `chi2_reject` (2 dof) is flagged and leaves the solution;
a flagged one comes back when chi2_i < `chi2_readmit`. Defaults 11.83 (the 2-D equivalent of 3 sigma, 0.27% of
Gaussian data) and 9.21 (99%). `max_rejected_fraction` caps the flagged share (largest chi2 first). Flagged
observations stay in the residual table.

`FitOptions.seed003()` is seed 003's STE weighting (one floor for all positions, the sources' sigmas unused, no
night de-weighting, at most 1% flagged); `Solution.refit` warm-starts from a previous solution's weights.
"""
from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from dynamics import ForceModel, propagate
from dynamics import constants as C
from dynamics.propagation import DEFAULT_STEP_S, default_ephemeris

from ..model import MAS_PER_RAD, astrometric, residuals_mas
from ..observations.observers import Observers

NIGHT_REFERENCE_COUNT = 4         # Vereš et al. 2017: sigma grows as sqrt(N / 4) beyond 4 observations per night
A_PRIORI_SIGMA_MAS = 500.0        # first-pass sigma of groups that give none, before their floor is estimated


# kinds whose sigmas are complete 2x2 covariances, used as given (no floor, no night de-weighting)
FULL_COVARIANCE_KINDS = ("occultation", "gaia_transit")
# kinds that may carry a site bias (FitOptions.bias_groups): positions reduced against a star catalogue
BIASED_KINDS = ("optical",)
# a-priori sigma of a site bias: the scale of pre-Gaia catalogue zonal errors (UCAC4 - Gaia differences are tens of
# mas on degree scales; the GJ15 per-site means of seed 003's STE residuals reach 20-50 mas)
BIAS_PRIOR_MAS = 30.0
# seed 003's STE weighting as FitOptions fields (FitOptions.seed003(); a plain dict for dask jobs and configs)
SEED003_WEIGHTING = {"weight_groups": "all", "use_given_sigma": False, "night_deweighting": False,
                     "max_rejected_fraction": 0.01}


class FitError(RuntimeError):
    """A fit that cannot give a trustworthy result; the message says why."""


@dataclass
class FitOptions:
    epoch: float | None = None            # TDB s past J2000 of the fitted state (default: the initial orbit's)
    model: ForceModel = field(default_factory=ForceModel)
    ephemeris: object = None              # dynamics.Ephemeris (default: de440 + built-in Galilean theory)
    step: float = DEFAULT_STEP_S
    max_iterations: int = 25
    convergence: float = 1e-3             # stop when every correction is below this fraction of its sigma
    reject_outliers: bool = True
    chi2_reject: float = 11.83
    chi2_readmit: float = 9.21
    estimate_floors: bool = True
    weight_groups: str = "site"           # floors per "site" (data set + observatory), per "dataset", or "all"
    use_given_sigma: bool = True          # False: ignore the sources' sigmas (uniform weights within a group)
    night_deweighting: bool | str = True  # True: Vereš et al. sqrt(N/4); "estimated": from the residuals' correlation
    min_observations: int = 4
    max_weight_rounds: int = 8            # re-estimations of floors/outliers; after that the weights are frozen
    max_rejected_fraction: float = 1.0    # at most this fraction flagged (the largest chi2 first); 1 = no cap
    # Massive satellites integrated with the target at fixed states (seed 003 eq. 1: e.g. Himalia's GM acting on
    # Elara, Lysithea, Leda): a tuple of (Orbit, GM km^3/s^2). The target stays massless, so its own 6x6 STM is exact.
    companions: tuple = ()
    # Constant RA*/Dec offsets of ground-based positions, one pair per "site" (data set + observatory) or "dataset",
    # fitted with the orbit under a zero-mean Gaussian prior of bias_prior_mas (None: no biases, as seed 003's STE)
    bias_groups: str | None = None
    bias_prior_mas: float = BIAS_PRIOR_MAS

    def __post_init__(self):
        if self.weight_groups not in ("site", "dataset", "all"):
            raise ValueError(f"weight_groups must be 'site', 'dataset' or 'all', not {self.weight_groups!r}")
        if self.night_deweighting not in (True, False, "estimated"):
            raise ValueError(f"night_deweighting must be True, False or 'estimated', not {self.night_deweighting!r}")
        if self.bias_groups not in (None, "site", "dataset"):
            raise ValueError(f"bias_groups must be 'site', 'dataset' or None, not {self.bias_groups!r}")
        if not self.bias_prior_mas > 0:
            raise ValueError(f"bias_prior_mas must be > 0 (a-priori sigma of a bias, mas), not {self.bias_prior_mas!r}")

    @classmethod
    def seed003(cls, **changes):
        """Seed 003's STE weighting: the positions of a fit weighted alike (one floor from their scatter; the
        sources' sigmas are not used), no night de-weighting, and at most 1% flagged as outliers (the chi2 test,
        largest chi2 first). On the GJ15 data it gives residual sigmas at or below STE's for all eight satellites."""
        return cls(**{**SEED003_WEIGHTING, **changes})

    def ephemeris_paths(self):
        ephemeris = self.ephemeris or default_ephemeris()
        return {"de_kernel": ephemeris.de_kernel, "moons": str(ephemeris.moons)}

    def describe(self):
        """Everything that defines the fit, as JSON-able values (restored by options_from_description)."""
        return {"epoch_tdb_s": self.epoch, "model": self.model.describe(), "step_s": self.step,
                "force_model": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.model).items()},
                "max_iterations": self.max_iterations, "convergence": self.convergence,
                "min_observations": self.min_observations, "max_weight_rounds": self.max_weight_rounds,
                "companions": [{"body": int(o.body), "gm": float(gm), "epoch_tdb_s": float(o.epoch),
                                "state": [float(v) for v in o.state]} for o, gm in self.companions],
                "chi2_reject": self.chi2_reject, "chi2_readmit": self.chi2_readmit,
                "estimate_floors": self.estimate_floors, "night_deweighting": self.night_deweighting,
                "weight_groups": self.weight_groups, "use_given_sigma": self.use_given_sigma,
                "reject_outliers": self.reject_outliers, "max_rejected_fraction": self.max_rejected_fraction,
                "bias_groups": self.bias_groups, "bias_prior_mas": self.bias_prior_mas}


def options_from_description(description, ephemeris_paths=None):
    """FitOptions rebuilt from FitOptions.describe() (an archive's record), with the same perturber ephemeris."""
    from dynamics import Ephemeris
    from dynamics.ephemeris import default_de_kernel_path
    model = ForceModel(**{k: tuple(v) if isinstance(v, list) else v
                          for k, v in description.get("force_model", {}).items()})
    ephemeris = None
    if ephemeris_paths:
        de_kernel = ephemeris_paths.get("de_kernel")
        if de_kernel and not os.path.exists(de_kernel):
            if os.path.basename(de_kernel) != os.path.basename(default_de_kernel_path()):
                raise FileNotFoundError(f"the solution was fitted with the DE kernel {de_kernel}, not found here")
            de_kernel = default_de_kernel_path()                  # the same de440.bsp, installed elsewhere
        ephemeris = Ephemeris(de_kernel, ephemeris_paths.get("moons", "astronomy-engine"))
    simple = {k: description[k] for k in ("step_s", "max_iterations", "convergence", "reject_outliers",
                                          "chi2_reject", "chi2_readmit", "estimate_floors", "weight_groups",
                                          "use_given_sigma", "night_deweighting", "min_observations",
                                          "max_weight_rounds", "max_rejected_fraction", "bias_groups", "bias_prior_mas")
              if k in description}
    if "step_s" in simple:
        simple["step"] = simple.pop("step_s")
    companions = []
    for entry in description.get("companions", []):
        if "state" not in entry:                   # archives before version 2 kept only the body and its GM
            raise ValueError(f"the archive's fit had companion {entry.get('body')} but does not keep its state: "
                             f"refit to use it")
        companions.append((Orbit(int(entry["body"]), float(entry["epoch_tdb_s"]), np.array(entry["state"])),
                           float(entry["gm"])))
    return FitOptions(epoch=description.get("epoch_tdb_s"), model=model, ephemeris=ephemeris,
                      companions=tuple(companions), **simple)


@dataclass
class Orbit:
    """A satellite state at an epoch: relative to NAIF 5, ICRF, km and km/s, TDB s past J2000."""
    body: int
    epoch: float
    state: np.ndarray


class PropagatedTarget:
    """SSB-centred satellite states near nominal epochs, for the light-time solver.

    The orbit is propagated to nominal epochs t_nom (observation time minus the light time to Jupiter's
    barycentre); the solver asks for states within ~+-100 s of them, given here by a second-order Taylor step with
    the two-body acceleration (error < 1e-4 km at 100 s), plus the barycentre's own SSB state from the DE.
    """

    def __init__(self, t_nom, states_from_5, ephemeris):
        self.t_nom = t_nom
        self.states = states_from_5
        self.ephemeris = ephemeris
        r = self.states[:, :3]
        self.acceleration = -C.GM_JUPITER_SYSTEM * r / np.linalg.norm(r, axis=1)[:, None] ** 3

    def subset(self, rows):
        return PropagatedTarget(self.t_nom[rows], self.states[rows], self.ephemeris)

    def __call__(self, t):
        dt = (np.asarray(t, dtype=float) - self.t_nom)[:, None]
        out = np.empty_like(self.states)
        out[:, :3] = self.states[:, :3] + self.states[:, 3:] * dt + 0.5 * self.acceleration * dt ** 2
        out[:, 3:] = self.states[:, 3:] + self.acceleration * dt
        return out + self.ephemeris.state(C.JUPITER_BARY, t)


@dataclass
class PreparedObservations:
    """The arrays the fit needs, computed once: times, measured values, a-priori sigmas, observer positions."""
    table: object
    t_obs: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    sigma_ra: np.ndarray            # mas, NaN if the source gives none
    sigma_dec: np.ndarray
    corr: np.ndarray
    observer_ssb: np.ndarray
    t_nominal: np.ndarray
    deflect: np.ndarray             # Gaia convention: model includes the Sun's light deflection
    sun_ssb: np.ndarray
    group: np.ndarray               # index of (data set, site) group
    group_names: list
    night_count: np.ndarray
    full_covariance: np.ndarray     # occultations and Gaia transits: their own 2x2 covariance, no floor
    bias_group: np.ndarray = None   # index into bias_names of each row's site bias, -1 for none
    bias_names: list = field(default_factory=list)
    night: np.ndarray = None        # index of each row's (site, night)
    # per weight group: the intra-night correlation of the residuals (night_deweighting="estimated"), refreshed by
    # settle_weights like the floors; 0 until estimated
    night_rho: np.ndarray = None


def group_keys(table, weight_groups="site"):
    """The weight group of each observation: "dataset:observer", the data set, or "all"."""
    datasets, sites = np.asarray(table["dataset"]).astype(str), np.asarray(table["observer"]).astype(str)
    if weight_groups == "site":
        return [f"{d}:{o}" for d, o in zip(datasets, sites)]
    if weight_groups == "dataset":
        return list(datasets)
    if weight_groups == "all":
        return ["all"] * len(table)
    raise ValueError(f"weight_groups must be 'site', 'dataset' or 'all', not {weight_groups!r}")


def prepare(observations, ephemeris, weight_groups="site", bias_groups=None):
    """Observer positions and nominal emission epochs for an Observations table (one body)."""
    table = observations
    n = len(table)
    t_obs = np.asarray(table["tdb"], dtype=float)
    xyz = np.column_stack([np.asarray(table[c], dtype=float) for c in ("obs_x_km", "obs_y_km", "obs_z_km")])
    frames = np.asarray(table["obs_frame"]).astype(str)
    observer_ssb = Observers(ephemeris).positions(np.asarray(table["observer"]).astype(str), t_obs, xyz, frames)
    tau_jupiter = np.linalg.norm(ephemeris.position(C.JUPITER_BARY, t_obs) - observer_ssb, axis=1) / \
        C.SPEED_OF_LIGHT_KM_S
    kind = np.asarray(table["kind"]).astype(str)
    deflect = np.isin(kind, ("gaia", "gaia_transit"))
    sun = ephemeris.position(C.SUN, t_obs) if deflect.any() else np.zeros((n, 3))
    keys = group_keys(table, weight_groups)
    group_names = sorted(set(keys))
    group = np.array([group_names.index(k) for k in keys], dtype=int)
    # a night is one site's observations of one TDB day (noon to noon at Greenwich; a site rarely straddles it)
    day = np.floor(t_obs / C.SECONDS_PER_DAY + 0.5).astype(np.int64)
    _, night, counts = np.unique(np.char.add(np.array(group_keys(table, "site"), dtype=str), day.astype(str)),
                                 return_inverse=True, return_counts=True)
    return PreparedObservations(
        table, t_obs, np.asarray(table["ra_deg"], float), np.asarray(table["dec_deg"], float),
        np.asarray(table["sigma_ra_mas"], float), np.asarray(table["sigma_dec_mas"], float),
        np.nan_to_num(np.asarray(table["corr"], float)), observer_ssb, t_obs - tau_jupiter, deflect, sun, group,
        group_names, counts[night], np.isin(kind, FULL_COVARIANCE_KINDS), *bias_index(table, bias_groups),
        night=night.ravel(), night_rho=np.zeros(len(group_names)))


def bias_index(table, bias_groups):
    """(index of each row's bias, -1 for none; the bias names) for FitOptions.bias_groups ("site", "dataset" or
    None); only BIASED_KINDS rows get one."""
    n = len(table)
    if bias_groups is None:
        return np.full(n, -1), []
    if bias_groups not in ("site", "dataset"):
        raise ValueError(f"bias_groups must be 'site', 'dataset' or None, not {bias_groups!r}")
    keys = np.array(group_keys(table, bias_groups))
    biased = np.isin(np.asarray(table["kind"]).astype(str), BIASED_KINDS)
    names = sorted(set(keys[biased]))
    index = np.full(n, -1)
    for k, name in enumerate(names):
        index[biased & (keys == name)] = k
    return index, names


@dataclass
class Evaluation:
    """Residuals and partials of one orbit against the prepared observations."""
    res_ra: np.ndarray         # O-C RA* mas
    res_dec: np.ndarray        # O-C Dec mas
    design: np.ndarray | None  # (n, 2, 6) mas per unit of the state at the fit epoch
    calc_ra: np.ndarray
    calc_dec: np.ndarray
    distance_km: np.ndarray
    # whitened pseudo-observations (A (m, P), b (m,)), e.g. an a-priori value of a parameter: they enter the normal
    # equations and chi^2, not the floors or outlier flags (orbitfit.estimation.family's GM prior)
    extra: tuple | None = None


def evaluate(orbit: Orbit, prepared: PreparedObservations, options: FitOptions, partials=True):
    """O-C residuals (mas) and, optionally, their partials with respect to the state at the orbit's epoch."""
    run = propagate_orbit(orbit.state, orbit.epoch, prepared.t_nominal, options, stm=partials)
    return observe(prepared, run.states[:, 0], run.stm[:, 0] if partials else None, options.ephemeris)


def propagate_orbit(states, epoch, epochs, options, stm=False, dense=True, step=None):
    """`dynamics.propagate` of massless satellites (states (6,) or (n, 6) at `epoch`) under the options' force
    model, with the options' massive companions integrated alongside (seed 003 eq. 1); the result holds only the
    given satellites. Every use of a fitted orbit (fit, SPK, samples, sky sigma, Monte Carlo, occultations) goes
    through here, so none of them drops a companion's pull."""
    states = np.atleast_2d(np.asarray(states, dtype=float))
    n, model = len(states), options.model
    if options.companions:
        states = np.vstack([states, companion_states(options.companions, epoch, options)])
        model = replace(model, satellite_gm=(0.0,) * n + tuple(gm for _, gm in options.companions))
    run = propagate(states, epoch, epochs, model=model, ephemeris=options.ephemeris, stm=stm,
                    step=step or options.step, dense=dense)
    if not options.companions:
        return run
    return replace(run, states=run.states[:, :n], stm=None if run.stm is None else run.stm[:, :n])


def observe(prepared, states, stm, ephemeris):
    """Evaluation from the target's states (n, 6) relative to 5 at the prepared nominal epochs and, for partials,
    the derivatives of those states with respect to the fitted parameters, stm (n, 6, P) (or None)."""
    partials = stm is not None
    target = PropagatedTarget(prepared.t_nominal, states, ephemeris)
    n = prepared.t_obs.size
    calc_ra, calc_dec, distance = np.empty(n), np.empty(n), np.empty(n)
    design = np.empty((n, 2, stm.shape[2])) if partials else None
    for deflect in (False, True):
        rows = np.nonzero(prepared.deflect == deflect)[0]
        if rows.size == 0:
            continue
        result = astrometric(prepared.t_obs[rows], prepared.observer_ssb[rows], target.subset(rows),
                             deflection=deflect, sun_ssb=prepared.sun_ssb[rows] if deflect else None,
                             partials=partials)
        calc_ra[rows], calc_dec[rows], distance[rows] = result.ra_deg, result.dec_deg, result.distance_km
        if partials:
            # STM at the nominal epoch: it differs from the emission epoch by < 100 s, a 1e-7 relative change
            design[rows] = np.einsum("nij,njk->nik", result.partials, stm[rows]) * MAS_PER_RAD
    res_ra, res_dec = residuals_mas(prepared.ra, prepared.dec, calc_ra, calc_dec)
    return Evaluation(res_ra, res_dec, design, calc_ra, calc_dec, distance)


def companion_states(companions, epoch, options):
    """States of the companion satellites at `epoch` (each propagated from its own epoch if needed)."""
    out = []
    for orbit, _ in companions:
        if orbit.epoch == epoch:
            out.append(orbit.state)
        else:
            out.append(propagate(orbit.state, orbit.epoch, [epoch], model=options.model,
                                 ephemeris=options.ephemeris, step=options.step, dense=False).states[0, 0])
    return np.array(out)


@dataclass
class Weights:
    sigma_ra: np.ndarray           # mas, per observation: given sigma and group floor (what outliers are judged by)
    sigma_dec: np.ndarray
    corr: np.ndarray
    floor_ra: np.ndarray           # per group, mas
    floor_dec: np.ndarray
    night_factor: np.ndarray = None   # sigma multiplier in the normal equations (correlated errors within a night)

    def for_normal_equations(self):
        factor = 1.0 if self.night_factor is None else self.night_factor
        return Weights(self.sigma_ra * factor, self.sigma_dec * factor, self.corr, self.floor_ra, self.floor_dec)


def build_weights(prepared, floor_ra, floor_dec, options):
    given_ra = np.nan_to_num(prepared.sigma_ra, nan=0.0)
    given_dec = np.nan_to_num(prepared.sigma_dec, nan=0.0)
    sig_ra = np.sqrt(given_ra ** 2 + floor_ra[prepared.group] ** 2)
    sig_dec = np.sqrt(given_dec ** 2 + floor_dec[prepared.group] ** 2)
    occ = prepared.full_covariance & np.isfinite(prepared.sigma_ra) & np.isfinite(prepared.sigma_dec)
    sig_ra[occ], sig_dec[occ] = prepared.sigma_ra[occ], prepared.sigma_dec[occ]
    factor = np.ones_like(sig_ra)
    if options.night_deweighting == "estimated":
        factor = np.sqrt(1.0 + (prepared.night_count - 1) * prepared.night_rho[prepared.group])
        factor[occ] = 1.0
    elif options.night_deweighting:
        factor = np.sqrt(np.maximum(1.0, prepared.night_count / NIGHT_REFERENCE_COUNT))
        factor[occ] = 1.0
    return Weights(sig_ra, sig_dec, prepared.corr, floor_ra, floor_dec, factor)


def whiten(res_ra, res_dec, weights, design=None):
    """Residuals (and design rows) multiplied by the inverse Cholesky factor of each 2x2 covariance."""
    rho = weights.corr
    scale = np.sqrt(1.0 - rho ** 2)
    w_ra = res_ra / weights.sigma_ra
    w_dec = (res_dec / weights.sigma_dec - rho * w_ra) / scale
    if design is None:
        return w_ra, w_dec
    d_ra = design[:, 0] / weights.sigma_ra[:, None]
    d_dec = (design[:, 1] / weights.sigma_dec[:, None] - rho[:, None] * d_ra) / scale[:, None]
    return w_ra, w_dec, d_ra, d_dec


def chi2_per_observation(res_ra, res_dec, weights):
    w_ra, w_dec = whiten(res_ra, res_dec, weights)
    return w_ra ** 2 + w_dec ** 2


MIN_GROUP_SIZE = 10     # groups with fewer accepted observations share one pooled floor (3 points justify anything)


def estimate_floors(prepared, evaluation, accepted, floor_ra, floor_dec, leverage=None):
    """Per group and coordinate, the floor f with mean(r^2 / (sigma_given^2 + f^2)) = 1 - mean(h) over accepted rows.

    h is each row's leverage (hat-matrix diagonal, `leverages`): the share of its own error the fit absorbs, so that
    E[r^2] = sigma^2 (1 - h). It matters for small groups with a parameter of their own (a site bias fitted from 3
    positions absorbs a third of their scatter); without it (leverage None) the target is 1.
    Groups with fewer than MIN_GROUP_SIZE accepted observations are pooled and share one floor, so a handful of
    grossly wrong positions cannot justify themselves with a floor of their own. If that pool itself has fewer than
    MIN_GROUP_SIZE rows, it takes the typical floor of the large groups (their size-weighted RMS): a variance from
    3 residuals is too noisy to weight by (with a floor from its own 3 positions, a site's fitted bias fell within
    its 1 sigma in 54% of 100 synthetic draws instead of 68%; with the typical floor, 69%).
    """
    new_ra, new_dec = floor_ra.copy(), floor_dec.copy()
    usable = accepted & ~prepared.full_covariance
    sizes = np.bincount(prepared.group[usable], minlength=len(prepared.group_names))
    small = np.nonzero(sizes < MIN_GROUP_SIZE)[0]
    large = np.nonzero(sizes >= MIN_GROUP_SIZE)[0]
    for members in [[g] for g in large] + ([list(small)] if small.size else []):
        rows = usable & np.isin(prepared.group, members)
        if rows.sum() < 3 or (rows.sum() < MIN_GROUP_SIZE and large.size):
            continue                       # too few to estimate: keep the current value, or see below
        for c, (res, given, out) in enumerate(((evaluation.res_ra, prepared.sigma_ra, new_ra),
                                               (evaluation.res_dec, prepared.sigma_dec, new_dec))):
            target = 1.0 if leverage is None else max(1.0 - float(np.mean(leverage[c][rows])), 0.1)
            out[members] = _floor(res[rows] ** 2, np.nan_to_num(given[rows], nan=0.0) ** 2, target)
    if small.size and large.size and sizes[small].sum() < MIN_GROUP_SIZE:
        weight = sizes[large] / sizes[large].sum()
        new_ra[small] = np.sqrt(np.sum(weight * new_ra[large] ** 2))
        new_dec[small] = np.sqrt(np.sum(weight * new_dec[large] ** 2))
    return new_ra, new_dec


MIN_NIGHTS = 5          # nights with >= 2 positions needed to estimate a group's intra-night correlation


def night_correlation(prepared, evaluation, weights, accepted, n_parameters=6):
    """Per weight group, the correlation rho of the normalised residuals of one night (both coordinates pooled):
    the one-way analysis-of-variance estimate sigma_night^2 / (sigma_night^2 + sigma_within^2) over the group's
    nights (unbalanced: n0 = (N - sum n_k^2 / N) / (K - 1)), clipped to [0, 0.99]. The fitted parameters absorb
    part of the scatter of the nightly means: about n_parameters / 2 degrees of freedom per coordinate are taken from
    the K - 1 between nights (without it rho came out 0.77 for a true 0.80 on ~50 synthetic nights). Groups with
    fewer than MIN_NIGHTS nights of two or more positions take the estimate of all such rows pooled (0 if that is
    too few)."""
    usable = accepted & ~prepared.full_covariance
    z = (evaluation.res_ra / weights.sigma_ra, evaluation.res_dec / weights.sigma_dec)

    def estimate(rows):
        nights, index, n_k = np.unique(prepared.night[rows], return_inverse=True, return_counts=True)
        K, N = nights.size, int(rows.sum())
        if np.sum(n_k >= 2) < MIN_NIGHTS:
            return None
        components = []
        for values in z:
            x = values[rows]
            means = np.bincount(index, x) / n_k
            within = np.sum((x - means[index]) ** 2) / (N - K)
            between = np.sum(n_k * (means - x.mean()) ** 2) / max(K - 1 - n_parameters / 2, 1)
            n0 = (N - np.sum(n_k ** 2) / N) / (K - 1)
            components.append((max((between - within) / n0, 0.0), within))
        night_var = np.mean([c[0] for c in components])
        within_var = np.mean([c[1] for c in components])
        return float(np.clip(night_var / max(night_var + within_var, 1e-12), 0.0, 0.99))

    pooled = estimate(usable)
    rho = np.zeros(len(prepared.group_names))
    for g in range(rho.size):
        own = estimate(usable & (prepared.group == g))
        rho[g] = own if own is not None else (pooled or 0.0)
    return rho


def leverages(d_ra, d_dec, covariance):
    """Hat-matrix diagonals of the whitened RA* and Dec rows: a_i C a_i^T with C the parameters' covariance."""
    return (np.einsum("ij,jk,ik->i", d_ra, covariance, d_ra), np.einsum("ij,jk,ik->i", d_dec, covariance, d_dec))


def _floor(r2, s2, target=1.0):
    """f >= 0 with mean(r2 / (s2 + f^2)) = target (bisection: the mean falls monotonically with f); 0 if already
    <= target."""
    if np.mean(r2 / np.maximum(s2, 1e-12)) <= target:
        return 0.0
    lo, hi = 0.0, np.sqrt(r2.max() / target) + 1.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if np.mean(r2 / (s2 + mid * mid)) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


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


def cap_rejections(accepted, chi2_obs, max_fraction):
    """Flags with at most `max_fraction` of the observations rejected: beyond it only the largest chi2 stay out."""
    limit = int(np.floor(max_fraction * accepted.size))
    rejected = np.nonzero(~accepted)[0]
    if rejected.size <= limit:
        return accepted
    keep_out = rejected[np.argsort(chi2_obs[rejected])[::-1][:limit]]
    capped = np.ones_like(accepted)
    capped[keep_out] = False
    return capped


def settle_weights(prepared, evaluation, floor_ra, floor_dec, accepted, options):
    """Floors and outlier flags settled in the linearised problem around the current orbit.

    Near the solution the residuals of orbit x0 + delta are r0 - A delta to first order, so floors, flags and the
    correction can be iterated to a fixed point with linear algebra only; the nonlinear loop then confirms them.
    Returns (floor_ra, floor_dec, accepted, correction, rounds).
    """
    design = evaluation.design
    correction = np.zeros(design.shape[2])
    for rounds in range(1, 31):
        weights = build_weights(prepared, floor_ra, floor_dec, options)
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
            new_ra, new_dec = estimate_floors(prepared, predicted, accepted, floor_ra, floor_dec,
                                              (lev_ra * absorbed, lev_dec * absorbed))
            if np.any(np.abs(new_ra - floor_ra) > 0.005 * np.maximum(new_ra, 1.0)) or \
                    np.any(np.abs(new_dec - floor_dec) > 0.005 * np.maximum(new_dec, 1.0)):
                floor_ra, floor_dec, changed = new_ra, new_dec, True
        if options.night_deweighting == "estimated":
            rho = night_correlation(prepared, predicted, build_weights(prepared, floor_ra, floor_dec, options),
                                    accepted, design.shape[2])
            if np.any(np.abs(rho - prepared.night_rho) > 0.005):
                prepared.night_rho, changed = rho, True
        if options.reject_outliers:
            weights = build_weights(prepared, floor_ra, floor_dec, options)
            chi2_obs = chi2_per_observation(predicted.res_ra, predicted.res_dec, weights)
            new_accepted = np.where(accepted, chi2_obs <= options.chi2_reject, chi2_obs < options.chi2_readmit)
            new_accepted = cap_rejections(new_accepted, chi2_obs, options.max_rejected_fraction)
            if not np.array_equal(new_accepted, accepted):
                accepted, changed = new_accepted, True
        if accepted.sum() < options.min_observations:
            raise FitError(f"too few accepted observations ({accepted.sum()}) after outlier rejection")
        if not changed:
            break
    return floor_ra, floor_dec, accepted, correction, rounds


def _warm_weights(previous, prepared, floor_ra, floor_dec, accepted):
    """Floors (matched by group name) and flags (first rows) of a previous solution, for a refit."""
    old_names = (previous.prepared.group_names if previous.prepared is not None else
                 sorted(set(group_keys(previous.observations, previous.fit_options().weight_groups))))
    for g, name in enumerate(prepared.group_names):
        if name in old_names:
            k = old_names.index(name)
            floor_ra[g], floor_dec[g] = previous.weights.floor_ra[k], previous.weights.floor_dec[k]
    n_old = len(previous.accepted)
    old_t = np.asarray(previous.observations["tdb"], dtype=float)
    if n_old <= prepared.t_obs.size and np.array_equal(old_t, prepared.t_obs[:n_old]):
        accepted[:n_old] = previous.accepted
    return floor_ra, floor_dec, accepted


def initial_floors(prepared, options):
    """First-pass floors per group (0, or A_PRIORI_SIGMA_MAS for groups that give no sigma); with
    options.use_given_sigma False the sources' sigmas are dropped from `prepared` first (occultations keep theirs)."""
    if not options.use_given_sigma:
        occultation = prepared.full_covariance
        prepared.sigma_ra = np.where(occultation, prepared.sigma_ra, np.nan)
        prepared.sigma_dec = np.where(occultation, prepared.sigma_dec, np.nan)
    groups = len(prepared.group_names)
    floored = ~prepared.full_covariance                   # rows whose sigma the group floor completes
    # a group starts at floor 0 only if every floored row gives a sigma (else a row would start with sigma 0)
    has_sigma = np.array([np.isfinite(prepared.sigma_ra[floored & (prepared.group == g)]).all() for g in range(groups)])
    floor_ra = np.where(has_sigma, 0.0, A_PRIORI_SIGMA_MAS)
    return floor_ra, floor_ra.copy()


def fit_orbit(observations, initial: Orbit, options: FitOptions | None = None, log=None, warm_start=None):
    """Fit one satellite's state at `options.epoch` to its observations. Returns a `Solution`.

    warm_start: a previous Solution whose observations are the first rows of `observations` (a refit after adding
    data, `Solution.refit`): its weight floors (per group name) and outlier flags are the starting weights, and the
    fit starts as already near the solution, so floors and flags are settled from the first iteration.
    """
    from ..solution import Solution
    options = options or FitOptions()
    if options.ephemeris is None:
        options.ephemeris = default_ephemeris()
    n = len(observations)
    if n < options.min_observations:
        raise FitError(f"too few observations: {n} (need at least {options.min_observations} for six unknowns)")
    prepared = prepare(observations, options.ephemeris, options.weight_groups, options.bias_groups)
    floor_ra, floor_dec = initial_floors(prepared, options)
    accepted = np.ones(n, dtype=bool)
    biases = np.zeros(2 * len(prepared.bias_names))
    if warm_start is not None:
        floor_ra, floor_dec, accepted = _warm_weights(warm_start, prepared, floor_ra, floor_dec, accepted)
        biases = _warm_biases(warm_start, prepared.bias_names)
    orbit = Orbit(initial.body, initial.epoch, np.asarray(initial.state, dtype=float).copy())
    if options.epoch is not None and options.epoch != orbit.epoch:
        moved = propagate_orbit(orbit.state, orbit.epoch, [options.epoch], options, dense=False)
        orbit = Orbit(orbit.body, float(options.epoch), moved.states[0, 0])
    body, epoch = orbit.body, orbit.epoch
    evaluate_at = with_biases(lambda state: evaluate(Orbit(body, epoch, state), prepared, options), prepared,
                              options.bias_prior_mas)
    fit = gauss_newton(np.concatenate([orbit.state, biases]), evaluate_at, prepared, options, floor_ra, floor_dec,
                       log, accepted=accepted, near=warm_start is not None)
    meta = {"fitted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if options.night_deweighting == "estimated":
        meta["night_correlation"] = {name: float(r) for name, r in zip(prepared.group_names, prepared.night_rho)}
    return Solution(orbit=Orbit(body, epoch, fit.parameters[:6]), covariance=fit.covariance[:6, :6],
                    observations=observations, prepared=prepared, evaluation=fit.evaluation, weights=fit.weights,
                    accepted=fit.accepted, options=options, history=fit.history, meta=meta,
                    biases=bias_table(prepared, fit))


def with_biases(evaluate_at, prepared, prior_mas):
    """evaluate_at for the parameters [orbit..., b_ra(0), b_dec(0), b_ra(1), ...] with one RA*/Dec bias pair per
    prepared.bias_names: each row's computed position is the orbit's plus its bias (design column 1), and each bias
    has a zero-mean prior of prior_mas (a pseudo-observation in Evaluation.extra). Without bias names: unchanged."""
    k = len(prepared.bias_names)
    if k == 0:
        return evaluate_at
    rows = np.nonzero(prepared.bias_group >= 0)[0]
    column = 2 * prepared.bias_group[rows]

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


def bias_table(prepared, fit):
    """The fitted biases (mas) with their 1-sigma and the number of accepted rows each applies to, or None."""
    k = len(prepared.bias_names)
    if k == 0:
        return None
    from astropy.table import Table
    b = fit.parameters[-2 * k:].reshape(k, 2)
    sigma = np.sqrt(np.diag(fit.covariance)[-2 * k:]).reshape(k, 2)
    used = np.bincount(prepared.bias_group[fit.accepted & (prepared.bias_group >= 0)], minlength=k)
    return Table({"group": list(prepared.bias_names), "n": used, "bias_ra_mas": b[:, 0], "sigma_ra_mas": sigma[:, 0],
                  "bias_dec_mas": b[:, 1], "sigma_dec_mas": sigma[:, 1]})


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


@dataclass
class GaussNewtonResult:
    parameters: np.ndarray
    covariance: np.ndarray
    evaluation: Evaluation
    weights: Weights
    accepted: np.ndarray
    history: list


def _objective(evaluation, weights, accepted):
    """chi^2 of the accepted observations with the normal-equation weights (plus any pseudo-observations)."""
    chi2 = chi2_per_observation(evaluation.res_ra, evaluation.res_dec, weights.for_normal_equations())[accepted].sum()
    if evaluation.extra is not None:
        chi2 = chi2 + np.sum(evaluation.extra[1] ** 2)
    return chi2


def gauss_newton(parameters, evaluate_at, prepared, options, floor_ra, floor_dec, log=None, accepted=None,
                 near=False):
    """The fit loop shared by fit_orbit and orbitfit.estimation.family.fit_family: Gauss-Newton steps with the damped
    fallback; once near the solution, floors and outlier flags settled by settle_weights (at most
    options.max_weight_rounds passes), until a step is below options.convergence sigma with settled weights.

    evaluate_at(parameters) -> Evaluation with design (n, 2, P) for the prepared observations.
    accepted: starting flags (default all); near: start as near the solution (a warm start from a previous fit).
    """
    x = np.asarray(parameters, dtype=float)
    n = prepared.t_obs.size
    accepted = np.ones(n, dtype=bool) if accepted is None else np.asarray(accepted, dtype=bool).copy()
    history = []
    start = time.perf_counter()
    evaluation = evaluate_at(x)
    weights = build_weights(prepared, floor_ra, floor_dec, options)
    chi2 = _objective(evaluation, weights, accepted)
    settles = 0                 # passes of settle_weights; after options.max_weight_rounds the weights are frozen
    for iteration in range(1, options.max_iterations + 1):
        rounds = 0
        frozen = settles >= options.max_weight_rounds
        if near and not frozen and _settles_weights(options):
            settles += 1
            floor_ra, floor_dec, accepted, correction, rounds = settle_weights(
                prepared, evaluation, floor_ra, floor_dec, accepted, options)
            weights = build_weights(prepared, floor_ra, floor_dec, options)
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
        covariance = night_sandwich(covariance, evaluation, weights, prepared, accepted)
    return GaussNewtonResult(x, covariance, evaluation, weights, accepted, history)


def night_sandwich(covariance, evaluation, weights, prepared, accepted):
    """The covariance of the estimate under errors shared within a night (night_deweighting="estimated").

    The weights sigma^2 f^2 with f^2 = 1 + (N - 1) rho give each night the information of its mean; the positions'
    errors have covariance sigma_i sigma_j (rho + (1 - rho) delta_ij) within a night (per coordinate). The estimator
    is linear with these weights W, so its covariance is N^-1 (A^T W Sigma W A) N^-1 with N^-1 the normal-equation
    covariance: exact for the error model, where N^-1 alone is right only if the partials are constant over a night.
    For GJ15's nights they nearly are (on the synthetic closed loop of tests/test_night_correlation.py the two agree
    to 4 digits); the sandwich keeps it right for long nights of fast-moving moons. Rows with their own 2x2
    covariance (occultations, Gaia transits) and the prior pseudo-observations count as independent, as in N."""
    rows = accepted & ~prepared.full_covariance
    rho = prepared.night_rho[prepared.group][rows]
    factor2 = weights.night_factor[rows] ** 2
    night = prepared.night[rows]
    middle = np.zeros_like(covariance)
    for c, sigma in ((0, weights.sigma_ra), (1, weights.sigma_dec)):
        u = evaluation.design[rows, c] / (sigma[rows] * factor2)[:, None]
        middle += (u * (1.0 - rho)[:, None]).T @ u
        sums = np.zeros((night.max() + 1 if night.size else 0, u.shape[1]))
        np.add.at(sums, night, u * np.sqrt(rho)[:, None])          # rho is constant within a night (one group)
        middle += sums.T @ sums
    own = accepted & prepared.full_covariance
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
