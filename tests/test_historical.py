"""Astrometry before UTC (1894-1960): times in UT converted with Delta T (orbitfit.times.delta_t_seconds, Morrison
et al. 2021), positions in FK4 mean equinoxes of the 1950s converted to ICRS, every pre-1960 row of the NSDB units
read or rejected with its reason. The references: skyfield's UT1 -> TDB chain, and the O-C columns the NSDB's
compilers published beside each position of jo0010 (against their own ephemeris)."""
import collections
import os

import numpy as np
import pytest

from dynamics import constants as C
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit
from orbitfit.observations.nsdb import read_nsdb
from orbitfit.paths import data_path
from orbitfit.times import UTC_START_JD, convert_jd, delta_t_seconds

OUTER = os.fspath(data_path("nsdb_jupiter_outer"))


def espenak_meeus_2006(year):
    """Delta T (s) of Espenak & Meeus (2006, NASA/TP-2006-214141, Sect. 2.6), the published polynomials 1860-1961
    (orbitfit's model before the spline): an independent compilation of the same historical record."""
    pieces = [(1860, 1900, 1860, [7.62, 0.5737, -0.251754, 0.01680668, -0.0004473624, 1.0 / 233174]),
              (1900, 1920, 1900, [-2.79, 1.494119, -0.0598939, 0.0061966, -0.000197]),
              (1920, 1941, 1920, [21.20, 0.84493, -0.076100, 0.0020936]),
              (1941, 1961, 1950, [29.07, 0.407, -1.0 / 233, 1.0 / 2547])]
    lo, hi, origin, coefficients = next(p for p in pieces if p[0] <= year < p[1])
    return np.polynomial.polynomial.polyval(year - origin, coefficients)


def test_delta_t_against_independent_determinations():
    """1894-1960 vs Espenak & Meeus (2006): within 1.5 s (measured <= 1.4 s, in 1894; their polynomials smooth
    the spline's decade-scale wiggles). 1963-1971 vs the IERS (UT1-UTC of IERS-B and TAI-UTC, through astropy):
    within 0.8 s (measured 0.3-0.6 s). 1 s moves a Jovian moon by <= 10 mas on the sky (orbitfit.times)."""
    from astropy.time import Time
    years = np.arange(1894.0, 1960.0, 0.5)
    ours = delta_t_seconds((years - 2000.0) * 365.25 * C.SECONDS_PER_DAY)
    assert np.max(np.abs(ours - [espenak_meeus_2006(y) for y in years])) < 1.5
    jd = np.linspace(2438030.5, 2440950.5, 9)                               # 1963-01-01 .. 1971-01-07
    t = Time(jd, format="jd", scale="tt")
    iers = (t.tt.jd1 - t.ut1.jd1 + t.tt.jd2 - t.ut1.jd2) * C.SECONDS_PER_DAY
    assert np.max(np.abs(delta_t_seconds((jd - C.J2000_JD) * C.SECONDS_PER_DAY) - iers)) < 0.8
    with pytest.raises(ValueError, match="tabulated for 1800-1971"):
        delta_t_seconds(-250 * 365.25 * C.SECONDS_PER_DAY)


def test_ut_times_become_tdb_as_skyfield_does():
    """A time published in UT (1905, 1949.5, 1959) -> TDB: ours vs skyfield's ts.ut1_jd(...).tdb (which applies the
    same Delta T table by its own code) to 1 ms."""
    from skyfield_reference import skyfield_timescale
    ts = skyfield_timescale()
    jd = np.array([2416846.3, 2433100.25, 2436900.9])
    _, _, tdb = convert_jd(jd, np.zeros(3), "ut")
    ref = (ts.ut1_jd(jd).tdb - C.J2000_JD) * C.SECONDS_PER_DAY
    assert np.max(np.abs(tdb - ref)) < 1e-3


def test_jo0010_reads_every_row_from_1894():
    """The compilation of old plates (Emelyanov's jo0010, 1894-1993): all 1433 rows read, 997 of them before 1960
    (they were rejected before Delta T was modelled)."""
    obs, report = read_nsdb(os.path.join(OUTER, "jo0010.txt"))
    assert (report.read, report.kept, len(report.rejected)) == (1433, 1433, 0)
    old = np.asarray(obs["utc_jd1"]) + np.asarray(obs["utc_jd2"]) < UTC_START_JD
    counts = collections.Counter(np.asarray(obs["name"])[old].astype(str))
    assert counts == {"Himalia": 415, "Pasiphae": 248, "Elara": 169, "Sinope": 80, "Lysithea": 42, "Carme": 39,
                      "Ananke": 4}
    first = np.argmin(np.asarray(obs["tdb"]))
    assert int(obs["line"][first]) == 1 and 2000 + obs["tdb"][first] / C.SECONDS_PER_DAY / 365.25 == \
        pytest.approx(1894.07, abs=0.01)
    # the utc_jd columns keep the published UT; tdb is later by Delta T (-6.3 s in 1894) + TDB-TT
    ut_s = ((obs["utc_jd1"][first] - C.J2000_JD) + obs["utc_jd2"][first]) * C.SECONDS_PER_DAY
    assert obs["tdb"][first] - ut_s == pytest.approx(float(delta_t_seconds(ut_s)), abs=0.01)


