"""Solution.elements' 1-sigma (the 6x6 state covariance mapped through a finite-difference Jacobian of the element
conversion) against an independent reference: the standard deviations of the elements of states drawn from the
same covariance (Monte Carlo, N_DRAWS states, each converted with dynamics.elements.state_to_elements with the same
centre handling), for Himalia fitted to its 1234 GJ15 positions.

With N draws the sample standard deviation of a Gaussian has a relative standard error of 1/sqrt(2(N-1)): 0.7% for
N = 10000, so the 5% tolerance is 7 standard errors and a failure means a wrong linear mapping (or a strongly
non-linear one), not bad luck. (With 1e5 draws the ratios are all within 0.4% of 1, for a standard error of 0.22%:
the linear mapping is right to that level for this orbit.) Angles are differenced on the circle (a draw at 359.99999 deg minus a nominal at
0.00001 deg is -0.00002 deg). Also: sigma(a) against the analytic gradient of the vis-viva equation, and a
solution rotated so that its node straddles 0/360 deg.
"""
import dataclasses

import numpy as np
import pytest

from dynamics import constants as C
from dynamics import propagate
from dynamics.elements import barycentric_to_jovicentric, jovicentric_to_barycentric, state_to_elements
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.orbit import Orbit
from orbitfit.paths import data_path
from orbitfit.observations.gj15 import read_gj15
from orbitfit.solution import ELEMENT_NAMES, Solution
from orbitfit.estimation.published import gomes_junior_2016_orbit

N_DRAWS = 10000
TOLERANCE = 0.05
YEAR = 365.25 * C.SECONDS_PER_DAY
GM = {"jupiter": C.GM_JUPITER, "barycentre": C.GM_JUPITER_SYSTEM}


@pytest.fixture(scope="module")
def himalia(ephemeris):
    """Himalia fitted to GJ15 at JD 2451545.0 TDB (seed 003 Table 2's epoch), STE weighting."""
    observations, _ = read_gj15(data_path("gj15", "Himalia.dat"))
    return fit_orbit(observations, gomes_junior_2016_orbit("Himalia", ephemeris),
                     FitOptions(night_deweighting=False))


