"""Readers of astrometry (orbitfit.observations): counts against the publications, values against the raw text,
time scales against their defining relations, and fuzzing of every reader with corrupted real lines."""
from __future__ import annotations

import glob
import math
import os
import re
import shutil
import tempfile

import erfa
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orbitfit.observations import (COLUMNS, ObservationFormatError, Observations, ReadReport, detect_format, read,
                                   read_ades, read_gj15, read_mpc80, read_mpc_csv, read_nsdb,
                                   read_sora_occultation)
from dynamics.constants import AU_KM
from orbitfit.observations.fields import julian_day_number

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data")
FIXTURES = os.path.join(ROOT, "tests", "data")
OUTER = os.path.join(DATA, "nsdb_jupiter_outer")
JG0074 = os.path.join(DATA, "nsdb_jupiter_inner", "jg0074.txt")
MPC_CSV = os.path.join(OUTER, "DERIVED_mpc_astrometry_J6-J13_2005-2022.csv")
KALLICHORE_CSV = os.path.join(DATA, "kallichore", "kallichore_nsdb_astrometry.csv")
KALLICHORE_MPC80 = os.path.join(DATA, "kallichore", "kallichore_nsdb_astrometry_mpc80.txt")

# GJ15 counts: Gomes-Junior et al. 2015 (data/gj15/SOURCE.source.txt; data/README.md), NAIF ids.
GJ15_COUNTS = {"Himalia": (506, 1234), "Elara": (507, 636), "Pasiphae": (508, 609), "Carme": (511, 331),
               "Ananke": (512, 250), "Lysithea": (510, 234), "Sinope": (509, 221), "Leda": (513, 98)}

# TAI-UTC (s) from IERS Bulletin C, for the dates used below (independent of astropy/ERFA's table).
TAI_MINUS_UTC = [(julian_day_number(1994, 7, 1) - 0.5, 29.0), (julian_day_number(1996, 1, 1) - 0.5, 30.0),
                 (julian_day_number(1997, 7, 1) - 0.5, 31.0), (julian_day_number(1999, 1, 1) - 0.5, 32.0),
                 (julian_day_number(2006, 1, 1) - 0.5, 33.0), (julian_day_number(2009, 1, 1) - 0.5, 34.0),
                 (julian_day_number(2012, 7, 1) - 0.5, 35.0), (julian_day_number(2015, 7, 1) - 0.5, 36.0),
                 (julian_day_number(2017, 1, 1) - 0.5, 37.0)]
TT_MINUS_TAI = 32.184                           # s, by definition of TT (IAU 1991)
J2000 = 2451545.0
DAY = 86400.0


def tai_minus_utc(jd_utc):
    return [value for start, value in TAI_MINUS_UTC if jd_utc >= start][-1]


def tdb_minus_tt(jd):
    """TDB-TT, s: the two leading periodic terms (Fairhead & Bretagnon 1990; USNO Circular 179 eq. 2.6), ~30 us."""
    g = math.radians(357.53 + 0.98560028 * (jd - J2000))
    return 0.001657 * math.sin(g) + 0.000014 * math.sin(2 * g)


def hms(h, m, s):
    return 15.0 * (h + m / 60.0 + s / 3600.0)


def dms(sign, d, m, s):
    return sign * (d + m / 60.0 + s / 3600.0)


def utc_seconds_from(obs, i, jd1, jd2):
    """UTC of row i minus a two-part JD, in seconds (two-part arithmetic: no round-off at the us level)."""
    return ((obs["utc_jd1"][i] - jd1) + (obs["utc_jd2"][i] - jd2)) * DAY


# --- GJ15 ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("moon", sorted(GJ15_COUNTS))
def test_gj15_published_counts(moon):
    naif, count = GJ15_COUNTS[moon]
    obs, report = read_gj15(os.path.join(DATA, "gj15", f"{moon}.dat"))
    assert len(obs) == count and report.kept == count and not report.rejected
    assert set(obs["body"]) == {naif} and set(obs["name"]) == {moon}
    assert set(obs["observer"]) <= {"874", "511", "809"}
    assert np.all(obs["sigma_ra_mas"] > 0) and set(obs["catalog"]) == {"UCAC4"}


def test_gj15_counts_match_the_ste_paper():
    """The N column of the GJ16 STE elements table is the number of GJ15 positions each orbit was fitted to."""
    table = {}
    for line in open(os.path.join(DATA, "gj16_ste", "gj16_STE_initial_osculating_elements.txt")):
        fields = line.split()
        if fields and not line.startswith("#") and fields[0] in GJ15_COUNTS and fields[1].isdigit():
            table[fields[0]] = int(fields[1])    # the elements rows (the mean-offset rows follow, "-15+-66")
    assert table == {moon: n for moon, (_, n) in GJ15_COUNTS.items()}
    assert sum(table.values()) == 3613


