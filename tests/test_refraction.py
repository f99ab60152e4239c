"""Differential colour refraction: the zenith geometry of ground-based positions (against astropy's AltAz) and the
"zenith" bias level, a displacement k tan z towards the zenith fitted with the orbit (closed loop)."""
import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import AltAz, EarthLocation, SkyCoord
from astropy.time import Time

from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.weights import bias_coefficients, bias_index
from orbitfit.observations.datasets import load_all
from orbitfit.observations.observers import site_itrs_km
from orbitfit.observations.refraction import zenith_geometry
from orbitfit.simulation import simulate_observations
from orbitfit.solution import Solution

MAS_PER_DEG = 3.6e6
ZENITH = "apparition+uncatalogued+zenith"


@pytest.fixture(scope="module")
def carme():
    return load_all("Carme", gaia_transits=True, gaia_visit_offsets=None)[0]


def test_zenith_distance_and_direction_agree_with_astropy(carme):
    """tan z and the zenith's position angle q against astropy's AltAz (no refraction) and the hour-angle formula
    of the parallactic angle, at 40 rows of Carme's modern ground data. Ours is the geocentric zenith at the
    catalogue direction; astropy's the geodetic one at the apparent place (0.19 deg apart at most): measured, tan z
    within 0.7%, q within 0.8 deg where z > 10 deg."""
    tan_z, sin_q, cos_q = zenith_geometry(carme)
    rows = np.nonzero(np.isfinite(tan_z) & (np.asarray(carme["tdb"]) > 0) & (tan_z > np.tan(np.radians(10))))[0]
    rows = np.random.default_rng(3).choice(rows, 40, replace=False)
    for row in rows:
        site = EarthLocation.from_geocentric(*site_itrs_km(str(carme["observer"][row])), unit=u.km)
        t = Time(carme["utc_jd1"][row], carme["utc_jd2"][row], format="jd", scale="utc")
        ra, dec = np.radians(carme["ra_deg"][row]), np.radians(carme["dec_deg"][row])
        altaz = SkyCoord(ra * u.rad, dec * u.rad).transform_to(AltAz(obstime=t, location=site))
        h = t.sidereal_time("apparent", site.lon).rad - ra
        q = np.arctan2(np.sin(h), np.tan(site.lat.rad) * np.cos(dec) - np.sin(dec) * np.cos(h))
        # the zeniths differ by <= 0.19 deg (3.4e-3 rad), tan z by <= 3.4e-3 sec^2 z
        assert abs(tan_z[row] - 1.0 / np.tan(altaz.alt.rad)) < 3.4e-3 * (1.0 + tan_z[row] ** 2) + 1e-4
        assert abs(np.degrees(np.angle(np.exp(1j * (np.arctan2(sin_q[row], cos_q[row]) - q))))) < 1.2
    assert np.allclose(sin_q[rows] ** 2 + cos_q[rows] ** 2, 1.0)


def test_rows_without_a_place_on_the_earth_have_no_zenith(carme):
    """Gaia transits, the geocentre and space observers: NaN, so the "zenith" level leaves them out; explicit
    geocentric positions on the Earth's surface (ADES rows with a site's geodetic coordinates) have one."""
    tan_z = zenith_geometry(carme)[0]
    kind = np.asarray(carme["kind"]).astype(str)
    code = np.asarray(carme["observer"]).astype(str)
    assert np.all(np.isnan(tan_z[kind == "gaia_transit"])) and np.any(kind == "gaia_transit")
    assert np.all(np.isnan(tan_z[code == "500"]))
    row = np.nonzero(np.isfinite(tan_z) & (np.asarray(carme["obs_frame"]).astype(str) == ""))[0][0]
    moved = carme[[row, row]]
    from orbitfit.observations.observers import itrs_to_gcrs
    moved["obs_frame"] = ["geocentric", "geocentric"]
    site = itrs_to_gcrs(site_itrs_km(str(moved["observer"][0])), np.asarray(moved["tdb"], float))[0]
    for k, c in enumerate(("obs_x_km", "obs_y_km", "obs_z_km")):
        moved[c] = [site[0, k], 7000.0 * np.sign(site[0, k] or 1.0)]     # on the Earth, then a satellite's
    moved["observer"] = ["247", "C51"]
    again = zenith_geometry(moved)[0]
    assert again[0] == pytest.approx(tan_z[row], rel=1e-9) and np.isnan(again[1])


def test_rows_below_the_altitude_limit_are_named():
    """Himalia's embedded data: 6 site rows have the body below 5 deg (astropy's AltAz agrees: below 5.5 deg, the
    geocentric and geodetic zeniths being 0.2 deg apart), get no zenith geometry, and are the ones named."""
    from orbitfit.observations.refraction import MIN_ALTITUDE_DEG, rows_below_altitude
    himalia = load_all("Himalia")[0]
    low = rows_below_altitude(himalia)
    assert low.size == 6 and np.all(np.isnan(zenith_geometry(himalia)[0][low]))
    for row in low:
        site = EarthLocation.from_geocentric(*site_itrs_km(str(himalia["observer"][row])), unit=u.km)
        t = Time(himalia["utc_jd1"][row], himalia["utc_jd2"][row], format="jd", scale="utc")
        altaz = SkyCoord(himalia["ra_deg"][row] * u.deg, himalia["dec_deg"][row] * u.deg).transform_to(
            AltAz(obstime=t, location=site))
        assert altaz.alt.deg < MIN_ALTITUDE_DEG + 0.5


