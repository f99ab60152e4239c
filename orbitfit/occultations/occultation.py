"""Stellar occultations by a fitted satellite: star directions, Bessel fundamental-plane geometry, a vectorised
candidate search over a star catalogue, shadow paths on the Earth, chord probabilities and a map.

    import orbitfit
    from orbitfit.occultations import occultation as occ
    solution = orbitfit.fit(observations, orbitfit.seed003_orbit("Himalia"))
    stars = occ.Star.from_table(gaia_table)                 # Gaia DR3 columns, epoch J2016.0
    found = occ.search(solution, stars, "2019-01-01", "2020-01-01", radius_km=75)
    print(found.table)                                      # instant, C/A, P/A, velocity, distance, ...
    event = found[0]
    path = event.path(solution=solution)                    # centre line, body limits, 1 and 3 sigma limits
    fig = event.plot_map(path, sites=["874", "809"], filename="himalia.png")

Conventions (shared/DESIGN.md): time TDB seconds past J2000 TDB (UTC only at the edges, via astropy), ICRF axes,
km, km/s; angles in degrees unless a name says mas.

Geometry (Bessel; as SORA and seed 003 / Assafin et al. 2010 define the elements):
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
  |rho|). P/A = atan2(f, g): position angle of the body relative to the star, from north through east (seed 003:
  "zero at north of the star, increasing clockwise" on a north-up east-left sky). Velocity = |d(f, g)/dt| with the
  sign of df/dt (positive = prograde = moving east), km/s, as SORA and seed 003.
* A site X (GCRS, km) is on the shadow axis at instant t when X projected on the plane equals (f, g)(t) +
  v_perp (X . s)/c, v_perp = the body's barycentric velocity projected on the plane: the site is nearer the body by
  X . s, so the light it receives at t passed the body (X . s)/c later than the light reaching the geocentre
  (<= 21 ms, <= 0.3 km on the ground). The path and the site computations include it.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

from ..offline import astropy_offline
from ..times import iso_utc, tdb_seconds, tdb_time
from dynamics import constants as C

MAS_PER_RAD = 180.0 / np.pi * 3600.0e3
JULIAN_YEAR_S = 365.25 * C.SECONDS_PER_DAY
GAIA_DR3_EPOCH_JYEAR = 2016.0                 # Gaia DR3 reference epoch (ref_epoch), Julian year TDB
C_KM_S = C.SPEED_OF_LIGHT_KM_S
# WGS84 ellipsoid (NIMA TR8350.2, 3rd ed., Table 3.1): a = 6378137 m, 1/f = 298.257223563.
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
# The Earth's equatorial radius bounds the geocentric C/A of any event whose shadow touches the Earth.
EARTH_RADIUS_KM = WGS84_A_KM
DEFAULT_SEARCH_STEP_S = 600.0


# --- time -----------------------------------------------------------------------------------------------------------
def to_tdb_seconds(time):
    """TDB seconds past J2000 from a number/array (taken as TDB seconds already), an astropy Time, or a UTC string
    ("2019-06-10 12:00", ISO or anything astropy.time.Time parses)."""
    from astropy.time import Time
    if isinstance(time, (str, Time)):
        return tdb_seconds(time, scale="utc")
    return np.asarray(time, dtype=float) if np.ndim(time) else float(time)


tdb_to_time = tdb_time


def tdb_to_utc_iso(tdb, precision=3):
    """UTC ISO strings ("2019-06-10 12:00:01.234") of TDB seconds past J2000."""
    return iso_utc(tdb, precision=precision, fmt="iso")


@astropy_offline()
def _utc_hours(tdb_seconds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        utc = tdb_to_time(tdb_seconds).utc
    return np.mod((utc.jd1 - 0.5) % 1.0 + utc.jd2, 1.0) * 24.0


def _epoch_tdb(epoch):
    """Catalogue epoch: a Julian year (2016.0, Gaia's ref_epoch), 'J2016.0', or an astropy Time -> TDB s."""
    from astropy.time import Time
    if isinstance(epoch, str):
        epoch = Time(epoch, scale="tdb")
    if isinstance(epoch, Time):
        return to_tdb_seconds(epoch)
    return (np.asarray(epoch, dtype=float) - 2000.0) * JULIAN_YEAR_S


# --- stars ----------------------------------------------------------------------------------------------------------
class Star:
    """One star or a catalogue of n stars (every attribute an (n,) array), Gaia DR3 style.

    ra_deg, dec_deg : ICRS position at the catalogue epoch, degrees.
    pmra_mas_yr : proper motion in RA * cos(Dec) (Gaia `pmra`), mas/yr; pmdec_mas_yr : in Dec, mas/yr.
    parallax_mas : mas; <= 0 or NaN = at infinity (no parallax, radial velocity ignored).
    radial_velocity_km_s : km/s (0 if unknown; it matters only through perspective acceleration).
    epoch : catalogue epoch, a Julian year (default 2016.0 = Gaia DR3), 'J2016.0' or an astropy Time; one value or
        one per star (e.g. star positions already carried to each event, as in seed 003's tables).
    mag : magnitude (e.g. Gaia G), NaN if unknown. source_id : identifiers (default: the row numbers).

    Space motion: uniform rectilinear motion of the star in the BCRS; astropy's `apply_space_motion` (ERFA pmsafe)
    agrees to < 1 uas even for 300 mas / 300 mas/yr / 80 km/s stars over 8 years (tests). SORA's `spatial_motion`
    adds the star's light-time factor (Butkevich & Lindegren 2014), a ~v_r/c relative change of the displacement,
    < 0.01 mas for 100 mas/yr over a decade. The direction from an observer at barycentric position o (km) is that
    of
        r0 + (p0 pmra + q0 pmdec) dt + r0 v_r dt / b0 - o / b0,     b0 = 1 au / parallax,
    where r0, p0, q0 are the unit vectors toward the star, east and north at the catalogue epoch.
    """

    def __init__(self, ra_deg, dec_deg, pmra_mas_yr=0.0, pmdec_mas_yr=0.0, parallax_mas=0.0,
                 radial_velocity_km_s=0.0, epoch=GAIA_DR3_EPOCH_JYEAR, mag=np.nan, source_id=None):
        ra = np.atleast_1d(np.asarray(ra_deg, dtype=float))
        n = ra.size
        as_array = lambda value: np.broadcast_to(np.nan_to_num(np.asarray(value, dtype=float), nan=0.0), (n,)).copy()
        self.ra_deg = ra
        self.dec_deg = np.broadcast_to(np.asarray(dec_deg, dtype=float), (n,)).copy()
        self.pmra_mas_yr = as_array(pmra_mas_yr)
        self.pmdec_mas_yr = as_array(pmdec_mas_yr)
        self.parallax_mas = np.broadcast_to(np.asarray(parallax_mas, dtype=float), (n,)).copy()
        self.radial_velocity_km_s = as_array(radial_velocity_km_s)
        self.epoch_tdb = np.broadcast_to(_epoch_tdb(epoch), (n,)).astype(float)
        self.mag = np.broadcast_to(np.asarray(mag, dtype=float), (n,)).copy()
        self.source_id = np.arange(n) if source_id is None else np.broadcast_to(np.asarray(source_id), (n,)).copy()
        self._precompute()

    def _precompute(self):
        ra, dec = np.radians(self.ra_deg), np.radians(self.dec_deg)
        sa, ca, sd, cd = np.sin(ra), np.cos(ra), np.sin(dec), np.cos(dec)
        self._r0 = np.stack([cd * ca, cd * sa, sd], axis=-1)
        p0 = np.stack([-sa, ca, np.zeros_like(ra)], axis=-1)
        q0 = np.stack([-sd * ca, -sd * sa, cd], axis=-1)
        mas_per_yr = 1.0 / (MAS_PER_RAD * JULIAN_YEAR_S)                       # -> rad/s
        self._pm = (p0 * self.pmra_mas_yr[:, None] + q0 * self.pmdec_mas_yr[:, None]) * mas_per_yr
        finite = np.isfinite(self.parallax_mas) & (self.parallax_mas > 0)
        self._inv_b0 = np.where(finite, np.nan_to_num(self.parallax_mas) / MAS_PER_RAD / C.AU_KM, 0.0)   # 1/km
        self._rv_term = self.radial_velocity_km_s * self._inv_b0                                          # 1/s

    @classmethod
    def from_table(cls, table, epoch=None):
        """Stars from a table with Gaia DR3 column names (ra, dec, pmra, pmdec, parallax, radial_velocity,
        phot_g_mean_mag, source_id, ref_epoch); `epoch` overrides ref_epoch (default 2016.0). Also accepts `mag`."""
        names = set(table.colnames if hasattr(table, "colnames") else table.keys())
        get = lambda name, default: np.asarray(table[name], dtype=float) if name in names else default
        mag = get("phot_g_mean_mag", get("mag", np.nan))
        if epoch is None:
            epoch = get("ref_epoch", GAIA_DR3_EPOCH_JYEAR)
        ids = np.asarray(table["source_id"]) if "source_id" in names else None
        return cls(get("ra", None), get("dec", None), get("pmra", 0.0), get("pmdec", 0.0), get("parallax", 0.0),
                   get("radial_velocity", 0.0), epoch, mag, ids)

    def __len__(self):
        return self.ra_deg.size

    def __getitem__(self, index):
        index = np.atleast_1d(np.arange(len(self))[index])
        new = Star.__new__(Star)
        for name in ("ra_deg", "dec_deg", "pmra_mas_yr", "pmdec_mas_yr", "parallax_mas", "radial_velocity_km_s",
                     "epoch_tdb", "mag", "source_id", "_r0", "_pm", "_inv_b0", "_rv_term"):
            setattr(new, name, getattr(self, name)[index])
        return new

    def __repr__(self):
        if len(self) == 1:
            return (f"Star(ra={self.ra_deg[0]:.8f}, dec={self.dec_deg[0]:+.8f}, pm=({self.pmra_mas_yr[0]:.3f}, "
                    f"{self.pmdec_mas_yr[0]:.3f}) mas/yr, parallax={self.parallax_mas[0]:.4f} mas, "
                    f"mag={self.mag[0]:.2f}, id={self.source_id[0]})")
        return f"Star(<{len(self)} stars>)"

    def direction(self, tdb_seconds, observer_ssb=None, rows=None):
        """(n, 3) unit vectors toward the stars at TDB epochs (scalar or (n,)), seen from barycentric observer
        positions (3,) or (n, 3) km (None: from the barycentre). `rows` picks stars (repeats allowed)."""
        r0, pm, inv_b0, rv = ((self._r0, self._pm, self._inv_b0, self._rv_term) if rows is None else
                              (self._r0[rows], self._pm[rows], self._inv_b0[rows], self._rv_term[rows]))
        epoch = self.epoch_tdb if rows is None else self.epoch_tdb[rows]
        dt = (np.asarray(tdb_seconds, dtype=float) - epoch)[..., None]
        w = r0 * (1.0 + rv[:, None] * dt) + pm * dt
        if observer_ssb is not None:
            w = w - np.asarray(observer_ssb, dtype=float) * inv_b0[:, None]
        return w / np.linalg.norm(w, axis=-1, keepdims=True)

    def radec(self, tdb_seconds, observer_ssb=None):
        """RA, Dec (degrees) at TDB epochs seen from barycentric observer positions (None: barycentric)."""
        from ..model import radec_from_unit
        ra, dec = radec_from_unit(np.atleast_2d(self.direction(tdb_seconds, observer_ssb)))
        return np.degrees(ra), np.degrees(dec)

    def geocentric_radec(self, tdb_seconds, ephemeris=None):
        """RA, Dec (degrees) seen from the geocentre at TDB epochs (the Earth from the DE ephemeris)."""
        ephemeris = ephemeris or _default_ephemeris()
        t = np.broadcast_to(np.asarray(tdb_seconds, dtype=float), (len(self),))
        return self.radec(t, ephemeris.position(C.EARTH, t))


def _default_ephemeris():
    from dynamics.propagation import default_ephemeris
    return default_ephemeris()


# --- the occulting body ---------------------------------------------------------------------------------------------
class SolutionTarget:
    """`target_state_ssb` callable for a fitted Solution over [start, stop] (TDB s): the orbit integrated once to
    the Chebyshev nodes of 4-day records (export's SPK machinery, < 1 mm from the integrator) plus the Jupiter
    barycentre from the solution's own DE ephemeris. Evaluating it costs a polynomial, not an integration."""

    def __init__(self, solution, start, stop, record_days=4.0, degree=12):
        from ..products.export import fit_records, record_layout
        from ..estimation.least_squares import propagate_orbit
        options = solution.fit_options()
        self.solution = solution
        self.ephemeris = options.ephemeris or _default_ephemeris()
        self.record_s = record_days * C.SECONDS_PER_DAY
        self.start, self.stop = float(start), float(stop)
        self.mids, nodes = record_layout(self.start, self.stop, self.record_s, degree)
        states = propagate_orbit(solution.state, solution.epoch, nodes.ravel(), options).states[:, 0]
        self.coefficients = fit_records(states.reshape(len(self.mids), degree + 1, 6), degree, velocities=True)

    def __repr__(self):
        return f"SolutionTarget(body {self.solution.body}, {tdb_to_utc_iso(self.start, 0)} .. " \
               f"{tdb_to_utc_iso(self.stop, 0)} UTC)"

    def __call__(self, tdb_seconds):
        from ..products.export import evaluate_records
        t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
        lo, hi = self.mids[0] - self.record_s / 2, self.mids[-1] + self.record_s / 2
        if np.any((t < lo) | (t > hi)):
            raise ValueError(f"epoch outside this SolutionTarget's span {tdb_to_utc_iso(lo, 0)} .. "
                             f"{tdb_to_utc_iso(hi, 0)} UTC")
        return evaluate_records(self.coefficients, self.mids, self.record_s, t) + \
            self.ephemeris.state(C.JUPITER_BARY, t)


def as_target(body, start, stop, ephemeris=None):
    """(target callable, ephemeris for the Earth and Sun, solution or None) from a Solution or a callable.

    A Solution becomes a SolutionTarget over [start - 2 d, stop + 2 d] with the solution's own DE ephemeris; any
    other callable (e.g. `orbitfit.model.spk_target(...)`) is used as it is, with `ephemeris` (default de440) for
    the Earth and the Sun.
    """
    from ..solution import Solution
    if isinstance(body, Solution):
        target = SolutionTarget(body, start - 2 * C.SECONDS_PER_DAY, stop + 2 * C.SECONDS_PER_DAY)
        return target, ephemeris or target.ephemeris, body
    if isinstance(body, SolutionTarget):
        return body, ephemeris or body.ephemeris, body.solution
    if not callable(body):
        raise TypeError("body must be a Solution or a target_state_ssb callable ((n,) TDB s -> (n, 6) km, km/s)")
    return body, ephemeris or _default_ephemeris(), None


# --- fundamental plane ----------------------------------------------------------------------------------------------
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
        """Shadow velocity, signed like SORA and seed 003: positive when the body moves east (prograde)."""
        return self.speed_km_s * np.where(self.df < 0, -1.0, 1.0)


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
    ephemeris = ephemeris or _default_ephemeris()
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
    ephemeris = ephemeris or _default_ephemeris()
    t0 = np.atleast_1d(np.asarray(tdb_guess, dtype=float)).copy()
    if rows is None:
        rows = np.zeros(t0.size, dtype=int) if len(star) == 1 else np.arange(t0.size)
    bracket = DEFAULT_SEARCH_STEP_S * 2 if bracket_s is None else float(bracket_s)
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


# --- one predicted event --------------------------------------------------------------------------------------------
@dataclass
class Occultation:
    """One predicted occultation: the geocentric elements at C/A and what is needed for its path on the Earth."""
    star: Star                      # one star
    target: object
    ephemeris: object
    plane: Plane                    # geometry at C/A (arrays of length 1)
    radius_km: float = 0.0
    solution: object = None
    body_mag: float | None = None
    converged: bool = True

    # elements ------------------------------------------------------------------------------------------------------
    @property
    def tdb(self):
        return float(self.plane.tdb[0])

    @property
    def utc(self):
        return tdb_to_utc_iso(self.tdb)

    @property
    def ca_km(self):
        return float(self.plane.ca_km[0])

    @property
    def ca_mas(self):
        return float(self.plane.ca_mas[0])

    @property
    def ca_arcsec(self):
        return self.ca_mas / 1000.0

    @property
    def pa_deg(self):
        return float(self.plane.pa_deg[0])

    @property
    def velocity_km_s(self):
        return float(self.plane.velocity_km_s[0])

    @property
    def distance_au(self):
        return float(self.plane.distance_km[0] / C.AU_KM)

    @property
    def star_radec(self):
        """Geocentric RA, Dec (deg) of the star at C/A (proper motion and parallax applied)."""
        from ..model import radec_from_unit
        ra, dec = radec_from_unit(self.plane.star)
        return float(np.degrees(ra[0])), float(np.degrees(dec[0]))

    @property
    def sub_body_longitude_deg(self):
        """East longitude (deg, [0, 360)) of the point with the body at its zenith at C/A (geocentric direction)."""
        return float(sub_body_longitude_deg(self.plane)[0])

    @property
    def local_solar_time_h(self):
        """UT + longitude / 15 at the sub-body point, hours (seed 003's LST)."""
        return float((_utc_hours(self.plane.tdb)[0] + self.sub_body_longitude_deg / 15.0) % 24.0)

    @property
    def mag_drop(self):
        """Magnitude drop when the star disappears: 2.5 log10(1 + 10^(0.4 (m_body - m_star))); NaN without both."""
        return float(magnitude_drop(self.star.mag, self.body_mag)[0])

    @property
    def normalised_mag(self):
        """m* = m + 2.5 log10(|v| / 20 km/s) (seed 003's R*)."""
        return float(self.star.mag[0] + 2.5 * np.log10(abs(self.velocity_km_s) / 20.0))

    def as_row(self):
        return {name: np.asarray(values)[0].item() for name, values in
                event_columns(self.plane, self.star, self.body_mag).items()}

    def __repr__(self):
        return (f"Occultation({self.utc} UTC, star {self.star.source_id[0]}, C/A {self.ca_arcsec:.4f}\" "
                f"({self.ca_km:.0f} km), P/A {self.pa_deg:.2f} deg, v {self.velocity_km_s:+.2f} km/s, "
                f"D {self.distance_au:.3f} au)")

    # geometry near C/A ---------------------------------------------------------------------------------------------
    def plane_at(self, tdb_seconds):
        """Plane geometry at other instants, with the star's direction frozen at C/A (as SORA and Bessel do)."""
        t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
        return fundamental_plane(self.target, self.star, t, self.ephemeris, rows=np.zeros(t.size, dtype=int),
                                 star_tdb=self.tdb)

    def cross_track_unit(self):
        """Unit vector (east, north) perpendicular to the shadow's motion, 90 deg counter-clockwise from it
        (on the plane seen from the star side with east to the right: the left of the track)."""
        v = np.array([self.plane.df[0], self.plane.dg[0]])
        return np.array([-v[1], v[0]]) / np.hypot(*v)

    def cross_track_sigma_km(self, solution=None, star_sigma_mas=(0.0, 0.0), star_corr=0.0):
        """1-sigma of the shadow's cross-track position, km: the solution's linear sky covariance at C/A (geocentre)
        plus the star's (RA*, Dec) sigmas in mas, both at the body's distance, projected across the track."""
        from ..products.uncertainty import sky_uncertainty
        solution = solution or self.solution
        cov = np.zeros((2, 2))
        if solution is not None:
            row = sky_uncertainty(solution, [self.tdb], observer="500")[0]
            s_ra, s_dec, corr = row["sigma_ra_mas"], row["sigma_dec_mas"], row["corr"]
            cov += np.array([[s_ra ** 2, corr * s_ra * s_dec], [corr * s_ra * s_dec, s_dec ** 2]])
        s_ra, s_dec = star_sigma_mas
        cov += np.array([[s_ra ** 2, star_corr * s_ra * s_dec], [star_corr * s_ra * s_dec, s_dec ** 2]])
        km_per_mas = self.plane.distance_km[0] / MAS_PER_RAD
        n = self.cross_track_unit()
        return float(np.sqrt(n @ cov @ n) * km_per_mas)

    def path(self, offsets_km=None, solution=None, sigma_km=None, n_points=301, half_duration_s=None,
             min_star_altitude_deg=0.0, max_sun_altitude_deg=-12.0):
        """The shadow on the Earth: centre line ("centre"), body limits ("body +/-": +-radius across the track, +
        on the left of the motion) and, with a solution (or sigma_km), the 1- and 3-sigma limits ("k sigma +/-":
        +-(radius + k sigma), SORA's convention), plus any extra `offsets_km`. sigma_km defaults to
        `cross_track_sigma_km`. Instants: n_points over the span the shadow needs to cross the Earth. Returns a
        ShadowPath (see there for the visibility flags)."""
        labels, offsets = ["centre"], [0.0]
        if self.radius_km > 0:
            labels += ["body +", "body -"]
            offsets += [self.radius_km, -self.radius_km]
        if sigma_km is None and (solution or self.solution) is not None:
            sigma_km = self.cross_track_sigma_km(solution)
        if sigma_km:
            for k in (1, 3):                   # SORA's convention: the body's limit pushed out by k sigma
                labels += [f"{k} sigma +", f"{k} sigma -"]
                offsets += [self.radius_km + k * sigma_km, -(self.radius_km + k * sigma_km)]
        if offsets_km is not None:
            labels += [f"{o:+.0f} km" for o in np.atleast_1d(offsets_km)]
            offsets += list(np.atleast_1d(offsets_km))
        offsets = np.asarray(offsets, dtype=float)
        if half_duration_s is None:
            half_duration_s = (1.05 * EARTH_RADIUS_KM + np.abs(offsets).max()) / max(abs(self.velocity_km_s), 1e-3)
        t = self.tdb + np.linspace(-half_duration_s, half_duration_s, n_points)
        return shadow_path(self, t, offsets, labels, sigma_km, min_star_altitude_deg, max_sun_altitude_deg)

    def sites(self, sites, sigma_km=None, solution=None):
        """Closest approach of the shadow centre to each site, and the chance of a positive chord. See
        `site_predictions`."""
        if sigma_km is None and (solution or self.solution) is not None:
            sigma_km = self.cross_track_sigma_km(solution)
        return site_predictions(self, sites, sigma_km if sigma_km is not None else 0.0)

    def plot_map(self, path=None, sites=None, filename=None, title=None):
        """Equirectangular map (matplotlib Figure, Agg) of the path with day/night shading; see `plot_map`."""
        return plot_map(self, path if path is not None else self.path(), sites=sites, filename=filename,
                        title=title)


# --- search ---------------------------------------------------------------------------------------------------------
EVENT_COLUMNS = ("source_id", "utc", "tdb", "ra_deg", "dec_deg", "ca_arcsec", "ca_km", "pa_deg", "vel_km_s",
                 "dist_au", "mag", "mag_norm", "mag_drop", "long_deg", "lst_h", "pmra_mas_yr", "pmdec_mas_yr")


def sub_body_longitude_deg(plane):
    """East longitude (deg, [0, 360)) of the sub-body point (body at the zenith) at each instant of a Plane."""
    from ..observations.observers import gcrs_matrix_and_pole
    matrix, _ = gcrs_matrix_and_pole(plane.tdb)
    itrs = np.einsum("nji,nj->ni", matrix, plane.rho / plane.distance_km[:, None])
    return np.mod(np.degrees(np.arctan2(itrs[:, 1], itrs[:, 0])), 360.0)


def magnitude_drop(star_mag, body_mag):
    """2.5 log10(1 + 10^(0.4 (m_body - m_star))): the drop of the combined light when the star disappears."""
    star_mag = np.asarray(star_mag, dtype=float)
    if body_mag is None:
        return np.full(star_mag.shape, np.nan)
    return 2.5 * np.log10(1.0 + 10 ** (0.4 * (body_mag - star_mag)))


def event_columns(plane, stars, body_mag=None):
    """The published elements of events (Plane at C/A, one star each) as columns: instant (UTC string, TDB s),
    the star's geocentric RA/Dec at C/A, C/A (arcsec, km), P/A (deg), velocity (km/s), distance (au), magnitudes
    (star, seed 003's normalised m*, drop), sub-body east longitude (deg), local solar time (h), proper motions."""
    from ..model import radec_from_unit
    ra, dec = radec_from_unit(plane.star)
    longitude = sub_body_longitude_deg(plane)
    speed = np.abs(plane.velocity_km_s)
    with np.errstate(divide="ignore"):
        norm = stars.mag + 2.5 * np.log10(speed / 20.0)
    return {"source_id": stars.source_id, "utc": np.asarray(tdb_to_utc_iso(plane.tdb)), "tdb": plane.tdb,
            "ra_deg": np.degrees(ra), "dec_deg": np.degrees(dec), "ca_arcsec": plane.ca_mas / 1000.0,
            "ca_km": plane.ca_km, "pa_deg": plane.pa_deg, "vel_km_s": plane.velocity_km_s,
            "dist_au": plane.distance_km / C.AU_KM, "mag": stars.mag, "mag_norm": norm,
            "mag_drop": magnitude_drop(stars.mag, body_mag), "long_deg": longitude,
            "lst_h": np.mod(_utc_hours(plane.tdb) + longitude / 15.0, 24.0),
            "pmra_mas_yr": stars.pmra_mas_yr, "pmdec_mas_yr": stars.pmdec_mas_yr}


def _plane_rows(plane, index):
    return Plane(*(getattr(plane, name)[index] for name in Plane.__dataclass_fields__))


class Predictions:
    """The events a search found, sorted by time: `table` (astropy Table, one row per event, columns of
    `event_columns`) and the events themselves (`predictions[i]` is an Occultation; iteration)."""

    def __init__(self, stars, rows, plane, target, ephemeris, solution, radius_km, body_mag, meta):
        order = np.argsort(plane.tdb, kind="stable")
        self.stars, self.rows, self.plane = stars, np.asarray(rows)[order], _plane_rows(plane, order)
        self.target, self.ephemeris, self.solution = target, ephemeris, solution
        self.radius_km, self.body_mag, self.meta = radius_km, body_mag, meta

    def __len__(self):
        return self.rows.size

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        return Occultation(self.stars[int(self.rows[index])], self.target, self.ephemeris,
                           _plane_rows(self.plane, slice(index, index + 1 if index != -1 else None)),
                           self.radius_km, self.solution, self.body_mag)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    @property
    def table(self):
        from astropy.table import Table
        if len(self) == 0:
            table = Table(names=EVENT_COLUMNS, dtype=[object, str] + [float] * (len(EVENT_COLUMNS) - 2))
        else:
            columns = event_columns(self.plane, self.stars[self.rows], self.body_mag)
            table = Table([columns[name] for name in EVENT_COLUMNS], names=EVENT_COLUMNS)
        table.meta.update(self.meta)
        return table


def search(body, stars, start, stop, radius_km, *, ephemeris=None, step_s=DEFAULT_SEARCH_STEP_S, max_ca_km=None,
           margin_km=0.0, max_ca_arcsec=None, body_mag=None, return_stats=False):
    """Occultation candidates of `stars` by `body` between `start` and `stop`.

    body : a Solution or a target callable ((n,) TDB s -> (n, 6) SSB states, e.g. `model.spk_target`).
    stars : a Star (catalogue) or a table with Gaia columns (see Star.from_table).
    start, stop : TDB seconds, astropy Times or UTC strings.
    radius_km : the body's radius. An event is kept when its geocentric C/A in the fundamental plane is below
        max_ca_km (default: Earth's equatorial radius + radius + margin_km, i.e. the shadow +- margin touches the
        Earth's disk). max_ca_arcsec: keep events with the angular C/A below this instead (seed 003's tables
        list every C/A < 2", up to 8900 km, so they need max_ca_arcsec=2).
    step_s : spacing of the coarse ephemeris grid.
    body_mag : the body's magnitude, for the magnitude drop.

    Method: (1) the body's geocentric, light-time corrected direction on a grid of step_s; (2) a k-d tree of the grid
    directions; each star (carried by its proper motion to mid-span) is matched to its nearest grid direction with a
    bound = the angular C/A limit + half the largest grid step + the star's own proper-motion drift over the half
    span + its parallax (stars grouped by that bound, one query per group); (3) for the few stars within their
    bound, all grid points within it, split into runs of consecutive points, and every local minimum of the
    distance along a run is an encounter (a star can be approached twice near a stationary point, even without
    the body leaving the bound in between); (4) Newton refinement of each encounter on the exact geometry (two
    guesses that converge on the same instant count once).
    """
    from scipy.spatial import cKDTree
    t_start, t_stop = to_tdb_seconds(start), to_tdb_seconds(stop)
    if not t_stop > t_start:
        raise ValueError("search: stop must be after start")
    if not isinstance(stars, Star):
        stars = Star.from_table(stars)
    target, ephemeris, solution = as_target(body, t_start, t_stop, ephemeris)
    limit_km = max_ca_km if max_ca_km is not None else EARTH_RADIUS_KM + radius_km + margin_km

    # (1) coarse grid of the body's geocentric direction
    from ..model import solve_light_time
    n_grid = int(np.ceil((t_stop - t_start) / step_s)) + 1
    grid = t_start + np.arange(n_grid) * step_s
    grid[-1] = min(grid[-1], t_stop)
    earth = ephemeris.position(C.EARTH, grid)
    _, state = solve_light_time(grid, earth, target)
    rho = state[:, :3] - earth
    distance = np.linalg.norm(rho, axis=1)
    u = rho / distance[:, None]
    limit_rad = float(np.arcsin(min(limit_km / distance.min(), 1.0))) if max_ca_arcsec is None else \
        max_ca_arcsec * 1000.0 / MAS_PER_RAD
    half_step = 0.5 * float(np.linalg.norm(np.diff(u, axis=0), axis=1).max()) if n_grid > 1 else 0.0

    # (2) stars at mid-span, nearest grid point within each star's bound
    mid = 0.5 * (t_start + t_stop)
    v = stars.direction(mid)
    half_span_yr = 0.5 * (t_stop - t_start) / JULIAN_YEAR_S
    pm_total = np.hypot(stars.pmra_mas_yr, stars.pmdec_mas_yr)
    parallax = np.nan_to_num(np.maximum(stars.parallax_mas, 0.0))
    extra = (pm_total * half_span_yr * 1.01 + parallax * 1.02) / MAS_PER_RAD     # Earth <= 1.017 au from the SSB
    base = (limit_rad + half_step) * 1.001 + 1e-9
    tree = cKDTree(u)
    group = np.ceil(np.log2(1.0 + extra / base)).astype(int)
    near = np.zeros(len(stars), dtype=bool)
    for level in np.unique(group):
        sel = np.nonzero(group == level)[0]
        d, _ = tree.query(v[sel], distance_upper_bound=base * 2.0 ** level)
        near[sel] = d <= base + extra[sel]
    candidates = np.nonzero(near)[0]

    # (3) every encounter of each nearby star: runs of consecutive grid points within its bound
    rows, guesses = [], []
    if candidates.size:
        balls = tree.query_ball_point(v[candidates], r=base + extra[candidates])
        for star_index, points in zip(candidates, balls):
            points = np.sort(np.asarray(points, dtype=int))
            if points.size == 0:
                continue
            breaks = np.nonzero(np.diff(points) > 1)[0] + 1
            for run in np.split(points, breaks):
                # every local minimum of the grid distance: the body may turn back without leaving the bound
                d = np.linalg.norm(u[run] - v[star_index], axis=1)
                padded = np.concatenate([[np.inf], d, [np.inf]])
                minima = np.nonzero((d <= padded[:-2]) & (d < padded[2:]))[0]
                rows.extend([star_index] * minima.size)
                guesses.extend(grid[run[minima]])
    rows, guesses = np.asarray(rows, dtype=int), np.asarray(guesses, dtype=float)

    # (4) refine on the exact geometry and keep what passes the limit inside [start, stop]
    meta = {"start_utc": tdb_to_utc_iso(t_start, 0), "stop_utc": tdb_to_utc_iso(t_stop, 0),
            "radius_km": float(radius_km), "max_ca_km": None if max_ca_arcsec is not None else float(limit_km),
            "max_ca_arcsec": max_ca_arcsec, "n_stars": len(stars),
            "step_s": float(step_s)}
    if rows.size:
        plane, converged = closest_approach(target, stars, guesses, ephemeris, rows=rows, bracket_s=step_s)
        close = plane.ca_km <= limit_km if max_ca_arcsec is None else plane.ca_mas <= max_ca_arcsec * 1000.0
        keep = converged & close & (plane.tdb >= t_start) & (plane.tdb <= t_stop)
        keep = np.nonzero(keep)[0]
        # two runs of one star converging on the same minimum count once
        _, unique = np.unique(np.stack([rows[keep], np.round(plane.tdb[keep])], axis=1), axis=0, return_index=True)
        keep = keep[np.sort(unique)]
        plane, kept_rows = _plane_rows(plane, keep), rows[keep]
    else:
        plane = fundamental_plane(target, stars, np.zeros(0), ephemeris, rows=np.zeros(0, dtype=int))
        kept_rows = rows
    result = Predictions(stars, kept_rows, plane, target, ephemeris, solution, float(radius_km), body_mag, meta)
    if return_stats:
        return result, {"n_grid": n_grid, "n_near": int(candidates.size), "n_refined": int(rows.size)}
    return result


def predict(body, star, near, radius_km=0.0, *, ephemeris=None, body_mag=None, bracket_s=3600.0):
    """The occultation of one `star` (Star of length 1) by `body` (Solution or target callable) closest to the
    instant `near` (TDB s, Time or UTC string); returns an Occultation (whatever its C/A)."""
    t = to_tdb_seconds(near)
    if len(star) != 1:
        raise ValueError("predict: give one star (use search for catalogues)")
    target, ephemeris, solution = as_target(body, t - 2 * bracket_s, t + 2 * bracket_s, ephemeris)
    plane, converged = closest_approach(target, star, [t], ephemeris, bracket_s=bracket_s)
    return Occultation(star, target, ephemeris, plane, float(radius_km), solution, body_mag, bool(converged[0]))


def synthetic_star(body, when, ephemeris=None, source_id="SYNTHETIC"):
    """A star (no motion, epoch `when`) exactly on the body's geocentric astrometric line of sight at `when`:
    its shadow centre crosses the geocentre then. For planning ("what would an event here give?") and tests."""
    from ..model import radec_from_unit, solve_light_time
    t = to_tdb_seconds(when)
    target, ephemeris, _ = as_target(body, t - C.SECONDS_PER_DAY, t + C.SECONDS_PER_DAY, ephemeris)
    earth = ephemeris.position(C.EARTH, [t])
    _, state = solve_light_time(np.array([t]), earth, target)
    line = state[:, :3] - earth
    ra, dec = radec_from_unit(line / np.linalg.norm(line, axis=1)[:, None])
    return Star(np.degrees(ra), np.degrees(dec), epoch=2000.0 + t / JULIAN_YEAR_S, source_id=[source_id])


def stations_across(event, offsets_km, n_points=401):
    """(lon, lat, 0.0) on the ground of the lines offset across the shadow path by `offsets_km` (+ = left of the
    motion), at the instant nearest C/A: where to put a fence of stations. NaN where a line misses the Earth."""
    offsets = [float(o) for o in np.atleast_1d(offsets_km)]
    path = event.path(offsets_km=offsets, n_points=n_points)
    k = int(np.argmin(np.abs(path.tdb - event.tdb)))
    rows = [path.labels.index(label) for label in path.labels[-len(offsets):]]
    return [(float(path.lon_deg[i, k]), float(path.lat_deg[i, k]), 0.0) for i in rows]


# --- the shadow on the Earth ----------------------------------------------------------------------------------------
@dataclass
class ShadowPath:
    """Ground tracks of lines parallel to the shadow's motion, offset across the track by `offsets_km`.

    Arrays are (n_lines, n_times): where each line is on the ground at instant `tdb` (TDB s; NaN where a line
    misses the Earth); `itrs_km` the same points in km. `visible`: star above `min_star_altitude_deg` and Sun
    below `max_sun_altitude_deg` there.
    """
    tdb: np.ndarray
    offsets_km: np.ndarray
    labels: list
    lon_deg: np.ndarray
    lat_deg: np.ndarray
    star_altitude_deg: np.ndarray
    sun_altitude_deg: np.ndarray
    visible: np.ndarray
    sigma_km: float | None = None
    itrs_km: np.ndarray = field(default=None, repr=False)

    def line(self, label):
        i = self.labels.index(label)
        return self.lon_deg[i], self.lat_deg[i]


def geodetic_from_itrs(xyz_km):
    """(lon, lat) geodetic WGS84 degrees of ITRS points (km): Bowring's (1976) closed form, exact on the ellipsoid
    and good to < 1 mm within 10 km of it."""
    x, y, z = np.moveaxis(np.asarray(xyz_km, dtype=float), -1, 0)
    p = np.hypot(x, y)
    lon = np.degrees(np.arctan2(y, x))
    theta = np.arctan2(z * WGS84_A_KM, p * WGS84_B_KM)
    ep2 = WGS84_E2 / (1.0 - WGS84_E2)
    lat = np.degrees(np.arctan2(z + ep2 * WGS84_B_KM * np.sin(theta) ** 3,
                                p - WGS84_E2 * WGS84_A_KM * np.cos(theta) ** 3))
    return lon, lat


def itrs_from_geodetic(lon_deg, lat_deg, height_km=0.0):
    """ITRS km of WGS84 geodetic coordinates."""
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    n = WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * np.sin(lat) ** 2)
    h = np.asarray(height_km, dtype=float)
    return np.stack(np.broadcast_arrays((n + h) * np.cos(lat) * np.cos(lon), (n + h) * np.cos(lat) * np.sin(lon),
                                        (n * (1.0 - WGS84_E2) + h) * np.sin(lat)), axis=-1)