def test_gj15_values_against_raw_text():
    obs, _ = read_gj15(os.path.join(DATA, "gj15", "Himalia.dat"))
    # line 1: " 16 30 30.0725 -20 47 13.562   21   22 2449877.66006910 14.6 C  PE 874"
    assert obs["ra_deg"][0] == pytest.approx(hms(16, 30, 30.0725), abs=1e-9)
    assert obs["dec_deg"][0] == pytest.approx(dms(-1, 20, 47, 13.562), abs=1e-9)
    assert (obs["sigma_ra_mas"][0], obs["sigma_dec_mas"][0]) == (21.0, 22.0)
    assert abs(utc_seconds_from(obs, 0, 2449877.0, 0.66006910)) < 1e-6
    assert (obs["observer"][0], obs["source"][0], obs["line"][0], obs["dataset"][0]) == ("874", "Himalia.dat", 1,
                                                                                          "gj15")
    assert obs["obs_frame"][0] == "" and math.isnan(obs["obs_x_km"][0])
    # last line of the file
    last = open(os.path.join(DATA, "gj15", "Himalia.dat")).read().splitlines()[-1]
    assert obs["line"][-1] == 1234
    assert obs["ra_deg"][-1] == pytest.approx(hms(int(last[1:3]), int(last[4:6]), float(last[7:14])), abs=1e-9)


# --- time scales --------------------------------------------------------------------------------------------------
def test_utc_to_tdb_against_definition():
    """TDB = UTC + (TAI-UTC) + 32.184 s + (TDB-TT); TAI-UTC from Bulletin C, TDB-TT from its leading terms."""
    obs, _ = read_gj15(os.path.join(DATA, "gj15", "Himalia.dat"))
    for i in (0, 600, 1233):
        jd_utc = obs["utc_jd1"][i] + obs["utc_jd2"][i]
        utc_s = ((obs["utc_jd1"][i] - J2000) + obs["utc_jd2"][i]) * DAY
        expected = utc_s + tai_minus_utc(jd_utc) + TT_MINUS_TAI + tdb_minus_tt(jd_utc)
        assert obs["tdb"][i] - utc_s == pytest.approx(tai_minus_utc(jd_utc) + 32.184, abs=2e-3)
        assert obs["tdb"][i] == pytest.approx(expected, abs=5e-5)
    # 1999-2005: TAI-UTC = 32 s, so TDB-UTC = 64.184 s (+-1.7 ms)
    csv, _ = read_mpc_csv(MPC_CSV)
    first = ((csv["utc_jd1"][0] - J2000) + csv["utc_jd2"][0]) * DAY        # 2005-04-02.36709 UTC
    assert csv["tdb"][0] - first == pytest.approx(64.184, abs=2e-3)


def test_tcb_to_tdb_against_iau_2006_b3():
    """Gaia epochs are TCB: TDB = TCB - L_B (JD_TCB - T0) 86400 + TDB0 (IAU 2006 Resolution B3)."""
    L_B, T0, TDB0 = 1.550519768e-8, 2443144.5003725, -6.55e-5
    obs, _ = read_nsdb(os.path.join(OUTER, "jo0069.txt"))
    for i, line in ((0, 1), (1711, 1712)):
        epoch = open(os.path.join(OUTER, "jo0069.txt")).read().splitlines()[line - 1].split()[2]
        whole, frac = epoch.split(".")
        tcb_s = ((2455197.5 + int(whole) - J2000) + float("0." + frac)) * DAY
        tdb = tcb_s - L_B * (tcb_s + (J2000 - T0) * DAY) + TDB0
        assert obs["tdb"][i] == pytest.approx(tdb, abs=1e-6)


def test_julian_day_number_matches_erfa():
    for y, m, d in [(1800, 1, 1), (1900, 3, 1), (1960, 1, 1), (2000, 2, 29), (2024, 12, 31), (2100, 1, 1)]:
        assert sum(erfa.cal2jd(y, m, d)) == julian_day_number(y, m, d) - 0.5


# --- NSDB ---------------------------------------------------------------------------------------------------------
def nsdb_units():
    return sorted(p for p in glob.glob(os.path.join(OUTER, "jo*.txt")) if not p.endswith(".source.txt"))


