"""Observed occultation chords turned into a constraint on the body's centre, and that constraint into an
astrometric observation the orbit fit uses directly.

    from orbitfit.occultations import chords
    event = chords.ObservedOccultation(body=544, star=star, radius_km=1.0, chords=[
        chords.Chord(site=(149.0661, -31.2733, 1.165), start="2025-12-15T13:20:01.20", end="2025-12-15T13:20:01.50",
                     sigma_s=0.05, name="Siding Spring")])
    centre = event.reduce(solution)            # where the centre was, relative to the solution's prediction
    print(centre.summary())
    refit = solution.refit(centre.observations())

The geometry is Bessel's (see `orbitfit.occultations.occultation`): at each contact instant t of a station X, the prediction
gives the shadow centre relative to the station's projection on the fundamental plane, rel(t) (km, east/north,
`occultation.relative_to_sites`). The station's limb point relative to the *predicted* centre is p = -rel(t). If the
true centre is offset by delta (constant over the seconds of an event: an ephemeris error moves the whole shadow),
every contact lies on the limb around delta: |p - delta| = R for a circle, or an ellipse (`Limb`: equatorial radius,
oblateness, pole position angle). Timing errors move p along the station's relative motion w, by |w| sigma_t.

* One positive chord: delta is fixed along the chord (its midpoint, sigma = |w| sqrt(sigma_1^2 + sigma_2^2) / 2),
  and across it only to the two mirror solutions +-d, d = sqrt(R^2 - L^2/4). Without more information (`side`) the
  constraint is centred on the chord with sigma_across = R: the chord only says |offset| <= R, and a Gaussian of
  sigma R holds both mirror solutions within 1 sigma. With `side=+1` (the station was left of the true centre line,
  looking along the shadow's motion: d_km > 0 in `Occultation.sites`) or `side=-1` (right), e.g. when a negative
  chord decides it, the centre is put at d from the chord with sigma from the timing, radius and shape sigmas. The
  covariance is long across the chord and short along it - a 1-D likelihood in practice.
* Two or more positive chords: delta (and R, with `fit_radius` and >= 3 chords) by weighted least squares on the
  radial residuals (|p_k - delta| - R for a circle), sigma_k^2 = (sigma_t |w . n_k|)^2 + shape_sigma^2 (n_k the
  limb's normal at the contact), from several starts across the track (two chords have a mirror solution);
  covariance (J^T W J)^-1. For an ellipse a single chord's L and d follow the affine-circle relations of
  `Limb.chords_along` (sigma_across = the half-width across the chord).
* Negative chords are not in the likelihood: the reduction reports each one's clearance outside the fitted limb
  and flags those that pass inside it.

The centre becomes the body's geocentric astrometric position at the reference instant (the mean of the positive
chords' mid-times): the predicted fundamental-plane position plus delta, with the covariance (km -> mas at the body's
distance) plus the star's own position covariance. Since (f, g) are the body's offsets from the star's direction,
the observation is "star + measured offset" and depends on the prediction only to second order.
"""
from __future__ import annotations

import datetime
import math
from dataclasses import dataclass, field

import numpy as np

from dynamics import constants as C

from .occultation import (MAS_PER_RAD, Star, _sites_itrs, predict, relative_to_sites, tdb_to_utc_iso,
                          to_tdb_seconds)

DEFAULT_TIMING_SIGMA_S = 0.1        # a video camera with GPS-stamped frames at 10 Hz; give the real value
SINGLE_CHORD_SIDES = (None, -1, 1)


class ChordError(ValueError):
    """Chords that cannot constrain the centre (no positive chord, impossible times, ...); the message says why."""


