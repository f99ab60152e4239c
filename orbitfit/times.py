"""Calendar dates <-> orbitfit's internal time: TDB seconds past J2000 TDB (JD 2451545.0 TDB).

ERFA warns ("dubious year") for UTC beyond its leap-second table, i.e. for every prediction; the warning says
nothing useful here (no leap second can be known in advance), so these functions silence it.
"""
from __future__ import annotations

import warnings

import numpy as np

from dynamics import constants as C

from .offline import astropy_offline


@astropy_offline()
def tdb_seconds(dates, scale="utc"):
    """TDB seconds past J2000 of ISO dates (a string or a list), astropy Times, or JDs (floats) in `scale`."""
    from astropy.time import Time
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(dates, Time):
            t = dates
        else:
            values = np.atleast_1d(np.asarray(dates))
            t = (Time(values.astype(float), format="jd", scale=scale) if values.dtype.kind in "fi"
                 else Time(values, scale=scale))
        tdb = t.tdb
    out = (tdb.jd1 - C.J2000_JD) * C.SECONDS_PER_DAY + tdb.jd2 * C.SECONDS_PER_DAY
    scalar = dates.isscalar if isinstance(dates, Time) else np.ndim(dates) == 0
    return float(np.ravel(out)[0]) if scalar else np.atleast_1d(out)


def tdb_time(tdb):
    """astropy Time (scale TDB) of TDB seconds past J2000 (split into jd1/jd2 to keep microseconds)."""
    from astropy.time import Time
    tdb = np.asarray(tdb, dtype=float)
    days = np.floor(tdb / C.SECONDS_PER_DAY)
    return Time(C.J2000_JD + days, (tdb - days * C.SECONDS_PER_DAY) / C.SECONDS_PER_DAY, format="jd", scale="tdb")


@astropy_offline()
def iso_utc(tdb, precision=3, fmt="isot"):
    """ISO UTC strings of TDB seconds past J2000 ("2026-03-18T12:35:00.000"; fmt="iso" for a space)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        utc = tdb_time(tdb).utc
        utc.precision = precision
        return getattr(utc, fmt)


def iso_tdb(tdb, precision=3):
    """ISO TDB string(s) of TDB seconds past J2000."""
    time = tdb_time(tdb)
    time.precision = precision
    return time.isot