def _ellipsoid_hit(point_itrs, direction_itrs):
    """Intersection of lines p + l d (ITRS km) with the WGS84 ellipsoid, the root furthest along d (the side
    facing the star); NaN rows where the line misses."""
    scale = np.array([1.0, 1.0, WGS84_A_KM / WGS84_B_KM])
    p, d = point_itrs * scale, direction_itrs * scale
    a = np.einsum("...i,...i->...", d, d)
    b = 2.0 * np.einsum("...i,...i->...", p, d)
    c = np.einsum("...i,...i->...", p, p) - WGS84_A_KM ** 2
    disc = b * b - 4 * a * c
    lam = np.where(disc >= 0, (-b + np.sqrt(np.maximum(disc, 0.0))) / (2 * a), np.nan)
    return point_itrs + lam[..., None] * direction_itrs


def _altitude_deg(direction_itrs, lon_deg, lat_deg):
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)
    return np.degrees(np.arcsin(np.clip(np.einsum("...i,...i->...", up, direction_itrs), -1, 1)))


def shadow_path(event, tdb_seconds, offsets_km, labels=None, sigma_km=None, min_star_altitude_deg=0.0,
                max_sun_altitude_deg=-12.0):
    """Ground tracks (ShadowPath) of the shadow axis shifted across the track by each offset, at TDB instants.

    For every instant: (f, g) from the exact geometry, the cross-track unit from the instantaneous shadow velocity,
    the line through f east + g north parallel to the star direction, rotated to the ITRS
    (`observers.gcrs_matrix_and_pole`) and cut with the WGS84 ellipsoid on the star's side; then the light-time
    shift of the body seen from the ground ((X . s)/c, see the module docstring) is applied once (it converges at
    the mm level).
    """
    from ..observations.observers import gcrs_matrix_and_pole
    t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
    offsets = np.atleast_1d(np.asarray(offsets_km, dtype=float))
    plane = event.plane_at(t)
    matrix, _ = gcrs_matrix_and_pole(t)
    to_itrs = np.swapaxes(matrix, -1, -2)                      # (m, 3, 3) GCRS -> ITRS
    speed = np.maximum(plane.speed_km_s, 1e-12)
    n_f, n_g = -plane.dg / speed, plane.df / speed             # left of the motion
    f = plane.f[None, :] + offsets[:, None] * n_f[None, :]
    g = plane.g[None, :] + offsets[:, None] * n_g[None, :]
    s_itrs = np.einsum("mij,mj->mi", to_itrs, plane.star)
    e_itrs = np.einsum("mij,mj->mi", to_itrs, plane.east)
    n_itrs = np.einsum("mij,mj->mi", to_itrs, plane.north)
    delay = np.zeros_like(f)
    for _ in range(2):
        ff = f + plane.body_velocity_fg[None, :, 0] * delay
        gg = g + plane.body_velocity_fg[None, :, 1] * delay
        point = ff[..., None] * e_itrs[None] + gg[..., None] * n_itrs[None]
        hit = _ellipsoid_hit(point, np.broadcast_to(s_itrs[None], point.shape))
        delay = np.einsum("kmi,mi->km", hit, s_itrs) / C_KM_S
    lon, lat = geodetic_from_itrs(hit)
    sun = event.ephemeris.position(C.SUN, t) - plane.earth_ssb[:, :3]
    sun_itrs = np.einsum("mij,mj->mi", to_itrs, sun / np.linalg.norm(sun, axis=1)[:, None])
    star_alt = _altitude_deg(s_itrs[None], lon, lat)
    sun_alt = _altitude_deg(sun_itrs[None], lon, lat)
    visible = np.isfinite(lon) & (star_alt > min_star_altitude_deg) & (sun_alt < max_sun_altitude_deg)
    labels = list(labels) if labels is not None else [f"{o:+.0f} km" for o in offsets]
    return ShadowPath(t, offsets, labels, lon, lat, star_alt, sun_alt, visible, sigma_km, hit)


