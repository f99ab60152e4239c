"""The computed observables of an Observations table: what the astrometric model (`orbitfit.model`) predicts for
each row, for any orbit, with the partials a fit needs.

    prepared = prepare(observations, model.ephemeris)      # observer positions and nominal epochs, once
    evaluation = evaluate(orbit, model, prepared)          # O-C (mas) and d(O-C)/d(state at the orbit's epoch)

`prepare` does the work that does not depend on the orbit (observer positions from MPC codes or explicit positions,
the Sun for Gaia's light deflection, the nominal emission epochs); `observe` turns target states at those epochs into
computed positions, residuals and partials. The estimator (`orbitfit.estimation`), the residual tables
(`orbitfit.residuals`) and synthetic observations (`orbitfit.simulation`) all go through here, so they agree.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dynamics import constants as C

from .model import MAS_PER_RAD, astrometric, residuals_mas
from .observations.observers import Observers

# kinds whose sigmas are complete 2x2 covariances, used as given (occultation positions; Gaia transit normal points)
FULL_COVARIANCE_KINDS = ("occultation", "gaia_transit")
# kinds whose model includes the Sun's light deflection (Gaia SSO astrometry keeps it; Tanga et al. 2023)
DEFLECTED_KINDS = ("gaia", "gaia_transit")


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


@dataclass(frozen=True)
class PreparedObservations:
    """What the model needs of each observation, computed once: epochs, measured values, the sources' sigmas,
    observer and Sun positions. Read-only: callers derive what they need (the estimator's weights) without
    changing it."""
    table: object
    t_obs: np.ndarray               # TDB s past J2000
    ra: np.ndarray                  # deg
    dec: np.ndarray
    sigma_ra: np.ndarray            # mas (RA*), NaN if the source gives none
    sigma_dec: np.ndarray
    corr: np.ndarray
    observer_ssb: np.ndarray        # (n, 3) km
    t_nominal: np.ndarray           # t_obs minus the light time from Jupiter's barycentre
    deflect: np.ndarray             # model includes the Sun's light deflection (Gaia convention)
    sun_ssb: np.ndarray             # (n, 3) km, zeros where not needed
    full_covariance: np.ndarray     # occultations and Gaia transits: their own 2x2 covariance

    def __len__(self):
        return self.t_obs.size


def _read_only(*arrays):
    for array in arrays:
        array.flags.writeable = False
    return arrays


def prepare(observations, ephemeris):
    """Observer positions and nominal emission epochs for an Observations table (one body)."""
    table = observations
    n = len(table)
    t_obs = np.array(table["tdb"], dtype=float)
    xyz = np.column_stack([np.asarray(table[c], dtype=float) for c in ("obs_x_km", "obs_y_km", "obs_z_km")])
    frames = np.asarray(table["obs_frame"]).astype(str)
    observer_ssb = Observers(ephemeris).positions(np.asarray(table["observer"]).astype(str), t_obs, xyz, frames)
    tau_jupiter = np.linalg.norm(ephemeris.position(C.JUPITER_BARY, t_obs) - observer_ssb, axis=1) / \
        C.SPEED_OF_LIGHT_KM_S
    kind = np.asarray(table["kind"]).astype(str)
    deflect = np.isin(kind, DEFLECTED_KINDS)
    sun = ephemeris.position(C.SUN, t_obs) if deflect.any() else np.zeros((n, 3))
    arrays = _read_only(t_obs, np.array(table["ra_deg"], float), np.array(table["dec_deg"], float),
                        np.array(table["sigma_ra_mas"], float), np.array(table["sigma_dec_mas"], float),
                        np.nan_to_num(np.array(table["corr"], float)), observer_ssb, t_obs - tau_jupiter, deflect,
                        sun, np.isin(kind, FULL_COVARIANCE_KINDS))
    return PreparedObservations(table, *arrays)


@dataclass
class Evaluation:
    """Residuals and partials of one orbit against the prepared observations."""
    res_ra: np.ndarray         # O-C RA* mas
    res_dec: np.ndarray        # O-C Dec mas
    design: np.ndarray | None  # (n, 2, P) mas per unit of the fitted parameters
    calc_ra: np.ndarray
    calc_dec: np.ndarray
    distance_km: np.ndarray
    # whitened pseudo-observations (A (m, P), b (m,)), e.g. an a-priori value of a parameter: they enter the normal
    # equations and chi^2, not the floors or outlier flags (a family's GM prior, the site biases' prior)
    extra: tuple | None = None


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


def evaluate(orbit, model, prepared, partials=True):
    """O-C residuals (mas) of an `Orbit` carried by an `OrbitModel` and, optionally, their partials with respect
    to the state at the orbit's epoch."""
    run = model.propagate(orbit.state, orbit.epoch, prepared.t_nominal, stm=partials)
    return observe(prepared, run.states[:, 0], run.stm[:, 0] if partials else None, model.ephemeris)
