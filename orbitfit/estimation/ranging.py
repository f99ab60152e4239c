"""An automatic starting orbit for a satellite with no prior orbit (Jupiter's irregular moons).

    from orbitfit.estimation.ranging import initial_orbit
    start = initial_orbit(observations)                 # Orbit: state relative to NAIF 5 at the data's mid-epoch
    solution = fit_orbit(observations, start)           # the full force model takes it from there

Method (systematic ranging on the densest apparition, then arc extension by a beam of candidate orbits):

1. Observations are grouped into apparitions (gaps > `gap_days`). The first arc is the apparition with the most
   distinct nights (three or more give the curvature of the motion; among two-night apparitions the one nearest to
   another apparition; then the longest span).
2. Ranging on the first arc (Virtanen et al. 2001, Icarus 154, 412; Milani et al. 2004, CMDA 90, 57, "admissible
   region", here with Jupiter as the attracting centre). A quadratic fit of the observed unit vectors gives the
   attributable (direction and its rate) at the arc's mid-time. A grid over the distance along the line of sight
   (within Jupiter's Hill sphere, |r - r_5| < `hill_radius_km`) and the radial velocity (only values giving an
   orbit bound to Jupiter, energy < 0, apocentre inside the Hill sphere) turns it into ~10^3 jovicentric states.
   Each is scored against the arc; the best `refine_best` are refined by Levenberg-Marquardt on all six state
   components (and kept unrefined too: on a two-night arc the free fit is degenerate); the distinct bound
   solutions with rms < `max_rms_arcsec` form the beam (at most `beam` orbits).
3. Extension: the apparition nearest in time to the current arc is added and every beam member refitted. A link
   counts when the total rms is < `max_rms_arcsec` and the new apparition's own rms < max(`link_factor` x the arc's
   rms, `link_floor_arcsec`). If no member links (long gaps: the phase is lost), restarts come from the line of
   variations of each member (Milani et al. 2005, A&A 431, 729: steps along the weakest direction of the local
   covariance, each followed by a fit constrained to the orthogonal hyperplane, with the step adapted so that the
   prediction at the new apparition moves by at most `lov_max_jump_arcsec` between samples); the local minima of
   the extended chi^2 along the lines are refined. From a first arc of two nights (whose admissible region is 2-D,
   not a line) a dense ranging grid is screened the same way. Outliers above max(`outlier_arcsec`, 5 x robust rms)
   are dropped after each stage (fit_orbit judges them again). Repeated until every apparition is in.
4. The best solution is moved to the mid-epoch of all data (midpoint of first and last observation, TDB, rounded
   to a whole day past J2000), checked to be bound inside the Hill sphere, and returned. A warning is issued when
   the data are one apparition, or when several distinct orbits still fit at the end.

The model of steps 2-3 is fast and vectorised over candidates (RK4 in a numba kernel; step 4 d on the first arc,
then period/200 within 0.5-4 d, cubic Hermite interpolation): Jupiter-system point mass (GM of NAIF 5) with an
effective J2 that includes the Galilean moons, plus the tides of the Sun and of Saturn (positions from the DE
ephemeris), light time, topocentric observers. Measured against `dynamics.propagate` over 20 years: 270 km for a
Kallichore-like orbit (2-d step), 1500 km for a Himalia-like one (1-d step), i.e. well inside the convergence basin
of `orbitfit.estimation.least_squares.fit_orbit`, which does the final fit with the full force model. (A pure two-body model would be
off by degrees after a few orbits: the solar tide is ~3% of Jupiter's pull at 23 million km.)

Measured on Kallichore's 41 positions (2003-2021, tests/test_initial_orbit.py): ~0.2 s warm, ~1 s in a fresh
process (plus ~5 s once to compile the numba kernel, cached on disk), rms 0.41"; fit_orbit converges from it in
3 iterations. Known limit: two apparitions of two nights each, years apart, cannot be linked (the error says so);
three nights in one apparition, or two-night apparitions a year apart, can.

Errors: `InitialOrbitError` (a `FitError`), with the best rms reached, when no orbit fits the
first arc, when an apparition cannot be linked, when the result is not a bound satellite orbit, or when the data
are too few.

This module is over 500 lines because it is one algorithm (ranging, the beam, line-of-variations linking) over one
fast model whose numba kernel, candidate bookkeeping and stages share private state; its parts are not used alone.
"""
from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from dynamics import constants as C
from dynamics.numba_cache import can_cache
from dynamics.propagation import default_ephemeris

from ..observables import prepare
from ..orbit import Orbit
from .gauss_newton import FitError

LOG = logging.getLogger(__name__)
ARCSEC_PER_RAD = 180.0 / np.pi * 3600.0
DAY = C.SECONDS_PER_DAY
GM_CENTRAL = C.GM_JUPITER_SYSTEM     # the satellites orbit outside the Galileans: their mass acts at the barycentre

# Effective J2 of Jupiter plus the Galilean moons seen from far outside their orbits (~0.045):
# J2_eff = (GM_J J2 + sum_i GM_i a_i^2 / (2 R^2)) / GM_system, R = 71492 km (Juno reference radius, constants.py).
# Galilean semi-major axes: JPL SSD planetary satellite mean elements (ssd.jpl.nasa.gov/sats/elem), km.
GALILEAN_SEMI_MAJOR_AXIS_KM = {C.IO: 421_800.0, C.EUROPA: 671_100.0, C.GANYMEDE: 1_070_400.0,
                               C.CALLISTO: 1_882_700.0}
J2_EFFECTIVE = (C.GM_JUPITER * C.JUPITER_J2 + sum(
    C.GM_GALILEAN[b] * a ** 2 / (2.0 * C.JUPITER_REFERENCE_RADIUS_KM ** 2)
    for b, a in GALILEAN_SEMI_MAJOR_AXIS_KM.items())) / GM_CENTRAL
TIDAL_BODIES = (C.SUN, C.SATURN_BARY)   # Saturn's tide is ~5e-4 of the Sun's; Uranus/Neptune/Earth far below


