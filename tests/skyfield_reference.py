"""Independent references for the observer and model tests: skyfield (offline) and a small test SPK.

skyfield's timescale reads finals2000A.all from PyPI skyfield-data (no network) and gets the same file's polar
motion, so its Earth orientation is as close to astropy's IERS tables as two independent codes can be.
"""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from dynamics import constants as C


def skyfield_data_dir():
    import skyfield_data
    return os.path.join(os.path.dirname(skyfield_data.__file__), "data")


@lru_cache(maxsize=1)
def skyfield_loader():
    from skyfield.api import Loader
    return Loader(skyfield_data_dir(), verbose=False)


@lru_cache(maxsize=1)
def skyfield_timescale():
    from skyfield.data import iers
    loader = skyfield_loader()
    ts = loader.timescale(builtin=False)           # UT1 from skyfield-data's finals2000A.all (file on disk)
    with loader.open("finals2000A.all") as f:
        iers.install_polar_motion_table(ts, iers.parse_x_y_dut1_from_finals_all(f))
    return ts


@lru_cache(maxsize=1)
def skyfield_de421():
    return skyfield_loader()("de421.bsp")


def skyfield_times(tdb_seconds):
    """skyfield Time array at TDB seconds past J2000 (split JD keeps full precision)."""
    tdb = np.asarray(tdb_seconds, dtype=float)
    return skyfield_timescale().tdb_jd(np.full(tdb.shape, C.J2000_JD), tdb / C.SECONDS_PER_DAY)


def skyfield_site(code):
    """skyfield observer (Earth + ITRS offset) for an MPC code, from the same parallax constants as orbitfit."""
    from skyfield.toposlib import ITRSPosition
    from skyfield.units import Distance

    from orbitfit.observations.observers import GEOCENTRE, site_itrs_km
    earth = skyfield_de421()["earth"]
    if code == GEOCENTRE:
        return earth
    return earth + ITRSPosition(Distance(km=np.array(site_itrs_km(code))))


def skyfield_radec_rad(observer, target, tdb_seconds, light_time=True):
    """ICRS RA, Dec (radians) of target from observer: astrometric (light time) or geometric."""
    t = skyfield_times(tdb_seconds)
    if light_time:
        position = observer.at(t).observe(target)            # light time only: no aberration, no deflection
    else:
        position = (target - observer).at(t)
    ra, dec, _ = position.radec()
    return ra.radians, dec.radians


# --- a Keplerian moon of Jupiter --------------------------------------------------------------------------------------
# Himalia-like osculating elements relative to NAIF 5, ICRF equator (seed 003 Table 2, rounded), epoch J2000 TDB.
HIMALIA_LIKE = dict(a=11.37e6, e=0.166, i=np.radians(45.14), node=np.radians(39.77), peri=np.radians(351.48),
                    mean_anomaly=np.radians(80.0), epoch=0.0)


def kepler_state(tdb_seconds, a, e, i, node, peri, mean_anomaly, epoch, gm=C.GM_JUPITER_SYSTEM):
    """(n, 6) two-body state (km, km/s) relative to the centre for an elliptic orbit."""
    t = np.atleast_1d(np.asarray(tdb_seconds, dtype=float))
    M = mean_anomaly + np.sqrt(gm / a ** 3) * (t - epoch)
    E = M.copy()
    for _ in range(30):
        E -= (E - e * np.sin(E) - M) / (1.0 - e * np.cos(E))
    r = a * (1.0 - e * np.cos(E))
    perifocal_pos = np.stack([a * (np.cos(E) - e), a * np.sqrt(1 - e * e) * np.sin(E), 0 * E], axis=1)
    perifocal_vel = np.sqrt(gm * a) / r[:, None] * np.stack(
        [-np.sin(E), np.sqrt(1 - e * e) * np.cos(E), 0 * E], axis=1)
    rotation = _rot_z(node) @ _rot_x(i) @ _rot_z(peri)
    return np.hstack([perifocal_pos @ rotation.T, perifocal_vel @ rotation.T])


def _rot_z(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])


def _rot_x(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def write_type2_spk(path, body, center, state_of, start, stop, interval_s=2 * 86400.0, degree=12):
    """Write one SPK type-2 (Chebyshev position) segment with spiceypy, fitted to state_of(tdb) -> (n, >=3).

    Coefficients are fitted at each interval's Chebyshev nodes (exact interpolation, degree+1 nodes).
    """
    import spiceypy
    from numpy.polynomial import chebyshev

    n_records = int(np.ceil((stop - start) / interval_s))
    nodes = np.cos(np.pi * (np.arange(degree + 1) + 0.5) / (degree + 1))
    records = []
    for k in range(n_records):
        mid = start + (k + 0.5) * interval_s
        xyz = np.asarray(state_of(mid + 0.5 * interval_s * nodes))[:, :3]
        records.append(np.concatenate([chebyshev.chebfit(nodes, xyz[:, j], degree) for j in range(3)]))
    if os.path.exists(path):
        os.remove(path)
    handle = spiceypy.spkopn(os.fspath(path), "orbitfit test", 0)
    try:
        spiceypy.spkw02(handle, body, center, "J2000", start, start + n_records * interval_s, f"test {body}",
                        interval_s, n_records, degree, np.array(records).ravel(), start)
    finally:
        spiceypy.spkcls(handle)
    return path