def rot_z(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def moved(solution, epoch):
    """The same solution with state and covariance carried to `epoch` by the state-transition matrix."""
    model = solution.model
    run = propagate(solution.state, solution.epoch, [epoch], model=model.forces, ephemeris=model.ephemeris,
                    stm=True, step=model.step_s)
    phi = run.stm[0, 0]
    return dataclasses.replace(solution, orbit=Orbit(solution.body, float(epoch), run.states[0, 0]),
                               covariance=phi @ solution.covariance @ phi.T)


def centred_state(state, epoch, centre, ephemeris):
    return barycentric_to_jovicentric(state, epoch, ephemeris) if centre == "jupiter" else np.asarray(state)


def monte_carlo_sigma(solution, plane, centre, n=N_DRAWS, seed=2015):
    """Sample standard deviations (ddof=1) of the elements of n states drawn from N(state, covariance)."""
    ephemeris = solution.model.ephemeris
    nominal = state_to_elements(centred_state(solution.state, solution.epoch, centre, ephemeris), GM[centre],
                                plane=plane, epoch=solution.epoch).as_array()
    draws = np.random.default_rng(seed).multivariate_normal(solution.state, solution.covariance, size=n,
                                                            method="cholesky")
    # the 599 -> 5 offset is the same vector for every draw (same epoch): shift once
    offset = centred_state(solution.state, solution.epoch, centre, ephemeris) - solution.state
    values = np.array([state_to_elements(s + offset, GM[centre], plane=plane, epoch=solution.epoch).as_array()
                       for s in draws])
    delta = values - nominal
    delta[:, 2:] = (delta[:, 2:] + 180.0) % 360.0 - 180.0          # angles on the circle
    return nominal, delta.std(axis=0, ddof=1), delta.mean(axis=0)


def check(solution, plane, centre, label):
    elements, sigma = solution.elements(plane=plane, centre=centre)
    nominal, sample_sigma, sample_mean = monte_carlo_sigma(solution, plane, centre)
    np.testing.assert_allclose(elements.as_array(), nominal, rtol=0, atol=1e-12 * np.abs(nominal).max())
    ratio = sample_sigma / sigma - 1.0
    print(f"\n{label}, centre {centre}, plane {plane}: Monte Carlo ({N_DRAWS}) sigma / Solution.elements sigma - 1 "
          f"(%): " + ", ".join(f"{name} {100 * r:+.2f}" for name, r in zip(ELEMENT_NAMES, ratio)))
    assert np.all(np.isfinite(sigma)) and np.all(sigma > 0)
    assert np.all(np.abs(ratio) < TOLERANCE), dict(zip(ELEMENT_NAMES, ratio))
    # linear regime: no visible bias of the mean element (standard error of the mean: sigma / sqrt(N))
    assert np.all(np.abs(sample_mean) < 5 * sigma / np.sqrt(N_DRAWS)), dict(zip(ELEMENT_NAMES, sample_mean / sigma))
    return ratio


@pytest.mark.parametrize("plane", ["icrf", "ecliptic"])
def test_element_sigma_matches_monte_carlo_jupiter_centre(himalia, plane):
    check(himalia, plane, "jupiter", "Himalia at J2000")


def test_element_sigma_matches_monte_carlo_other_centre_plane_and_epoch(himalia):
    """Barycentre with the Jupiter plane, and the solution carried to the end of the GJ15 data (mid-2014), where
    the state covariance is a different matrix."""
    check(himalia, "jupiter", "barycentre", "Himalia at J2000")
    check(moved(himalia, 14.5 * YEAR), "ecliptic", "jupiter", "Himalia at 2014.5")


def test_sigma_a_against_the_vis_viva_gradient(himalia, ephemeris):
    """a = (2/r - v^2/GM)^-1, so da = 2 a^2 (r.dr / r^3 + v.dv / GM): sigma(a)^2 = g^T C g, with no finite
    differences (the 599 -> 5 shift is a constant vector and leaves C alone).

    Measured: Solution.elements' sigma(a) is within 3.7e-7 (relative) of this. What is left is the rounding error of
    its central differences (steps of 1e-2 sigma), amplified ~400 times because a is known far better than the
    position and velocity that determine it (sum_i |g_i| sigma_i / sigma(a) = 396 for the fitted covariance); it
    scales as 1/step (steps of 1e-3 sigma gave 2.9e-6 to 1.2e-5 depending on the fit). Hence rel=1e-5 here, far below
    any use of a 1-sigma."""
    for centre in ("jupiter", "barycentre"):
        state = centred_state(himalia.state, himalia.epoch, centre, ephemeris)
        r_vec, v_vec = state[:3], state[3:]
        r = np.linalg.norm(r_vec)
        a = 1.0 / (2.0 / r - v_vec @ v_vec / GM[centre])
        gradient = 2.0 * a ** 2 * np.concatenate([r_vec / r ** 3, v_vec / GM[centre]])
        analytic = np.sqrt(gradient @ himalia.covariance @ gradient)
        for plane in ("icrf", "ecliptic", "jupiter"):
            elements, sigma = himalia.elements(plane=plane, centre=centre)
            assert elements.a == pytest.approx(a, rel=1e-12)
            assert sigma[0] == pytest.approx(analytic, rel=1e-5), (centre, plane)


def test_element_sigma_across_the_0_360_wrap(himalia, ephemeris):
    """Himalia's jovicentric orbit turned about the ICRF pole so that its ICRF node sits 0.3 sigma below 360 deg:
    the draws straddle 0/360, which both Solution.elements' differences and the sample must handle."""
    _, sigma = himalia.elements("icrf", "jupiter")
    node = state_to_elements(centred_state(himalia.state, himalia.epoch, "jupiter", ephemeris), C.GM_JUPITER,
                             plane="icrf").node
    turn = np.radians(360.0 - 0.3 * sigma[3] - node)
    rotation = np.kron(np.eye(2), rot_z(turn))
    jovicentric = centred_state(himalia.state, himalia.epoch, "jupiter", ephemeris)
    turned = dataclasses.replace(himalia, orbit=Orbit(himalia.body, himalia.epoch, jovicentric_to_barycentric(
                                     rotation @ jovicentric, himalia.epoch, ephemeris)),
                                 covariance=rotation @ himalia.covariance @ rotation.T)
    elements, turned_sigma = turned.elements("icrf", "jupiter")
    assert 360.0 - elements.node == pytest.approx(0.3 * sigma[3], rel=1e-3)
    np.testing.assert_allclose(turned_sigma, sigma, rtol=1e-4)        # a turn about z changes no sigma
    check(turned, "icrf", "jupiter", "Himalia turned to node 360 - 0.3 sigma")