class InitialOrbitError(FitError):
    """No trustworthy starting orbit; the message says at which stage and the best rms reached."""


@dataclass
class InitialOrbitOptions:
    gap_days: float = 90.0               # a gap longer than this separates apparitions
    max_rms_arcsec: float = 3.0          # an arc counts as fitted when its rms (RA*, Dec) is below this, and the
                                         #   orbit is bound with its apocentre inside hill_radius_km
    model_floor_mas: float = 300.0       # added in quadrature to given sigmas (fast-model error, start-up tolerance)
    default_sigma_mas: float = 500.0     # for observations that give no sigma
    hill_radius_km: float = 0.355 * C.AU_KM   # Jupiter's Hill radius a_J (m_J / 3 M_sun)^(1/3)
    range_points: int = 61               # line-of-sight distance grid
    range_rate_points: int = 25          # radial-velocity grid (within the bound-orbit interval)
    refine_best: int = 40                # ranging candidates refined by Levenberg-Marquardt
    beam: int = 6                        # distinct candidate orbits carried from arc to arc
    link_factor: float = 3.0             # a new apparition's rms must stay below max(link_factor x arc rms,
    link_floor_arcsec: float = 1.5       #   link_floor_arcsec) for the link to count
    lov_step_sigma: float = 0.2          # line-of-variations sampling (when a plain refit cannot link): first step,
    lov_max_jump_arcsec: float = 600.0   #   largest change of the prediction at the new apparition between samples,
    lov_max_steps: int = 300             #   samples per direction (0 disables the line-of-variations search)
    lov_refine: int = 12                 # local minima along the lines refined on the extended arc
    link_range_points: int = 241         # dense ranging grid for linking from the first arc when the line of
    link_range_rate_points: int = 61     #   variations fails (0 disables)
    step_days: float = 4.0               # longest RK4 step of the fast model (first arc: this step)
    steps_per_period: float = 200.0      # after the first arc: step = period / this, within 0.5 .. step_days
    max_iterations: int = 40             # Levenberg-Marquardt iterations per stage
    outlier_arcsec: float = 10.0         # after each stage, drop residuals above max(this, 5 x robust rms)
                                         #   (at most 10% of the arc; fit_orbit judges outliers again)
    verbose: bool = False               # log each stage at INFO (logger orbitfit.estimation.ranging)


@dataclass
class InitialOrbitReport:
    """What `initial_orbit` did: stages (rows used, rms, candidates), timing, dropped observations."""
    stages: list = field(default_factory=list)
    dropped: np.ndarray | None = None
    seconds: float = 0.0
    rms_arcsec: float = np.nan
    alternatives_rms: list = field(default_factory=list)   # other distinct orbits that also fit, if any

    def __str__(self):
        lines = [f"initial orbit in {self.seconds:.1f} s, final rms {self.rms_arcsec:.3f} arcsec"]
        for s in self.stages:
            lines.append(f"  {s['stage']:<10} {s['n_obs']:4d} obs  {s['span_days']:8.1f} d  best rms "
                         f"{s['rms_arcsec']:9.3f}\"  beam {s['beam']}" +
                         (f"  (line of variations: {s['lov_samples']} samples)" if s.get("lov_samples") else ""))
        if self.dropped is not None and self.dropped.size:
            lines.append(f"  dropped as gross outliers: rows {self.dropped.tolist()}")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------
# The fast model
# ---------------------------------------------------------------------------------------------------------------
@njit(cache=can_cache(__file__))
def _rk4_run(y0, dt, nsteps, bodies, gms, pole, gm, j2, wanted):
    """RK4 of states y0 (N, 6) over nsteps steps of dt; bodies (2 nsteps + 1, nb, 3) perturber positions at the
    half steps; returns the states after the step counts in `wanted` (sorted, >= 0), shape (len(wanted), N, 6)."""
    n = y0.shape[0]
    nb = gms.shape[0]
    out = np.empty((wanted.shape[0], n, 6))
    dmin2 = (10.0 * 71492.0) ** 2          # 10 Jupiter radii: keeps wild candidates finite (no orbit comes closer)
    dn3 = np.empty((bodies.shape[0], nb))
    for j in range(bodies.shape[0]):
        for b in range(nb):
            d = np.sqrt(bodies[j, b, 0] ** 2 + bodies[j, b, 1] ** 2 + bodies[j, b, 2] ** 2)
            dn3[j, b] = d * d * d
    k = np.empty((4, 6))
    y = np.empty(6)
    w = 0
    if wanted[0] == 0:
        out[0] = y0
        w = 1
    state = y0.copy()
    for step in range(nsteps):
        for i in range(n):
            for stage in range(4):
                if stage == 0:
                    for c in range(6):
                        y[c] = state[i, c]
                    j = 2 * step
                elif stage == 3:
                    for c in range(6):
                        y[c] = state[i, c] + dt * k[2, c]
                    j = 2 * step + 2
                else:
                    for c in range(6):
                        y[c] = state[i, c] + 0.5 * dt * k[stage - 1, c]
                    j = 2 * step + 1
                x0, x1, x2 = y[0], y[1], y[2]
                r2 = max(x0 * x0 + x1 * x1 + x2 * x2, dmin2)
                rn = np.sqrt(r2)
                z = x0 * pole[0] + x1 * pole[1] + x2 * pole[2]
                kk = gm / (rn * r2)
                jj = j2 / r2
                f = kk * (1.0 + jj * (1.0 - 5.0 * z * z / r2))
                g = 2.0 * kk * jj * z
                a0 = -x0 * f - g * pole[0]
                a1 = -x1 * f - g * pole[1]
                a2 = -x2 * f - g * pole[2]
                for b in range(nb):
                    d0 = bodies[j, b, 0] - x0
                    d1 = bodies[j, b, 1] - x1
                    d2 = bodies[j, b, 2] - x2
                    dd = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
                    q = gms[b] / (dd * dd * dd)
                    p = gms[b] / dn3[j, b]
                    a0 += q * d0 - p * bodies[j, b, 0]
                    a1 += q * d1 - p * bodies[j, b, 1]
                    a2 += q * d2 - p * bodies[j, b, 2]
                k[stage, 0] = y[3]
                k[stage, 1] = y[4]
                k[stage, 2] = y[5]
                k[stage, 3] = a0
                k[stage, 4] = a1
                k[stage, 5] = a2
            for c in range(6):
                state[i, c] += dt / 6.0 * (k[0, c] + 2.0 * k[1, c] + 2.0 * k[2, c] + k[3, c])
        if w < wanted.shape[0] and wanted[w] == step + 1:
            out[w] = state
            w += 1
    return out