def test_nsdb_counts_table_all_units():
    """Reads every NSDB unit of nsdb_jupiter_outer; prints the per-unit table (run with -s)."""
    reports = []
    for path in nsdb_units():
        obs, report = read_nsdb(path)
        assert report.read == report.kept + len(report.rejected) == sum(1 for l in open(path, "rb") if l.strip())
        assert len(obs) == report.kept
        reports.append(report)
    total = ReadReport.merged(reports)
    print("\nNSDB units, data/nsdb_jupiter_outer:\n" + ReadReport.table(reports, title="unit"))
    print("rejected, by reason:")
    for reason, n in total.reasons().most_common():
        print(f"  {n:6d}  {reason}")
    print("notes:\n  " + "\n  ".join(total.notes))
    assert len(reports) == 137 and total.kept > 23000
    by_unit = {next(iter(r.sources)): r for r in reports}
    assert by_unit["jo0056.txt"].kept == 3613            # = the GJ15 catalogue
    assert by_unit["jo0069.txt"].kept == 1712            # Gaia DR3 SSO
    assert by_unit["jo0012.txt"].kept == 13              # B1950 (FK4), converted
    assert {r.reason for r in by_unit["jo0031.txt"].rejected} == {
        "unit jo0031: equinox 'Date' not supported (only J2000 and FK4 mean equinoxes before 1984)"}


def test_nsdb_jo0056_is_gj15():
    nsdb, _ = read_nsdb(os.path.join(OUTER, "jo0056.txt"))
    assert nsdb.counts() == {naif: n for naif, n in GJ15_COUNTS.values()}
    gj15, _ = read_gj15(os.path.join(DATA, "gj15", "Himalia.dat"))
    himalia = nsdb.select(body=506)
    assert np.allclose(himalia["ra_deg"], gj15["ra_deg"], atol=1e-9, rtol=0)
    assert np.allclose(himalia["tdb"], gj15["tdb"], atol=1e-6, rtol=0)


def test_nsdb_gaia_jo0069():
    obs, report = read_nsdb(os.path.join(OUTER, "jo0069.txt"))
    assert len(obs) == 1712 and not report.rejected
    assert obs.counts() == {506: 195, 507: 243, 508: 363, 509: 169, 510: 136, 511: 255, 512: 178, 513: 173}
    assert set(obs["kind"]) == {"gaia"} and set(obs["observer"]) == {"258"}
    assert set(obs["obs_frame"]) == {"barycentric"} and np.all(np.isnan(obs["sigma_ra_mas"]))
    # line 1: 506 199681758102903661 1757.957869720579 142.17169551363858 15.10685472026509 0.8599920004... AU
    assert obs["ra_deg"][0] == pytest.approx(142.17169551363858, abs=1e-9)
    assert obs["dec_deg"][0] == pytest.approx(15.10685472026509, abs=1e-9)
    # TCB-compatible BCRS position scaled to TDB-compatible: x (1 - L_B), IAU 2006 B3
    assert obs["obs_x_km"][0] == pytest.approx(0.859992000449481986 * AU_KM * (1 - 1.550519768e-8), abs=1e-3)
    assert obs["obs_z_km"][0] == pytest.approx(0.207461211943403750 * AU_KM * (1 - 1.550519768e-8), abs=1e-3)


def test_nsdb_jg0074_occultations():
    obs, report = read_nsdb(JG0074)
    assert len(obs) == 5 and not report.rejected
    assert list(obs["body"]) == [501, 503, 502, 502, 503]
    assert list(obs["sigma_ra_mas"]) == [1.1, 0.9, 1.1, 1.9, 4.1]
    assert list(obs["sigma_dec_mas"]) == [0.7, 1.7, 1.1, 1.6, 4.7]
    assert set(obs["kind"]) == {"occultation"} and set(obs["observer"]) == {"500"}
    assert set(obs["catalog"]) == {"Gaia EDR3"}
    # line 1: 501 2021 04 02 10 24 00.000 21 43 04.37583 1.1 (U+2212)14 23 58.1536 0.7
    assert obs["ra_deg"][0] == pytest.approx(hms(21, 43, 4.37583), abs=1e-9)
    assert obs["dec_deg"][0] == pytest.approx(dms(-1, 14, 23, 58.1536), abs=1e-9)
    assert obs["dec_deg"][4] == pytest.approx(dms(+1, 7, 34, 55.6614), abs=1e-9)
    assert abs(utc_seconds_from(obs, 0, julian_day_number(2021, 4, 2) - 0.5, (10 * 60 + 24) / 1440)) < 1e-6


