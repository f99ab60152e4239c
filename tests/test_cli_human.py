"""The command line as astronomers read it (issue 14): satellites by name, --format, ephemerides printed to the
terminal, UTC dates in whole steps, a readable predict table, and strict JSON everywhere."""
import json
import logging
import re
import shutil

import numpy as np
import pytest

from orbitfit.cli import main
from orbitfit.paths import data_path


def strict_loads(text):
    """json.loads that refuses NaN and Infinity (not JSON; Python writes them unless told not to)."""
    def refuse(name):
        raise ValueError(f"not strict JSON: {name}")
    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def leda(tmp_path_factory):
    """Leda's GJ15 positions in a file NOT named after the moon, fitted with --format gj15 --body Leda (by name)."""
    folder = tmp_path_factory.mktemp("leda")
    positions = folder / "positions_2015.dat"
    shutil.copy(data_path("gj15", "Leda.dat"), positions)
    assert main(["fit", str(positions), "--format", "gj15", "--body", "Leda", "--out", str(folder), "--json"]) == 0
    return folder / "fit_513.h5", positions


def test_fit_reads_a_gj15_file_with_format_and_body_by_name(leda):
    archive, _ = leda
    from orbitfit.solution import Solution
    solution = Solution.load(archive)
    assert solution.body == 513 and len(solution.residuals()) == 98


@pytest.mark.parametrize("extra, message", [
    ([], "positions_2015.dat:1: expected one of the formats"),              # not recognised without --format
    (["--format", "gj15"], "--format gj15 needs --body"),
    (["--format", "gj15", "--body", "Ledaa"], "--body Ledaa: unknown satellite name 'Ledaa'"),
])
def test_fit_format_and_body_errors_are_clear(extra, message, leda, tmp_path, capsys):
    _, positions = leda
    assert main(["fit", str(positions), "--out", str(tmp_path), *extra]) == 2
    assert message in capsys.readouterr().err


def test_fit_of_a_file_with_nothing_kept_names_the_first_rejection(tmp_path, capsys):
    """A file whose every record is rejected (here an MPC line of an asteroid's packed designation) is a usage error
    that says so and names the first rejected line, also with --json, where the read report is not printed."""
    path = tmp_path / "asteroid.txt"
    path.write_text("     K05J06V  C2019 01 01.00000 01 02 03.00 +01 02 03.0          18.0 V      568\n")
    for extra in ([], ["--json"]):
        assert main(["fit", str(path), "--out", str(tmp_path / "out"), *extra]) == 2
        assert (f"no observation kept from {path}: 1 rejected, the first {path.name}:1: columns 1-12 "
                f"'     K05J06V': not a natural-satellite designation") in capsys.readouterr().err


def test_fit_rejects_an_unknown_format(leda, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["fit", str(leda[1]), "--format", "gj16"])
    assert exit_.value.code == 2 and "invalid choice: 'gj16'" in capsys.readouterr().err