class FastModel:
    """Vectorised propagation of many jovicentric-barycentric states (relative to NAIF 5, ICRF) and their
    astrometric directions. Forces: GM of NAIF 5 + J2_EFFECTIVE about Jupiter's J2000 pole + tides of
    TIDAL_BODIES. Fixed-step RK4 on a grid t0 + k h, cubic Hermite interpolation between grid nodes."""

    def __init__(self, ephemeris, step_days=4.0):
        self.ephemeris = ephemeris
        self.h = float(step_days) * DAY
        ra, dec = np.radians(C.jupiter_pole_radec_deg(0.0))
        self.pole = np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
        self.gm_tidal = np.array([C.GM_DE440[b] for b in TIDAL_BODIES])
        self._cache = {}

    def _perturbers(self, t0, kmin, kmax):
        """(n_half_steps, n_bodies, 3) positions relative to 5 at t0 + j h / 2, j = 2 kmin .. 2 kmax."""
        key = (t0, kmin, kmax)
        if key not in self._cache:
            t = t0 + np.arange(2 * kmin, 2 * kmax + 1) * self.h / 2
            pos = np.stack([self.ephemeris.position(b, t, C.JUPITER_BARY) for b in TIDAL_BODIES], axis=1)
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[key] = pos
        return self._cache[key]

    def propagate(self, states, t0, times):
        """states (N, 6) at t0 -> (N, m, 6) at `times` (m,), TDB s past J2000."""
        states = np.atleast_2d(np.asarray(states, dtype=float))
        times = np.atleast_1d(np.asarray(times, dtype=float))
        h = self.h
        u = (times - t0) / h
        lo = np.floor(u).astype(int)
        frac = u - lo
        kmin, kmax = min(0, int(lo.min())), max(0, int(lo.max()) + 1)
        bodies = self._perturbers(t0, kmin, kmax)            # index j - 2 kmin for half-step j
        need = np.unique(np.concatenate([lo, lo + 1]))
        nodes = {}
        j2 = 1.5 * J2_EFFECTIVE * C.JUPITER_REFERENCE_RADIUS_KM ** 2
        for direction in (+1, -1):
            wanted = np.sort(need[need >= 0] if direction > 0 else -need[need <= 0])
            if wanted.size == 0:
                continue
            half = bodies[-2 * kmin:] if direction > 0 else bodies[-2 * kmin::-1]
            out = _rk4_run(states, direction * h, int(wanted.max()), np.ascontiguousarray(half), self.gm_tidal,
                           self.pole, GM_CENTRAL, j2, wanted.astype(np.int64))
            for i, k in enumerate(wanted):
                nodes[int(direction * k)] = out[i]
        # cubic Hermite interpolation of position and velocity between nodes lo and lo + 1
        out = np.empty((states.shape[0], times.size, 6))
        for idx, (k, s) in enumerate(zip(lo, frac)):
            y0, y1 = nodes[k], nodes[k + 1]
            if s == 0.0:
                out[:, idx] = y0
                continue
            p0, v0, p1, v1 = y0[:, :3], y0[:, 3:] * h, y1[:, :3], y1[:, 3:] * h
            h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
            d00, d10, d01, d11 = 6 * s**2 - 6 * s, 3 * s**2 - 4 * s + 1, -6 * s**2 + 6 * s, 3 * s**2 - 2 * s
            out[:, idx, :3] = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
            out[:, idx, 3:] = (d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1) / h
        return out


@dataclass
class _Data:
    """Arrays of the observations the start-up needs (all rows)."""
    t_obs: np.ndarray
    t_nom: np.ndarray             # t_obs - light time to Jupiter's barycentre
    observer: np.ndarray          # (n, 3) SSB km
    bary: np.ndarray              # (n, 6) state of NAIF 5 relative to the SSB at t_nom
    unit: np.ndarray              # (n, 3) observed directions
    e_ra: np.ndarray              # (n, 3) local east (RA) and north (Dec) unit vectors
    e_dec: np.ndarray
    sigma: np.ndarray             # (n, 2) arcsec, model floor included


def _radec_unit(ra_deg, dec_deg):
    a, d = np.radians(ra_deg), np.radians(dec_deg)
    unit = np.column_stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
    e_ra = np.column_stack([-np.sin(a), np.cos(a), np.zeros_like(a)])
    e_dec = np.column_stack([-np.sin(d) * np.cos(a), -np.sin(d) * np.sin(a), np.cos(d)])
    return unit, e_ra, e_dec


def _data(observations, ephemeris, options):
    prepared = prepare(observations, ephemeris)
    unit, e_ra, e_dec = _radec_unit(prepared.ra, prepared.dec)
    floor = options.model_floor_mas
    s_ra = np.hypot(np.nan_to_num(prepared.sigma_ra, nan=options.default_sigma_mas), floor) / 1e3
    s_dec = np.hypot(np.nan_to_num(prepared.sigma_dec, nan=options.default_sigma_mas), floor) / 1e3
    bary = ephemeris.state(C.JUPITER_BARY, prepared.t_nominal)
    return _Data(prepared.t_obs, prepared.t_nominal, prepared.observer_ssb, bary, unit, e_ra, e_dec,
                 np.column_stack([s_ra, s_dec]))


