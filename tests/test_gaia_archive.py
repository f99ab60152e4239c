"""The Gaia archive's sso_observation table (orbitfit.observations.gaia_archive) read as NSDB's copy of Gaia DR3 is:
the embedded DR3 records of the eight moons (NSDB jo0069), rewritten in the archive's columns (CSV, ECSV, an astropy
Table), give the same instants, directions and Gaia positions as the NSDB reader; the satellites' denominations,
FPR's rejection flag and bad rows are reported, never dropped silently; transits of another release are not
corrected by DR3's visit errors."""
import csv
import os

import numpy as np
import pytest
from astropy.table import Table

import orbitfit
from orbitfit.observations.core import ObservationFormatError
from orbitfit.observations.gaia_archive import (EPOCH_BASE_JD, gaia_sso_from_table, read_gaia_sso,
                                                satellite_from_denomination)
from orbitfit.observations.gaia_visits import GaiaVisitOffsets, as_gaia_transits
from orbitfit.observations.nsdb import read_nsdb
from orbitfit.paths import data_path

JO0069 = data_path("nsdb_jupiter_outer", "jo0069.txt")
NAMES = {506: "Himalia (JVI)", 507: "Elara (JVII)", 508: "Pasiphae (JVIII)", 509: "Sinope (JIX)",
         510: "Lysithea (JX)", 511: "Carme (JXI)", 512: "Ananke (JXII)", 513: "Leda (JXIII)"}
FPR_COLUMNS = ["solution_id", "source_id", "denomination", "transit_id", "observation_id", "number_mp", "epoch",
               "epoch_err", "epoch_utc", "ra", "dec", "ra_error_systematic", "dec_error_systematic",
               "ra_dec_correlation_systematic", "ra_error_random", "dec_error_random", "ra_dec_correlation_random",
               "x_gaia", "y_gaia", "z_gaia", "position_angle_scan", "is_rejected"]


def archive_rows(limit=None):
    """jo0069's records as rows of the archive's FPR columns (the printed digits kept as text)."""
    rows = []
    with open(JO0069, encoding="utf-8") as f:
        for line in f:
            sat, obs_id, epoch, ra, dec, x, y, z = line.split()
            rows.append({"solution_id": "1", "source_id": "-1", "denomination": NAMES[int(sat)],
                         "transit_id": obs_id[:-1], "observation_id": obs_id, "number_mp": "", "epoch": epoch,
                         "epoch_err": "1e-09", "epoch_utc": "", "ra": ra, "dec": dec, "ra_error_systematic": "0.5",
                         "dec_error_systematic": "0.5", "ra_dec_correlation_systematic": "0.1",
                         "ra_error_random": "12.5", "dec_error_random": "30.25", "ra_dec_correlation_random": "-0.8",
                         "x_gaia": x, "y_gaia": y, "z_gaia": z, "position_angle_scan": "123.4",
                         "is_rejected": "false"})
            if limit and len(rows) == limit:
                break
    return rows