@dataclass(frozen=True)
class Limb:
    """The body's outline projected on the fundamental plane: an ellipse with equatorial (semi-major) radius a,
    oblateness (polar radius b = a (1 - oblateness)) and the position angle of the projected pole (the minor axis)
    from north through east; oblateness 0 is a circle of radius a. Offsets q are (east, north) km from the centre."""
    equatorial_radius_km: float
    oblateness: float = 0.0
    pole_position_angle_deg: float = 0.0

    def __post_init__(self):
        if not (self.equatorial_radius_km > 0 and 0.0 <= self.oblateness < 1.0):
            raise ChordError(f"the limb needs a radius > 0 km and 0 <= oblateness < 1, not "
                             f"{self.equatorial_radius_km!r}, {self.oblateness!r}")

    @property
    def polar_radius_km(self):
        return self.equatorial_radius_km * (1.0 - self.oblateness)

    def scaled(self, radius_km):
        return Limb(radius_km, self.oblateness, self.pole_position_angle_deg)

    def _axes(self):
        theta = math.radians(self.pole_position_angle_deg)
        pole = np.array([math.sin(theta), math.cos(theta)])          # (east, north)
        return np.array([pole[1], -pole[0]]), pole                   # equator, pole

    def scaled_radius(self, q):
        """rho(q) = sqrt((x/a)^2 + (y/b)^2) in the body's axes: 1 on the limb, < 1 inside."""
        equator, pole = self._axes()
        q = np.atleast_2d(q)
        return np.hypot(q @ equator / self.equatorial_radius_km, q @ pole / self.polar_radius_km)

    def radial_residual(self, q):
        """Distance (km) of q outside the limb along the ray from the centre: |q| (1 - 1/rho); negative inside."""
        r = np.hypot(*np.atleast_2d(q).T)
        return r * (1.0 - 1.0 / self.scaled_radius(q))

    def normal(self, q):
        """Unit outward normals of the level curves of rho at q (n, 2)."""
        equator, pole = self._axes()
        q = np.atleast_2d(q)
        grad = (np.outer(q @ equator, equator) / self.equatorial_radius_km ** 2 +
                np.outer(q @ pole, pole) / self.polar_radius_km ** 2)
        return grad / np.hypot(*grad.T)[:, None]

    def chords_along(self, direction):
        """For chords parallel to `direction` (unit, east/north): (L0, h, k) with the central chord's length L0,
        the half-width h across the direction (support function) and the midpoints' slope k: the chord at offset d
        along the left normal has length L0 sqrt(1 - d^2/h^2) and its midpoint at d n + k d u (an ellipse is an
        affine circle: parallel chords scale alike and their midpoints lie on the conjugate diameter)."""
        u = np.asarray(direction, dtype=float)
        n = np.array([-u[1], u[0]])
        equator, pole = self._axes()
        a, b = self.equatorial_radius_km, self.polar_radius_km
        ue, up, ne, npole = u @ equator, u @ pole, n @ equator, n @ pole
        big_a = (ue / a) ** 2 + (up / b) ** 2
        k = -(ne * ue / a ** 2 + npole * up / b ** 2) / big_a
        h = math.sqrt((a * ne) ** 2 + (b * npole) ** 2)
        return 2.0 / math.sqrt(big_a), h, k


@dataclass
class Chord:
    """One station's observation of an occultation.

    site: MPC code, or (east longitude deg, geodetic latitude deg, height km) on WGS84.
    start, end: positive chord - the disappearance and reappearance instants (UTC string, astropy Time or TDB s);
        negative chord - the span watched without an event.
    sigma_s: 1-sigma of each instant (one value or (sigma_start, sigma_end)), seconds.
    """
    site: object
    start: object
    end: object
    sigma_s: object = DEFAULT_TIMING_SIGMA_S
    positive: bool = True
    name: str = ""

    def sigmas(self):
        s = np.broadcast_to(np.asarray(self.sigma_s, dtype=float), (2,))
        if not np.all(np.isfinite(s)) or np.any(s <= 0):
            raise ChordError(f"chord {self.label()}: timing sigma must be positive seconds, not {self.sigma_s!r}")
        return s

    def label(self):
        return self.name or (self.site if isinstance(self.site, str) else
                             "{:.4f},{:.4f}".format(*tuple(self.site)[:2]))