def residuals_arcsec(model, data, rows, states, t0):
    """O-C (N, m, 2) arcsec (RA*, Dec; gnomonic about the observed position) of states (N, 6) at t0."""
    rel = model.propagate(states, t0, data.t_nom[rows])                   # (N, m, 6) at the nominal epochs
    sat = rel + data.bary[rows][None]
    obs = data.observer[rows][None]
    tau_j = (data.t_obs - data.t_nom)[rows][None]
    rho = sat[..., :3] - obs
    dtau = np.linalg.norm(rho, axis=2) / C.SPEED_OF_LIGHT_KM_S - tau_j     # extra light time beyond Jupiter's
    rho = rho - sat[..., 3:] * dtau[..., None]
    along = np.einsum("nmk,mk->nm", rho, data.unit[rows])
    along = np.where(along > 0, along, np.nan)                            # behind the observer: no projection
    xi = np.einsum("nmk,mk->nm", rho, data.e_ra[rows]) / along
    eta = np.einsum("nmk,mk->nm", rho, data.e_dec[rows]) / along
    return -np.stack([xi, eta], axis=2) * ARCSEC_PER_RAD


def _normalised(model, data, rows, states, t0):
    res = residuals_arcsec(model, data, rows, states, t0) / data.sigma[rows][None]
    res = res.reshape(res.shape[0], -1)
    return np.where(np.isfinite(res), res, 1e6)


# ---------------------------------------------------------------------------------------------------------------
# Levenberg-Marquardt, vectorised over candidates
# ---------------------------------------------------------------------------------------------------------------
FD_STEPS = np.array([1.0, 1.0, 1.0, 1e-6, 1e-6, 1e-6])       # km, km/s: finite-difference steps of the Jacobian


@dataclass
class _Fit:
    states: np.ndarray      # (N, 6) at t0
    chi2: np.ndarray        # (N,)
    covariance: np.ndarray  # (N, 6, 6), in the normalised metric (unit-weight sigmas)
    rms: np.ndarray         # (N,) arcsec, sqrt(mean of RA*^2 and Dec^2)


def _jacobian(model, data, rows, states, t0):
    n = states.shape[0]
    batch = np.repeat(states[:, None, :], 7, axis=1)
    batch[:, 1:, :] += np.eye(6) * FD_STEPS
    values = _normalised(model, data, rows, batch.reshape(-1, 6), t0).reshape(n, 7, -1)
    jac = (values[:, 1:, :] - values[:, :1, :]) / FD_STEPS[None, :, None]       # (N, 6, M)
    return values[:, 0, :], np.transpose(jac, (0, 2, 1))


def _rms(model, data, rows, states, t0):
    res = residuals_arcsec(model, data, rows, states, t0)
    return np.sqrt(np.nanmean(res ** 2, axis=(1, 2)))


def levenberg_marquardt(model, data, rows, states, t0, max_iterations=40, basis=None):
    """Minimise chi^2 of each candidate independently. Returns a _Fit.

    basis: optional (N, 6, k) matrices; each candidate then moves only within x0 + basis @ y (a constrained fit,
    used along the line of variations). The covariance returned is always the unconstrained 6x6 one.
    """
    x = np.array(states, dtype=float)
    n = x.shape[0]
    k_dim = 6 if basis is None else basis.shape[2]
    lam = np.full(n, 1e-3)
    active = np.ones(n, dtype=bool)
    r, J = _jacobian(model, data, rows, x, t0)
    chi2 = np.einsum("ij,ij->i", r, r)
    for _ in range(max_iterations):
        if not active.any():
            break
        idx = np.nonzero(active)[0]
        Jr = J[idx] if basis is None else np.einsum("nmi,nik->nmk", J[idx], basis[idx])
        A = np.einsum("nmi,nmj->nij", Jr, Jr)
        g = np.einsum("nmi,nm->ni", Jr, r[idx])
        diag = np.einsum("nii->ni", A)
        diag = np.where(diag > 0, diag, 1.0)
        improved = np.zeros(idx.size, dtype=bool)
        trial_x = np.empty((idx.size, 6))
        for attempt in range(10):
            todo = ~improved
            if not todo.any():
                break
            M = A[todo] + lam[idx[todo], None, None] * np.einsum("ni,ij->nij", diag[todo], np.eye(k_dim))
            try:
                step = -np.linalg.solve(M, g[todo][..., None])[..., 0]
            except np.linalg.LinAlgError:
                step = -np.stack([np.linalg.lstsq(m, b, rcond=None)[0] for m, b in zip(M, g[todo])])
            if basis is not None:
                step = np.einsum("nik,nk->ni", basis[idx[todo]], step)
            trial_x[todo] = x[idx[todo]] + step
            trial_r = _normalised(model, data, rows, trial_x[todo], t0)
            trial_chi2 = np.einsum("ij,ij->i", trial_r, trial_r)
            better = trial_chi2 < chi2[idx[todo]]
            sub = np.nonzero(todo)[0]
            lam[idx[sub[better]]] = np.maximum(lam[idx[sub[better]]] / 5.0, 1e-9)
            lam[idx[sub[~better]]] *= 8.0
            done = sub[better]
            old = chi2[idx[done]]
            new = trial_chi2[better]
            chi2[idx[done]] = new
            x[idx[done]] = trial_x[done]
            improved[done] = True
            # converged when chi^2 changes by a negligible amount
            small = (old - new) < 1e-6 * np.maximum(new, 1.0) + 1e-9
            active[idx[done[small]]] = False
        active[idx[~improved]] = False            # no decrease even with strong damping: at a minimum
        if active.any():
            ia = np.nonzero(active)[0]
            r[ia], J[ia] = _jacobian(model, data, rows, x[ia], t0)
            chi2[ia] = np.einsum("ij,ij->i", r[ia], r[ia])
    r, J = _jacobian(model, data, rows, x, t0)
    chi2 = np.einsum("ij,ij->i", r, r)
    A = np.einsum("nmi,nmj->nij", J, J)
    cov = np.linalg.pinv(A)
    return _Fit(x, chi2, cov, _rms(model, data, rows, x, t0))


def _scale(states):
    """(N, 6) scale factors |r|, |r|, |r|, |v|, |v|, |v|: the metric in which 'weakest direction' is judged."""
    rn = np.linalg.norm(states[:, :3], axis=1)
    vn = np.linalg.norm(states[:, 3:], axis=1)
    return np.column_stack([rn, rn, rn, vn, vn, vn])


