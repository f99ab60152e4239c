"""The tables orbitfit returns: astropy QTables whose columns carry the unit their name ends in, with the instants
as a UTC Time column beside the exact TDB seconds.

Every column name already says its unit (`ra_deg`, `sigma_s_mas`, `vel_km_s`, `pmra_mas_yr`); `quantity_table` gives
each such column that unit, so `table["major_km"].to(u.au)` or `table["ra_deg"].to(u.hourangle)` work, ECSV files
carry `unit:` and read back as the same Quantities, and arithmetic with a wrong unit fails instead of passing
silently. `tdb` (TDB seconds past J2000, orbitfit's internal time, kept for exactness) is in seconds; `utc` is an
astropy Time (scale UTC) of the same instants, first in the table, the column a person reads.

Names without a unit suffix (counts, correlations, chi2, probabilities, flags, decimal years) stay plain columns.
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np

from dynamics import constants as C

# longest suffix first: "_mas_yr" before "_mas", "_km_s" before "_s"
UNIT_SUFFIXES = (("_mas_yr", "mas / yr"), ("_km_s", "km / s"), ("_arcsec", "arcsec"), ("_deg", "deg"),
                 ("_mas", "mas"), ("_km", "km"), ("_au", "AU"), ("_h", "h"), ("_s", "s"))
# columns whose names do not end in a unit suffix but have one
NAMED_UNITS = {"tdb": "s", "mag": "mag", "mag_norm": "mag", "mag_drop": "mag"}
TIME_COLUMN = "utc"


def unit_of(name):
    """The astropy unit a column name declares (its suffix, or NAMED_UNITS), or None."""
    import astropy.units as u
    if name in NAMED_UNITS:
        return u.Unit(NAMED_UNITS[name])
    for suffix, unit in UNIT_SUFFIXES:
        if name.endswith(suffix):
            return u.Unit(unit)
    return None


def utc_time(tdb):
    """astropy Time, scale UTC, ISO format, of TDB seconds past J2000 (the `utc` column). Before 1960, when there
    was no UTC, the value is the Universal Time TT - Delta T (as the readers keep a published UT in utc_jd)."""
    from astropy.time import Time

    from .offline import astropy_offline
    from .times import UTC_START_TDB_S, delta_t_seconds, tdb_time
    tdb = np.asarray(tdb, dtype=float)
    with astropy_offline(), warnings.catch_warnings():
        warnings.simplefilter("ignore")          # ERFA's "dubious year" beyond the leap-second table: see times.py
        time = tdb_time(tdb).utc
        old = np.atleast_1d(tdb < UTC_START_TDB_S)
        if old.any():                            # TT - TDB (<= 1.7 ms) neglected: UT to 2 ms
            ut = np.atleast_1d(tdb)[old] - delta_t_seconds(np.atleast_1d(tdb)[old])
            jd1, jd2 = np.atleast_1d(time.jd1).copy(), np.atleast_1d(time.jd2).copy()
            days = np.floor(ut / C.SECONDS_PER_DAY)
            jd1[old], jd2[old] = C.J2000_JD + days, (ut - days * C.SECONDS_PER_DAY) / C.SECONDS_PER_DAY
            time = Time(jd1.reshape(np.shape(tdb)), jd2.reshape(np.shape(tdb)), format="jd", scale="utc")
    time.format = "isot"
    time.precision = 3
    return time


@contextlib.contextmanager
def quiet_dubious_years():
    """Ignore ERFA's "dubious year" (UTC before 1960 or past the leap-second table), which astropy raises whenever
    such a Time is formatted: the values are what utc_time meant them to be."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*dubious year.*")
        yield


def quantity_table(columns, meta=None, time=True):
    """A QTable of `columns` (a dict of name -> values, or a Table), each column with the unit its name declares
    (`unit_of`), and, when there is a `tdb` column and `time` is true, a `utc` Time column first (replacing an ISO
    string column of that name). Values already Quantities are converted to the declared unit."""
    import astropy.units as u
    from astropy.table import QTable, Table
    if isinstance(columns, Table):
        meta = dict(columns.meta, **(meta or {}))
        columns = {name: columns[name] for name in columns.colnames}
    out = {}
    for name, values in columns.items():
        unit = unit_of(name)
        if unit is not None and name != TIME_COLUMN:
            values = u.Quantity(values, unit) if getattr(values, "unit", None) is not None else \
                np.asarray(values, dtype=float) * unit
        out[name] = values
    if time and "tdb" in out:
        tdb = u.Quantity(out["tdb"]).to_value(u.s)
        out.pop(TIME_COLUMN, None)
        out = {TIME_COLUMN: utc_time(np.atleast_1d(tdb)), **out}
    table = QTable(out)
    table.meta.update(meta or {})
    return table


def plain_table(table):
    """The same table with plain float columns (units dropped) and the Time column as ISO strings: for printing
    aligned text and for code written against numbers in the documented units."""
    import astropy.units as u
    from astropy.table import Table
    from astropy.time import Time
    columns = {}
    for name in table.colnames:
        column = table[name]
        if isinstance(column, Time):
            with quiet_dubious_years():
                columns[name] = np.asarray(column.isot)
        elif isinstance(column, u.Quantity):
            columns[name] = np.asarray(column.value)
        else:
            columns[name] = column
    out = Table(columns)
    out.meta.update(table.meta)
    return out