def test_nsdb_wise_and_topocentric_units():
    wise, _ = read_nsdb(os.path.join(OUTER, "jo0049.txt"))
    # line 1: 06 2010 12 10.68042 23 43 05.03 -02 58 43.7 +6680.3057 -1526.6519 -861.6028
    assert (wise["observer"][0], wise["obs_frame"][0]) == ("C51", "geocentric")
    assert (wise["obs_x_km"][0], wise["obs_y_km"][0], wise["obs_z_km"][0]) == (6680.3057, -1526.6519, -861.6028)
    assert abs(utc_seconds_from(wise, 0, julian_day_number(2010, 12, 10) - 0.5, 0.68042)) < 1e-6
    fastt, _ = read_nsdb(os.path.join(OUTER, "jo0001.txt"))
    # line 1: 6 1998 07 28 11 1 18.0 23 57 39.8324 -1 34 41.973 ...
    assert fastt["dec_deg"][0] == pytest.approx(dms(-1, 1, 34, 41.973), abs=1e-9)
    assert fastt["observer"][0] == "689"
    assert abs(utc_seconds_from(fastt, 0, julian_day_number(1998, 7, 28) - 0.5, (11 * 3600 + 60 + 18.0) / DAY)) < 1e-6
    minus_on_minutes, _ = read_nsdb(os.path.join(OUTER, "jo0048.txt"))
    # line 1: 06 2010 07 26.62051 00 10 45.25 0 -29 48.0 415 ...: the sign sits on the minutes
    assert minus_on_minutes["dec_deg"][0] == pytest.approx(dms(-1, 0, 29, 48.0), abs=1e-9)


def test_nsdb_b1950_fk4_conversion_cross_checked_with_erfa():
    """jo0012 (equinox 1950.0): astropy FK4 -> ICRS vs ERFA fk45z + fk5hz (zero proper motion at the epoch)."""
    obs, report = read_nsdb(os.path.join(OUTER, "jo0012.txt"))
    assert any("B1950" in note for note in report.notes)
    # line 1: 6 1967 12 31.4840 10 34 21.72 10 39 39.0 (FK4, B1950)
    jd = julian_day_number(1967, 12, 31) - 0.5 + 0.4840
    r5, d5 = erfa.fk45z(math.radians(hms(10, 34, 21.72)), math.radians(dms(1, 10, 39, 39.0)), erfa.epb(jd, 0.0))
    ra, dec = (math.degrees(v) for v in erfa.fk5hz(r5, d5, jd, 0.0))
    # FK5->ICRS realisations (IAU 2000 frame bias vs Hipparcos FK5 rotation and spin) differ by ~20 mas
    assert abs(obs["ra_deg"][0] - ra) * math.cos(math.radians(dec)) * 3.6e6 < 50
    assert abs(obs["dec_deg"][0] - dec) * 3.6e6 < 50
    assert abs(obs["ra_deg"][0] - hms(10, 34, 21.72)) > 0.5          # precession 1950 -> 2000 was applied


def test_nsdb_rejections_are_explained():
    _, of_date = read_nsdb(os.path.join(OUTER, "jo0031.txt"))      # before 1960 only the frame can be a reason
    assert of_date.kept == 0 and "equinox 'Date' not supported" in of_date.rejected[0].reason
    _, relative = read_nsdb(os.path.join(OUTER, "jo0061.txt"))
    assert relative.kept == 0 and "reference frame 'apparent'" in relative.rejected[0].reason
    _, provisional = read_nsdb(os.path.join(OUTER, "jo1042.txt"))
    assert provisional.kept == 0 and "S/2010 J 1" in provisional.rejected[0].reason


def test_nsdb_missing_description_is_a_format_error(tmp_path):
    shutil.copy(os.path.join(OUTER, "jo0001.txt"), tmp_path / "jo0001.txt")
    with pytest.raises(ObservationFormatError, match=r"jo0001\.txt:1: expected the unit description"):
        read_nsdb(str(tmp_path / "jo0001.txt"))


# --- Kallichore and MPC -------------------------------------------------------------------------------------------
def test_kallichore_41_positions_in_every_form():
    mpc80, r1 = read_mpc80(KALLICHORE_MPC80)
    csv, r2 = read_mpc_csv(KALLICHORE_CSV)
    assert len(mpc80) == len(csv) == 41 and not r1.rejected and not r2.rejected
    assert set(mpc80["body"]) == set(csv["body"]) == {544} and set(csv["name"]) == {"Kallichore"}
    for column in ("ra_deg", "dec_deg", "utc_jd1", "utc_jd2", "tdb"):
        assert np.array_equal(mpc80[column], csv[column])
    assert list(mpc80["observer"]) == list(csv["observer"])
    # the NSDB units the CSV was extracted from give the same 41 positions once duplicates are removed
    nsdb = Observations.concatenate([read_nsdb(os.path.join(OUTER, f"{u}.txt"))[0].select(body=544) for u in
                                     ("jo1018", "jo1026", "jo1033", "jo1048", "jo1053", "jo1055", "jo1056",
                                      "jo1058")])
    unique = nsdb[~nsdb.duplicates()]
    assert len(unique) == 41
    order = np.argsort(unique["tdb"])
    assert np.allclose(unique["ra_deg"][order], csv["ra_deg"][np.argsort(csv["tdb"])], atol=1e-9, rtol=0)