def _weak_direction(fit):
    """Unit weak direction (in scaled coordinates) and its 1-sigma length, per candidate."""
    d = _scale(fit.states)
    scaled = fit.covariance / (d[:, :, None] * d[:, None, :])
    w, V = np.linalg.eigh(scaled)
    return V[:, :, -1], np.sqrt(np.maximum(w[:, -1], 0.0)), d


def line_of_variations(model, data, rows, fit, t0, max_rms, target_rows=None, max_jump_arcsec=600.0,
                       step_sigma=0.2, max_step_sigma=3.0, max_steps=400, max_iterations=8):
    """Samples along the line of variations (Milani et al. 2005, A&A 431, 729) of each candidate of `fit`.

    From each solution, steps along the weakest direction of the local covariance (in coordinates scaled by |r|
    and |v|; step lengths in units of the local 1-sigma along it), both ways, each followed by a fit constrained to
    the hyperplane orthogonal to that direction. A branch stops when its rms on `rows` exceeds max_rms or after
    max_steps. With `target_rows` (e.g. the apparition to be linked), the step adapts so that consecutive samples'
    predictions there move by at most max_jump_arcsec (halving down to 1e-4 sigma, growing up to max_step_sigma):
    the samples are dense where the prediction is sensitive. Returns (states (M, 6), rms (M,), branch (M,),
    position index along the branch (M,)).
    """
    n = fit.states.shape[0]
    sign = np.concatenate([np.ones(n), -np.ones(n)])
    states = np.concatenate([fit.states, fit.states])
    direction = None
    step = np.full(2 * n, step_sigma)
    count = np.zeros(2 * n, dtype=int)
    alive = np.ones(2 * n, dtype=bool)

    def predicted(x):
        if target_rows is None:
            return np.zeros((x.shape[0], 0))
        return residuals_arcsec(model, data, target_rows, x, t0).reshape(x.shape[0], -1)

    last_pred = predicted(states)
    out_states, out_rms, out_branch, out_pos = [fit.states], [fit.rms], [np.arange(n)], [np.zeros(n)]
    for _ in range(4 * max_steps):
        idx = np.nonzero(alive)[0]
        if idx.size == 0:
            break
        here = levenberg_marquardt(model, data, rows, states[idx], t0, 0)      # covariance at the current point
        v, sigma, d = _weak_direction(here)
        if direction is None:
            v *= sign[idx, None]
            direction = np.zeros((2 * n, 6))
        else:                                     # keep walking the same way along the line
            flip = np.einsum("ni,ni->n", v, direction[idx]) < 0
            v[flip] *= -1
        x = states[idx] + (step[idx] * sigma)[:, None] * v * d
        q, _ = np.linalg.qr(np.concatenate([v[:, :, None], np.broadcast_to(np.eye(6), (idx.size, 6, 6))], axis=2))
        basis = q[:, :, 1:6] * d[:, :, None]      # orthonormal complement of v, back in km and km/s
        moved = levenberg_marquardt(model, data, rows, x, t0, max_iterations, basis=basis)
        pred = predicted(moved.states)
        jump = np.max(np.abs(pred - last_pred[idx]), axis=1, initial=0.0)
        jump = np.where(np.isfinite(jump), jump, np.inf)
        too_far = (jump > max_jump_arcsec) & (step[idx] > 1e-4)
        accept = ~too_far
        step[idx[too_far]] /= 2.0
        good = idx[accept]
        direction[good] = v[accept]
        states[good] = moved.states[accept]
        last_pred[good] = pred[accept]
        count[good] += 1
        grow = accept & (jump < max_jump_arcsec / 4)
        step[idx[grow]] = np.minimum(step[idx[grow]] * 1.5, max_step_sigma)
        ok = accept & np.isfinite(moved.rms) & (moved.rms < max_rms)
        out_states.append(moved.states[ok])
        out_rms.append(moved.rms[ok])
        out_branch.append(idx[ok] % n)
        out_pos.append(sign[idx[ok]] * count[idx[ok]])
        alive[idx[accept & ~ok]] = False
        alive[count >= max_steps] = False
    return (np.concatenate(out_states), np.concatenate(out_rms), np.concatenate(out_branch),
            np.concatenate(out_pos))


# ---------------------------------------------------------------------------------------------------------------
# Arcs, ranging, extension
# ---------------------------------------------------------------------------------------------------------------
def apparitions(t_obs, gap_days=90.0):
    """Row index arrays of the groups of observations separated by gaps longer than gap_days (time order)."""
    order = np.argsort(t_obs)
    breaks = np.nonzero(np.diff(t_obs[order]) > gap_days * DAY)[0] + 1
    return [np.sort(g) for g in np.split(order, breaks)]


def _nights(t):
    return np.unique(np.floor(np.asarray(t) / DAY + 0.5)).size


def _attributable(data, rows, t0):
    """Direction, its rate, observer position and velocity at t0 from low-order polynomial fits."""
    dt = (data.t_obs[rows] - t0) / DAY
    degree = 2 if (_nights(data.t_obs[rows]) >= 3 and np.ptp(dt) > 2.0) else 1
    V = np.vander(dt, degree + 1, increasing=True)
    cu = np.linalg.lstsq(V, data.unit[rows], rcond=None)[0]
    co = np.linalg.lstsq(V, data.observer[rows], rcond=None)[0]
    norm = np.linalg.norm(cu[0])
    u0 = cu[0] / norm
    udot = (cu[1] - (cu[1] @ u0) * u0) / norm / DAY
    return u0, udot, co[0], co[1] / DAY


