"""astropy types out, and times in, for the products of a solution (issue 14): every table is a QTable whose
columns carry the unit their names say and a UTC Time column; ECSV files give back the same units and instants;
the functions that take dates read astropy Times, ISO strings (UTC) and TDB seconds alike, and refuse a Quantity
of the wrong kind."""
import numpy as np
import pytest
import astropy.units as u
from astropy.table import QTable
from astropy.time import Time

import orbitfit
import orbitfit.occultations as occ
from orbitfit.orbit import Orbit
from orbitfit.products.export import ephemeris_table, write_spk, write_table
from orbitfit.products.uncertainty import compare_solutions, position_covariance
from orbitfit.times import tdb_seconds, tdb_time, to_tdb_seconds

DATES = ["2019-06-10T12:00:00", "2026-03-18T12:35:00"]


def test_one_instant_in_four_forms_gives_one_table(himalia_gj15):
    """The same two UTC instants as ISO strings, a Time (UTC), a Time in TT and TDB seconds (plain or a Quantity)."""
    tdb = tdb_seconds(DATES)
    forms = [DATES, Time(DATES), Time(DATES).tt, tdb, tdb * u.s, (tdb / 86400.0) * u.day]
    tables = [orbitfit.sky_uncertainty(himalia_gj15, when) for when in forms]
    for table in tables[1:]:
        np.testing.assert_allclose(table["tdb"].to_value(u.s), tables[0]["tdb"].to_value(u.s), rtol=0, atol=2e-6)
        np.testing.assert_allclose(table["sigma_s_mas"].value, tables[0]["sigma_s_mas"].value, rtol=1e-9)
    single = orbitfit.sky_uncertainty(himalia_gj15, DATES[0])        # one string is one epoch, not characters
    assert len(single) == 1 and single["tdb"][0].to_value(u.s) == pytest.approx(tdb[0], abs=2e-6)
    with pytest.raises(u.UnitConversionError, match="epochs"):
        orbitfit.sky_uncertainty(himalia_gj15, tdb * u.deg)
    with pytest.raises(ValueError, match="epochs: cannot read 'tomorrow'"):
        orbitfit.sky_uncertainty(himalia_gj15, "tomorrow")


def test_sky_table_has_units_and_a_utc_time_column(himalia_gj15):
    sky = orbitfit.sky_uncertainty(himalia_gj15, Time(DATES))
    assert isinstance(sky, QTable) and sky.colnames[0] == "utc"
    assert sky["utc"].scale == "utc" and list(sky["utc"].isot) == [d + ".000" for d in DATES]
    # the Time column is the tdb column, to the microsecond (TDB - UTC = 69.184 s + periodic terms in 2019)
    assert np.max(np.abs((sky["utc"].tdb - tdb_time(sky["tdb"].to_value(u.s))).to_value(u.s))) < 1e-6
    units = {"ra_deg": u.deg, "dec_deg": u.deg, "distance_km": u.km, "sigma_ra_mas": u.mas, "sigma_s_mas": u.mas,
             "major_mas": u.mas, "pa_deg": u.deg, "major_km": u.km, "tdb": u.s}
    for name, unit in units.items():
        assert sky[name].unit == unit, name
    assert getattr(sky["corr"], "unit", None) is None
    # the units make the conversions a user writes: the ellipse in km is the one in mas at the distance
    np.testing.assert_allclose((sky["major_mas"].to(u.rad).value * sky["distance_km"]).to_value(u.km),
                               sky["major_km"].to_value(u.km), rtol=1e-12)
    assert sky["distance_km"].to(u.au)[0].value == pytest.approx(sky["distance_km"][0].value / 149597870.7)


def test_ecsv_round_trips_units_and_instants(himalia_gj15, tmp_path):
    table = ephemeris_table(himalia_gj15, DATES, observer="874")
    path = write_table(table, tmp_path / "eph.ecsv")
    text = open(path, encoding="utf-8").read()
    assert "unit: mas" in text and "unit: km" in text and "unit: deg" in text
    back = QTable.read(path)
    assert back.colnames == table.colnames
    for name in table.colnames:
        if name == "utc":
            assert back[name].scale == "utc"
            assert np.max(np.abs((back[name] - table[name]).to_value(u.s))) < 1e-6
        elif hasattr(table[name], "unit"):
            assert back[name].unit == table[name].unit, name
            np.testing.assert_allclose(back[name].value, table[name].value, rtol=1e-15, err_msg=name)
    # CSV: the instant as ISO text; JSON: strict, numbers in the column's unit and ISO UTC
    import json
    rows = json.loads(open(write_table(table, tmp_path / "eph.json"), encoding="utf-8").read())["rows"]
    assert rows[0]["utc"] == DATES[0] + ".000" and rows[0]["sigma_s_mas"] == pytest.approx(
        table["sigma_s_mas"][0].value)
    csv = open(write_table(table, tmp_path / "eph.csv"), encoding="utf-8").read().splitlines()
    assert csv[1].startswith(DATES[0] + ".000,")