@dataclass
class CentreFit:
    """The body's centre in the fundamental plane, measured by the chords against a prediction."""
    event: object                   # the ObservedOccultation
    prediction: object              # occultation.Occultation used to reduce the chords
    tdb: float                      # reference instant (TDB s past J2000)
    offset_km: np.ndarray           # (2,) true minus predicted centre (east, north), km
    covariance_km: np.ndarray       # (2, 2) km^2
    radius_km: float
    radius_sigma_km: float | None   # when the radius was fitted
    chi2: float
    dof: int
    method: str                     # "single chord", "single chord, side +1", "chords"
    along_unit: np.ndarray          # (2,) along the chord (single chord: the shadow's motion), east/north
    limb_points_km: np.ndarray      # (n, 2) contact points relative to the predicted centre
    limb_residuals_km: np.ndarray   # (n,) radial distance of each contact outside the limb (|p - delta| - R)
    negative: list = field(default_factory=list)    # per negative chord: (label, clearance km, consistent)

    @property
    def sigmas_along_across_km(self):
        """(sigma along the chord, sigma across it), km."""
        u = self.along_unit
        n = np.array([-u[1], u[0]])
        return float(np.sqrt(u @ self.covariance_km @ u)), float(np.sqrt(n @ self.covariance_km @ n))

    def radec(self):
        """Geocentric astrometric RA, Dec (deg) of the measured centre at the reference instant, with the 2x2
        covariance in mas^2 (RA*, Dec) including the star's own position covariance."""
        from ..model import radec_from_unit
        plane = self.prediction.plane_at([self.tdb])
        f = plane.f[0] + self.offset_km[0]
        g = plane.g[0] + self.offset_km[1]
        along_star = float(plane.rho[0] @ plane.star[0])
        vector = f * plane.east[0] + g * plane.north[0] + along_star * plane.star[0]
        ra, dec = radec_from_unit(vector[None, :] / np.linalg.norm(vector))
        mas_per_km = MAS_PER_RAD / float(np.linalg.norm(vector))
        cov = self.covariance_km * mas_per_km ** 2 + self.event.star_covariance_mas()
        return float(np.degrees(ra[0]) % 360.0), float(np.degrees(dec[0])), cov

    def observations(self):
        """The measured centre as one Observations row: kind "occultation", observer 500 (geocentre), data set
        "occultation:<event name>", with its 2x2 covariance (the fit uses it as given, with no floor)."""
        from ..observations.core import Records
        ra, dec, cov = self.radec()
        sigma_ra, sigma_dec = math.sqrt(cov[0, 0]), math.sqrt(cov[1, 1])
        records = Records(self.event.name, f"occultation:{self.event.name}")
        jd1, jd2 = C.J2000_JD, self.tdb / C.SECONDS_PER_DAY
        records.add(line=1, body=self.event.body, jd1=jd1, jd2=jd2, scale="tdb", ra_deg=ra, dec_deg=dec,
                    observer="500", sigma_ra_mas=sigma_ra, sigma_dec_mas=sigma_dec,
                    corr=float(np.clip(cov[0, 1] / (sigma_ra * sigma_dec), -1.0, 1.0)), kind="occultation",
                    catalog=self.event.star_catalog)
        return records.to_table()

    def summary(self):
        along, across = self.sigmas_along_across_km
        ra, dec, cov = self.radec()
        lines = [f"{self.event.name}: {self.method}, reference {tdb_to_utc_iso(self.tdb)} UTC",
                 f"  centre - prediction: east {self.offset_km[0]:+.3f} km, north {self.offset_km[1]:+.3f} km "
                 f"(sigma along the chord {along:.3f} km, across {across:.3f} km)",
                 f"  radius {self.radius_km:.3f} km" + ("" if self.radius_sigma_km is None else
                                                        f" +- {self.radius_sigma_km:.3f} km (fitted)"),
                 f"  chi2 {self.chi2:.2f} for {self.dof} degrees of freedom",
                 f"  astrometric (geocentre) RA {ra:.9f} deg, Dec {dec:+.9f} deg, sigma RA* "
                 f"{math.sqrt(cov[0, 0]):.2f} mas, Dec {math.sqrt(cov[1, 1]):.2f} mas, "
                 f"corr {cov[0, 1] / math.sqrt(cov[0, 0] * cov[1, 1]):+.3f}"]
        for label, clearance, consistent in self.negative:
            lines.append(f"  negative chord {label}: passes {abs(clearance):.2f} km "
                         f"{'outside the limb (consistent)' if consistent else 'INSIDE the limb: inconsistent'}")
        return "\n".join(lines)