def ranging_states(data, rows, t0, ephemeris, options, range_points=None, range_rate_points=None):
    """Candidate states (N, 6) relative to 5 at t0 from a grid of line-of-sight distance and radial velocity."""
    range_points = range_points or options.range_points
    range_rate_points = range_rate_points or options.range_rate_points
    u0, udot, o0, odot = _attributable(data, rows, t0)
    b0 = ephemeris.state(C.JUPITER_BARY, [t0])[0]
    delta = np.linalg.norm(b0[:3] - o0)
    rmax = options.hill_radius_km
    xs = np.linspace(-rmax, rmax, range_points)
    out = []
    for x in xs:
        rho = delta + x
        if rho <= 0:
            continue
        tau = rho / C.SPEED_OF_LIGHT_KM_S
        b = b0[:3] - b0[3:] * tau                  # barycentre at the emission epoch (linear over ~2000 s)
        r = o0 + rho * u0 - b
        rn = np.linalg.norm(r)
        if rn > rmax:
            continue
        w = odot + rho * udot - b0[3:]
        wu = w @ u0
        disc = wu * wu - w @ w + 2.0 * GM_CENTRAL / rn
        if disc <= 0:
            continue
        half = np.sqrt(disc)
        for f in np.linspace(-1, 1, range_rate_points + 2)[1:-1]:
            rdot = -wu + f * half
            v = w + rdot * u0
            energy = 0.5 * v @ v - GM_CENTRAL / rn
            a = -GM_CENTRAL / (2 * energy)
            h = np.cross(r, v)
            e = np.sqrt(max(0.0, 1.0 + 2.0 * energy * (h @ h) / GM_CENTRAL ** 2))
            if a * (1 + e) > rmax or a * (1 - e) < 20 * C.JUPITER_REFERENCE_RADIUS_KM:
                continue
            out.append(np.concatenate([r + v * tau, v]))       # shifted from the emission epoch to t0
    return np.array(out).reshape(-1, 6)


def _distinct(fit, order, limit):
    """Indices (by increasing chi2 through `order`) of mutually distinct states, at most `limit`."""
    kept = []
    for i in order:
        s = fit.states[i]
        same = any(np.linalg.norm(s[:3] - fit.states[j][:3]) < 1e-3 * np.linalg.norm(s[:3]) and
                   np.linalg.norm(s[3:] - fit.states[j][3:]) < 1e-3 * np.linalg.norm(s[3:]) for j in kept)
        if not same:
            kept.append(i)
        if len(kept) >= limit:
            break
    return kept


def _round_day(t):
    return float(np.round(t / DAY) * DAY)


