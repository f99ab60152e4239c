"""astropy types in: Quantities, SkyCoords, VizieR tables and Times give the same stars and events as plain numbers
in the documented units (orbitfit.units.to_value, occultations.Star, predict, search), and a Quantity of the wrong
kind is an error naming the parameter, never a silent reading as degrees (issue 14)."""
import warnings

import numpy as np
import pytest
import astropy.units as u
from astropy.coordinates import Distance, SkyCoord
from astropy.table import MaskedColumn, Table
from astropy.time import Time

import orbitfit
import orbitfit.occultations as occ
from orbitfit.occultations.stars import MAS_PER_RAD
from orbitfit.times import to_tdb_seconds
from orbitfit.units import to_value

ATTRIBUTES = ("ra_deg", "dec_deg", "pmra_mas_yr", "pmdec_mas_yr", "parallax_mas", "radial_velocity_km_s",
              "epoch_tdb", "mag")
# nearby fast stars, as in tests/test_occultation.py::test_star_space_motion_matches_astropy
RA, DEC = np.array([107.12184, 250.5, 3.25]), np.array([23.02, -61.3, 84.1])
PMRA, PMDEC = np.array([1234.5, -250.0, 80.0]), np.array([-56.7, 310.0, -5.5])
PLX, RV = np.array([12.3, 250.0, 0.8]), np.array([33.0, -75.0, 5.0])


def assert_same_star(a, b, rtol=1e-12):
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, atol=0, err_msg=name)


@pytest.fixture(scope="module")
def himalia_2019(himalia_gj15):
    t0 = to_tdb_seconds("2019-05-01")
    return occ.SolutionTarget(himalia_gj15, t0, t0 + 30 * 86400.0)


# --- Star -------------------------------------------------------------------------------------------------------
def test_quantities_give_the_same_star_as_degrees_and_mas():
    plain = occ.Star(RA, DEC, PMRA, PMDEC, PLX, RV, 2016.0, mag=[11.0, 12.0, 13.0])
    quantities = orbitfit.Star(RA / 15.0 * u.hourangle, np.radians(DEC) * u.rad, PMRA / 1000.0 * u.arcsec / u.yr,
                               PMDEC * u.mas / u.yr, PLX / 1000.0 * u.arcsec, RV * 1000.0 * u.m / u.s,
                               2016.0 * u.yr, mag=[11.0, 12.0, 13.0] * u.mag)
    assert_same_star(quantities, plain)
    # the example: 7.141456 h is 107.12184 deg, not 7.14 deg
    assert orbitfit.Star(7.141456 * u.hourangle, 23.02 * u.deg).ra_deg[0] == pytest.approx(107.12184, abs=1e-12)
    when = to_tdb_seconds("2024-07-01")
    np.testing.assert_allclose(quantities.direction(when), plain.direction(when), rtol=0, atol=1e-15)


@pytest.mark.parametrize("kwargs, name", [
    (dict(ra_deg=10.0 * u.km, dec_deg=20.0), "ra_deg"),
    (dict(ra_deg=10.0, dec_deg=20.0 * u.s), "dec_deg"),
    (dict(ra_deg=10.0, dec_deg=20.0, pmra_mas_yr=5.0 * u.mas), "pmra_mas_yr"),
    (dict(ra_deg=10.0, dec_deg=20.0, pmdec_mas_yr=5.0 * u.km / u.s), "pmdec_mas_yr"),
    (dict(ra_deg=10.0, dec_deg=20.0, parallax_mas=5.0 * u.mas / u.yr), "parallax_mas"),
    (dict(ra_deg=10.0, dec_deg=20.0, radial_velocity_km_s=5.0 * u.km), "radial_velocity_km_s"),
])
def test_a_wrong_unit_is_an_error_naming_the_parameter(kwargs, name):
    with pytest.raises(u.UnitConversionError, match=name):
        occ.Star(**kwargs)


def test_to_value_keeps_plain_numbers_and_none():
    assert to_value(2.5, "deg", "x") == 2.5 and to_value(None, "km", "x") is None
    np.testing.assert_array_equal(to_value([1, 2], "mas", "x"), [1.0, 2.0])
    assert to_value(3.0 * u.deg, "arcsec", "x") == pytest.approx(10800.0, rel=1e-15)