# --- sites ----------------------------------------------------------------------------------------------------------
def chord_probability(d_km, radius_km, sigma_km):
    """Chance that a site at cross-track distance d from the predicted centre line sees the body: with a Gaussian
    cross-track error sigma, P = Phi((r - d)/sigma) - Phi((-r - d)/sigma). sigma = 0: 1 inside, 1/2 on the
    limit, 0 outside."""
    from scipy.special import ndtr
    d = np.asarray(d_km, dtype=float)
    r = float(radius_km)
    sigma = np.asarray(sigma_km, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = ndtr((r - d) / sigma) - ndtr((-r - d) / sigma)
    sharp = np.where(np.abs(d) < r, 1.0, np.where(np.abs(d) == r, 0.5, 0.0))
    return np.where(sigma > 0, p, sharp)


def _sites_itrs(sites):
    """(names, (n, 3) ITRS km) from MPC codes, (lon, lat, height_km) tuples or (n, 3) ITRS arrays."""
    from ..observations.observers import site_itrs_km
    if isinstance(sites, np.ndarray) and sites.ndim == 2 and sites.shape[1] == 3 and sites.dtype.kind == "f":
        return [f"site {i}" for i in range(len(sites))], sites
    names, xyz = [], []
    for site in sites:
        if isinstance(site, str):
            names.append(site)
            xyz.append(site_itrs_km(site))
        else:
            lon, lat, *height = site
            names.append(f"{lon:.3f},{lat:.3f}")
            xyz.append(itrs_from_geodetic(lon, lat, height[0] if height else 0.0))
    return names, np.array(xyz)


def relative_to_sites(event, itrs_km, tdb_seconds):
    """Shadow centre relative to sites (ITRS km, (n, 3)) at TDB instants (n,): (rel, velocity, plane, gcrs) with
    rel (n, 2) = the centre minus the site's projection on the fundamental plane (east, north; km), including the
    (X . s)/c light-time shift of the body seen from the site, velocity (n, 2) = d rel / dt (km/s; the site moves
    with the Earth's rotation), the Plane at those instants and the sites' GCRS positions (n, 3)."""
    from ..observations.observers import gcrs_matrix_and_pole, EARTH_ROTATION_RAD_S
    t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
    plane = event.plane_at(t)
    matrix, pole = gcrs_matrix_and_pole(t)
    x = np.einsum("nij,nj->ni", matrix, itrs_km)
    xdot = EARTH_ROTATION_RAD_S * np.cross(pole, x)
    delay = np.einsum("ni,ni->n", x, plane.star) / C_KM_S
    rel = np.stack([plane.f + plane.body_velocity_fg[:, 0] * delay - np.einsum("ni,ni->n", x, plane.east),
                    plane.g + plane.body_velocity_fg[:, 1] * delay - np.einsum("ni,ni->n", x, plane.north)], axis=1)
    velocity = np.stack([plane.df - np.einsum("ni,ni->n", xdot, plane.east),
                         plane.dg - np.einsum("ni,ni->n", xdot, plane.north)], axis=1)
    return rel, velocity, plane, x


def site_predictions(event, sites, sigma_km=0.0, iterations=4):
    """For each site: the instant the shadow centre passes closest, that distance d (signed, positive on the left
    of the track = `Occultation.cross_track_unit`), the star's and Sun's altitude then, and the probability of a
    positive chord (`chord_probability` with the event's radius and sigma_km). Returns an astropy Table.

    The site moves with the Earth's rotation: its projection (xi, eta) on the plane and the shadow centre are both
    evaluated at each iterate (Newton on the relative motion, `relative_to_sites`)."""
    from astropy.table import Table
    names, itrs = _sites_itrs(sites)
    n = len(names)
    t = np.full(n, event.tdb)
    for _ in range(iterations):
        rel, velocity, plane, x = relative_to_sites(event, itrs, t)
        rel_f, rel_g = rel.T
        vf, vg = velocity.T
        t = t - (rel_f * vf + rel_g * vg) / (vf * vf + vg * vg)
    speed = np.hypot(vf, vg)
    d = (vg * rel_f - vf * rel_g) / speed                  # (site - shadow) . left-normal (-vg, vf)/|v|
    sun = event.ephemeris.position(C.SUN, t) - plane.earth_ssb[:, :3]
    sun /= np.linalg.norm(sun, axis=1)[:, None]
    xu = x / np.linalg.norm(x, axis=1)[:, None]
    star_alt = np.degrees(np.arcsin(np.einsum("ni,ni->n", xu, plane.star)))     # geocentric zenith: < 0.2 deg off
    sun_alt = np.degrees(np.arcsin(np.einsum("ni,ni->n", xu, sun)))
    table = Table({"site": names, "tdb": t, "utc": tdb_to_utc_iso(t), "d_km": d,
                   "star_alt_deg": star_alt, "sun_alt_deg": sun_alt,
                   "probability": chord_probability(d, event.radius_km, sigma_km)})
    table.meta.update({"radius_km": event.radius_km, "sigma_km": float(sigma_km)})
    return table


# --- map ------------------------------------------------------------------------------------------------------------
LINE_STYLES = {"centre": ("#D55E00", "-", 1.6), "body": ("#0072B2", "-", 1.0), "1 sigma": ("#009E73", "--", 0.9),
               "3 sigma": ("#009E73", ":", 0.9)}


def _wrap_breaks(lon, lat):
    """Insert NaN where the longitude jumps across the antimeridian, so a line is not drawn across the map."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    jumps = np.nonzero(np.abs(np.diff(lon)) > 180.0)[0] + 1
    return np.insert(lon, jumps, np.nan), np.insert(lat, jumps, np.nan)


def plot_map(event, path, sites=None, filename=None, title=None, sigma_km=None, central_longitude=None):
    """Equirectangular lon/lat map centred on `central_longitude` (default: the sub-body longitude at C/A, to 15
    deg): day/night shading from the solar altitude at C/A (day, civil, nautical, astronomical twilight, night),
    the path's lines (thick where visible: star up, Sun down; thin elsewhere), dots every 60 s on the centre line,
    the C/A point, and sites (MPC codes or (lon, lat[, height_km])) with their chord probabilities. No coastlines
    (no cartopy needed). Returns the matplotlib Figure (Agg); saves it if `filename`."""
    from ..observations.observers import gcrs_matrix_and_pole
    from ..products.plots import RC, _new_figure, save_figure
    import matplotlib
    if central_longitude is None:
        central_longitude = 15.0 * np.round(event.sub_body_longitude_deg / 15.0)
    centre_lon = (central_longitude + 180.0) % 360.0 - 180.0
    shift = lambda lon: (np.asarray(lon, dtype=float) - centre_lon + 180.0) % 360.0 - 180.0
    with matplotlib.rc_context(RC):
        fig = _new_figure((8.0, 4.6))
        ax = fig.add_subplot(1, 1, 1)
        x_grid, lat_grid = np.meshgrid(np.linspace(-180, 180, 361), np.linspace(-90, 90, 181))
        matrix, _ = gcrs_matrix_and_pole([event.tdb])
        sun = event.ephemeris.position(C.SUN, [event.tdb])[0] - event.plane.earth_ssb[0, :3]
        sun_itrs = matrix[0].T @ (sun / np.linalg.norm(sun))
        sun_alt = _altitude_deg(sun_itrs, x_grid + centre_lon, lat_grid)
        ax.contourf(x_grid, lat_grid, sun_alt, levels=[-90, -18, -12, -6, 0, 90],
                    colors=["0.55", "0.65", "0.75", "0.85", "1.0"], zorder=0)
        ax.set_xlim(-180, 180)
        ax.set_ylim(-90, 90)
        ticks = np.arange(-180, 181, 30)
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{(t + centre_lon + 180) % 360 - 180:.0f}" for t in ticks])
        ax.set_yticks(np.arange(-90, 91, 30))
        ax.grid(color="0.4", lw=0.3, alpha=0.6)
        ax.set_xlabel("east longitude (deg)")
        ax.set_ylabel("geodetic latitude (deg)")
        ax.set_aspect("equal")
        for i, label in enumerate(path.labels):
            key = ("centre" if label == "centre" else "body" if label.startswith("body") else
                   " ".join(label.split()[:2]) if "sigma" in label else "other")
            colour, style, width = LINE_STYLES.get(key, ("0.2", "-.", 0.8))
            x, y = _wrap_breaks(shift(path.lon_deg[i]), path.lat_deg[i])
            ax.plot(x, y, color=colour, ls=style, lw=0.5 * width, alpha=0.5)
            visible = path.visible[i]
            x, y = _wrap_breaks(np.where(visible, shift(path.lon_deg[i]), np.nan),
                                np.where(visible, path.lat_deg[i], np.nan))
            legend = key if (label == "centre" or label.endswith("+") or key == "other") else None
            ax.plot(x, y, color=colour, ls=style, lw=width * 1.5, label=legend if key != "other" else label)
        centre = path.labels.index("centre")
        on_earth = np.isfinite(path.lon_deg[centre])
        if on_earth.sum() > 1:
            # a dot every minute (geocentric-frame instants) on the centre line
            minutes = np.arange(np.ceil(path.tdb[on_earth][0] / 60.0), np.floor(path.tdb[on_earth][-1] / 60.0) + 1)
            lon_u = np.degrees(np.unwrap(np.radians(path.lon_deg[centre][on_earth])))
            x_m = shift(np.interp(minutes * 60.0, path.tdb[on_earth], lon_u))
            y_m = np.interp(minutes * 60.0, path.tdb[on_earth], path.lat_deg[centre][on_earth])
            ax.plot(x_m, y_m, "o", color=LINE_STYLES["centre"][0], ms=2.5)
        k = int(np.argmin(np.abs(path.tdb - event.tdb)))
        if np.isfinite(path.lon_deg[centre, k]):
            ax.plot(shift(path.lon_deg[centre, k]), path.lat_deg[centre, k], "o", color="#CC0000", ms=7, mec="k",
                    label="C/A")
        if sites is not None:
            sigma = path.sigma_km if sigma_km is None else sigma_km
            table = site_predictions(event, sites, sigma or 0.0)
            names, itrs = _sites_itrs(sites)
            lon, lat = geodetic_from_itrs(itrs)
            for name, x, y, p in zip(names, shift(lon), lat, table["probability"]):
                ax.plot(x, y, "^", color="k", ms=4)
                ax.annotate(f"{name} {100 * p:.0f}%", (x, y), xytext=(3, 3), textcoords="offset points",
                            fontsize=7)
        sigma_text = "" if path.sigma_km is None else f"  1σ {path.sigma_km:.0f} km"
        ax.set_title(title or (f"{event.utc[:19]} UTC  star {event.star.source_id[0]}  C/A {event.ca_arcsec:.3f}\"  "
                               f"P/A {event.pa_deg:.1f}  v {event.velocity_km_s:+.1f} km/s  "
                               f"D {event.distance_au:.2f} au{sigma_text}"))
        ax.legend(loc="lower left", fontsize=7, frameon=True)
        if filename is not None:
            save_figure(fig, filename)
    return fig
