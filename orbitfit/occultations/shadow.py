"""The shadow on the Earth: ground tracks of the shadow axis and of lines parallel to it (`ShadowPath`,
`shadow_path`), and stations placed across the track (`stations_across`). An event is anything with an Occultation's
`plane_at`, `ephemeris`, `tdb` and `path` (duck-typed: this module does not import `event`). Geometry and the
light-time shift of the body seen from the ground: `orbitfit.occultations.plane`."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from dynamics import constants as C

from ..times import to_tdb_seconds
from ..units import to_value
from .earth import altitude_deg, ellipsoid_hit, geodetic_from_itrs
from .plane import C_KM_S


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


def line_kind(label):
    """The kind of a ShadowPath line from its label: "centre", "body", "1 sigma", "3 sigma" or "other" (the map's
    line styles and the feeds' line names)."""
    if label == "centre":
        return "centre"
    if label.startswith("body"):
        return "body"
    return " ".join(label.split()[:2]) if "sigma" in label else "other"


def shadow_path(event, tdb_seconds, offsets_km, labels=None, sigma_km=None, min_star_altitude_deg=0.0,
                max_sun_altitude_deg=-12.0):
    """Ground tracks (ShadowPath) of the shadow axis shifted across the track by each offset, at TDB instants.

    For every instant: (f, g) from the exact geometry, the cross-track unit from the instantaneous shadow velocity,
    the line through f east + g north parallel to the star direction, rotated to the ITRS
    (`observers.gcrs_matrix_and_pole`) and cut with the WGS84 ellipsoid on the star's side; then the light-time
    shift of the body seen from the ground ((X . s)/c, see `orbitfit.occultations.plane`) is applied once (it
    converges at the mm level).
    """
    from ..observations.observers import gcrs_matrix_and_pole
    t = np.atleast_1d(to_tdb_seconds(tdb_seconds, "tdb_seconds"))
    offsets = np.atleast_1d(to_value(offsets_km, "km", "offsets_km"))
    sigma_km = to_value(sigma_km, "km", "sigma_km")
    min_star_altitude_deg = to_value(min_star_altitude_deg, "deg", "min_star_altitude_deg")
    max_sun_altitude_deg = to_value(max_sun_altitude_deg, "deg", "max_sun_altitude_deg")
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
        hit = ellipsoid_hit(point, np.broadcast_to(s_itrs[None], point.shape))
        delay = np.einsum("kmi,mi->km", hit, s_itrs) / C_KM_S
    lon, lat = geodetic_from_itrs(hit)
    sun = event.ephemeris.position(C.SUN, t) - plane.earth_ssb[:, :3]
    sun_itrs = np.einsum("mij,mj->mi", to_itrs, sun / np.linalg.norm(sun, axis=1)[:, None])
    star_alt = altitude_deg(s_itrs[None], lon, lat)
    sun_alt = altitude_deg(sun_itrs[None], lon, lat)
    visible = np.isfinite(lon) & (star_alt > min_star_altitude_deg) & (sun_alt < max_sun_altitude_deg)
    labels = list(labels) if labels is not None else [f"{o:+.0f} km" for o in offsets]
    return ShadowPath(t, offsets, labels, lon, lat, star_alt, sun_alt, visible, sigma_km, hit)


def stations_across(event, offsets_km, n_points=401):
    """(lon, lat, 0.0) on the ground of the lines offset across the shadow path by `offsets_km` (+ = left of the
    motion), at the instant nearest C/A: where to put a fence of stations. NaN where a line misses the Earth."""
    offsets = [float(o) for o in np.atleast_1d(to_value(offsets_km, "km", "offsets_km"))]
    path = event.path(offsets_km=offsets, n_points=n_points)
    k = int(np.argmin(np.abs(path.tdb - event.tdb)))
    rows = [path.labels.index(label) for label in path.labels[-len(offsets):]]
    return [(float(path.lon_deg[i, k]), float(path.lat_deg[i, k]), 0.0) for i in rows]