@dataclass
class ObservedOccultation:
    """An observed stellar occultation: the star, the chords and the body's size.

    star: occultation.Star of one star (Gaia DR3 position, proper motion, parallax, epoch).
    star_sigma_mas: (sigma RA*, sigma Dec) of the star at the event, mas, and star_corr their correlation.
    radius_km: the body's equatorial (or equivalent) radius; radius_sigma_km its uncertainty (used for a single chord
    with a side); oblateness and pole_position_angle_deg make the limb an ellipse (`Limb`; default a circle);
    shape_sigma_km: the limb's departure from that ellipse (topography), added to every contact.
    """
    body: int
    star: Star
    chords: list
    radius_km: float
    radius_sigma_km: float = 0.0
    shape_sigma_km: float = 0.0
    star_sigma_mas: tuple = (0.0, 0.0)
    star_corr: float = 0.0
    name: str = "occultation"
    oblateness: float = 0.0
    pole_position_angle_deg: float = 0.0
    star_catalog: str = "Gaia DR3"

    @property
    def limb(self):
        return Limb(self.radius_km, self.oblateness, self.pole_position_angle_deg)

    def star_covariance_mas(self):
        s_ra, s_dec = self.star_sigma_mas
        c = self.star_corr * s_ra * s_dec
        return np.array([[s_ra ** 2, c], [c, s_dec ** 2]])

    def positive(self):
        return [c for c in self.chords if c.positive]

    def _times(self, chord):
        start, end = to_tdb_seconds(chord.start), to_tdb_seconds(chord.end)
        if not end > start:
            raise ChordError(f"{self.name}: chord {chord.label()} ends ({chord.end}) before it starts ({chord.start})")
        return start, end

    def reduce(self, body, *, side=None, fit_radius=False, ephemeris=None, prediction=None):
        """Fit the centre to the chords against the prediction of `body` (a Solution or a target callable).
        Returns a CentreFit. `side` (+1/-1) picks a single chord's mirror solution (see the module docstring).
        `prediction`: an occultation.Occultation of this star by the body near the event, if already computed."""
        positive = self.positive()
        if not positive:
            raise ChordError(f"{self.name}: no positive chord; negative chords alone do not give a centre")
        if side not in SINGLE_CHORD_SIDES:
            raise ChordError(f"side must be None, +1 or -1, not {side!r}")
        if not self.radius_km > 0:
            raise ChordError(f"{self.name}: the body's radius must be positive km, not {self.radius_km!r}")
        self.limb                                                                     # checks the shape
        times = np.array([self._times(c) for c in positive])                       # (n, 2) TDB s
        t_ref = float(times.mean())
        if prediction is None:
            prediction = predict(body, self.star, t_ref, radius_km=self.radius_km, ephemeris=ephemeris)
        sites = [c.site for c in positive]
        _, itrs = _sites_itrs(sites)
        itrs = np.repeat(itrs, 2, axis=0)
        rel, velocity, _, _ = relative_to_sites(prediction, itrs, times.ravel())
        points = -rel                                                               # station relative to centre
        sigma_t = np.concatenate([c.sigmas() for c in positive])
        if len(positive) == 1:
            fit = self._single_chord(prediction, t_ref, points, velocity, sigma_t, side)
        else:
            fit = self._several_chords(prediction, t_ref, points, velocity, sigma_t, fit_radius)
        fit.negative = self._negative_checks(prediction, fit)
        return fit

    def _single_chord(self, prediction, t_ref, points, velocity, sigma_t, side):
        p1, p2 = points
        length = float(np.hypot(*(p2 - p1)))
        if length == 0:
            raise ChordError(f"{self.name}: the chord has zero length")
        motion = velocity.mean(axis=0)                       # the shadow's motion relative to the station
        w = float(np.hypot(*motion))
        along = motion / w
        normal = np.array([-along[1], along[0]])             # left of the shadow's motion (d_km > 0 in predictions)
        sigma_along = w * math.hypot(*sigma_t) / 2.0
        midpoint = 0.5 * (p1 + p2)
        limb = self.limb
        central, half_width, slope = limb.chords_along(along)
        if length > central * (1 + 1e-9) and side is not None:
            raise ChordError(f"{self.name}: the chord is {length:.3f} km long, longer than the body "
                             f"({central:.3f} km along it); give a larger radius")
        # the chord's offset from the centre: L = L0 sqrt(1 - d^2/h^2); its midpoint sits at d n + k d u
        d = half_width * math.sqrt(max(1.0 - (length / central) ** 2, 0.0))
        if side is None:
            # both mirror solutions -d (left) and +d: their mean, and across only |offset| <= h
            centre = midpoint
            sigma_along = math.hypot(sigma_along, abs(slope) * d)
            sigma_across, method = half_width, "single chord"
        else:
            sigma_length = w * math.hypot(*sigma_t)
            # dd/dL = -h^2 L / (L0^2 d), dd/da = h^2 / (a d); capped at h where d -> 0 (a central chord)
            small = max(d, 1e-9)
            sigma_d = math.hypot(half_width ** 2 * length * sigma_length / (central ** 2 * small),
                                 half_width ** 2 * self.radius_sigma_km / (self.radius_km * small))
            sigma_across = min(math.hypot(sigma_d, self.shape_sigma_km), half_width)
            # side +1: the station was left of the true centre line, so the chord is at +d from the centre
            offset = side * d
            centre = midpoint - offset * normal - slope * offset * along
            method = f"single chord, side {side:+d}"
        cov = (sigma_along ** 2 * np.outer(along, along) + sigma_across ** 2 * np.outer(normal, normal))
        residuals = limb.radial_residual(points - centre)
        return CentreFit(self, prediction, t_ref, centre, cov, self.radius_km, None, 0.0, 0, method, along, points,
                         residuals)

    def _several_chords(self, prediction, t_ref, points, velocity, sigma_t, fit_radius):
        n_positive = len(points) // 2
        if fit_radius and n_positive < 3:
            raise ChordError(f"{self.name}: fitting the radius needs at least 3 positive chords, not {n_positive}")
        r0 = self.radius_km
        first = points[1] - points[0]
        along = first / np.hypot(*first)
        normal = np.array([-along[1], along[0]])
        mid = points.mean(axis=0)
        best = None
        for shift in np.linspace(-1.5, 1.5, 13) * r0:                   # starts across the track: mirror solutions
            result = _fit_limb(points, velocity, sigma_t, self.shape_sigma_km, mid + shift * normal, self.limb,
                               fit_radius)
            if result is not None and (best is None or result[3] < best[3] - 1e-9):
                best = result
        if best is None:
            raise ChordError(f"{self.name}: the chords do not determine the centre (singular normal matrix)")
        centre, radius, cov_full, chi2, residuals = best
        dof = len(points) - (3 if fit_radius else 2)
        radius_sigma = float(math.sqrt(cov_full[2, 2])) if fit_radius else None
        return CentreFit(self, prediction, t_ref, centre, cov_full[:2, :2], radius, radius_sigma, chi2, dof,
                         "chords" + (" with the radius fitted" if fit_radius else ""), along, points, residuals)

    def _negative_checks(self, prediction, fit):
        out = []
        for chord in (c for c in self.chords if not c.positive):
            start, end = self._times(chord)
            t = np.linspace(start, end, 201)
            _, itrs = _sites_itrs([chord.site])
            rel, _, _, _ = relative_to_sites(prediction, np.repeat(itrs, t.size, axis=0), t)
            clearance = float(self.limb.scaled(fit.radius_km).radial_residual(-rel - fit.offset_km).min())
            out.append((chord.label(), clearance, clearance > 0))
        return out