def test_a_displacement_towards_the_zenith_is_recovered(template, truth, tmp_path):
    """Closed loop on `template` (GJ15 Himalia 2007-2012, 874 in Brazil, 809 and 511 in Chile and France): every
    row moved by its apparition's offset drawn from the 30-mas prior plus 25 tan z mas towards its zenith, as
    differential colour refraction moves a body bluer than its frame's stars. The "zenith" level recovers k_up
    within 3 sigma and finds nothing across (k_across within 3 sigma of 0), the orbit stays within 3 sigma of the
    truth, and each row's fitted offset is M @ (k_up, k_across) of its own geometry (`Solution.row_biases`)."""
    rng = np.random.default_rng(5)
    data = simulate_observations(truth, template, 60.0, 45.0, rng, given_sigma=False)
    tan_z, sin_q, cos_q = zenith_geometry(data)
    assert np.all(np.isfinite(tan_z))
    from orbitfit.estimation.weights import apparition_year
    years = apparition_year(data["tdb"])
    drawn = {year: rng.normal(0.0, 30.0, 2) for year in np.unique(years)}
    k_up = 25.0
    offset = np.array([drawn[year] for year in years]) + k_up * tan_z[:, None] * np.column_stack([sin_q, cos_q])
    dec = np.asarray(data["dec_deg"], float)
    data["ra_deg"] = data["ra_deg"] + offset[:, 0] / (MAS_PER_DEG * np.cos(np.radians(dec)))
    data["dec_deg"] = dec + offset[:, 1] / MAS_PER_DEG
    index, names = bias_index(data, ZENITH)
    assert names[-1] == "zenith" and np.all(index[:, 2] == len(names) - 1)
    coefficients = bias_coefficients(data, ZENITH, index)
    up = tan_z[:, None] * np.column_stack([sin_q, cos_q])      # before the rows moved by < 0.2": to 1e-5
    assert np.allclose(coefficients[:, :2], np.eye(2)) and np.allclose(coefficients[:, 2, :, 0], up, atol=1e-5)
    from orbitfit.estimation.weights import bias_design           # what the fit uses: the geometry computed once
    design_index, design_names, design_coefficients = bias_design(data, ZENITH)
    assert design_names == names and np.array_equal(design_index, index)
    np.testing.assert_array_equal(design_coefficients, coefficients)
    fit = fit_orbit(data, truth, FitOptions(night_deweighting=False, bias_groups=ZENITH))
    zenith = fit.biases[list(fit.biases["group"]).index("zenith")]
    error = np.max(np.abs(fit.state - truth.state) / fit.sigma)
    print(f"\nk_up {zenith['bias_ra_mas']:+.1f} +- {zenith['sigma_ra_mas']:.1f} (true {k_up}), k_across "
          f"{zenith['bias_dec_mas']:+.1f} +- {zenith['sigma_dec_mas']:.1f} mas per tan z; orbit error {error:.1f} "
          "sigma")
    assert abs(zenith["bias_ra_mas"] - k_up) < 3 * zenith["sigma_ra_mas"] and zenith["sigma_ra_mas"] < 10.0
    assert abs(zenith["bias_dec_mas"]) < 3 * zenith["sigma_dec_mas"]
    assert error < 3.0
    bias_ra, bias_dec = fit.row_biases()
    apparition = {name: (row["bias_ra_mas"], row["bias_dec_mas"]) for name, row in zip(fit.biases["group"], fit.biases)}
    expected = np.array([apparition[f"apparition:{y}"] for y in years]) + coefficients[:, 2] @ np.array(
        [zenith["bias_ra_mas"], zenith["bias_dec_mas"]])
    assert np.allclose(bias_ra, expected[:, 0]) and np.allclose(bias_dec, expected[:, 1])
    path = tmp_path / "zenith.h5"                        # the archive keeps the level (row offsets recomputed)
    fit.save(path)
    again = Solution.load(path)
    assert np.allclose(again.row_biases(), (bias_ra, bias_dec))
    assert "zenith (per tan z)" in again.summary()


def test_without_the_zenith_level_there_are_no_coefficients(template):
    """The constant levels keep the plain path (no per-row matrices): the default fits are unchanged by the level."""
    index, _ = bias_index(template, "apparition+uncatalogued")
    assert bias_coefficients(template, "apparition+uncatalogued", index) is None
    assert bias_coefficients(template, None, np.zeros((len(template), 0), int)) is None
