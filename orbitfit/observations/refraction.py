"""Where the zenith lies from each ground-based position: the geometry of differential colour refraction.

A position measured against the catalogue stars of its frame carries no mean refraction (the plate constants take
it), but an object of another colour than those stars is refracted by another amount: it is displaced along the
vertical by k tan z, z the zenith distance and k (mas) set by the colour difference and the passband, towards the
zenith when the object is bluer than the stars (Stone 1996, PASP 108, 1051). The moons of Jupiter are about as
red as the Sun (B-V ~ 0.7), the faint field stars of a CCD frame are often redder, and much of the modern
ground data were taken unfiltered or in wide bands. Fitted with the orbit (`bias_groups="apparition+uncatalogued+
zenith"`, `orbitfit.estimation.weights.bias_coefficients`) to every embedded data set of the 8 moons (2026-12-05,
benchmarks/zenith_refraction.py), k towards the zenith is +13.8 +- 1.9 mas per unit tan z (weighted mean; 7 of 8
moons positive, Himalia +15.2 +- 3.2, Elara +30.2 +- 4.8), and at right angles to it, which refraction does not
give, -2.2 +- 1.7: the ground positions sit towards their site's zenith (most of them from northern sites, so
north of the orbit), not across it.

`zenith_geometry(table)` gives, for each row of an Observations table, tan z and the position angle q of the zenith
(from north through east) at the observed direction; NaN for rows with no place on the Earth (space observers, the
geocentre, Gaia transits). A displacement k tan z towards the zenith moves a position by k tan z (sin q, cos q) in
(RA*, Dec). The zenith is the geocentric one (the site's direction from the Earth's centre, `itrs_to_gcrs`): it
differs from the astronomical (geodetic) one by < 0.2 deg, which changes tan z by < 0.0034 sec^2 z (< 1% of k tan z
where z > 20 deg); tests/test_refraction.py checks both against astropy's AltAz.
"""
from __future__ import annotations

import numpy as np

from .observers import GEOCENTRE, has_fixed_site, itrs_to_gcrs, normalize_code, site_itrs_km

EARTH_SURFACE_KM = (6350.0, 6400.0)     # |geocentric position| of a place on the Earth (explicit ADES positions)
MIN_ALTITUDE_DEG = 5.0                  # below this a "ground" row has a wrong site, time or position


def zenith_geometry(table):
    """(tan_z, sin_q, cos_q) per row of an Observations table: the tangent of the zenith distance and the
    direction of the zenith on the sky (q its position angle, north through east) at the row's RA/Dec and instant,
    for optical rows observed from a place on the Earth (an MPC site with parallax constants, or an explicit
    geocentric position on the Earth's surface); NaN elsewhere and for rows below MIN_ALTITUDE_DEG
    (`rows_below_altitude`)."""
    return _geometry(table)[:3]


def rows_below_altitude(table):
    """Indices of the optical rows observed from a place on the Earth with the body below MIN_ALTITUDE_DEG (a wrong
    time, site or position): `zenith_geometry` gives them NaN, so the "zenith" bias level leaves them out
    (measured: 15 of the 19 324 embedded site rows of the 8 moons, Himalia 6, Elara 8, Sinope 1)."""
    return np.nonzero(_geometry(table)[3])[0]


def _geometry(table):
    """zenith_geometry's three arrays and the mask of placed rows below MIN_ALTITUDE_DEG."""
    n = len(table)
    zenith = np.full((n, 3), np.nan)
    if n == 0:
        return np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, bool)
    kind = np.asarray(table["kind"]).astype(str)
    frame = np.asarray(table["obs_frame"]).astype(str)
    codes = np.asarray(table["observer"]).astype(str)
    tdb = np.asarray(table["tdb"], float)
    optical = kind == "optical"
    for code in sorted(set(codes[optical & (frame == "")])):
        if normalize_code(code) == GEOCENTRE or not has_fixed_site(code):
            continue
        rows = np.nonzero(optical & (frame == "") & (codes == code))[0]
        zenith[rows] = itrs_to_gcrs(site_itrs_km(code), tdb[rows])[0]
    explicit = np.column_stack([np.asarray(table[c], float) for c in ("obs_x_km", "obs_y_km", "obs_z_km")])
    radius = np.linalg.norm(np.nan_to_num(explicit, nan=0.0), axis=1)
    on_earth = optical & (frame == "geocentric") & (radius > EARTH_SURFACE_KM[0]) & (radius < EARTH_SURFACE_KM[1])
    zenith[on_earth] = explicit[on_earth]
    zenith /= np.linalg.norm(zenith, axis=1, keepdims=True)
    ra, dec = np.radians(np.asarray(table["ra_deg"], float)), np.radians(np.asarray(table["dec_deg"], float))
    towards = np.column_stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    east = np.column_stack([-np.sin(ra), np.cos(ra), np.zeros(n)])
    north = np.column_stack([-np.sin(dec) * np.cos(ra), -np.sin(dec) * np.sin(ra), np.cos(dec)])
    cos_z = np.sum(zenith * towards, axis=1)
    e, nn = np.sum(zenith * east, axis=1), np.sum(zenith * north, axis=1)
    across = np.hypot(e, nn)                              # sin z: the zenith's projection on the sky
    with np.errstate(invalid="ignore", divide="ignore"):
        tan_z = across / cos_z
        sin_q, cos_q = e / across, nn / across
    low = ~(cos_z > np.sin(np.radians(MIN_ALTITUDE_DEG)))
    for value in (tan_z, sin_q, cos_q):
        value[low] = np.nan
    return tan_z, sin_q, cos_q, low & np.isfinite(cos_z)
