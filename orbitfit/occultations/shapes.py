"""Bodies as triaxial ellipsoids (or spheres) with IAU rotation elements (`Shape`, `Rotation`), their limb on the
fundamental plane at an event (`Shape.limb`, seen from the sub-observer point) and the embedded shapes
(`embedded_shape`, from data/occultation_events/shapes.toml, which cites every number): the Galilean moons Io,
Europa, Ganymede as ellipsoids, Himalia as a sphere with its size's sigma (the other irregulars have no published
size sigma in orbitfit's sources: give their radius).

    from orbitfit.occultations.shapes import embedded_shape
    europa = embedded_shape(502)                       # Nimmo et al. 2007 axes, IAU (Archinal et al. 2018) rotation
    limb = europa.limb(plane)                          # a Limb (ellipse) on the plane of a `Plane` at one instant
    lon_deg, lat_deg = europa.sub_observer(plane)      # planetographic west longitude, latitude of the observer

Geometry: the body-fixed frame has z along the IAU pole (alpha0, delta0) and x on the prime meridian (angle W from
the node of the body's equator on the ICRF equator), the rotation ICRF -> body-fixed R = Rz(W) Rx(90 - delta0)
Rz(90 + alpha0) (frame rotations, as SPICE's PCK). The ellipsoid x^T A x <= 1 (A = R^T diag(a^-2, b^-2, c^-2) R)
is the image of the unit ball under A^(-1/2); seen along the star's direction its outline is the image of the unit
disc under P A^(-1/2) (P the plane's east and north rows), the ellipse q^T (P A^-1 P^T)^-1 q = 1: its semi-axes are
the square roots of the eigenvalues of P A^-1 P^T. The body's orientation is taken at the instant the light left
it (t - distance / c: Ganymede turns 1.4 deg in Jupiter's 40 min of light time).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from dynamics import constants as C

from .limb import ChordError, Limb

SHAPES_FILE = ("occultation_events", "shapes.toml")
DAYS_PER_CENTURY = 36525.0


def _frame_rotation(axis, angle_rad):
    """The frame rotation about `axis` (0, 1, 2) by `angle_rad` (SPICE's [angle]_axis): v_new = M v_old."""
    c, s = math.cos(angle_rad), math.sin(angle_rad)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    m = np.eye(3)
    m[i, i], m[i, j], m[j, i], m[j, j] = c, s, -s, c
    return m


@dataclass(frozen=True)
class Rotation:
    """IAU rotation elements: pole right ascension and declination (deg, + deg per Julian century), prime meridian
    W (deg, + deg per day), and periodic terms: ra_sin, dec_cos, pm_sin map an angle index k to an amplitude (deg)
    of sin J_k, cos J_k, sin J_k, with J_k = angles[k] = (phase deg, rate deg per century)."""
    ra_deg: tuple
    dec_deg: tuple
    pm_deg: tuple
    ra_sin: dict = field(default_factory=dict)
    dec_cos: dict = field(default_factory=dict)
    pm_sin: dict = field(default_factory=dict)
    angles: dict = field(default_factory=dict)

    def elements_deg(self, tdb):
        """(alpha0, delta0, W) in degrees at TDB seconds past J2000 (a float)."""
        days = float(tdb) / C.SECONDS_PER_DAY
        centuries = days / DAYS_PER_CENTURY
        j = {k: math.radians(phase + rate * centuries) for k, (phase, rate) in self.angles.items()}
        ra = self.ra_deg[0] + self.ra_deg[1] * centuries + sum(a * math.sin(j[k]) for k, a in self.ra_sin.items())
        dec = self.dec_deg[0] + self.dec_deg[1] * centuries + sum(a * math.cos(j[k]) for k, a in self.dec_cos.items())
        w = self.pm_deg[0] + self.pm_deg[1] * days + sum(a * math.sin(j[k]) for k, a in self.pm_sin.items())
        return ra, dec, w % 360.0

    def matrix(self, tdb):
        """ICRF -> body-fixed rotation matrix (3, 3) at TDB seconds past J2000."""
        ra, dec, w = (math.radians(v) for v in self.elements_deg(tdb))
        return (_frame_rotation(2, w) @ _frame_rotation(0, math.pi / 2 - dec) @
                _frame_rotation(2, math.pi / 2 + ra))


@dataclass(frozen=True)
class Shape:
    """A triaxial ellipsoid (semi-axes a >= b >= c km; a sphere when equal) with the 1-sigma of its size
    (`radius_sigma_km`, all axes scaled together) and of its topography (`topography_sigma_km`, the limb's
    departure from the ellipsoid at any contact), and its rotation (None only for a sphere: an ellipsoid's
    orientation matters)."""
    radii_km: tuple
    radius_sigma_km: float = 0.0
    topography_sigma_km: float = 0.0
    rotation: Rotation | None = None
    name: str = ""
    source: str = ""

    def __post_init__(self):
        radii = tuple(float(r) for r in self.radii_km)
        if len(radii) != 3 or not all(r > 0 and math.isfinite(r) for r in radii):
            raise ChordError(f"shape {self.name}: three positive radii (km) are needed, not {self.radii_km!r}")
        if not (self.radius_sigma_km >= 0 and self.topography_sigma_km >= 0):
            raise ChordError(f"shape {self.name}: sigmas must be >= 0 km")
        if self.rotation is None and max(radii) - min(radii) > 1e-9 * max(radii):
            raise ChordError(f"shape {self.name}: an ellipsoid needs its rotation (pole, prime meridian); "
                             f"a sphere has equal radii")
        object.__setattr__(self, "radii_km", radii)

    @classmethod
    def sphere(cls, radius_km, radius_sigma_km=0.0, topography_sigma_km=0.0, name=""):
        return cls((radius_km,) * 3, radius_sigma_km, topography_sigma_km, None, name)

    @property
    def mean_radius_km(self):
        """The volume-equivalent radius (abc)^(1/3), km."""
        a, b, c = self.radii_km
        return (a * b * c) ** (1.0 / 3.0)

    def body_matrix(self, tdb):
        return np.eye(3) if self.rotation is None else self.rotation.matrix(tdb)

    def _light_time_tdb(self, plane, index):
        return float(plane.tdb[index]) - float(plane.distance_km[index]) / C.SPEED_OF_LIGHT_KM_S

    def limb(self, plane, index=0):
        """The outline (`Limb`: semi-major radius, oblateness, position angle of the minor axis from north
        through east) on the fundamental plane of a `Plane` at its instant `index`."""
        a, b, c = self.radii_km
        rotation = self.body_matrix(self._light_time_tdb(plane, index))
        inverse_a = rotation.T @ np.diag([a * a, b * b, c * c]) @ rotation          # A^-1 in ICRF
        p = np.stack([plane.east[index], plane.north[index]])
        values, vectors = np.linalg.eigh(p @ inverse_a @ p.T)                      # ascending
        minor, major = np.sqrt(values)
        axis = vectors[:, 0]                                                         # (east, north) of the minor axis
        position_angle = math.degrees(math.atan2(axis[0], axis[1])) % 180.0
        return Limb(float(major), float(1.0 - minor / major), position_angle)

    def sub_observer(self, plane, index=0):
        """(planetographic west longitude deg in [0, 360), planetocentric latitude deg) of the point facing the
        geocentre at a Plane's instant: the sub-observer point of Morgado et al. 2022, Table 3."""
        rotation = self.body_matrix(self._light_time_tdb(plane, index))
        towards_observer = -plane.rho[index] / np.linalg.norm(plane.rho[index])
        x, y, z = rotation @ towards_observer
        return (-math.degrees(math.atan2(y, x))) % 360.0, math.degrees(math.asin(z))


@lru_cache(maxsize=1)
def _embedded_table():
    from ..files import read_toml
    from ..paths import data_path
    path = data_path(*SHAPES_FILE)
    data = read_toml(path, ChordError, "shape file")
    angles = {k: tuple(float(v) for v in value) for k, value in data.get("jupiter_angles", {}).items()}
    shapes = {}
    for key, entry in data.get("bodies", {}).items():
        try:
            rotation = None if "pm" not in entry else Rotation(
                tuple(entry["ra"]), tuple(entry["dec"]), tuple(entry["pm"]), dict(entry.get("ra_sin", {})),
                dict(entry.get("dec_cos", {})), dict(entry.get("pm_sin", {})), angles)
            shapes[int(key)] = Shape(tuple(entry["radii_km"]), float(entry.get("radius_sigma_km", 0.0)),
                                     float(entry.get("topography_sigma_km", 0.0)), rotation,
                                     str(entry.get("name", key)), str(entry.get("shape_source", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ChordError(f"{path}: [bodies.{key}]: {exc}") from None
    return shapes


def embedded_shape(body):
    """The embedded Shape of a body (NAIF id), or None when orbitfit has none (give its radius instead)."""
    return _embedded_table().get(int(body))


def embedded_bodies():
    """NAIF ids with an embedded shape."""
    return sorted(_embedded_table())
