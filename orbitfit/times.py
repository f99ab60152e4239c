"""Calendar dates <-> orbitfit's internal time: TDB seconds past J2000 TDB (JD 2451545.0 TDB).

ERFA warns ("dubious year") for UTC beyond its leap-second table, i.e. for every prediction; the warning says
nothing useful here (no leap second can be known in advance), so these functions silence it.

Before 1960 there is no UTC: published times are Universal Time (UT1, or GMT, its name before 1928), and
TT = UT1 + Delta T, Delta T measured from lunar occultations and eclipses (`delta_t_seconds`: the spline of Morrison
et al. 2021, embedded in data/delta_t/). `convert_jd(..., "ut")` applies it. How well it is known: the 2016 and
2020 versions of the spline, and the Espenak & Meeus (2006) polynomials orbitfit used before, differ by <= 1.4 s
after 1894 (measured 2026-12-02); Jupiter moves <= 0.25 deg/day on the sky (10 mas/s), so a 1.4 s error moves an
old position by <= 15 mas, against the 300-1000 mas scatter of plates of that time. It is left to the plates'
estimated floors (orbitfit.estimation.weights), which take up any such error of their group.
"""
from __future__ import annotations

import functools
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


@astropy_offline()
def convert_jd(jd1, jd2, scale):
    """(UTC jd1, UTC jd2, TDB seconds past J2000) of two-part Julian dates given in `scale` ("utc", "tt", "tcb",
    "tdb", "tai", or "ut": Universal Time before UTC, returned as it is in place of UTC, with TT = UT +
    `delta_t_seconds`); J2000 is subtracted from the large part first, keeping ~0.1 us resolution in the seconds."""
    from astropy.time import Time
    with warnings.catch_warnings():
        # ERFA warns "dubious year" for UTC beyond its leap-second table, i.e. for every prediction: no leap second
        # can be known in advance, so the warning says nothing useful here
        warnings.simplefilter("ignore")
        if scale == "ut":
            jd1, jd2 = np.asarray(jd1, float), np.asarray(jd2, float)
            delta_t = delta_t_seconds(((jd1 - C.J2000_JD) + jd2) * C.SECONDS_PER_DAY)
            tdb = Time(jd1, jd2 + delta_t / C.SECONDS_PER_DAY, format="jd", scale="tt").tdb
            return jd1, jd2, ((tdb.jd1 - C.J2000_JD) + tdb.jd2) * C.SECONDS_PER_DAY
        t = Time(jd1, jd2, format="jd", scale=scale)
        utc, tdb = t.utc, t.tdb
    return utc.jd1, utc.jd2, ((tdb.jd1 - C.J2000_JD) + tdb.jd2) * C.SECONDS_PER_DAY


# 1960-01-01 0h, when UTC begins (ERFA's eraDat refuses earlier years): before it a "UTC" is Universal Time
# (convert_jd's "ut", the readers' check_time, tables.utc_time); as a JD and as TDB s past J2000 (Delta T neglected)
UTC_START_JD = 2436934.5
UTC_START_TDB_S = (UTC_START_JD - C.J2000_JD) * C.SECONDS_PER_DAY


@functools.lru_cache(maxsize=1)
def _delta_t_segments():
    from .paths import data_path
    table = np.loadtxt(data_path("delta_t", "morrison2021_table_s15.txt"), comments="#", ndmin=2)
    return table[:, 0], table[:, 1], table[:, 2:]


