"""Observer positions: MPC sites, Earth orientation vs astropy, SSB positions vs skyfield, explicit positions."""
import numpy as np
import pytest

import orbitfit  # noqa: F401  (offline astropy configuration)
from dynamics import constants as C
from dynamics.ephemeris import Ephemeris, de421_kernel_path
from orbitfit.observations import observers as O
from orbitfit.times import delta_t_seconds
from skyfield_reference import skyfield_site, skyfield_times

YEAR_S = 365.25 * C.SECONDS_PER_DAY
# 1995-2024: inside the IERS tables bundled with astropy and skyfield-data (no extrapolation warnings).
EPOCHS = np.linspace(-5.0, 24.5, 13) * YEAR_S + 0.123 * C.SECONDS_PER_DAY


@pytest.fixture(scope="module")
def observers():
    return O.Observers(Ephemeris(de421_kernel_path()))


def test_site_from_parallax_constants():
    entry = O.mpc_sites()["874"]            # Pico dos Dias: 314.41735 E, 0.924359, -0.380986
    xyz = O.site_itrs_km("874")
    assert np.hypot(xyz[0], xyz[1]) == pytest.approx(entry["cos"] * 6378.137, abs=1e-9)
    assert xyz[2] == pytest.approx(entry["sin"] * 6378.137, abs=1e-9)
    assert np.degrees(np.arctan2(xyz[1], xyz[0])) % 360 == pytest.approx(entry["Longitude"], abs=1e-9)
    assert np.linalg.norm(xyz) == pytest.approx(6375.8, abs=5.0)       # a site on the Earth's surface, 1.8 km up
    assert np.all(O.site_itrs_km(500) == 0.0) and O.normalize_code(" 874") == "874"


def test_site_geodetic_round_trip_with_skyfield_wgs84():
    """Geodetic lat/height derived from the parallax constants rebuild the same ITRS point in skyfield's WGS84."""
    from astropy.coordinates import EarthLocation
    from skyfield.api import wgs84
    for code in ("874", "809"):
        xyz = O.site_itrs_km(code)
        lon, lat, height = EarthLocation.from_geocentric(*xyz, unit="km").to_geodetic("WGS84")
        site = wgs84.latlon(lat.deg, lon.deg, elevation_m=height.to_value("m"))
        assert np.allclose(site.itrs_xyz.km, xyz, atol=1e-6)              # 1 mm


def test_unknown_and_siteless_codes_raise_naming_the_code(observers):
    with pytest.raises(O.ObserverError, match="'Q9Z'"):
        observers.positions("Q9Z", [0.0])
    for code, name in (("250", "Hubble"), ("258", "Gaia"), ("247", "Roving")):
        with pytest.raises(O.ObserverError, match=f"'{code}'.*{name}.*explicitly"):
            observers.positions(code, [0.0])


def test_itrs_to_gcrs_matches_astropy():
    """Our IAU 2000B shortcut vs astropy's own EarthLocation.get_gcrs_posvel (IAU 2006/2000A): < 0.1 m, < 0.01 mm/s."""
    from astropy.coordinates import EarthLocation
    from astropy.time import Time
    xyz = O.site_itrs_km("809")
    pos, vel = O.itrs_to_gcrs(xyz, EPOCHS)
    ref_pos, ref_vel = EarthLocation.from_geocentric(*xyz, unit="km").get_gcrs_posvel(
        Time(C.J2000_JD, EPOCHS / C.SECONDS_PER_DAY, format="jd", scale="tdb"))
    assert np.max(np.linalg.norm(pos - ref_pos.xyz.to_value("km").T, axis=1)) < 1e-4
    assert np.max(np.linalg.norm(vel - ref_vel.xyz.to_value("km/s").T, axis=1)) < 1e-8


@pytest.mark.parametrize("code", ["500", "874", "809"])
def test_ssb_positions_match_skyfield(observers, code):
    """Observer SSB positions vs skyfield's (same DE421 Earth, skyfield's own Earth rotation): < 0.1 m.

    0.1 m at Jupiter's distance is 3e-5 mas. Measured: geocentre 0, sites 1.5 cm (IAU 2000B vs skyfield's
    IAU 2000A and the two codes' IERS interpolation).
    """
    ours = observers.states(code, EPOCHS)
    ref = skyfield_site(code).at(skyfield_times(EPOCHS))
    assert np.max(np.linalg.norm(ours[:, :3] - ref.position.km.T, axis=1)) < 1e-4
    assert np.max(np.linalg.norm(ours[:, 3:] - ref.velocity.km_per_s.T, axis=1)) < 1e-6


def test_explicit_positions(observers):
    n = 4
    tdb = EPOCHS[:n]
    earth = observers.ephemeris.state(C.EARTH, tdb)
    gaia = np.array([[1.4e8, 3.0e7, 1.5e7]] * n)              # a barycentric Gaia-like position, km
    xyz = np.full((n, 3), np.nan)
    xyz[0] = gaia[0]
    xyz[1] = [7000.0, 0.0, 100.0]                             # geocentric (MPC second line)
    frames = np.array(["barycentric", "geocentric", "", ""], dtype=object)
    states = observers.states(["258", "250", "500", "874"], tdb, xyz, frames)
    assert np.array_equal(states[0, :3], gaia[0]) and np.all(np.isnan(states[0, 3:]))
    assert np.allclose(states[1, :3], earth[1, :3] + [7000.0, 0.0, 100.0], rtol=0, atol=1e-9)
    assert np.allclose(states[2], earth[2], rtol=0, atol=1e-12)
    assert 6000 < np.linalg.norm(states[3, :3] - earth[3, :3]) < 6400
    spec = O.ObserverSpec("258", tuple(gaia[0]), "barycentric")
    assert np.array_equal(observers.state_of(spec, tdb)[:, :3], gaia)
    with pytest.raises(O.ObserverError, match="frame"):
        observers.states("258", tdb[:1], gaia[:1])            # explicit position without a frame


def test_delta_t_before_1962_vs_skyfield():
    """orbitfit.times.delta_t_seconds (our evaluation of Morrison et al. 2021's spline) vs skyfield's built-in Delta T,
    an independent implementation of the same table: equal to 1e-9 s over 1800-1962 (measured 3e-13 s)."""
    from skyfield_reference import skyfield_timescale
    t = skyfield_timescale().tt_jd(np.linspace(2378496.5, 2437665.0, 400))       # 1800 .. 1962
    ours = delta_t_seconds((t.tt - C.J2000_JD) * C.SECONDS_PER_DAY)
    assert np.max(np.abs(ours - t.delta_t)) < 1e-9


def test_old_plate_epochs_match_skyfield(observers):
    """1900-1960: no IERS data; the site agrees with skyfield to < 1 km (both use Morrison et al. 2021's Delta T; the
    rest is the mean pole and the precession-nutation models). astropy alone would be off by up to 35 s of
    Earth rotation (16 km)."""
    import warnings
    epochs = np.linspace(-99.0, -40.0, 9)       # DE421 starts 1899-07 * YEAR_S + 0.29 * C.SECONDS_PER_DAY
    with warnings.catch_warnings():
        warnings.simplefilter("error")                           # the old-epoch path asks astropy nothing
        ours = observers.positions("874", epochs)
    ref = skyfield_site("874").at(skyfield_times(epochs)).position.km.T
    assert np.max(np.linalg.norm(ours - ref, axis=1)) < 1.0