def test_mpc_csv_6905():
    obs, report = read_mpc_csv(MPC_CSV)
    assert len(obs) == 6905 and not report.rejected
    assert obs.counts() == {506: 1191, 507: 939, 508: 1637, 509: 1009, 510: 427, 511: 1026, 512: 599, 513: 77}
    # row 1 (line 4): 6,Himalia,2005-04-02.36709,12 55 50.68,-04 43 36.4,193.9611667,-4.7267778,644,...
    assert obs["line"][0] == 4 and obs["observer"][0] == "644"
    assert obs["ra_deg"][0] == pytest.approx(hms(12, 55, 50.68), abs=1e-9)
    assert obs["dec_deg"][0] == pytest.approx(dms(-1, 4, 43, 36.4), abs=1e-9)
    assert abs(utc_seconds_from(obs, 0, julian_day_number(2005, 4, 2) - 0.5, 0.36709)) < 1e-6


def test_mpc80_space_roving_and_b1950_records():
    obs, report = read_mpc80(os.path.join(FIXTURES, "fixture_mpc80_jupiter.txt"))
    assert report.read == 8 and report.kept == 6
    assert sorted(r.reason.split(" (")[0] for r in report.rejected) == [
        "deleted observation", "offset observation, satellite relative to its planet"]
    kallichore, wise, provisional, b1950, rover, wise_au = (obs[i] for i in range(6))
    assert (kallichore["body"], kallichore["catalog"]) == (544, "Gaia DR2")
    assert kallichore["ra_deg"] == pytest.approx(hms(13, 8, 24.430), abs=1e-9)
    assert (wise["observer"], wise["obs_frame"]) == ("C51", "geocentric")
    assert (wise["obs_x_km"], wise["obs_y_km"], wise["obs_z_km"]) == (6680.3057, -1526.6519, -861.6028)
    assert np.allclose([wise_au["obs_x_km"], wise_au["obs_y_km"], wise_au["obs_z_km"]],
                       [6680.3057, -1526.6519, -861.6028], atol=1.0)       # AU to 1e-8 in the second line
    assert provisional["body"] == 544                                      # SK03J110 = S/2003 J 11
    nsdb, _ = read_nsdb(os.path.join(OUTER, "jo0012.txt"))                 # same B1950 input, same conversion
    assert b1950["ra_deg"] == pytest.approx(nsdb["ra_deg"][0], abs=1e-9)
    assert (rover["observer"], rover["obs_frame"]) == ("247", "geocentric")
    radius = math.sqrt(rover["obs_x_km"] ** 2 + rover["obs_y_km"] ** 2 + rover["obs_z_km"] ** 2)
    # WGS84 geocentric radius at latitude -22.5355 deg plus 1.811 km altitude
    a, f = 6378.137, 1 / 298.257223563
    lat = math.radians(-22.5355)
    n = a / math.sqrt(1 - f * (2 - f) * math.sin(lat) ** 2)
    expected = math.hypot((n + 1.811) * math.cos(lat), (n * (1 - f) ** 2 + 1.811) * math.sin(lat))
    assert radius == pytest.approx(expected, abs=1e-3)