def test_star_from_a_skycoord_moves_as_astropy_says():
    obstime = Time(2015.5, format="jyear", scale="tdb")
    coord = SkyCoord(RA * u.deg, DEC * u.deg, distance=Distance(parallax=PLX * u.mas),
                     pm_ra_cosdec=PMRA * u.mas / u.yr, pm_dec=PMDEC * u.mas / u.yr, radial_velocity=RV * u.km / u.s,
                     obstime=obstime)
    plain = occ.Star(RA, DEC, PMRA, PMDEC, PLX, RV, 2015.5, source_id=[1, 2, 3])
    for star in (occ.Star.from_skycoord(coord, source_id=[1, 2, 3]), occ.Star(coord, source_id=[1, 2, 3])):
        assert_same_star(star, plain, rtol=1e-9)     # parallax -> distance -> parallax, ICRS round trip
        when = Time("2024-07-01", scale="tdb")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            moved = coord.apply_space_motion(new_obstime=when)
        reference = moved.cartesian.xyz.value.T
        reference /= np.linalg.norm(reference, axis=1)[:, None]
        t = to_tdb_seconds(when)
        assert np.linalg.norm(star.direction(t) - reference, axis=1).max() * MAS_PER_RAD < 1e-3       # 1 uas
        assert np.linalg.norm(star.direction(t) - plain.direction(t), axis=1).max() * MAS_PER_RAD < 1e-6
    # a bare position: no motion, at infinity, Gaia DR3's epoch; another frame is transformed to ICRS
    bare = occ.Star(SkyCoord(l=30.0 * u.deg, b=10.0 * u.deg, frame="galactic"), mag=9.5)
    icrs = SkyCoord(l=30.0 * u.deg, b=10.0 * u.deg, frame="galactic").icrs
    assert bare.ra_deg[0] == pytest.approx(icrs.ra.deg, abs=1e-12) and bare.mag[0] == 9.5
    assert bare.parallax_mas[0] == 0.0 and bare.pmra_mas_yr[0] == 0.0 and bare.epoch_tdb[0] == 16 * 365.25 * 86400


def test_vizier_table_equals_archive_table():
    archive = Table({"source_id": [11, 12, 13], "ra": RA, "dec": DEC, "pmra": PMRA, "pmdec": PMDEC, "parallax": PLX,
                     "radial_velocity": [RV[0], np.nan, RV[2]], "phot_g_mean_mag": [11.0, 12.0, 13.0],
                     "ref_epoch": [2016.0] * 3})
    vizier = Table({"Source": [11, 12, 13], "RA_ICRS": RA, "DE_ICRS": DEC, "pmRA": PMRA / 1000.0,
                    "pmDE": PMDEC, "Plx": PLX, "RV": MaskedColumn(RV, mask=[False, True, False]),
                    "Gmag": [11.0, 12.0, 13.0], "Epoch": [2016.0] * 3})
    for name, unit in (("RA_ICRS", "deg"), ("DE_ICRS", "deg"), ("pmRA", "arcsec/yr"), ("pmDE", "mas/yr"),
                       ("Plx", "mas"), ("RV", "km/s"), ("Gmag", "mag"), ("Epoch", "yr")):
        vizier[name].unit = unit
    a, b = occ.Star.from_table(archive), occ.Star.from_table(vizier)
    assert_same_star(b, a)
    assert list(b.source_id) == [11, 12, 13] and b.radial_velocity_km_s[1] == 0.0


def test_star_table_values_no_star_has_are_refused_by_row_and_column():
    """Star.from_table checks each numeric column in its own unit (VizieR's arcsec/yr is converted first) against
    what a star can be, and reads 'J2016.0' epochs as the Julian year."""
    table = Table({"ra": RA, "dec": DEC, "pmra": PMRA, "ref_epoch": ["J2016.0", "J2016", "2016.0"]})
    strings = occ.Star.from_table(table)
    assert np.all(strings.epoch_tdb == 16 * 365.25 * 86400)
    for column, values, unit, message in (
            ("ref_epoch", [2016.0, 57388.0, 2016.0], None, r"data row 2: ref_epoch = 57388.0 is not in \[1800, 2200\]"),
            ("pmra", [1.0, 2.0, 25.0], "arcsec/yr", r"data row 3: pmra = 25000.0 mas/yr is not in \[-20000, 20000\]"),
            ("parallax", [1.0, -2000.0, 1.0], None, r"data row 2: parallax = -2000.0 mas"),
            ("phot_g_mean_mag", ["12", "bright", "13"], None, r"data row 2: column phot_g_mean_mag must hold numbers"),
            ("dec", [1.0, np.nan, 2.0], None, r"data row 2: dec is empty or not finite")):
        bad = table.copy()
        bad[column] = values
        if unit:
            bad[column].unit = unit
        with pytest.raises(ValueError, match=message):
            occ.Star.from_table(bad)
    near = table.copy()
    near["pmra"] = [1.0, 2.0, 25.0]                     # 25 mas/yr: a star like many
    assert occ.Star.from_table(near).pmra_mas_yr[2] == 25.0