def test_residuals_statistics_and_elements_are_qtables(himalia_gj15):
    res = himalia_gj15.residuals()
    assert res["res_ra_mas"].unit == u.mas and res["sigma_dec_mas"].unit == u.mas and res["tdb"].unit == u.s
    assert res["utc"].scale == "utc"
    np.testing.assert_allclose(res["tdb"].to_value(u.s), np.asarray(himalia_gj15.observations["tdb"]), rtol=0,
                               atol=0)
    stats = himalia_gj15.statistics(by="observer")
    assert stats["std_ra_mas"].unit == u.mas and stats["n"].dtype.kind == "i"
    row = stats[list(stats["observer"]).index("874")]
    sel = (np.asarray(res["observer"]) == "874") & np.asarray(res["accepted"])
    assert row["std_ra_mas"].to_value(u.arcsec) == pytest.approx(np.std(res["res_ra_mas"][sel]).to_value(u.arcsec))
    elements = himalia_gj15.elements_table()
    el, sigma = himalia_gj15.elements()
    assert len(elements) == 1 and elements["utc"][0].tdb.isot == himalia_gj15.epoch_time.isot
    assert elements["a_km"].unit == u.km and elements["inclination_deg"].unit == u.deg
    assert elements["a_km"][0].to_value(u.km) == el.a and elements["sigma_e"][0] == sigma[1]
    assert elements.meta["centre"] == "jupiter" and elements.meta["plane"] == "icrf"


def test_compare_spk_orbit_and_propagation_take_times(himalia_gj15, tmp_path):
    moved = compare_solutions(himalia_gj15, himalia_gj15, Time(DATES))
    assert moved["utc"].scale == "utc" and np.all(moved["d_ra_mas"] == 0 * u.mas)
    assert np.allclose(position_covariance(himalia_gj15, DATES[0]), position_covariance(
        himalia_gj15, tdb_seconds(DATES[0])), rtol=1e-12, atol=0)
    orbit = himalia_gj15.orbit
    assert Orbit(orbit.body, tdb_time(orbit.epoch), orbit.state).epoch == pytest.approx(orbit.epoch, abs=1e-6)
    model = himalia_gj15.model
    a = model.state_at(orbit, Time("2020-01-01"))
    b = model.state_at(orbit, tdb_seconds("2020-01-01T00:00:00"))
    np.testing.assert_allclose(a, b, rtol=1e-13)
    report = write_spk(tmp_path / "h.bsp", orbit, Time("2019-01-01"), "2019-03-01", model)
    assert report.start_tdb <= tdb_seconds("2019-01-01T00:00:00") and report.stop_tdb >= tdb_seconds("2019-03-01")
    with pytest.raises(u.UnitConversionError, match="stop_tdb"):
        write_spk(tmp_path / "x.bsp", orbit, 6e8, 6.1e8 * u.km, model)


def test_occultation_geometry_takes_quantities(himalia_gj15):
    when = to_tdb_seconds("2019-06-10 12:00")
    event = occ.predict(himalia_gj15, occ.synthetic_star(himalia_gj15, when), when, radius_km=75 * u.km)
    plain = occ.stations_across(event, [20.0])
    assert occ.stations_across(event, 20 * u.km) == plain == occ.stations_across(event, [20000] * u.m)
    a = event.path(offsets_km=[20.0], sigma_km=3.0, n_points=31)
    b = event.path(offsets_km=20 * u.km, sigma_km=3000 * u.m, n_points=31, half_duration_s=None)
    np.testing.assert_allclose(a.lon_deg, b.lon_deg, equal_nan=True, rtol=0, atol=0)
    sites = event.sites(["874", "809"], sigma_km=5 * u.km)
    assert np.allclose(sites["probability"], event.sites(["874", "809"], sigma_km=5.0)["probability"])
    assert sites["d_km"].unit == u.km and sites["utc"].scale == "utc" and sites["sun_alt_deg"].unit == u.deg
    assert occ.chord_probability(0.0 * u.km, 75 * u.km, 75000 * u.m) == pytest.approx(
        occ.chord_probability(0.0, 75.0, 75.0))
    assert event.cross_track_sigma_km(himalia_gj15, star_sigma_mas=(1 * u.mas, 1000 * u.uas)) == pytest.approx(
        event.cross_track_sigma_km(himalia_gj15, star_sigma_mas=(1.0, 1.0)))
    with pytest.raises(u.UnitConversionError, match="offsets_km"):
        event.path(offsets_km=20 * u.s)
    table = occ.search(himalia_gj15, occ.synthetic_star(himalia_gj15, when), "2019-06-09", "2019-06-11",
                       75 * u.km).table
    assert table["ca_km"].unit == u.km and table["vel_km_s"].unit == u.km / u.s and table["mag"].unit == u.mag
    assert abs((table["utc"][0].tdb - tdb_time(when)).to_value(u.s)) < 1.0


def test_fit_options_take_a_time_epoch_and_a_quantity_prior():
    from orbitfit.estimation.options import FitOptions
    tdb = FitOptions(epoch=Time("2010-01-01", scale="tdb")).epoch
    assert tdb == pytest.approx(tdb_seconds("2010-01-01T00:00:00") - 66.184, abs=1e-3)   # TDB - UTC in 2010: 66.184 s
    assert FitOptions(epoch="2010-01-01").epoch == pytest.approx(tdb_seconds("2010-01-01T00:00:00"), abs=1e-6)
    assert FitOptions(epoch=tdb).epoch == tdb and FitOptions().epoch is None
    assert FitOptions(bias_prior_mas=0.02 * u.arcsec).bias_prior_mas == pytest.approx(20.0, rel=1e-12)
    with pytest.raises(u.UnitConversionError, match="bias_prior_mas"):
        FitOptions(bias_prior_mas=3 * u.km)