def test_default_start_for_a_moon_without_published_orbit_suggests_auto(tmp_path, capsys):
    assert main(["fit", str(data_path("gj15", "Themisto.dat")), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no starting orbit for Themisto (518): use --start auto" in err


def test_ephem_prints_a_horizons_like_table(leda, capsys):
    archive, _ = leda
    capsys.readouterr()
    assert main(["ephem", str(archive), "--start", "2016-12-01", "--stop", "2017-02-01", "--step-days", "10",
                 "--observer", "874"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("body 513 Leda, observer 874: astrometric ICRF RA/Dec")
    rows = [line for line in lines if re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", line)]
    # UTC whole days from the start, across the 2016-12-31 leap second
    assert [row[:19] for row in rows] == [f"{d} 00:00:00" for d in (
        "2016-12-01", "2016-12-11", "2016-12-21", "2016-12-31", "2017-01-10", "2017-01-20", "2017-01-30")]
    assert main(["ephem", str(archive), "--dates", "2016-12-01", "--observer", "874", "--json"]) == 0
    first = strict_loads(capsys.readouterr().out)["rows"][0]
    from astropy.coordinates import Angle
    fields = rows[0].split()
    ra = Angle(" ".join(fields[2:5]), unit="hourangle").deg
    dec = Angle(" ".join(fields[5:8]), unit="deg").deg
    assert abs(ra - first["ra_deg"]) * 3.6e6 * np.cos(np.radians(dec)) < 1.5       # 0.0001 s of RA
    assert abs(dec - first["dec_deg"]) * 3.6e6 < 0.6                                 # 0.001" of Dec
    assert float(fields[8]) == pytest.approx(first["distance_km"] / 149597870.7, abs=1e-9)
    assert float(fields[9]) == pytest.approx(first["sigma_ra_mas"], abs=0.005)
    assert float(fields[14]) == pytest.approx(first["major_km"], abs=0.05)


def test_ephem_without_dates_or_outputs_says_what_to_give(leda, capsys):
    assert main(["ephem", str(leda[0])]) == 2
    assert "give --dates D1,D2,... or --start and --stop" in capsys.readouterr().err


def test_ephem_spk_report_in_utc_and_naif_id_by_name(leda, tmp_path, capsys):
    archive, _ = leda
    capsys.readouterr()
    spk = tmp_path / "leda.bsp"
    assert main(["ephem", str(archive), "--spk", str(spk), "--naif-id", "Leda", "--start", "2016-01-01",
                 "--stop", "2017-01-01"]) == 0
    out = capsys.readouterr().out
    # the kernel covers the span in whole records: it may end a little after --stop
    assert "naif_id=513" in out and "start_utc=2016-01-01T00:00:00" in out and "stop_utc=2017-01-0" in out
    assert "tdb_s" not in out
    assert main(["ephem", str(archive), "--spk", str(spk), "--start", "2016-01-01", "--stop", "2017-01-01",
                 "--json"]) == 0
    report = strict_loads(capsys.readouterr().out)["spk"]
    assert report["start_utc"] == "2016-01-01T00:00:00" and report["start_tdb_s"] == pytest.approx(504878468.18, abs=0.01)
    assert main(["ephem", str(archive), "--spk", str(spk), "--naif-id", "Nemo"]) == 2
    assert "--naif-id Nemo: unknown satellite name 'Nemo'" in capsys.readouterr().err


def test_sigma_steps_whole_utc_days_and_reports_utc(leda, capsys):
    archive, _ = leda
    capsys.readouterr()
    assert main(["sigma", str(archive), "--start", "2016-01-01", "--stop", "2020-01-01", "--json"]) == 0
    rows = strict_loads(capsys.readouterr().out)["rows"]
    assert len(rows) == 147                                       # 1461 days / 10, both ends
    assert all(row["utc"].endswith("T00:00:00.000") for row in rows)        # not 23:59:59.999 after a while
    assert rows[-1]["utc"] == "2019-12-31T00:00:00.000" and rows[-1]["tdb"] > rows[0]["tdb"]
    assert main(["sigma", str(archive), "--start", "2016-12-21", "--stop", "2017-01-10"]) == 0
    out = capsys.readouterr().out
    assert "2016-12-31 00:00:00.000" in out and "2017-01-10 00:00:00.000" in out and "23:59:59" not in out


def planted_stars(archive, path):
    """Two stars: one at Leda's geocentric position on 2018-06-01 00:00 UTC (occulted, C/A ~ 0), one 1 deg away;
    no magnitudes (NaN in the events: null in JSON)."""
    from astropy.table import Table
    from orbitfit.products.uncertainty import sky_uncertainty
    from orbitfit.solution import Solution
    where = sky_uncertainty(Solution.load(archive), "2018-06-01T00:00:00")[0]       # an ISO date is UTC
    ra, dec = where["ra_deg"].to_value("deg"), where["dec_deg"].to_value("deg")
    Table({"ra": [ra, ra + 1.0], "dec": [dec, dec],
           "ref_epoch": [2018.4, 2018.4], "source_id": [4321, 2]}).write(path, format="ascii.csv")
    return path, float(ra), float(dec)


def test_predict_takes_the_bodys_embedded_radius_unless_given(leda, tmp_path, capsys, monkeypatch):
    """Without --radius-km a body with an embedded shape is searched with its size (Himalia 67.1 km), not as a point;
    a body without one is a point, and the output says which. (Leda has none; lent Himalia's, it takes 67.1 km.)"""
    from orbitfit.occultations import shapes
    archive, _ = leda
    stars, _, _ = planted_stars(archive, tmp_path / "stars.csv")
    argv = ["predict", str(archive), "--stars", str(stars), "--start", "2018-05-31", "--stop", "2018-06-02", "--json"]
    himalia = shapes.embedded_shape(506)
    for lent, given, radius, source in ((None, [], 0.0, "a point: no embedded shape"),
                                        (himalia, [], 67.1, "Himalia's embedded shape"),
                                        (himalia, ["--radius-km", "10"], 10.0, "--radius-km")):
        monkeypatch.setattr(shapes, "embedded_shape", lambda body, lent=lent: lent)
        capsys.readouterr()
        assert main(argv + given) == 0
        report = strict_loads(capsys.readouterr().out)
        assert report["radius_km"] == pytest.approx(radius) and report["radius_from"].startswith(source)
        assert report["n_events"] == 1
    assert main(argv[:-1]) == 0
    assert "radius 67.1 km (Himalia's embedded shape; --radius-km to change)" in capsys.readouterr().out


def test_predict_prints_a_readable_table_and_strict_json(leda, tmp_path, capsys):
    archive, _ = leda
    stars, ra, dec = planted_stars(archive, tmp_path / "stars.csv")
    capsys.readouterr()
    argv = ["predict", str(archive), "--stars", str(stars), "--start", "2018-05-31", "--stop", "2018-06-02"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) < 160                     # was ~300 columns
    # the planted stars have no pmra or parallax column: said, not silently taken as zero
    assert lines[-1] == ("note: of 2 stars, 2 have no proper motion and 2 have no parallax (empty cells or no "
                         "column): taken as fixed at their epoch and at infinity")
    header, row = lines[1], lines[2]
    for title in ("UTC", "star RA", "star Dec", 'C/A "', "C/A km", "P/A", "v km/s", "D au", "G", "long", "LST h"):
        assert title in header
    fields = row.split()
    assert fields[:2] == ["2018-06-01", "00:00:00.0"]                 # UTC to 0.1 s
    from astropy.coordinates import Angle
    assert Angle(" ".join(fields[2:5]), unit="hourangle").deg == pytest.approx(ra, abs=1e-6)
    assert Angle(" ".join(fields[5:8]), unit="deg").deg == pytest.approx(dec, abs=1e-6)
    assert fields[8] == "0.0000" and fields[9] == "0"                 # C/A in arcsec and km
    assert fields[13] == "-" and fields[-1] == "4321"                 # no G magnitude in the list
    assert main(argv + ["--json"]) == 0
    event = strict_loads(capsys.readouterr().out)["events"][0]        # was NaN: not JSON
    assert event["mag"] is None and event["source_id"] == 4321 and event["ca_km"] < 1e-3


def test_occultation_add_reads_a_gj15_file_with_format(leda, tmp_path, capsys):
    """Three Leda positions of the GJ15 file, renamed, read with --format as observations of the solution's moon.
    The solution was fitted to that file, so they are copies of rows it holds: the refit drops them and says so
    (until 2026-12-06 the report counted them as 3 rows added)."""
    archive, positions = leda
    extra = tmp_path / "three.dat"
    extra.write_text("".join(positions.read_text().splitlines(keepends=True)[:3]))
    assert main(["occultation", "add", str(archive), str(extra), "--out", str(tmp_path), "--json"]) == 2
    assert "three.dat:1: expected one of the formats" in capsys.readouterr().out
    assert main(["occultation", "add", str(archive), str(extra), "--format", "gj15", "--out", str(tmp_path),
                 "--json"]) == 0
    report = strict_loads(capsys.readouterr().out)
    assert report["refit"]["n_added"] == 0 and report["body"] == 513
    assert report["refit"]["copies_dropped"] == [f"three.dat:{k} repeats {positions.name}:{k}" for k in (1, 2, 3)]


def test_start_auto_fits_kallichore_and_verbose_shows_the_search(tmp_path, capsys, caplog):
    """`--start auto` (the initial-orbit search) from the command line; with -v its stages are logged at INFO (on
    stderr for a user; here caught by pytest's log capture), without it they are not."""
    kallichore = str(data_path("kallichore", "kallichore_nsdb_astrometry.csv"))
    stages = lambda: [r for r in caplog.records if r.name == "orbitfit.estimation.ranging"
                      and r.levelno >= logging.INFO and "[initial_orbit]" in r.getMessage()]
    assert main(["-v", "fit", kallichore, "--start", "auto", "--out", str(tmp_path / "v"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["body"] == 544 and report["n_observations"] == 41 and report["chi2_per_dof"] < 3.0
    assert len(stages()) >= 3
    caplog.clear()
    assert main(["fit", kallichore, "--start", "auto", "--out", str(tmp_path / "q"), "--json"]) == 0
    assert stages() == []


def test_fit_embedded_adds_the_files_to_every_embedded_data_set(tmp_path, capsys):
    """--embedded fits every embedded data set of the body (load_all) with the files' rows added. A file that only
    copies embedded rows (GJ15's Leda.dat) adds nothing: its 98 rows are dropped as copies, each listed in the JSON
    report, and the fit is of load_all("Leda")'s 374 rows. Without a body, or for a body no embedded data set
    holds, it is a usage error.

    --check predicts the body's Gaia DR3 transits after 2016-06-01 by a fit of the data before, with the fit's
    options and model and every transit as Gaia gave it: here the harness' own cut test of Leda (`gaia_cut` with
    load_all's transits as Gaia gave them, started from the published orbit) to 0.01 mas, 14 transits in 2 visits
    (measured 2026-12-07: 9.3 mas, z 0.92). A file without later transits says there is nothing to check (`check =
    true` in a config), and fits nothing more."""
    from orbitfit import FitOptions, load_all
    from orbitfit.validation import gaia_cut
    assert main(["fit", "--embedded", str(data_path("gj15", "Leda.dat")), "--body", "Leda", "--check",
                 "--out", str(tmp_path / "a"), "--json"]) == 0
    report = strict_loads(capsys.readouterr().out)
    observations = load_all("Leda")[0]
    assert report["n_observations"] == report["embedded"]["kept"] == len(observations) == 374
    assert report["duplicates"]["dropped"] and len(report["duplicates"]["rows"]) == 98
    assert report["duplicates"]["rows"][0] == "Leda.dat:1 repeats Leda.dat:1"
    check = report["held_out_check"]
    harness = gaia_cut("Leda", FitOptions(), observations=load_all("Leda", gaia_visit_offsets=None)[0]).summary
    assert check["n"] == harness["n"] == 14 and check["visits"] == 2
    assert check["rms_mas"] == pytest.approx(harness["rms_mas"], abs=0.01)
    assert check["rms_normalised"] == pytest.approx(harness["rms_normalised"], abs=0.002)
    assert "every transit as Gaia gave it" in check["test"]
    config = tmp_path / "leda.toml"                      # the config's `check = true`, as --check
    config.write_text(f'files = ["{data_path("gj15", "Leda.dat")}"]\ncheck = true\nout = "{tmp_path / "d"}"\n')
    assert main(["fit", "--config", str(config)]) == 0
    assert "no held-out check: no Gaia DR3 transit of this body after 2016-06-01" in capsys.readouterr().out
    assert main(["fit", "--embedded", "--out", str(tmp_path / "b")]) == 2
    assert "--embedded needs the body" in capsys.readouterr().err
    assert main(["fit", "--embedded", "--body", "Io", "--out", str(tmp_path / "c")]) == 2
    assert "--embedded: no embedded data set holds body 501 (Io)" in capsys.readouterr().err


def test_fit_makes_gaia_transit_normal_points_unless_told_not_to(tmp_path, capsys):
    """Gaia DR3's CCD rows (NSDB unit jo0069) become one normal point per transit, as load_all makes them: Leda's
    173 CCD positions are 20 transits, each with Leda's own along-scan floor and freed of its visit's error common
    to the moons; the fitted transits are load_all's to 1e-6 mas and in their covariance (until 2026-12-06 the
    command took 7 mas for every transit and left the visit's error in: positions up to 5.3 mas and along-scan
    sigmas 7 against 1.7 mas off the default's), and `occultation add` takes them alike. --gaia-ccd keeps the
    173 rows."""
    from orbitfit import Solution, load_all
    files = [str(data_path("nsdb_jupiter_outer", "jo0069.txt")), str(data_path("gj15", "Leda.dat"))]
    assert main(["fit", *files, "--body", "Leda", "--out", str(tmp_path / "a"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    gaia = report["gaia_transits"]
    assert (gaia["transits"], gaia["records"], gaia["kept_as_is"]) == (20, 173, 0)
    assert (gaia["visit_correction"]["corrected"], gaia["visit_correction"]["left"]) == (20, 0)
    assert report["n_observations"] == 98 + 20
    fitted = Solution.load(tmp_path / "a" / "fit_513.h5").observations
    fitted = fitted[np.asarray(fitted["kind"]) == "gaia_transit"]
    default = load_all("Leda")[0]
    default = default[np.asarray(default["kind"]) == "gaia_transit"]
    assert len(fitted) == len(default) == 20
    cos_dec = np.cos(np.radians(np.asarray(default["dec_deg"], float)))
    assert np.max(np.abs(np.asarray(fitted["ra_deg"]) - default["ra_deg"]) * 3.6e6 * cos_dec) < 1e-6
    assert np.max(np.abs(np.asarray(fitted["dec_deg"]) - default["dec_deg"]) * 3.6e6) < 1e-6
    for column in ("sigma_ra_mas", "sigma_dec_mas", "corr"):
        assert np.allclose(fitted[column], default[column], rtol=1e-9, atol=0)
    # `occultation add` takes a file's Gaia rows the same way: jo0069 added to the solution that holds its transits
    # adds nothing (each of the 20 a copy, dropped and named), where its 173 CCD rows would have been new data
    assert main(["occultation", "add", str(tmp_path / "a" / "fit_513.h5"), files[0], "--out", str(tmp_path / "r"),
                 "--json"]) == 0
    refit = json.loads(capsys.readouterr().out)["refit"]
    assert refit["n_added"] == 0 and len(refit["copies_dropped"]) == 20 and refit["added_accepted"] is None
    assert main(["fit", *files, "--body", "Leda", "--gaia-ccd", "--out", str(tmp_path / "b"), "--json"]) == 0
    out, err = capsys.readouterr()
    assert "orbitfit fit: warning: 173 Gaia DR3 positions are one row per CCD" in err    # one line, on stderr
    report = json.loads(out)
    assert "gaia_transits" not in report and report["n_observations"] == 98 + 173