def _fit_limb(points, velocity, sigma_t, shape_sigma, centre, limb, fit_radius, iterations=30):
    """Gauss-Newton for the contacts on the limb (radial residuals, `Limb.radial_residual`), over the centre (and
    the radius); returns (centre, radius, covariance (3x3), chi2, residuals) or None if singular."""
    x = np.array([*centre, limb.equatorial_radius_km], dtype=float)
    n_par = 3 if fit_radius else 2
    scale = limb.equatorial_radius_km

    def residuals(params):
        return limb.scaled(params[2]).radial_residual(points - params[:2])

    for _ in range(iterations):
        q = points - x[:2]
        if np.any(np.hypot(*q.T) == 0):
            return None
        normals = limb.scaled(x[2]).normal(q)
        sigma = np.maximum(np.hypot(sigma_t * np.abs(np.einsum("ij,ij->i", velocity, normals)), shape_sigma), 1e-6)
        jac = np.empty((len(points), n_par))
        for k in range(n_par):                 # central differences: exact to ~1e-10 of the radius here
            h = np.zeros(3)
            h[k] = 1e-6 * scale
            jac[:, k] = (residuals(x + h) - residuals(x - h)) / (2 * h[k])
        jac /= sigma[:, None]
        value = residuals(x) / sigma
        try:
            step, *_ = np.linalg.lstsq(jac, -value, rcond=None)
            normal_matrix = jac.T @ jac
            if np.linalg.cond(normal_matrix) > 1e14:
                return None
            cov = np.linalg.inv(normal_matrix)
        except np.linalg.LinAlgError:
            return None
        x[:n_par] += step
        if not np.all(np.isfinite(x)) or x[2] <= 0:
            return None
        if np.max(np.abs(step)) < 1e-9 * scale:
            break
    final = residuals(x)
    chi2 = float(np.sum((final / sigma) ** 2))
    if not fit_radius:
        cov = np.pad(cov, ((0, 1), (0, 1)))
    return x[:2].copy(), float(x[2]), cov, chi2, final


