"""Bessel fundamental-plane geometry of a body against a star: the plane's elements at any instant (`Plane`,
`fundamental_plane`) and the geocentric closest approach (`closest_approach`).

Conventions (README, "Conventions"): time TDB seconds past J2000 TDB (UTC only at the edges, via astropy), ICRF axes,
km, km/s; angles in degrees unless a name says mas.

Geometry (Bessel; as SORA and Gomes-Junior et al. 2016 / Assafin et al. 2010 define the elements):
* The star's direction s as seen from the geocentre: its barycentric position propagated by uniform space motion
  from the catalogue epoch (proper motion, and radial velocity where the parallax is known), minus the Earth's
  barycentric position (the parallax). Stars with parallax <= 0 or NaN are at infinity (barycentric direction).
* The body: light-time corrected, geometric (astrometric: no aberration, no deflection) position relative to the
  geocentre, rho(t) = r_body(t - tau) - r_earth(t). Aberration shifts star and body alike and cancels.
* The fundamental plane is perpendicular to s through the geocentre; f = rho . east, g = rho . north (east = the
  direction of increasing RA at the star, north = increasing Dec), in km. (f, g) is where the body's shadow axis
  crosses the plane, relative to the geocentre. NOTE: SORA's `occ_params` uses the opposite sign (its f, g locate
  the geocentre relative to the shadow); the elements below are identical.
* Closest approach (C/A): the instant where |(f, g)| is minimal. C/A in km = |(f, g)|, in arcsec = asin(|(f, g)| /
  |rho|). P/A = atan2(f, g): position angle of the body relative to the star, from north through east (Gomes-Junior et al. 2016:
  "zero at north of the star, increasing clockwise" on a north-up east-left sky). Velocity = |d(f, g)/dt| with the
  sign of df/dt (positive = prograde = moving east), km/s, as SORA and Gomes-Junior et al. (2016).
* A site X (GCRS, km) is on the shadow axis at instant t when X projected on the plane equals (f, g)(t) +
  v_perp (X . s)/c, v_perp = the body's barycentric velocity projected on the plane: the site is nearer the body by
  X . s, so the light it receives at t passed the body (X . s)/c later than the light reaching the geocentre
  (<= 21 ms, <= 0.3 km on the ground). The path (`shadow`) and the site computations (`sites`) include it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dynamics import constants as C

from .stars import MAS_PER_RAD

C_KM_S = C.SPEED_OF_LIGHT_KM_S
# closest_approach's default Newton step bound: two steps of the search's default grid (prediction.search, 600 s)
DEFAULT_BRACKET_S = 1200.0


@dataclass
class Plane:
    """Fundamental-plane geometry at n instants (all arrays (n,) or (n, 3)); see the module docstring."""
    tdb: np.ndarray
    f: np.ndarray                  # km, east
    g: np.ndarray                  # km, north
    df: np.ndarray                 # km/s
    dg: np.ndarray
    distance_km: np.ndarray        # |rho|, geocentre -> body (light-time corrected)
    rho: np.ndarray                # (n, 3) geocentre -> body, km
    star: np.ndarray               # (n, 3) unit vector geocentre -> star
    east: np.ndarray               # (n, 3)
    north: np.ndarray              # (n, 3)
    body_velocity_fg: np.ndarray   # (n, 2) the body's barycentric velocity projected on (east, north), km/s
    earth_ssb: np.ndarray          # (n, 6)

    @property
    def ca_km(self):
        return np.hypot(self.f, self.g)

    @property
    def ca_mas(self):
        return np.arcsin(np.minimum(self.ca_km / self.distance_km, 1.0)) * MAS_PER_RAD

    @property
    def pa_deg(self):
        return np.mod(np.degrees(np.arctan2(self.f, self.g)), 360.0)

    @property
    def speed_km_s(self):
        return np.hypot(self.df, self.dg)

    @property
    def velocity_km_s(self):
        """Shadow velocity, signed like SORA and Gomes-Junior et al. (2016): positive when the body moves east (prograde)."""
        return self.speed_km_s * np.where(self.df < 0, -1.0, 1.0)

    def take(self, index):
        """The geometry at some of the instants (`index`: integer array, boolean mask or slice)."""
        return Plane(*(getattr(self, name)[index] for name in Plane.__dataclass_fields__))


def plane_basis(star_unit):
    """East and north unit vectors (n, 3) of the sky at each star direction (n, 3)."""
    s = np.atleast_2d(star_unit)
    east = np.stack([-s[:, 1], s[:, 0], np.zeros(len(s))], axis=1)
    east /= np.linalg.norm(east, axis=1)[:, None]
    return east, np.cross(s, east)


def fundamental_plane(target, star, tdb_seconds, ephemeris=None, rows=None, star_tdb=None):
    """Plane geometry of the body `target` (callable, (n,) TDB s -> (n, 6) SSB states) against `star` (a Star;
    `rows` picks one star per instant) at TDB instants (n,). The star's direction is taken at `star_tdb` (default:
    the instants themselves)."""
    from ..model import solve_light_time
    from dynamics.propagation import default_ephemeris
    ephemeris = ephemeris or default_ephemeris()
    t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
    earth = ephemeris.state(C.EARTH, t)
    tau, state = solve_light_time(t, earth[:, :3], target)
    rho = state[:, :3] - earth[:, :3]
    distance = np.linalg.norm(rho, axis=1)
    u = rho / distance[:, None]
    vb, ve = state[:, 3:], earth[:, 3:]
    # d tau/dt from c tau = |r_b(t - tau) - r_e(t)|
    tau_dot = np.einsum("ij,ij->i", u, vb - ve) / (C_KM_S + np.einsum("ij,ij->i", u, vb))
    rho_dot = vb * (1.0 - tau_dot)[:, None] - ve
    s_t = t if star_tdb is None else np.broadcast_to(np.asarray(star_tdb, dtype=float), t.shape)
    if rows is None and len(star) not in (1, t.size):
        raise ValueError(f"{len(star)} stars for {t.size} instants: give rows= to pair them")
    if rows is None and len(star) == 1:
        rows = np.zeros(t.size, dtype=int)
    s = star.direction(s_t, earth[:, :3], rows=rows)
    east, north = plane_basis(s)
    dot = lambda a, b: np.einsum("ij,ij->i", a, b)
    return Plane(t, dot(rho, east), dot(rho, north), dot(rho_dot, east), dot(rho_dot, north), distance, rho, s,
                 east, north, np.stack([dot(vb, east), dot(vb, north)], axis=1), earth)


def closest_approach(target, star, tdb_guess, ephemeris=None, rows=None, bracket_s=None, tolerance_s=1e-5,
                     max_iterations=30):
    """Geocentric closest approach near `tdb_guess` (n,) for each (star row, guess) pair -> (Plane at C/A,
    converged mask). Newton's method on h(t) = f f' + g g' (h' ~ f'^2 + g'^2; the shadow moves almost uniformly
    over seconds), steps clipped to `bracket_s`; rows that do not converge fall back to bisection of h on
    [guess - bracket, guess + bracket] when h changes sign there."""
    from dynamics.propagation import default_ephemeris
    ephemeris = ephemeris or default_ephemeris()
    t0 = np.atleast_1d(np.asarray(tdb_guess, dtype=float)).copy()
    if rows is None:
        rows = np.zeros(t0.size, dtype=int) if len(star) == 1 else np.arange(t0.size)
    bracket = DEFAULT_BRACKET_S if bracket_s is None else float(bracket_s)
    t = t0.copy()
    active = np.ones(t.size, dtype=bool)
    for _ in range(max_iterations):
        if not active.any():
            break
        p = fundamental_plane(target, star, t[active], ephemeris, rows=rows[active])
        step = -(p.f * p.df + p.g * p.dg) / np.maximum(p.df ** 2 + p.dg ** 2, 1e-30)
        step = np.clip(step, -bracket, bracket)
        t[active] = np.clip(t[active] + step, t0[active] - 2 * bracket, t0[active] + 2 * bracket)
        done = np.abs(step) < tolerance_s
        index = np.nonzero(active)[0]
        active[index[done]] = False
    converged = ~active
    if active.any():                                   # bisection fallback
        index = np.nonzero(active)[0]
        lo, hi = t0[index] - bracket, t0[index] + bracket
        h = lambda tt, ii: (lambda q: q.f * q.df + q.g * q.dg)(fundamental_plane(target, star, tt, ephemeris,
                                                                                  rows=rows[ii]))
        ok = (h(lo, index) < 0) & (h(hi, index) > 0)            # |(f, g)| falls, then rises: a minimum inside
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            before = h(mid, index) < 0
            lo, hi = np.where(before, mid, lo), np.where(before, hi, mid)
        t[index] = 0.5 * (lo + hi)
        converged[index] = ok & ((hi - lo) < 1e-3)
    return fundamental_plane(target, star, t, ephemeris, rows=rows), converged
