"""The body's outline on the fundamental plane (`Limb`: a circle or an ellipse), the fit of a limb's centre (and
radius) to contact points (`fit_limb`) and the predicted contact instants of sites (`contact_times`). Offsets are
(east, north) km; the chord geometry is described in `orbitfit.occultations.chords`."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..units import to_value
from .sites import relative_to_sites, site_predictions, sites_itrs


class ChordError(ValueError):
    """Chords that cannot constrain the centre (no positive chord, impossible times, an impossible limb, ...); the
    message says why. Defined here, with the limb it also guards; `chords` and `event_files` raise it too."""


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



def fit_limb(points, velocity, sigma_t, shape_sigma, centre, limb, fit_radius, iterations=30):
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
    (MPC codes or (lon, lat, height_km)) for an `event.Occultation`, on a circle of `radius_km` (default the
    event's radius) or on a `Limb`: Newton's method on rho(t) = 1 from the site's closest approach
    (`site_predictions`). For planning, and to simulate chords."""
    limb = limb or Limb(event.radius_km if radius_km is None else float(to_value(radius_km, "km", "radius_km")))
    names, itrs = sites_itrs(sites)
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
                t = t - (limb.scaled_radius(q) - 1.0) / rho_rate(limb, q, -vel)
            final = limb.scaled_radius(-relative_to_sites(event, itrs[row:row + 1], t)[0])[0]
            # converged to 1 cm (the instant itself is only good to ~1e-7 s: TDB seconds near 1e9)
            out[row, column] = t[0] if abs(final - 1.0) * limb.equatorial_radius_km < 1e-5 else np.nan
    return out


def rho_rate(limb, q, q_dot):
    """d rho / dt for q moving at q_dot (both (n, 2))."""
    equator, pole = limb._axes()
    a, b = limb.equatorial_radius_km, limb.polar_radius_km
    x, y = q @ equator, q @ pole
    rho = np.hypot(x / a, y / b)
    return ((x / a ** 2) * (q_dot @ equator) + (y / b ** 2) * (q_dot @ pole)) / rho
