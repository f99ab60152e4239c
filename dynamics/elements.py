"""Osculating elements <-> Cartesian states, reference planes, the Kepler solution, and 599 <-> 5 origins.

Elements always name their centre (here: the body whose GM is given, normally Jupiter's centre 599) and their
reference plane: "icrf" (ICRF equator), "ecliptic" (J2000 ecliptic, IAU 2006 obliquity), or "jupiter"
(Jupiter's equator from the IAU pole at the elements' epoch, x axis at the ascending node of that equator on the
ICRF equator). Angles in degrees, distances km, velocities km/s. Elliptic orbits only.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import constants as C

PLANES = ("icrf", "ecliptic", "jupiter")


def _rot_x(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def _rot_z(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def plane_to_icrf(plane, tdb_seconds=0.0):
    """Rotation matrix taking vectors from the named plane's axes to ICRF axes."""
    if plane == "icrf":
        return np.eye(3)
    if plane == "ecliptic":
        return _rot_x(np.radians(C.OBLIQUITY_J2000_DEG))
    if plane == "jupiter":
        ra, dec = np.radians(C.jupiter_pole_radec_deg(tdb_seconds))
        return _rot_z(ra + np.pi / 2) @ _rot_x(np.pi / 2 - dec)
    raise ValueError(f"unknown reference plane {plane!r}: use one of {PLANES}")


@dataclass
class Elements:
    """Osculating Keplerian elements: a (km), e, inclination, node, argument of pericentre, true anomaly (deg)."""
    a: float
    e: float
    inclination: float
    node: float
    periapsis: float
    true_anomaly: float
    gm: float
    plane: str = "icrf"
    epoch: float = 0.0          # TDB s past J2000 (matters for the "jupiter" plane)

    @property
    def mean_anomaly(self):
        return np.degrees(true_to_mean(np.radians(self.true_anomaly), self.e))

    @property
    def period_days(self):
        return 2.0 * np.pi * np.sqrt(self.a ** 3 / self.gm) / C.SECONDS_PER_DAY

    def as_array(self):
        return np.array([self.a, self.e, self.inclination, self.node, self.periapsis, self.true_anomaly])


def true_to_eccentric(nu, e):
    return 2.0 * np.arctan2(np.sqrt(1.0 - e) * np.sin(nu / 2.0), np.sqrt(1.0 + e) * np.cos(nu / 2.0))


def true_to_mean(nu, e):
    E = true_to_eccentric(nu, e)
    return E - e * np.sin(E)


def solve_kepler(M, e, tol=1e-15):
    """Eccentric anomaly from mean anomaly (Newton, started at M + e sin M; converges for e < 1)."""
    M = np.asarray(M, dtype=float)
    E = M + e * np.sin(M)
    for _ in range(50):
        delta = (E - e * np.sin(E) - M) / (1.0 - e * np.cos(E))
        E = E - delta
        if np.all(np.abs(delta) < tol):
            break
    return E


def mean_to_true(M, e):
    E = solve_kepler(M, e)
    return 2.0 * np.arctan2(np.sqrt(1.0 + e) * np.sin(E / 2.0), np.sqrt(1.0 - e) * np.cos(E / 2.0))


def elements_to_state(elements: Elements):
    """Cartesian state (6,) in ICRF axes, km and km/s, relative to the elements' centre."""
    a, e = elements.a, elements.e
    if not (a > 0 and 0 <= e < 1):
        raise ValueError(f"only elliptic elements are supported (a={a}, e={e})")
    inc, node, peri, nu = np.radians([elements.inclination, elements.node, elements.periapsis,
                                      elements.true_anomaly])
    p = a * (1.0 - e * e)
    r = p / (1.0 + e * np.cos(nu))
    in_orbit_pos = np.array([r * np.cos(nu), r * np.sin(nu), 0.0])
    speed = np.sqrt(elements.gm / p)
    in_orbit_vel = np.array([-speed * np.sin(nu), speed * (e + np.cos(nu)), 0.0])
    to_plane = _rot_z(node) @ _rot_x(inc) @ _rot_z(peri)
    to_icrf = plane_to_icrf(elements.plane, elements.epoch) @ to_plane
    return np.concatenate([to_icrf @ in_orbit_pos, to_icrf @ in_orbit_vel])