def contact_times(event, sites, radius_km=None, limb=None, iterations=8):
    """Predicted disappearance and reappearance (TDB s, (n, 2); NaN where the site misses the shadow) at each site
    (MPC codes or (lon, lat, height_km)) for an `occultation.Occultation`, on a circle of `radius_km` (default the
    event's radius) or on a `Limb`: Newton's method on rho(t) = 1 from the site's closest approach
    (`site_predictions`). For planning, and to simulate chords."""
    from .occultation import site_predictions
    limb = limb or Limb(event.radius_km if radius_km is None else float(radius_km))
    names, itrs = _sites_itrs(sites)
    closest = site_predictions(event, sites)
    t_ca, d = np.asarray(closest["tdb"], float), np.asarray(closest["d_km"], float)
    out = np.full((len(names), 2), np.nan)
    _, velocity, _, _ = relative_to_sites(event, itrs, t_ca)
    speed = np.hypot(*velocity.T)
    for row in range(len(names)):
        central, half_width, _ = limb.chords_along(velocity[row] / speed[row])
        if abs(d[row]) >= half_width:
            continue
        half = 0.5 * central * math.sqrt(1.0 - (d[row] / half_width) ** 2) / speed[row]
        for column, sign in ((0, -1.0), (1, 1.0)):
            t = np.array([t_ca[row] + sign * half])
            for _ in range(iterations):
                rel, vel, _, _ = relative_to_sites(event, itrs[row:row + 1], t)
                q = -rel                                           # the site relative to the shadow centre
                t = t - (limb.scaled_radius(q) - 1.0) / _rho_rate(limb, q, -vel)
            final = limb.scaled_radius(-relative_to_sites(event, itrs[row:row + 1], t)[0])[0]
            # converged to 1 cm (the instant itself is only good to ~1e-7 s: TDB seconds near 1e9)
            out[row, column] = t[0] if abs(final - 1.0) * limb.equatorial_radius_km < 1e-5 else np.nan
    return out