# --- ADES and SORA ------------------------------------------------------------------------------------------------
def test_ades_psv_occultations_and_observer_positions():
    obs, report = read_ades(os.path.join(FIXTURES, "fixture_ades_jupiter.psv"))
    assert report.read == 11 and report.kept == 8
    reasons = sorted(r.reason for r in report.rejected)
    assert reasons == ["Dec -95.787100556 deg outside [-90, 90]", "month 13 outside 1-12",
                       "offset observation (position relative to another body) not supported"]
    jg, _ = read_nsdb(JG0074)
    occ = obs.select(kind="occultation", observer="500")
    assert len(occ) == 5 and list(occ["body"]) == list(jg["body"])
    assert np.allclose(occ["ra_deg"], jg["ra_deg"], atol=1e-9, rtol=0)
    assert np.allclose(occ["dec_deg"], jg["dec_deg"], atol=1e-9, rtol=0)
    assert np.allclose(occ["sigma_ra_mas"], jg["sigma_ra_mas"], atol=1e-9)   # rmsRA arcsec -> mas
    assert np.array_equal(occ["tdb"], jg["tdb"])
    assert occ["corr"][0] == 0.12 and occ["corr"][1] == 0.0
    himalia = obs.select(body=506)[0]
    gj15, _ = read_gj15(os.path.join(DATA, "gj15", "Himalia.dat"))
    assert abs(((himalia["utc_jd1"] - gj15["utc_jd1"][0]) + (himalia["utc_jd2"] - gj15["utc_jd2"][0])) * DAY) < 1e-6
    assert obs.select(body=544)["catalog"][0] == ""
    remote = obs.select(observer="275")[0]
    assert (remote["obs_frame"], remote["obs_x_km"], remote["obs_z_km"]) == ("geocentric", -3001.8087, -2431.2150)


def test_ades_xml_matches_psv():
    xml, report = read_ades(os.path.join(FIXTURES, "fixture_ades_jupiter.xml"))
    psv, _ = read_ades(os.path.join(FIXTURES, "fixture_ades_jupiter.psv"))
    assert report.kept == 4 and list(xml["line"]) == [15, 27, 47, 58]
    for i, j in ((0, 0), (1, 2), (2, 5), (3, 7)):
        assert xml["ra_deg"][i] == psv["ra_deg"][j] and xml["tdb"][i] == psv["tdb"][j]
    # the 275 record's WGS84 site (314.41735 E, -22.5355, 1811 m) turned into a geocentric position
    site = xml[3]
    assert site["obs_frame"] == "geocentric"
    assert math.sqrt(site["obs_x_km"] ** 2 + site["obs_y_km"] ** 2 + site["obs_z_km"] ** 2) == pytest.approx(
        6376.83, abs=0.05)


def test_sora_positions_match_the_paper():
    obs, report = read_sora_occultation(os.path.join(FIXTURES, "fixture_sora_galilean.log"))
    assert report.kept == 2 and list(obs["body"]) == [502, 503]
    jg, _ = read_nsdb(JG0074)
    for i, j in ((0, 2), (1, 4)):                      # Europa 2019-06-04, Ganymede 2016-04-13
        assert obs["ra_deg"][i] == pytest.approx(jg["ra_deg"][j], abs=1e-9)
        assert obs["dec_deg"][i] == pytest.approx(jg["dec_deg"][j], abs=1e-9)
        assert obs["tdb"][i] == jg["tdb"][j]
    assert list(obs["sigma_dec_mas"]) == [1.1, 4.7] and list(obs["catalog"]) == ["Gaia EDR3", "Gaia DR2"]


# --- the table and the dispatcher ---------------------------------------------------------------------------------
def test_dispatch_and_concatenate(tmp_path):
    cases = {os.path.join(DATA, "gj15", "Leda.dat"): "gj15", JG0074: "nsdb", MPC_CSV: "mpc_csv",
             KALLICHORE_MPC80: "mpc80", os.path.join(FIXTURES, "fixture_ades_jupiter.psv"): "ades",
             os.path.join(FIXTURES, "fixture_ades_jupiter.xml"): "ades",
             os.path.join(FIXTURES, "fixture_sora_galilean.log"): "sora",
             os.path.join(DATA, "gj15", "ReadMeCT.txt"): None,
             os.path.join(DATA, "gj16_occultation_predictions", "leda16.dat"): None}
    for path, kind in cases.items():
        assert detect_format(path) == kind, path
    tables = [read(path)[0] for path, kind in cases.items() if kind]
    both = Observations.concatenate(tables)
    assert len(both) == sum(map(len, tables)) and both.colnames == [c[0] for c in COLUMNS]
    assert isinstance(both, Observations) and len(both.select(body=[513, 544])) == 98 + 77 + 41 + 1
    with pytest.raises(ObservationFormatError, match=r"leda16\.dat:1: expected one of the formats.*unrecognised"):
        read(os.path.join(DATA, "gj16_occultation_predictions", "leda16.dat"))
    batch = tmp_path / "leda_2015.dat"                 # GJ15 rows, the last one cut: what to do is said
    batch.write_text(open(os.path.join(DATA, "gj15", "Leda.dat")).read()[:300])
    with pytest.raises(ObservationFormatError, match=r"leda_2015\.dat:1: expected one of the formats.*got GJ15 rows "
                                                     r"in a file not named after a moon.*--format gj15 --body"):
        read(batch)
    empty = tmp_path / "positions.txt"
    empty.write_text("")
    with pytest.raises(ObservationFormatError, match=r"positions\.txt:1: expected one of the formats.*empty file"):
        read(empty)


