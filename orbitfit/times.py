"""Calendar dates <-> orbitfit's internal time: TDB seconds past J2000 TDB (JD 2451545.0 TDB)."""
from __future__ import annotations

import warnings

import numpy as np

from dynamics import constants as C


def tdb_seconds(dates, scale="utc"):
    """TDB seconds past J2000 of ISO dates (a string or a list), astropy Times, or JDs (floats) in `scale`."""
    from astropy.time import Time
    if isinstance(dates, Time):
        t = dates
    else:
        values = np.atleast_1d(np.asarray(dates))
        fmt = "jd" if values.dtype.kind in "fi" else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")            # ERFA's "dubious year" for UTC beyond the leap-second table
            t = Time(values if fmt is None else values.astype(float), format=fmt, scale=scale)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tdb = t.tdb
    out = (tdb.jd1 - C.J2000_JD) * C.SECONDS_PER_DAY + tdb.jd2 * C.SECONDS_PER_DAY
    if np.ndim(dates) == 0 and not isinstance(dates, Time):
        return float(np.ravel(out)[0])
    return np.atleast_1d(out)


def iso_utc(tdb):
    """ISO UTC strings of TDB seconds past J2000."""
    from astropy.time import Time
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Time(C.J2000_JD, np.asarray(tdb, float) / C.SECONDS_PER_DAY, format="jd", scale="tdb").utc.isot