def _rho_rate(limb, q, q_dot):
    """d rho / dt for q moving at q_dot (both (n, 2))."""
    equator, pole = limb._axes()
    a, b = limb.equatorial_radius_km, limb.polar_radius_km
    x, y = q @ equator, q @ pole
    rho = np.hypot(x / a, y / b)
    return ((x / a ** 2) * (q_dot @ equator) + (y / b ** 2) * (q_dot @ pole)) / rho


# --- event files ----------------------------------------------------------------------------------------------------
EVENT_KEYS = {"name", "body", "radius_km", "radius_sigma_km", "shape_sigma_km", "oblateness",
              "pole_position_angle_deg", "side", "fit_radius", "star", "chords"}
STAR_KEYS = {"ra_deg", "dec_deg", "pmra_mas_yr", "pmdec_mas_yr", "parallax_mas", "radial_velocity_km_s", "epoch",
             "source_id", "mag", "sigma_ra_mas", "sigma_dec_mas", "corr"}
CHORD_KEYS = {"name", "site", "start", "end", "sigma_s", "positive"}
EVENT_EXAMPLE = '''name = "Kallichore 2025-12-15"
body = 544                     # NAIF id, or a name ("Kallichore")
radius_km = 1.0               # equatorial radius; optional: oblateness, pole_position_angle_deg (N->E),
                               # radius_sigma_km, shape_sigma_km, side (+1/-1), fit_radius (>= 3 chords)
[star]                         # Gaia DR3: position at the epoch, proper motion, parallax; sigmas at the event
ra_deg = 23.456789012
dec_deg = 8.765432101
pmra_mas_yr = 1.2
pmdec_mas_yr = -3.4
parallax_mas = 0.5
epoch = 2016.0
sigma_ra_mas = 0.2
sigma_dec_mas = 0.2
[[chords]]
name = "Station A"
site = [149.0661, -31.2733, 1.165]   # east longitude deg, latitude deg, height km (WGS84), or an MPC code
start = "2025-12-15T13:20:01.20"     # UTC: disappearance (negative chord: start of the watch)
end = "2025-12-15T13:20:01.50"       # UTC: reappearance (negative chord: end of the watch)
sigma_s = 0.05                       # or [sigma_start, sigma_end]
positive = true'''