def test_every_pre_1960_row_is_read_or_rejected_with_its_reason():
    """Per NSDB unit: the rows before 1960 read (all UT) and the units rejected whole, with their reasons; printed
    (run with -s). Measured: 1016 rows read in 5 units (jo0010 997, jo0011 6, jo0029 6, jo0030 6, jo0052 1: Lick
    1914); rejected whole: jo0061 (apparent places; 66 rows of Himalia and Elara, Greenwich 1906-07)."""
    import glob
    read, rejected = {}, {}
    for path in sorted(glob.glob(os.path.join(OUTER, "jo[0-9][0-9][0-9][0-9].txt"))):
        obs, report = read_nsdb(path)
        unit = os.path.basename(path)[:-4]
        old = np.asarray(obs["utc_jd1"]) + np.asarray(obs["utc_jd2"]) < UTC_START_JD
        if old.any():
            read[unit] = int(old.sum())
        if report.rejected and report.kept == 0 and _published_before_1960(unit):
            rejected[unit] = (len(report.rejected), report.rejected[0].reason)
    print("\npre-1960 rows read per NSDB unit:", read)
    print("units with pre-1960 rows rejected whole:\n  " + "\n  ".join(f"{u}: {n} rows, {why}"
                                                                      for u, (n, why) in rejected.items()))
    assert read == {"jo0010": 997, "jo0011": 6, "jo0029": 6, "jo0030": 6, "jo0052": 1}
    assert set(rejected) == {"jo0061"}


def _published_before_1960(unit):
    """Whether the unit's description dates some of its observations before 1960 (the INDEX 'dates' column)."""
    import csv
    import re
    with open(os.path.join(OUTER, "INDEX_nsdb_jo_files.csv"), newline="") as handle:
        dates = next(row["dates"] for row in csv.DictReader(handle) if row["file"] == unit)
    return any(int(year) < 1960 for year in re.findall(r"\b(1[89][0-9]{2})\b", dates))


def test_fk4_mean_equinoxes_of_the_1950s_and_what_stays_rejected():
    """jo0011 (Himalia 1952, Cordoba, equinox 1952.0) and jo0030 (Lysithea 1951, equinox 1951.0) are FK4 at those
    Besselian equinoxes: read and converted (said so in the notes). An equinox 'of date' (jo0031) and apparent
    places (jo0061, Greenwich 1906-07) stay rejected, with their reasons."""
    for unit, equinox, n in (("jo0011", "B1952.0", 6), ("jo0030", "B1951.0", 6)):
        obs, report = read_nsdb(os.path.join(OUTER, unit + ".txt"))
        assert report.kept == n and any(equinox in note for note in report.notes)
    _, of_date = read_nsdb(os.path.join(OUTER, "jo0031.txt"))
    assert of_date.kept == 0 and "equinox 'Date' not supported" in of_date.rejected[0].reason
    _, apparent = read_nsdb(os.path.join(OUTER, "jo0061.txt"))
    assert apparent.kept == 0 and "reference frame 'apparent'" in apparent.rejected[0].reason


def test_old_residuals_follow_the_published_o_minus_c():
    """Himalia's 518 jo0010 positions (1894-1993) fitted alone: before 1960 our residuals and the O-C the unit's
    compilers printed against their own ephemeris correlate (measured 0.97 in RA*, 0.99 in Dec over 392 rows with
    all data fitted) and differ by a smooth offset of a few tenths of an arcsecond (the two ephemerides). A wrong
    Delta T sign (60 s, 0.5") or the astronomical day starting at noon (12 h) would break both."""
    obs, _ = read_nsdb(os.path.join(OUTER, "jo0010.txt"))
    himalia = obs[np.asarray(obs["body"]) == 506]
    solution = fit_orbit(himalia, gomes_junior_2016_orbit("Himalia"), FitOptions(bias_groups=None))
    lines = open(os.path.join(OUTER, "jo0010.txt")).read().splitlines()
    published = np.array([[float(v) for v in lines[n - 1].split()[10:12]] for n in himalia["line"]])
    old = (np.asarray(himalia["utc_jd1"]) + np.asarray(himalia["utc_jd2"]) < UTC_START_JD) & \
        np.all(np.abs(published) < 9.9, axis=1) & solution.accepted        # 9.99: |O-C| > 10" in the unit
    ours = np.column_stack([solution.evaluation.res_ra, solution.evaluation.res_dec])[old] / 1000.0
    difference = ours - published[old]
    print(f"\n{old.sum()} rows; correlation RA* {np.corrcoef(ours[:, 0], published[old, 0])[0, 1]:.2f} Dec "
          f"{np.corrcoef(ours[:, 1], published[old, 1])[0, 1]:.2f}; median difference {np.median(difference, 0)}")
    assert old.sum() > 350
    for k in range(2):
        assert np.corrcoef(ours[:, k], published[old, k])[0, 1] > 0.9
        assert abs(np.median(difference[:, k])) < 1.0


def test_tables_show_the_published_ut_before_1960_without_warnings(tmp_path):
    """The `utc` column of orbitfit's tables (tables.utc_time) gives back the UT a reader kept for a 1952 plate
    (jo0011) to 2 ms, and writing the table raises no ERFA "dubious year" warning (it reached `orbitfit demo`'s
    users before)."""
    import warnings

    from orbitfit.products.export import write_table
    from orbitfit.tables import plain_table, quantity_table
    obs, _ = read_nsdb(os.path.join(OUTER, "jo0011.txt"))
    table = quantity_table({"tdb": np.asarray(obs["tdb"], float)})
    published = np.asarray(obs["utc_jd1"]) + np.asarray(obs["utc_jd2"])
    shown = table["utc"].jd1 + table["utc"].jd2
    assert np.max(np.abs(shown - published)) * C.SECONDS_PER_DAY < 2e-3          # TT - TDB (<= 1.7 ms) neglected
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_table(table, tmp_path / "old.ecsv")
        assert plain_table(table)["utc"][0].startswith("1952-")
