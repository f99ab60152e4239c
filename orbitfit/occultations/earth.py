"""The WGS84 Earth: geodetic <-> ITRS coordinates (ERFA gc2gd / gd2gc), where lines meet the ellipsoid (ERFA has
no such routine) and altitudes above the horizon. Units: km, degrees."""
from __future__ import annotations

import numpy as np

# WGS84 ellipsoid (NIMA TR8350.2, 3rd ed., Table 3.1): a = 6378137 m, 1/f = 298.257223563.
WGS84_A_KM = 6378.137
WGS84_F = 1.0 / 298.257223563
WGS84_B_KM = WGS84_A_KM * (1.0 - WGS84_F)
WGS84_E2 = WGS84_F * (2.0 - WGS84_F)
ERFA_WGS84 = 1                                # ERFA's ellipsoid identifier for WGS84 (eraEform)
# The Earth's equatorial radius bounds the geocentric C/A of any event whose shadow touches the Earth.
EARTH_RADIUS_KM = WGS84_A_KM


def geodetic_from_itrs(xyz_km):
    """(east longitude, geodetic latitude) WGS84 degrees of ITRS points (..., 3) km; NaN where a point is NaN.
    ERFA gc2gd (Fukushima 2006): it returns latitudes to 3e-6 mm of the gd2gc input over -1..10 km heights; the
    Bowring (1976) closed form used before differed by < 0.001 mm there (tests)."""
    import erfa
    xyz = np.asarray(xyz_km, dtype=float)
    ok = np.all(np.isfinite(xyz), axis=-1)
    with np.errstate(invalid="ignore"):
        lon, lat, _ = erfa.gc2gd(ERFA_WGS84, np.where(ok[..., None], xyz, WGS84_A_KM) * 1000.0)
    return np.where(ok, np.degrees(lon), np.nan), np.where(ok, np.degrees(lat), np.nan)


def itrs_from_geodetic(lon_deg, lat_deg, height_km=0.0):
    """ITRS km (..., 3) of WGS84 geodetic coordinates (ERFA gd2gc)."""
    import erfa
    return erfa.gd2gc(ERFA_WGS84, np.radians(lon_deg), np.radians(lat_deg),
                      np.asarray(height_km, dtype=float) * 1000.0) / 1000.0


def ellipsoid_hit(point_itrs, direction_itrs):
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


def altitude_deg(direction_itrs, lon_deg, lat_deg):
    """Altitude (deg) of ITRS unit directions above the horizon of geodetic (lon, lat) points (the geocentric
    zenith: < 0.2 deg from the geodetic one)."""
    lon, lat = np.radians(lon_deg), np.radians(lat_deg)
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=-1)
    return np.degrees(np.arcsin(np.clip(np.einsum("...i,...i->...", up, direction_itrs), -1, 1)))