def delta_t_seconds(seconds):
    """Delta T = TT - UT1 (s) at seconds past J2000 (TT, or UT: Delta T changes by < 2 ms a day) from 1800 to
    1971, the cubic spline of Morrison, Stephenson, Hohenkerk & Zawilski (2021, Proc. R. Soc. A 477: 20200776,
    Table S15). Outside it a ValueError: later epochs have UTC and the IERS tables, earlier ones no data here."""
    lower, upper, coefficients = _delta_t_segments()
    year = 2000.0 + np.asarray(seconds, dtype=float) / (C.SECONDS_PER_DAY * 365.25)
    outside = np.atleast_1d(year)[~((np.atleast_1d(year) >= lower[0]) & (np.atleast_1d(year) <= upper[-1]))]
    if outside.size:
        raise ValueError(f"Delta T is tabulated for {lower[0]:.0f}-{upper[-1]:.0f}, not for year(s) "
                         f"{np.round(outside[:3], 2).tolist()}")
    i = np.clip(np.searchsorted(lower, year, side="right") - 1, 0, lower.size - 1)
    t = (year - lower[i]) / (upper[i] - lower[i])
    a3, a2, a1, a0 = coefficients[i].T
    return ((a3 * t + a2) * t + a1) * t + a0


def utc_jd(tdb):
    """UTC two-part Julian dates (jd1, jd2) of TDB seconds past J2000."""
    utc1, utc2, _ = convert_jd(C.J2000_JD, np.asarray(tdb, dtype=float) / C.SECONDS_PER_DAY, "tdb")
    return utc1, utc2


def iso_tdb(tdb, precision=3):
    """ISO TDB string(s) of TDB seconds past J2000."""
    time = tdb_time(tdb)
    time.precision = precision
    return time.isot


JULIAN_YEAR_S = 365.25 * C.SECONDS_PER_DAY


def to_tdb_seconds(time, name="time"):
    """TDB seconds past J2000 of one instant or many, whatever form a user gives them in: every public parameter
    that takes an instant reads it with this function.

    An astropy Time is converted from its own scale; a string ("2019-06-10 12:00", ISO or anything
    astropy.time.Time parses), or a list of them, is UTC (for another scale give a Time, e.g.
    Time("2019-06-10 12:00", scale="tdb")); a number or array is TDB seconds past J2000 already and returned as it
    is (unlike `tdb_seconds`, which reads numbers as Julian dates); a Quantity of time is TDB seconds past J2000 in
    its unit.
    A Quantity of another kind raises astropy.units.UnitConversionError naming `name`."""
    from astropy.time import Time
    if isinstance(time, (str, Time)) or np.asarray(time if getattr(time, "unit", None) is None else 0).dtype.kind \
            in "UOS":                                                         # strings, or a list of them
        if not isinstance(time, Time) and np.asarray(time).dtype.kind == "O":
            try:
                time = Time(list(np.ravel(time))) if np.ndim(time) else Time(time)
            except ValueError as error:
                raise ValueError(f"{name}: cannot read {time!r} as instants ({error})") from None
        try:
            return tdb_seconds(time, scale="utc")
        except ValueError as error:
            raise ValueError(f"{name}: cannot read {time!r} as a date (ISO UTC like '2026-03-18 12:00', an astropy "
                             f"Time, or TDB seconds past J2000): {str(error).splitlines()[0]}") from None
    from .units import to_value
    return to_value(time, "s", name)


def tdb_to_utc_iso(tdb, precision=3):
    """UTC ISO strings with a space ("2019-06-10 12:00:01.234") of TDB seconds past J2000: the form of the
    occultation tables (`iso_utc` with fmt="iso")."""
    return iso_utc(tdb, precision=precision, fmt="iso")


def utc_hours(tdb):
    """UTC hour of the day, [0, 24), of TDB seconds past J2000."""
    utc1, utc2 = utc_jd(tdb)
    return np.mod((utc1 - 0.5) % 1.0 + utc2, 1.0) * 24.0


def epoch_tdb_seconds(epoch):
    """TDB seconds past J2000 of a catalogue epoch: a Julian year TDB (2016.0, Gaia DR3's ref_epoch; one value or
    an array), a string 'J2016.0', or an astropy Time."""
    from astropy.time import Time
    if isinstance(epoch, str):
        epoch = Time(epoch, scale="tdb")
    if isinstance(epoch, Time):
        return to_tdb_seconds(epoch)
    return (np.asarray(epoch, dtype=float) - 2000.0) * JULIAN_YEAR_S