def state_to_elements(state, gm, plane="icrf", epoch=0.0) -> Elements:
    """Osculating elements of a state (6,) given in ICRF axes, relative to the body of `gm`."""
    state = np.asarray(state, dtype=float)
    rotation = plane_to_icrf(plane, epoch).T
    r_vec, v_vec = rotation @ state[:3], rotation @ state[3:]
    r, v2 = np.linalg.norm(r_vec), v_vec @ v_vec
    h_vec = np.cross(r_vec, v_vec)
    h = np.linalg.norm(h_vec)
    e_vec = np.cross(v_vec, h_vec) / gm - r_vec / r
    e = np.linalg.norm(e_vec)
    energy = v2 / 2.0 - gm / r
    if energy >= 0:
        raise ValueError(f"state is not bound to the central body (specific energy {energy:.3e} km^2/s^2)")
    a = -gm / (2.0 * energy)
    inc = np.arccos(np.clip(h_vec[2] / h, -1.0, 1.0))
    node_vec = np.array([-h_vec[1], h_vec[0], 0.0])
    n = np.linalg.norm(node_vec)
    node = np.arctan2(node_vec[1], node_vec[0]) if n > 0 else 0.0
    # argument of latitude and of pericentre measured in the orbital plane from the node
    node_dir = node_vec / n if n > 0 else np.array([1.0, 0.0, 0.0])
    cross_dir = np.cross(h_vec / h, node_dir)
    u = np.arctan2(r_vec @ cross_dir, r_vec @ node_dir)
    peri = np.arctan2(e_vec @ cross_dir, e_vec @ node_dir) if e > 0 else 0.0
    nu = u - peri
    wrap = lambda x: np.degrees(np.mod(x, 2.0 * np.pi))
    return Elements(a, e, np.degrees(inc), wrap(node), wrap(peri), wrap(nu), gm, plane, epoch)


def kepler_propagate(state, gm, dt):
    """Two-body propagation of a state (6,) over dt seconds (scalar or array) -> (n, 6). Universal in e < 1."""
    el = state_to_elements(state, gm)
    mean_motion = np.sqrt(gm / el.a ** 3)
    M0 = true_to_mean(np.radians(el.true_anomaly), el.e)
    dt = np.atleast_1d(np.asarray(dt, dtype=float))
    out = np.empty((dt.size, 6))
    for i, step in enumerate(dt):
        nu = np.degrees(mean_to_true(M0 + mean_motion * step, el.e))
        moved = Elements(el.a, el.e, el.inclination, el.node, el.periapsis, nu, gm)
        out[i] = elements_to_state(moved)
    return out


def jupiter_centre_state(tdb_seconds, ephemeris):
    """(n, 6) state of Jupiter's centre (599) relative to the system barycentre (5)."""
    return ephemeris.jupiter_system_states(tdb_seconds)[0]


def jovicentric_to_barycentric(state, tdb_seconds, ephemeris):
    """State relative to Jupiter's centre (599) -> relative to the Jupiter-system barycentre (5)."""
    return np.asarray(state, dtype=float) + jupiter_centre_state(tdb_seconds, ephemeris).reshape(np.shape(state))


def barycentric_to_jovicentric(state, tdb_seconds, ephemeris):
    """State relative to the Jupiter-system barycentre (5) -> relative to Jupiter's centre (599)."""
    return np.asarray(state, dtype=float) - jupiter_centre_state(tdb_seconds, ephemeris).reshape(np.shape(state))
