"""Coordinate conversions the readers need: B1950/FK4 positions to ICRS, geodetic sites to geocentric GCRS, Gaia's
TCB-compatible barycentric coordinates to TDB-compatible ones."""
from __future__ import annotations

import warnings

import erfa
import numpy as np
from astropy import units as u
from astropy.coordinates import FK4, ICRS, EarthLocation, SkyCoord
from astropy.time import Time
from astropy.utils.exceptions import AstropyWarning

from ..offline import astropy_offline

L_B = 1.550519768e-8                # IAU 2006 Resolution B3: d(TCB)/d(TDB) - 1, defining constant


def tcb_to_tdb_coordinates(values):
    """Barycentric coordinates in TCB-compatible units (Gaia's position in its archive and in NSDB's copy) ->
    TDB-compatible ones, as orbitfit's dynamics uses: x_TDB = (1 - L_B) x_TCB (IAU 2006 Resolution B3), a 2.3 km
    change at 1 au (up to 0.8 mas at Jupiter)."""
    return [float(v) * (1.0 - L_B) for v in values]


@astropy_offline()
def fk4_to_icrs(ra_deg, dec_deg, utc_jd1, utc_jd2, equinox="B1950.0"):
    """FK4 (mean equator and equinox B1950.0, E-terms included) RA/Dec of a moving body -> ICRS degrees.

    A solar-system position measured against FK4-system stars carries the catalogue's E-terms of aberration and the
    FK4 equinox; astropy's FK4 -> FK5 -> ICRS chain removes both. `obstime` is the epoch of the observation: it fixes
    the epoch at which the FK4-FK5 rotation (Aoki et al. 1983, with no proper motion) is applied, which is right for
    a body observed at that instant (not a star catalogued at B1950).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        obstime = Time(np.asarray(utc_jd1, float), np.asarray(utc_jd2, float), format="jd", scale="utc")
        coord = SkyCoord(np.asarray(ra_deg, float) * u.deg, np.asarray(dec_deg, float) * u.deg,
                         frame=FK4(equinox=Time(equinox), obstime=obstime))
        icrs = coord.transform_to(ICRS())
    return icrs.ra.deg, icrs.dec.deg


@astropy_offline()
def geodetic_to_gcrs_km(lon_deg, lat_deg, height_m, utc_jd1, utc_jd2):
    """Geocentric GCRS (ICRF axes) position, km, of a WGS84 site at a UTC epoch (roving observers).

    Uses astropy's bundled IERS tables (orbitfit keeps astropy offline); a UT1 error of 1 s moves the site by
    < 0.5 km, < 0.1 mas at Jupiter.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        # beyond the bundled IERS table astropy falls back to mean polar motion (~0.3" -> 10 m on the site)
        warnings.simplefilter("ignore", AstropyWarning)
        site = EarthLocation.from_geodetic(lon_deg * u.deg, lat_deg * u.deg, height_m * u.m, ellipsoid="WGS84")
        position, _ = site.get_gcrs_posvel(Time(utc_jd1, utc_jd2, format="jd", scale="utc"))
    return tuple(position.xyz.to_value(u.km).ravel())