def test_structural_errors_name_file_and_line(tmp_path):
    bad_csv = tmp_path / "positions.csv"
    bad_csv.write_text("# sat_num,utc_date,ra_hms\n6,2005-04-02.36709,12 55 50.68\n")
    with pytest.raises(ObservationFormatError, match=r"positions\.csv:1: expected columns .* missing dec_dms"):
        read_mpc_csv(str(bad_csv))
    with pytest.raises(ObservationFormatError, match=r"Nowhere\.dat:1: expected a GJ15 file named after"):
        shutil.copy(os.path.join(DATA, "gj15", "Leda.dat"), tmp_path / "Nowhere.dat")
        read_gj15(str(tmp_path / "Nowhere.dat"))
    broken = tmp_path / "broken.xml"
    broken.write_text("<ades version='2017'>\n<obsBlock>\n<optical>\n</obsBlock>\n</ades>\n")
    with pytest.raises(ObservationFormatError, match=r"broken\.xml:4: expected well-formed ADES XML"):
        read_ades(str(broken))
    psv = tmp_path / "noheader.psv"
    psv.write_text("# version=2017\nJupiter 6| CCD|874|1995-06-09T03:50:29Z|247.6|-20.7\n")
    with pytest.raises(ObservationFormatError, match=r"noheader\.psv:2: expected an ADES PSV header"):
        read_ades(str(psv))


@pytest.mark.parametrize("line, reason", [
    (" 16 30 30.0725 -90 47 13.562   21   22 2449877.66006910 14.6 C  PE 874", "beyond the pole"),
    (" 24 30 30.0725 -20 47 13.562   21   22 2449877.66006910 14.6 C  PE 874", "out of range"),
    (" 16 30 30.0725 *20 47 13.562   21   22 2449877.66006910 14.6 C  PE 874", "Dec sign"),
    (" 16 30 30.0725 -20 47 13.562   21   22 2449877.6600 nan 14.6 C  PE 874", "expected a number"),
])
def test_impossible_values_are_rejected_with_file_and_line(tmp_path, line, reason):
    path = tmp_path / "Himalia.dat"
    good = open(os.path.join(DATA, "gj15", "Himalia.dat")).read().splitlines()[1]
    path.write_text(good + "\n" + line + "\n")
    obs, report = read_gj15(str(path))
    assert len(obs) == 1 and len(report.rejected) == 1
    assert report.rejected[0].line == 2 and reason in report.rejected[0].reason
    assert str(report.rejected[0]).startswith("Himalia.dat:2: ")


def test_nsdb_month_13_rejected(tmp_path):
    for ext in ("txt", "html"):
        shutil.copy(os.path.join(OUTER, f"jo0004.{ext}"), tmp_path / f"jo0004.{ext}")
    lines = open(tmp_path / "jo0004.txt").read().splitlines()
    lines[0] = lines[0].replace("2000 11 27", "2000 13 27")
    (tmp_path / "jo0004.txt").write_text("\n".join(lines) + "\n")
    obs, report = read_nsdb(str(tmp_path / "jo0004.txt"))
    assert report.rejected == [("jo0004.txt", 1, "month 13 outside 1-12")] and len(obs) == 59


# --- fuzzing ------------------------------------------------------------------------------------------------------
JUNK = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2212), min_size=1, max_size=6)


@st.composite
def corruptions(draw, lines):
    """A list of text lines with 1-3 random corruptions of the kinds real files suffer."""
    lines = list(lines)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        line = lines[i]
        pos = draw(st.integers(0, max(len(line) - 1, 0)))
        how = draw(st.sampled_from(["replace", "truncate", "delete_field", "swap_digits", "insert", "drop_line",
                                    "duplicate_line"]))
        if how == "replace" and line:
            line = line[:pos] + draw(st.characters(min_codepoint=32, max_codepoint=126)) + line[pos + 1:]
        elif how == "truncate":
            line = line[:pos]
        elif how == "delete_field":
            fields = re.split(r"(\s+|\||,)", line)
            k = draw(st.integers(0, max(len(fields) - 1, 0)))
            line = "".join(fields[:k] + fields[k + 1:])
        elif how == "swap_digits":
            digits = [k for k in range(len(line) - 1) if line[k].isdigit() and line[k + 1].isdigit()]
            if digits:
                k = draw(st.sampled_from(digits))
                line = line[:k] + line[k + 1] + line[k] + line[k + 2:]
        elif how == "insert":
            line = line[:pos] + draw(JUNK) + line[pos:]
        elif how == "drop_line" and len(lines) > 1:
            del lines[i]
            continue
        elif how == "duplicate_line":
            lines.insert(i, line)
        lines[i] = line
    return lines