def read_event(path):
    """An ObservedOccultation (and its options {"side", "fit_radius"}) from a TOML file; see EVENT_EXAMPLE.
    Errors name the file and the entry."""
    from ..observations.core import NAIF_BY_NAME
    from ..toml_files import read_toml
    data = read_toml(path, ChordError, "occultation file")

    def check_keys(table, allowed, where):
        unknown = set(table) - allowed
        if unknown:
            raise ChordError(f"{path}: {where}: unknown keys {sorted(unknown)}; allowed: {', '.join(sorted(allowed))}")

    def number(table, key, where, default=None):
        if key not in table:
            if default is None:
                raise ChordError(f"{path}: {where}: missing '{key}'")
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ChordError(f"{path}: {where}.{key}: expected a number, got {value!r}")
        return float(value)

    check_keys(data, EVENT_KEYS, "top level")
    body = data.get("body")
    if isinstance(body, str):
        if body.lower() not in NAIF_BY_NAME:
            raise ChordError(f"{path}: body {body!r} is not a known satellite name; give its NAIF id")
        body = NAIF_BY_NAME[body.lower()]
    if not isinstance(body, int) or isinstance(body, bool):
        raise ChordError(f"{path}: 'body' must be a NAIF id or a satellite name, got {body!r}")
    star_table = data.get("star")
    if not isinstance(star_table, dict):
        raise ChordError(f"{path}: missing [star] table (ra_deg, dec_deg, pmra_mas_yr, ... epoch)")
    check_keys(star_table, STAR_KEYS, "[star]")
    epoch = star_table.get("epoch", 2016.0)
    try:
        star = Star(number(star_table, "ra_deg", "[star]"), number(star_table, "dec_deg", "[star]"),
                    number(star_table, "pmra_mas_yr", "[star]", 0.0), number(star_table, "pmdec_mas_yr", "[star]", 0.0),
                    number(star_table, "parallax_mas", "[star]", 0.0),
                    number(star_table, "radial_velocity_km_s", "[star]", 0.0), epoch,
                    number(star_table, "mag", "[star]", math.nan), [str(star_table.get("source_id", "star"))])
    except (TypeError, ValueError) as exc:
        if isinstance(exc, ChordError):
            raise
        raise ChordError(f"{path}: [star]: {exc}") from None
    chord_list = []
    for i, entry in enumerate(data.get("chords", [])):
        where = f"chords[{i}]"
        check_keys(entry, CHORD_KEYS, where)
        for key in ("site", "start", "end"):
            if key not in entry:
                raise ChordError(f"{path}: {where}: missing '{key}'")
        site = entry["site"]
        if not isinstance(site, str) and not (isinstance(site, list) and len(site) in (2, 3) and
                                              all(isinstance(v, (int, float)) for v in site)):
            raise ChordError(f"{path}: {where}.site: expected an MPC code or [lon_deg, lat_deg, height_km], "
                             f"got {site!r}")
        if isinstance(site, list) and not (-90 <= site[1] <= 90 and -360 <= site[0] <= 360):
            raise ChordError(f"{path}: {where}.site: longitude/latitude out of range: {site!r}")
        times = []
        for key in ("start", "end"):
            value = entry[key]
            if isinstance(value, datetime.datetime):           # an unquoted TOML date-time
                if value.tzinfo is not None:
                    value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
                value = value.isoformat()
            try:
                times.append(to_tdb_seconds(str(value)))
            except ValueError as exc:
                raise ChordError(f"{path}: {where}.{key}: cannot read the UTC time {entry[key]!r} ({exc})") from None
        chord = Chord(tuple(site) if isinstance(site, list) else site, times[0], times[1],
                      entry.get("sigma_s", DEFAULT_TIMING_SIGMA_S), bool(entry.get("positive", True)),
                      str(entry.get("name", "")) or f"chord {i}")
        try:
            chord.sigmas()
        except ChordError as exc:
            raise ChordError(f"{path}: {where}: {exc}") from None
        chord_list.append(chord)
    if not chord_list:
        raise ChordError(f"{path}: no [[chords]] entries")
    event = ObservedOccultation(body, star, chord_list, number(data, "radius_km", "top level"),
                                number(data, "radius_sigma_km", "top level", 0.0),
                                number(data, "shape_sigma_km", "top level", 0.0),
                                (number(star_table, "sigma_ra_mas", "[star]", 0.0),
                                 number(star_table, "sigma_dec_mas", "[star]", 0.0)),
                                number(star_table, "corr", "[star]", 0.0), str(data.get("name", "occultation")),
                                number(data, "oblateness", "top level", 0.0),
                                number(data, "pole_position_angle_deg", "top level", 0.0))
    try:
        event.limb
    except ChordError as exc:
        raise ChordError(f"{path}: {exc}") from None
    side = data.get("side")
    if side not in SINGLE_CHORD_SIDES:
        raise ChordError(f"{path}: side must be +1 or -1 (or absent), not {side!r}")
    return event, {"side": side, "fit_radius": bool(data.get("fit_radius", False))}