# --- predict, search, times -------------------------------------------------------------------------------------
def test_predict_and_search_accept_quantities(himalia_2019, ephemeris):
    t0 = himalia_2019.start + 12.3 * 86400.0
    star = occ.synthetic_star(himalia_2019, t0, ephemeris)
    events = [occ.predict(himalia_2019, star, t0 + 300.0, radius_km=r, ephemeris=ephemeris, bracket_s=b)
              for r, b in ((75.0, 3600.0), (75 * u.km, 1 * u.h), (75000 * u.m, 3600 * u.s))]
    for event in events[1:]:
        assert event.radius_km == 75.0 and isinstance(event.radius_km, float)
        assert event.tdb == pytest.approx(events[0].tdb, abs=1e-6)
        assert event.ca_km == pytest.approx(events[0].ca_km, abs=1e-6)
    with pytest.raises(u.UnitConversionError, match="radius_km"):
        occ.predict(himalia_2019, star, t0, radius_km=75 * u.deg, ephemeris=ephemeris)

    start, stop = t0 - 86400.0, t0 + 86400.0
    plain = occ.search(himalia_2019, star, start, stop, 75.0, ephemeris=ephemeris, step_s=600.0, max_ca_arcsec=2.0)
    quantity = occ.search(himalia_2019, star, start, stop, 0.075 * u.Mm, ephemeris=ephemeris, step_s=10 * u.min,
                          max_ca_arcsec=2000 * u.mas)
    assert len(plain) == len(quantity) == 1
    assert quantity[0].tdb == pytest.approx(plain[0].tdb, abs=1e-6) and quantity.meta == plain.meta
    with pytest.raises(u.UnitConversionError, match="step_s"):
        occ.search(himalia_2019, star, start, stop, 75.0, ephemeris=ephemeris, step_s=10 * u.km)


def test_a_time_and_an_iso_string_give_the_same_event(himalia_2019, ephemeris):
    t0 = himalia_2019.start + 7.7 * 86400.0
    star = occ.synthetic_star(himalia_2019, t0, ephemeris)
    iso = "2019-05-08 17:00:00"
    near = [iso, Time(iso, scale="utc"), Time(iso, scale="utc").tt, to_tdb_seconds(iso)]
    events = [occ.predict(himalia_2019, star, t, radius_km=75.0, ephemeris=ephemeris) for t in near]
    assert events[0].converged and abs(events[0].tdb - t0) < 1e-4
    for event in events[1:]:
        assert event.tdb == pytest.approx(events[0].tdb, abs=1e-6)


def test_chord_and_observed_occultation_quantities():
    star = occ.Star(RA[0], DEC[0])
    chord = occ.Chord("568", "2019-05-08 17:00:00", "2019-05-08 17:00:05", sigma_s=(50 * u.ms, 0.1 * u.s))
    np.testing.assert_allclose(chord.sigmas(), [0.05, 0.1], rtol=1e-15)
    quantities = occ.ObservedOccultation(506, star, [chord], radius_km=75000 * u.m, radius_sigma_km=2 * u.km,
                                         shape_sigma_km=500 * u.m, star_sigma_mas=(0.2 * u.mas, 300 * u.uas),
                                         pole_position_angle_deg=np.pi / 2 * u.rad)
    assert (quantities.radius_km, quantities.radius_sigma_km, quantities.shape_sigma_km) == (75.0, 2.0, 0.5)
    assert quantities.star_sigma_mas == pytest.approx((0.2, 0.3), rel=1e-15)
    assert quantities.pole_position_angle_deg == pytest.approx(90.0, rel=1e-15)
    plain = occ.ObservedOccultation(506, star, [chord], radius_km=75.0, star_sigma_mas=(0.2, 0.3))
    assert plain.radius_km == 75.0 and plain.star_sigma_mas == (0.2, 0.3)
    with pytest.raises(u.UnitConversionError, match="radius_km"):
        occ.ObservedOccultation(506, star, [chord], radius_km=75 * u.s)
    with pytest.raises(u.UnitConversionError, match="sigma_s"):
        occ.Chord("568", 0.0, 5.0, sigma_s=0.05 * u.km).sigmas()
