"""The "timing" bias level (FitOptions(bias_groups="apparition+uncatalogued+zenith+timing"), an option): an epoch error
per observatory, along Jupiter's apparent motion. Its rates against skyfield's, and a closed loop where one site's
clock is 8 s late."""
import numpy as np
import pytest

from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.observations.motion import apparent_rates
from orbitfit.orbit import Orbit
from orbitfit.simulation import simulate_observations

from skyfield_reference import skyfield_de421, skyfield_times

TIMING = "apparition+uncatalogued+zenith+timing"


def test_apparent_rates_are_skyfields():
    """Jupiter's geocentric rate (RA*, Dec) from central differences of orbitfit's DE440 positions is skyfield's from
    DE421 (astrometric, light time in) to 0.5% of the rate, 1995-2022, retrograde and prograde alike."""
    from astropy.table import Table
    tdb = np.linspace(-1.6e8, 7.0e8, 25)
    v_ra, v_dec = apparent_rates(Table({"tdb": tdb}))
    eph = skyfield_de421()
    earth, jupiter = eph["earth"], eph["jupiter barycenter"]
    rates = []
    for dt in (-60.0, 60.0):
        ra, dec, _ = earth.at(skyfield_times(tdb + dt)).observe(jupiter).radec()
        rates.append((ra.radians, dec.radians))
    (ra0, dec0), (ra1, dec1) = rates
    mas = np.degrees(1.0) * 3.6e6
    ref_ra = ((ra1 - ra0 + np.pi) % (2 * np.pi) - np.pi) * np.cos(dec0) * mas / 120.0
    ref_dec = (dec1 - dec0) * mas / 120.0
    speed = np.hypot(ref_ra, ref_dec)
    assert np.all(np.hypot(v_ra - ref_ra, v_dec - ref_dec) < 0.005 * speed + 0.005)
    assert (v_ra > 0).any() and (v_ra < 0).any()


def test_a_late_clock_at_one_site_comes_back_as_its_timing_bias(template, truth):
    """GJ15 Himalia 2007-2012 (874: 483 positions, 809: 23) computed from a known orbit with 30 mas noise, every 874
    epoch then written 8 s early (the clock late): the fit with the timing level gives 874 the 8 s back within its
    sigma and the 20% by which the moon's own apparent rate differs from Jupiter's (the level's coefficient), and
    leaves the state within 3 sigma of the truth; 809, on time, within 3 sigma of 0."""
    rng = np.random.default_rng(8)
    data = simulate_observations(truth, template, 30.0, 30.0, rng)
    late = np.asarray(data["observer"]).astype(str) == "874"
    data["tdb"][late] -= 8.0
    data["utc_jd2"][late] -= 8.0 / 86400.0
    start = Orbit(truth.body, truth.epoch, truth.state + rng.normal(0, [30, 30, 30, 1e-5, 1e-5, 1e-5]))
    options = FitOptions(bias_groups=TIMING, night_deweighting=False, shared_sky_error_mas=0.0,
                         apparition_bias_scatter=None)
    solution = fit_orbit(data, start, options)
    biases = {str(g): (b, s) for g, b, s in zip(solution.biases["group"], solution.biases["bias_ra_mas"],
                                                solution.biases["sigma_ra_mas"])}
    dt, sigma = biases["timing:874"]
    print(f"\n874: dt {dt:+.2f} +- {sigma:.2f} s; 809: {biases['timing:809'][0]:+.2f} +- {biases['timing:809'][1]:.2f}")
    assert abs(dt - 8.0) < 3 * sigma + 0.2 * 8.0 and sigma < 2.0
    assert abs(biases["timing:809"][0]) < 3 * biases["timing:809"][1]
    assert np.all(np.abs(solution.state - truth.state) < 3 * solution.sigma)
    summary = solution.summary()                  # the level reads in seconds, its prior too
    assert f"{'timing:874':24s} n=  482 dt  {dt:+7.1f} +- {sigma:4.1f} s" in summary
    assert "biases (prior sigma 30 mas; timing 10 s)" in summary