def check_reader_survives(reader, name, lines, extra_files=()):
    """Write the corrupted lines, read them: success with a consistent report, or ObservationFormatError naming
    the file and a line. Any other exception fails the test."""
    folder = tempfile.mkdtemp()
    try:
        for source in extra_files:
            shutil.copy(source, folder)
        path = os.path.join(folder, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        try:
            obs, report = reader(path)
        except ObservationFormatError as exc:
            assert re.search(rf"^{re.escape(name.rsplit('.', 1)[0])}[^:]*:\d+: ", str(exc)), str(exc)
            return
        assert report.read == report.kept + len(report.rejected) and len(obs) == report.kept
        for rejection in report.rejected:
            assert rejection.file == name and rejection.line >= 1 and rejection.reason
        assert np.all((obs["ra_deg"] >= 0) & (obs["ra_deg"] < 360)) and np.all(np.abs(obs["dec_deg"]) <= 90)
        assert np.all(np.isfinite(obs["tdb"]))
    finally:
        shutil.rmtree(folder)


# <= 100 examples keep the suite fast; set ORBITFIT_FUZZ_EXAMPLES=5000 for a long hunt.
FUZZ = settings(max_examples=int(os.environ.get("ORBITFIT_FUZZ_EXAMPLES", 100)), deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def head(path, n):
    return open(path, encoding="utf-8").read().splitlines()[:n]


@FUZZ
@given(corruptions(head(os.path.join(DATA, "gj15", "Himalia.dat"), 12)))
def test_fuzz_gj15(lines):
    check_reader_survives(read_gj15, "Himalia.dat", lines)


@FUZZ
@given(corruptions(head(os.path.join(OUTER, "jo0035.txt"), 12)))
def test_fuzz_nsdb(lines):
    check_reader_survives(read_nsdb, "jo0035.txt", lines, [os.path.join(OUTER, "jo0035.html")])


@FUZZ
@given(corruptions(head(os.path.join(OUTER, "jo0012.txt"), 13)))
def test_fuzz_nsdb_b1950(lines):
    check_reader_survives(read_nsdb, "jo0012.txt", lines, [os.path.join(OUTER, "jo0012.html")])


@FUZZ
@given(corruptions(head(JG0074, 5)))
def test_fuzz_nsdb_occultations(lines):
    check_reader_survives(read_nsdb, "jg0074.txt", lines, [JG0074.replace(".txt", ".html")])


@FUZZ
@given(corruptions(head(os.path.join(FIXTURES, "fixture_mpc80_jupiter.txt"), 11)))
def test_fuzz_mpc80(lines):
    check_reader_survives(read_mpc80, "obs.txt", lines)


@FUZZ
@given(corruptions(head(MPC_CSV, 12)))
def test_fuzz_mpc_csv(lines):
    check_reader_survives(read_mpc_csv, "mpc.csv", lines)


@FUZZ
@given(corruptions(head(os.path.join(FIXTURES, "fixture_ades_jupiter.psv"), 40)))
def test_fuzz_ades_psv(lines):
    check_reader_survives(read_ades, "obs.psv", lines)


@FUZZ
@given(corruptions(head(os.path.join(FIXTURES, "fixture_ades_jupiter.xml"), 80)))
def test_fuzz_ades_xml(lines):
    check_reader_survives(read_ades, "obs.xml", lines)


@FUZZ
@given(corruptions(head(os.path.join(FIXTURES, "fixture_sora_galilean.log"), 40)))
def test_fuzz_sora(lines):
    check_reader_survives(read_sora_occultation, "occ.log", lines)


@FUZZ
@given(corruptions(head(os.path.join(OUTER, "jo0004.html"), 120)))
def test_fuzz_nsdb_description(lines):
    """A damaged unit description must still give a consistent report or a format error, never a crash."""
    folder = tempfile.mkdtemp()
    try:
        shutil.copy(os.path.join(OUTER, "jo0004.txt"), folder)
        with open(os.path.join(folder, "jo0004.html"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        try:
            obs, report = read_nsdb(os.path.join(folder, "jo0004.txt"))
        except ObservationFormatError as exc:
            assert re.match(r"^jo0004\.(txt|html):\d+: ", str(exc)), str(exc)
            return
        assert report.read == 60 == report.kept + len(report.rejected) and len(obs) == report.kept
    finally:
        shutil.rmtree(folder)