class _Search:
    def __init__(self, observations, ephemeris, options):
        self.options = options
        self.ephemeris = ephemeris
        self.data = _data(observations, ephemeris, options)
        self.model = FastModel(ephemeris, options.step_days)
        self.report = InitialOrbitReport()

    def log(self, stage, rows, fit, beam, **extra):
        t = self.data.t_obs[rows]
        best = float(np.nanmin(fit.rms)) if fit is not None and fit.rms.size else np.nan
        entry = {"stage": stage, "n_obs": int(rows.size), "span_days": float(np.ptp(t) / DAY),
                 "rms_arcsec": best, "beam": beam, **extra}
        self.report.stages.append(entry)
        # verbose: at INFO (shown by `orbitfit -v`), else at DEBUG (`orbitfit -vv`); never printed
        LOG.log(logging.INFO if self.options.verbose else logging.DEBUG, "[initial_orbit] %s", entry)

    def lm(self, rows, states, t0, **kw):
        return levenberg_marquardt(self.model, self.data, rows, states, t0, self.options.max_iterations, **kw)

    def move(self, states, t_from, t_to):
        if t_from == t_to:
            return states
        return self.model.propagate(states, t_from, [t_to])[:, 0]

    def set_step(self, states):
        """RK4 step from the shortest period among the candidates (P / 200, 0.5 to 4 days)."""
        r = np.linalg.norm(states[:, :3], axis=1)
        energy = 0.5 * np.einsum("ij,ij->i", states[:, 3:], states[:, 3:]) - GM_CENTRAL / r
        a = -GM_CENTRAL / (2.0 * np.minimum(energy, -1e-12))
        period_days = 2 * np.pi * np.sqrt(a ** 3 / GM_CENTRAL) / DAY
        step = float(np.clip(np.min(period_days) / self.options.steps_per_period, 0.5, self.options.step_days))
        if step != self.model.h / DAY:
            self.model = FastModel(self.ephemeris, step)

    def clean(self, fit, rows, t0):
        """Rows of gross outliers of the best candidate: above max(outlier_arcsec, 5 x robust rms)."""
        res = residuals_arcsec(self.model, self.data, rows, fit.states[:1], t0)[0]
        size = np.hypot(res[:, 0], res[:, 1])
        scale = 1.4826 * np.median(size)
        bad = size > max(self.options.outlier_arcsec, 5 * scale)
        if bad.sum() > max(1, rows.size // 10):
            return rows, rows[:0]                # too many to be blunders: leave the judgement to the fit
        return rows[~bad], rows[bad]

    def first_arc(self, rows):
        t0 = _round_day(0.5 * (self.data.t_obs[rows].min() + self.data.t_obs[rows].max()))
        grid = ranging_states(self.data, rows, t0, self.ephemeris, self.options)
        if grid.shape[0] == 0:
            raise InitialOrbitError("initial orbit: no bound jovicentric orbit is compatible with the first arc's "
                                    "position and motion (is the body a satellite of Jupiter?)")
        res = _normalised(self.model, self.data, rows, grid, t0)
        chi2 = np.einsum("ij,ij->i", res, res)
        best = np.argsort(chi2)[:self.options.refine_best]
        # the refined candidates, and the grid points themselves (bound by construction): on an arc of two nights
        # the free fit is degenerate and may drift to unbound orbits, while grid points that fit stay usable
        refined = self.lm(rows, grid[best], t0)
        as_is = levenberg_marquardt(self.model, self.data, rows, grid[best], t0, 0)
        return t0, _merge(refined, as_is), grid.shape[0]

    def select(self, fit, rows, t0, new_rows=None, arc_rms=None):
        """Best distinct candidates that fit: total rms below max_rms_arcsec and, when linking, the new
        apparition's own rms below max(link_factor x the arc's rms, link_floor_arcsec)."""
        ok = np.isfinite(fit.rms) & (fit.rms < self.options.max_rms_arcsec)
        ok &= _bound_apocentre(fit.states)[2] < self.options.hill_radius_km      # a satellite of Jupiter
        if new_rows is not None and ok.any():
            limit = max(self.options.link_factor * arc_rms, self.options.link_floor_arcsec)
            cand = np.nonzero(ok)[0]
            new_rms = _rms(self.model, self.data, new_rows, fit.states[cand], t0)
            ok[cand[~(new_rms < limit)]] = False
        ok = np.nonzero(ok)[0]
        order = ok[np.argsort(fit.chi2[ok])]
        keep = _distinct(fit, order, self.options.beam)
        return _Fit(fit.states[keep], fit.chi2[keep], fit.covariance[keep], fit.rms[keep])

    def link_by_lov(self, beam, rows, t0, new_rows, new_t0):
        """Restarts for linking: samples along the beam's lines of variations on the current arc, screened by
        their chi^2 on the extended arc (the local minima along each line), refined on the extended arc."""
        o = self.options
        states, rms, branch, pos = line_of_variations(
            self.model, self.data, rows, beam, t0, o.max_rms_arcsec, target_rows=np.setdiff1d(new_rows, rows),
            max_jump_arcsec=o.lov_max_jump_arcsec, step_sigma=o.lov_step_sigma, max_steps=o.lov_max_steps)
        moved = self.move(states, t0, new_t0)
        res = _normalised(self.model, self.data, new_rows, moved, new_t0)
        chi2 = np.einsum("ij,ij->i", res, res)
        picks = []
        for b in np.unique(branch):
            members = np.nonzero(branch == b)[0]
            members = members[np.argsort(pos[members])]
            c = chi2[members]
            is_min = np.ones(c.size, dtype=bool)
            is_min[1:] &= c[1:] <= c[:-1]
            is_min[:-1] &= c[:-1] <= c[1:]
            picks.extend(members[is_min].tolist())
        picks = np.array(picks, dtype=int)
        picks = picks[np.argsort(chi2[picks])][:o.lov_refine]
        return self.lm(new_rows, moved[picks], new_t0), int(states.shape[0])


    def link_by_ranging(self, rows, t0, new_rows, new_t0):
        """Restarts for linking from a first arc too short for a line of variations (two nights: the whole
        admissible region is open): a dense ranging grid, kept where it fits the arc, screened by chi^2 on the
        extended arc, the best distinct ones refined."""
        o = self.options
        grid = ranging_states(self.data, rows, t0, self.ephemeris, o, o.link_range_points, o.link_range_rate_points)
        if grid.shape[0] == 0:
            return None, 0
        grid = grid[_rms(self.model, self.data, rows, grid, t0) < o.max_rms_arcsec]
        if grid.shape[0] == 0:
            return None, 0
        moved = self.move(grid, t0, new_t0)
        res = _normalised(self.model, self.data, new_rows, moved, new_t0)
        chi2 = np.einsum("ij,ij->i", res, res)
        order = np.argsort(chi2)
        screened = _Fit(moved, chi2, np.zeros((moved.shape[0], 6, 6)), chi2)
        picks = _distinct(screened, order, 2 * o.lov_refine)
        return self.lm(new_rows, moved[picks], new_t0), int(grid.shape[0])


def _merge(a, b):
    return _Fit(*(np.concatenate([x, y]) for x, y in zip((a.states, a.chi2, a.covariance, a.rms),
                                                          (b.states, b.chi2, b.covariance, b.rms))))


def _bound_apocentre(states):
    """Semi-major axis, eccentricity and apocentre (N,) about the barycentre (system GM); inf when unbound."""
    r = np.linalg.norm(states[:, :3], axis=1)
    energy = 0.5 * np.einsum("ij,ij->i", states[:, 3:], states[:, 3:]) - GM_CENTRAL / r
    h = np.cross(states[:, :3], states[:, 3:])
    e = np.sqrt(np.maximum(0.0, 1.0 + 2.0 * energy * np.einsum("ij,ij->i", h, h) / GM_CENTRAL ** 2))
    with np.errstate(divide="ignore"):
        a = np.where(energy < 0, -GM_CENTRAL / (2.0 * energy), np.inf)
    return a, e, np.where(energy < 0, a * (1 + e), np.inf)


def _check_orbit(state, options):
    """Raise InitialOrbitError unless the state is a bound orbit inside Jupiter's Hill sphere."""
    a, e, apo = (x[0] for x in _bound_apocentre(state[None]))
    if not np.isfinite(a):
        raise InitialOrbitError(f"initial orbit: the best solution is not bound to Jupiter "
                                f"(r = {np.linalg.norm(state[:3]):.3g} km)")
    if apo > options.hill_radius_km:
        raise InitialOrbitError(f"initial orbit: the best solution leaves Jupiter's Hill sphere (a = {a:.4g} km, "
                                f"e = {e:.3f}); the linkage is probably wrong")


def initial_orbit(observations, ephemeris=None, options: InitialOrbitOptions | None = None, report=False):
    """A starting orbit for `fit_orbit` from the observations alone (one body).

    Returns an `Orbit` (state relative to NAIF 5, ICRF, km and km/s) at the mid-epoch of the data (midpoint of the
    first and last observation, TDB, rounded to a whole day past J2000), or (Orbit, InitialOrbitReport) when
    report=True. Raises InitialOrbitError when no orbit fits (see the module docstring for the method).
    """
    start = time.perf_counter()
    options = options or InitialOrbitOptions()
    ephemeris = ephemeris or default_ephemeris()
    bodies = np.unique(np.asarray(observations["body"]))
    if bodies.size != 1:
        raise InitialOrbitError(f"initial orbit: observations of one body are needed, got bodies {bodies.tolist()}")
    n = len(observations)
    if n < 4:
        raise InitialOrbitError(f"initial orbit: too few observations ({n}); at least 4 over 2 nights are needed")
    search = _Search(observations, ephemeris, options)
    data = search.data
    groups = apparitions(data.t_obs, options.gap_days)
    # first arc: the most nights (three or more give a curvature); among two-night apparitions the one with the
    # nearest neighbour (the easiest link), then the longest span
    nearest = [min([abs(np.median(data.t_obs[g]) - np.median(data.t_obs[h])) for h in groups if h is not g],
                   default=0.0) for g in groups]
    score = [(min(_nights(data.t_obs[g]), 3), _nights(data.t_obs[g]) if _nights(data.t_obs[g]) >= 3 else -nearest[i],
              np.ptp(data.t_obs[g]), g.size) for i, g in enumerate(groups)]
    first = max(range(len(groups)), key=lambda i: score[i])
    if _nights(data.t_obs[groups[first]]) < 2:
        raise InitialOrbitError("initial orbit: no apparition has observations on two nights or more; a first arc "
                                "needs at least two nights (better three)")
    if len(groups) == 1 and _nights(data.t_obs) < 3:
        raise InitialOrbitError(f"initial orbit: {n} observations on {_nights(data.t_obs)} nights of one apparition "
                                f"do not determine an orbit (need three nights, or more apparitions)")
    rows = groups[first]
    t0, fit, n_grid = search.first_arc(rows)
    beam = search.select(fit, rows, t0)
    search.log("first arc", rows, fit, beam.states.shape[0], ranging_states=n_grid)
    if beam.states.shape[0] == 0:
        bound = _bound_apocentre(fit.states)[2] < options.hill_radius_km
        best_bound = np.nanmin(fit.rms[bound]) if bound.any() else np.nan
        raise InitialOrbitError(
            f"initial orbit: no orbit bound to Jupiter fits the first arc ({rows.size} observations over "
            f"{np.ptp(data.t_obs[rows]) / DAY:.1f} d, {_nights(data.t_obs[rows])} nights): "
            + (f"best rms of bound orbits {best_bound:.2f} arcsec" if bound.any() else "every refined candidate "
               "ended unbound") + f" (threshold {options.max_rms_arcsec} arcsec)"
            + (f"; unbound or escaping orbits reach {np.nanmin(fit.rms):.2f} arcsec, the arc is too short to tell"
               if np.nanmin(fit.rms) < options.max_rms_arcsec else ""))
    search.set_step(beam.states)
    dropped = []

    def drop_outliers(beam, rows, t0):
        kept, bad = search.clean(beam, rows, t0)
        if bad.size == 0:
            return beam, rows
        refit = search.select(search.lm(kept, beam.states, t0), kept, t0)
        if refit.states.shape[0] == 0:
            return beam, rows
        dropped.extend(bad.tolist())
        return refit, kept

    beam, rows = drop_outliers(beam, rows, t0)
    done = {first}
    while len(done) < len(groups):
        lo, hi = data.t_obs[rows].min(), data.t_obs[rows].max()
        gap = [min(abs(data.t_obs[g].min() - hi), abs(data.t_obs[g].max() - lo)) if i not in done else np.inf
               for i, g in enumerate(groups)]
        nxt = int(np.argmin(gap))
        done.add(nxt)
        app = groups[nxt]
        new_rows = np.sort(np.concatenate([rows, app]))
        new_t0 = _round_day(0.5 * (data.t_obs[new_rows].min() + data.t_obs[new_rows].max()))
        arc_rms = float(beam.rms[0])
        fit = search.lm(new_rows, search.move(beam.states, t0, new_t0), new_t0)
        new_beam = search.select(fit, new_rows, new_t0, app, arc_rms)
        n_lov = 0
        if new_beam.states.shape[0] == 0 and options.lov_max_steps > 0:
            more, n_lov = search.link_by_lov(beam, rows, t0, new_rows, new_t0)
            fit = _merge(fit, more)
            new_beam = search.select(fit, new_rows, new_t0, app, arc_rms)
        if new_beam.states.shape[0] == 0 and len(done) == 2 and options.link_range_points > 0:
            more, n_grid = search.link_by_ranging(rows, t0, new_rows, new_t0)
            if more is not None:
                fit = _merge(fit, more)
                new_beam = search.select(fit, new_rows, new_t0, app, arc_rms)
                n_lov += n_grid
        year = 2000.0 + np.median(data.t_obs[app]) / (365.25 * DAY)
        search.log(f"+{year:.1f}", new_rows, fit, new_beam.states.shape[0], lov_samples=n_lov)
        if new_beam.states.shape[0] == 0:
            raise InitialOrbitError(
                f"initial orbit: cannot link the apparition of {year:.1f} ({app.size} observations) to the "
                f"arc fitted so far ({rows.size} observations, rms {arc_rms:.2f} arcsec); best rms "
                f"{np.nanmin(fit.rms):.2f} arcsec (threshold {options.max_rms_arcsec} arcsec, and "
                f"{max(options.link_factor * arc_rms, options.link_floor_arcsec):.2f} arcsec on the new apparition)")
        beam, rows, t0 = new_beam, new_rows, new_t0
        beam, rows = drop_outliers(beam, rows, t0)
    epoch = _round_day(0.5 * (data.t_obs.min() + data.t_obs.max()))
    state = search.move(beam.states[:1], t0, epoch)[0]
    _check_orbit(state, options)
    rep = search.report
    rep.dropped = np.array(sorted(dropped), dtype=int)
    rep.seconds = time.perf_counter() - start
    rep.rms_arcsec = float(beam.rms[0])
    rep.alternatives_rms = beam.rms[1:].tolist()
    if beam.states.shape[0] > 1:
        warnings.warn(f"initial orbit: {beam.states.shape[0]} distinct orbits fit the data (rms "
                      f"{', '.join(f'{r:.2f}' for r in beam.rms)} arcsec); returning the best. More apparitions "
                      f"would settle it.", stacklevel=2)
    if len(groups) == 1:
        warnings.warn("initial orbit: the observations cover a single apparition; the orbit is only weakly "
                      "determined (its line of variations is long) and may be far from the truth", stacklevel=2)
    orbit = Orbit(int(bodies[0]), epoch, state)
    return (orbit, rep) if report else orbit