def write_csv(path, rows, columns=FPR_COLUMNS, delimiter=",", preamble=""):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(preamble)
        writer = csv.DictWriter(f, fieldnames=columns, delimiter=delimiter, extrasaction="ignore",
                                lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def nsdb():
    return read_nsdb(JO0069)[0]


def assert_same_records(table, nsdb):
    """Same bodies, instants (TDB to 1 us), directions (bit for bit: the same digits) and Gaia positions (1 mm)."""
    assert len(table) == len(nsdb) == 1712
    assert np.array_equal(np.asarray(table["body"]), np.asarray(nsdb["body"]))
    assert np.abs(np.asarray(table["tdb"]) - np.asarray(nsdb["tdb"])).max() < 1e-6
    assert np.array_equal(np.asarray(table["ra_deg"]), np.asarray(nsdb["ra_deg"]))
    assert np.array_equal(np.asarray(table["dec_deg"]), np.asarray(nsdb["dec_deg"]))
    for c in ("obs_x_km", "obs_y_km", "obs_z_km"):
        assert np.abs(np.asarray(table[c]) - np.asarray(nsdb[c])).max() < 1e-6
    assert set(np.asarray(table["kind"]).astype(str)) == {"gaia"} and set(table["observer"]) == {"258"}
    assert set(table["obs_frame"]) == {"barycentric"}


def test_an_archive_csv_is_the_nsdb_copy_of_dr3(tmp_path, nsdb):
    path = write_csv(tmp_path / "moons_fpr.csv", archive_rows())
    assert orbitfit.observations.formats.detect_format(path) == "gaia_sso"
    table, report = orbitfit.read(path)
    assert_same_records(table, nsdb)
    assert report.read == report.kept == 1712 and not report.rejected
    assert set(table["catalog"]) == {"Gaia FPR"}
    # each CCD's own random error and correlation are kept as given (what --gaia-ccd fits use)
    assert np.all(table["sigma_ra_mas"] == 12.5) and np.all(table["sigma_dec_mas"] == 30.25)
    assert np.all(table["corr"] == -0.8)


def test_an_ecsv_and_a_table_from_a_query_read_the_same(tmp_path, nsdb):
    rows = archive_rows()
    # what astroquery returns: numbers as floats, not the printed digits (a float's shortest repr is those digits)
    table = Table({c: [r[c] for r in rows] for c in FPR_COLUMNS})
    for c in ("epoch", "ra", "dec", "x_gaia", "y_gaia", "z_gaia", "ra_error_random", "dec_error_random",
              "ra_dec_correlation_random"):
        table[c] = np.array(table[c], dtype=float)
    table["is_rejected"] = np.zeros(len(table), bool)
    from_query, report = gaia_sso_from_table(table)
    assert_same_records(from_query, nsdb)
    assert report.sources == {"gaia_archive_table": [1712, 1712, 0]}
    # the same table saved as the archive's other downloads: ECSV (space-delimited, names quoted, a YAML header),
    # VOTable and FITS
    for name, kind in (("moons.ecsv", "ascii.ecsv"), ("moons.vot", "votable"), ("moons.xml", "votable"),
                       ("moons.fits", "fits")):
        table.write(tmp_path / name, format=kind)
        assert orbitfit.observations.formats.detect_format(tmp_path / name) == "gaia_sso", name
        read, report = orbitfit.read(tmp_path / name)
        assert_same_records(read, nsdb)
        assert report.sources == {name: [1712, 1712, 0]}


def test_the_embedded_dr3_transits_come_back_from_an_archive_file(tmp_path):
    """Built into transit normal points, an archive copy of Himalia's DR3 records gives load_all's transits: the
    same epochs, directions to 1e-6 mas and covariances to 1e-9 (the visit correction aside: not DR3's rows)."""
    embedded, _ = orbitfit.load_all("Himalia", gaia_visit_offsets=None)
    embedded = embedded[np.asarray(embedded["kind"]).astype(str) == "gaia_transit"]
    rows = [r for r in archive_rows() if r["denomination"] == NAMES[506]]
    table, _ = read_gaia_sso(write_csv(tmp_path / "himalia.csv", rows))
    points, notes, report = as_gaia_transits(table, 506, visit_offsets=None)
    points = points[np.asarray(points["kind"]).astype(str) == "gaia_transit"]
    assert len(points) == len(embedded) == 23
    assert np.abs(np.asarray(points["tdb"]) - np.asarray(embedded["tdb"])).max() < 1e-6
    cos_dec = np.cos(np.radians(np.asarray(embedded["dec_deg"])))
    assert np.abs((np.asarray(points["ra_deg"]) - np.asarray(embedded["ra_deg"])) * cos_dec).max() * 3.6e6 < 1e-6
    assert np.abs(np.asarray(points["dec_deg"]) - np.asarray(embedded["dec_deg"])).max() * 3.6e6 < 1e-6
    for c in ("sigma_ra_mas", "sigma_dec_mas", "corr"):
        np.testing.assert_allclose(np.asarray(points[c]), np.asarray(embedded[c]), rtol=1e-9)
    # DR3's visit errors correct DR3's transits only: an FPR copy of the same transits is left as Gaia gave it
    corrected, visit = GaiaVisitOffsets.read().correct(points, 506)
    assert visit["other_release"] == 23 and visit["corrected"] == 0
    assert np.array_equal(np.asarray(corrected["ra_deg"]), np.asarray(points["ra_deg"]))
    notes = as_gaia_transits(table, 506)[1]
    assert notes[-1].startswith("Gaia: 23 transit normal points of another Gaia release left as they are")
    dr3 = points.copy()
    dr3["catalog"] = "Gaia DR3"
    assert GaiaVisitOffsets.read().correct(dr3, 506)[1]["corrected"] == 22


@pytest.mark.parametrize("text, naif", [("Himalia (JVI)", 506), ("himalia", 506), ("Jupiter XIII", 513),
                                        ("Leda (JXIII)", 513), ("Phoebe (SIX)", 609), ("(JVII)", 507)])
def test_satellites_are_known_by_name_and_numeral(text, naif):
    assert satellite_from_denomination(text) == naif


@pytest.mark.parametrize("text", ["Himalia (JVII)", "Ceres", "2060", "Jupiter"])
def test_other_denominations_are_refused(text):
    with pytest.raises(Exception) as error:
        satellite_from_denomination(text)
    assert text in str(error.value)


def test_bad_rows_are_rejected_with_their_line_and_reason(tmp_path):
    rows = archive_rows(limit=8)
    rows[1]["is_rejected"] = "true"
    rows[2]["denomination"] = "Ceres"
    rows[3]["ra"] = "nan"
    rows[4]["epoch"] = "17x7.9"
    rows[5]["x_gaia"] = ""
    rows[6]["ra_dec_correlation_random"] = "1.7"
    path = write_csv(tmp_path / "bad.csv", rows)
    table, report = read_gaia_sso(path)
    assert report.read == 8 and report.kept == 2 and len(table) == 2
    reasons = {r.line: r.reason for r in report.rejected}
    assert set(reasons) == {3, 4, 5, 6, 7, 8}               # the header is line 1
    assert "is_rejected" in reasons[3] and "Ceres" in reasons[4] and "ra" in reasons[5]
    assert "epoch" in reasons[6] and "x_gaia" in reasons[7] and "correlation" in reasons[8]
    assert all(str(r).startswith("bad.csv:") for r in report.rejected)


def test_a_damaged_votable_or_fits_file_is_a_clear_error(tmp_path):
    table = Table({"epoch": [1757.9], "ra": [142.1], "dec": [15.1], "x_gaia": [0.8], "y_gaia": [0.4],
                   "z_gaia": [0.2], "denomination": ["Himalia (JVI)"], "g_mag": [14.6]})
    for name, kind in (("cut.vot", "votable"), ("cut.fits", "fits")):
        table.write(tmp_path / name, format=kind)
        data = (tmp_path / name).read_bytes()
        (tmp_path / name).write_bytes(data[:len(data) // 2])
        with pytest.raises(ObservationFormatError, match=rf"^{name}:1: expected a (VOTable|FITS) table"):
            read_gaia_sso(tmp_path / name)
    # an ADES XML file is still ADES
    assert orbitfit.observations.formats.detect_format(
        os.path.join(os.path.dirname(__file__), "data", "fixture_ades_jupiter.xml")) == "ades"


def test_a_table_that_is_not_sso_observation_is_a_clear_error(tmp_path):
    rows = archive_rows(limit=2)
    columns = [c for c in FPR_COLUMNS if c != "z_gaia"]
    with pytest.raises(ObservationFormatError, match=r"no_z\.csv:1: .*missing z_gaia"):
        read_gaia_sso(write_csv(tmp_path / "no_z.csv", rows, columns=columns))
    columns = [c for c in FPR_COLUMNS if c != "is_rejected"]
    with pytest.raises(ObservationFormatError, match=r"release"):
        read_gaia_sso(write_csv(tmp_path / "which.csv", rows, columns=columns))
    table, _ = read_gaia_sso(tmp_path / "which.csv", release="Gaia DR3")
    assert set(table["catalog"]) == {"Gaia DR3"}
    columns = [c for c in FPR_COLUMNS if c != "denomination"]
    with pytest.raises(ObservationFormatError, match="denomination"):
        read_gaia_sso(write_csv(tmp_path / "anon.csv", rows, columns=columns))
    table, _ = read_gaia_sso(tmp_path / "anon.csv", body=510)
    assert set(table["body"]) == {510}
    # a misspelt column is an error, never a column silently ignored (each CCD's sigma would be lost)
    path = write_csv(tmp_path / "typo.csv", rows)
    path.write_text(path.read_text().replace("ra_error_random", "ra_error_randon", 1))
    with pytest.raises(ObservationFormatError, match=r"typo\.csv:1: .*'ra_error_randon' \(did you mean "
                                                     r"'ra_error_random'\?\)"):
        read_gaia_sso(path)
    assert EPOCH_BASE_JD == 2455197.5


def test_fpr_records_of_embedded_transits_replace_them_in_a_fit_with_the_embedded_data(tmp_path, capsys):
    """`orbitfit fit --embedded` with an archive file: the embedded DR3 transits that the file's FPR records observe
    again (here three of Himalia's, their CCDs 2 mas off and one CCD fewer, so that no duplicate rule would see a
    copy) are replaced and said; the other 20 stay, and nothing else of the embedded data moves."""
    from orbitfit.cli.fit import _with_embedded
    rows = [r for r in archive_rows() if r["denomination"] == NAMES[506]]
    transits = sorted({r["transit_id"] for r in rows})[:3]
    rows = [dict(r, ra=repr(float(r["ra"]) + 2 / 3.6e6)) for r in rows if r["transit_id"] in transits]
    rows = [r for r in rows if r["observation_id"][-1] != "1"]            # the first CCD of each, not in FPR
    table, _ = read_gaia_sso(write_csv(tmp_path / "fpr.csv", rows))
    embedded, _ = orbitfit.load_all("Himalia")
    combined, read = _with_embedded(table, 506)
    assert read["superseded"] == ["jo0069.txt:1", "jo0069.txt:10", "jo0069.txt:19"]
    assert "3 embedded Gaia transits observed again" in capsys.readouterr().out
    assert len(combined) == len(embedded) - 3 + len(table)
    kind = np.asarray(combined["kind"]).astype(str)
    assert (kind == "gaia_transit").sum() == 20 and (kind == "gaia").sum() == len(table)


def test_a_refit_with_fpr_records_of_its_transits_replaces_them(tmp_path):
    """orbitfit.refit with FPR records of three of the solution's DR3 transits (2 mas off): those three are replaced
    (a warning, Solution.meta["superseded"]), so every transit is fitted once; the orbit moves by far less than its
    sigma, as three transits 2 mas off should move it."""
    from orbitfit.observations import Observations, read_gj15
    gj15, _ = read_gj15(data_path("gj15", "Himalia.dat"))
    embedded, _ = orbitfit.load_all("Himalia")
    dr3 = embedded[np.asarray(embedded["kind"]).astype(str) == "gaia_transit"]
    solution = orbitfit.fit(Observations.concatenate([gj15, dr3]), orbitfit.gomes_junior_2016_orbit("Himalia"))
    rows = [r for r in archive_rows() if r["denomination"] == NAMES[506]]
    transits = sorted({r["transit_id"] for r in rows})[:3]
    rows = [dict(r, ra=repr(float(r["ra"]) + 2 / 3.6e6)) for r in rows if r["transit_id"] in transits]
    fpr = as_gaia_transits(read_gaia_sso(write_csv(tmp_path / "fpr.csv", rows))[0], 506)[0]
    with pytest.warns(UserWarning, match="3 of the solution's Gaia transits are observed again"):
        refitted = orbitfit.refit(solution, fpr)
    assert refitted.meta["superseded"] == ["jo0069.txt:1", "jo0069.txt:10", "jo0069.txt:19"]
    kinds = np.asarray(refitted.observations["kind"]).astype(str)
    assert (kinds == "gaia_transit").sum() == 23 and len(refitted.observations) == len(solution.observations)
    assert set(np.asarray(refitted.observations["catalog"]).astype(str)[kinds == "gaia_transit"]) == \
        {"Gaia DR3", "Gaia FPR"}
    assert np.all(np.abs(refitted.state - solution.state) < 0.5 * solution.sigma)


def test_only_another_gaia_release_within_a_transit_supersedes(tmp_path):
    """A DR3 row is observed again by FPR rows of the same body within 120 s (a transit lasts ~45 s, the next one
    comes >= 1.5 h later); not by rows of its own release, of no Gaia release, of another body, or further away."""
    from orbitfit.observations.gaia_archive import superseded_transits
    rows = [r for r in archive_rows() if r["denomination"] == NAMES[506]][:1]
    old = read_gaia_sso(write_csv(tmp_path / "old.csv", rows), release="Gaia DR3")[0]
    new = read_gaia_sso(write_csv(tmp_path / "new.csv", rows))[0]
    assert superseded_transits(old, new).tolist() == [True]
    for change, value in (("catalog", "Gaia DR3"), ("catalog", ""), ("body", 507), ("tdb", 121.0), ("tdb", -121.0),
                          ("tdb", 119.0)):
        other = new.copy()
        other[change] = other[change] + value if change == "tdb" else value
        assert superseded_transits(old, other).tolist() == [change == "tdb" and value == 119.0], (change, value)


def test_units_a_table_states_are_converted_or_refused(tmp_path, nsdb):
    """A Table (or its ECSV) whose Gaia positions are in km and epochs in s reads as the archive's au and days do;
    a unit that is no length where a length belongs is a format error naming the column, never a number read bare."""
    import astropy.units as u
    from dynamics.constants import AU_KM
    rows = archive_rows()
    table = Table({c: [r[c] for r in rows] for c in FPR_COLUMNS})
    for c in ("epoch", "ra", "dec", "x_gaia", "y_gaia", "z_gaia"):
        table[c] = np.array(table[c], dtype=float)
    for c in ("x_gaia", "y_gaia", "z_gaia"):
        table[c] = table[c] * AU_KM
        table[c].unit = u.km
    table["epoch"] = table["epoch"] * 86400.0
    table["epoch"].unit = u.s
    table["ra"].unit = table["dec"].unit = u.deg
    read, _ = gaia_sso_from_table(table)
    assert len(read) == 1712
    assert np.abs(np.asarray(read["tdb"]) - np.asarray(nsdb["tdb"])).max() < 1e-6
    for c in ("obs_x_km", "obs_y_km", "obs_z_km"):
        assert np.abs(np.asarray(read[c]) - np.asarray(nsdb[c])).max() < 1e-6
    table.write(tmp_path / "km.ecsv", format="ascii.ecsv")
    assert np.abs(np.asarray(read_gaia_sso(tmp_path / "km.ecsv")[0]["obs_x_km"]) -
                  np.asarray(nsdb["obs_x_km"])).max() < 1e-6
    table["ra"].unit = u.m
    with pytest.raises(ObservationFormatError, match=r"column ra in 'm', expected deg"):
        gaia_sso_from_table(table)
    table.write(tmp_path / "m.ecsv", format="ascii.ecsv")
    with pytest.raises(ObservationFormatError, match=r"m\.ecsv:\d+: column ra in 'm', expected deg"):
        read_gaia_sso(tmp_path / "m.ecsv")
