"""Propagation: two-body limit, convergence by step halving, STM against finite differences, an independent
N-body integration, and clear errors for bad input."""
import numpy as np
import pytest
import rebound
import reboundx

from dynamics import constants as C
from dynamics import ForceModel, propagate, kepler_propagate
from dynamics.elements import Elements, elements_to_state, state_to_elements, PLANES
from dynamics.ephemeris import EphemerisError, Ephemeris, de421_kernel_path

from conftest import YEAR_S, HIMALIA_ELEMENTS_ICRF


def test_two_body_limit_reproduces_kepler_over_100_orbits(himalia0):
    orbit = state_to_elements(himalia0, C.GM_JUPITER_SYSTEM)
    period = orbit.period_days * 86400.0
    epochs = np.linspace(-50 * period, 50 * period, 41)
    result = propagate(himalia0, 0.0, epochs, model=ForceModel.two_body())
    truth = kepler_propagate(himalia0, C.GM_JUPITER_SYSTEM, epochs)
    relative = np.linalg.norm(result.states[:, 0, :3] - truth[:, :3], axis=1) / np.linalg.norm(truth[:, :3], axis=1)
    print(f"two-body vs Kepler over 100 orbits: max relative error {relative.max():.1e}")
    assert relative.max() < 1e-9


def test_halving_the_step_changes_a_20yr_himalia_orbit_by_less_than_a_metre(himalia0):
    epochs = np.linspace(0.0, 20 * YEAR_S, 81)
    default = propagate(himalia0, 0.0, epochs)
    halved = propagate(himalia0, 0.0, epochs, step=default.step / 2)
    change = np.linalg.norm(default.states - halved.states, axis=2)[:, 0].max() * 1e3
    print(f"20-yr Himalia, step {default.step / 86400:.2f} d vs half: max position change {change:.3f} m")
    assert change < 1.0


def test_backward_and_forward_in_one_call(himalia0):
    epochs = np.array([5 * YEAR_S, -3 * YEAR_S, 0.0, 1.0])
    result = propagate(himalia0, 0.0, epochs)
    assert np.allclose(result.states[2, 0], himalia0, rtol=0, atol=1e-12)
    there = propagate(himalia0, 0.0, [-3 * YEAR_S], dense=False).states[0, 0]
    back = propagate(there, -3 * YEAR_S, [0.0], dense=False)
    assert np.linalg.norm(back.states[0, 0, :3] - himalia0[:3]) < 1e-3       # km: reversibility over 3 yr


@pytest.mark.slow
def test_20yr_stm_equals_central_finite_differences(himalia0):
    epochs = np.array([7 * YEAR_S, 20 * YEAR_S])
    stm = propagate(himalia0, 0.0, epochs, stm=True).stm[:, 0]
    steps = np.array([1.0, 1.0, 1.0, 1e-6, 1e-6, 1e-6])          # km, km/s
    numeric = np.zeros_like(stm)
    for k in range(6):
        delta = np.zeros(6)
        delta[k] = steps[k]
        plus = propagate(himalia0 + delta, 0.0, epochs).states[:, 0]
        minus = propagate(himalia0 - delta, 0.0, epochs).states[:, 0]
        numeric[:, :, k] = (plus - minus) / (2 * steps[k])
    for e in range(len(epochs)):
        for k in range(6):
            relative = np.linalg.norm(stm[e, :, k] - numeric[e, :, k]) / np.linalg.norm(numeric[e, :, k])
            assert relative < 1e-6, f"epoch {e} column {k}: {relative:.1e}"


def test_stm_does_not_change_the_orbit(himalia0):
    epochs = np.linspace(-2 * YEAR_S, 2 * YEAR_S, 9)
    assert np.array_equal(propagate(himalia0, 0.0, epochs).states,
                          propagate(himalia0, 0.0, epochs, stm=True).states)


def test_several_satellites_equal_separate_runs_without_mutual_attraction(himalia0):
    other = himalia0 * np.array([1.05, 0.97, 1.0, 0.98, 1.0, 1.02])
    epochs = np.linspace(0, 3 * YEAR_S, 7)
    together = propagate(np.array([himalia0, other]), 0.0, epochs)
    alone = propagate(other, 0.0, epochs)
    assert np.abs(together.states[:, 1] - alone.states[:, 0]).max() < 1e-6


def test_mutual_attraction_moves_elara_by_himalia(himalia0):
    """Seed 003 eq. 1: Himalia's GM acting on a neighbour changes its orbit measurably but slightly."""
    elara = elements_to_state(Elements(11741170, 0.222, 28.64, 68.42, 179.82, 339.08, C.GM_JUPITER_SYSTEM))
    states = np.array([himalia0, elara + (himalia0 - elements_to_state(
        Elements(**HIMALIA_ELEMENTS_ICRF, gm=C.GM_JUPITER_SYSTEM)))])
    epochs = np.array([10 * YEAR_S])
    free = propagate(states, 0.0, epochs)
    pulled = propagate(states, 0.0, epochs, model=ForceModel(satellite_gm=(C.GM_HIMALIA, 0.0)))
    shift = np.linalg.norm(free.states[0, 1, :3] - pulled.states[0, 1, :3])
    print(f"Himalia's GM moves Elara by {shift:.2f} km in 10 yr")
    assert 1e-3 < shift < 1e3
    assert np.array_equal(free.states[0, 0], pulled.states[0, 0])     # Elara is massless here


def test_a_massive_companion_needs_no_stm_of_its_own(himalia0):
    """stm_satellites=1: only the first (massless) satellite's variations are integrated; its orbit and STM are
    those of the run with both STMs, and the STM still equals central finite differences of the pulled orbit."""
    elara = himalia0 * np.array([1.05, 0.97, 1.0, 0.98, 1.0, 1.02])
    states = np.array([elara, himalia0])
    model = ForceModel(satellite_gm=(0.0, C.GM_HIMALIA))
    epochs = np.linspace(-3 * YEAR_S, 3 * YEAR_S, 7)
    both = propagate(states, 0.0, epochs, model=model, stm=True)
    first = propagate(states, 0.0, epochs, model=model, stm=True, stm_satellites=1)
    assert first.stm.shape == (7, 1, 6, 6) and both.stm.shape == (7, 2, 6, 6)
    assert np.abs(first.states - both.states).max() < 1e-6                    # km
    assert np.abs(first.stm[:, 0] - both.stm[:, 0]).max() < 1e-6 * np.abs(both.stm[:, 0]).max()
    h = np.array([1.0, 1.0, 1.0, 1e-5, 1e-5, 1e-5])                            # km, km/s
    for k in (0, 4):
        delta = np.zeros((2, 6))
        delta[0, k] = h[k]
        plus = propagate(states + delta, 0.0, epochs[-1:], model=model).states[0, 0]
        minus = propagate(states - delta, 0.0, epochs[-1:], model=model).states[0, 0]
        column = (plus - minus) / (2 * h[k])
        assert np.allclose(first.stm[-1, 0, :, k], column, rtol=1e-5, atol=1e-7 * np.abs(column).max())
    with pytest.raises(ValueError, match="stm_satellites"):
        propagate(states, 0.0, epochs, model=model, stm=True, stm_satellites=3)


def test_elements_roundtrip_in_every_plane(himalia0):
    for plane in PLANES:
        elements = state_to_elements(himalia0, C.GM_JUPITER_SYSTEM, plane=plane, epoch=1e8)
        assert np.abs(elements_to_state(elements) - himalia0).max() < 1e-6
    ecliptic = state_to_elements(himalia0, C.GM_JUPITER_SYSTEM, plane="ecliptic")
    assert 20 < ecliptic.inclination < 40                  # Himalia's ecliptic inclination is ~28-30 deg


@pytest.mark.slow
def test_independent_nbody_run_agrees_with_the_model(ephemeris, himalia0):
    """A full REBOUND N-body run (Jupiter with J2/J4, the four moons, Sun, planets, all active, initialised from
    the ephemerides) against our model over 2 yr. The two differ because the N-body moons drift away from the
    L1.2 theory the model reads; the figure printed documents how much that moves Himalia."""
    t_end = 2 * YEAR_S
    sim = rebound.Simulation()
    sim.G = 1.0                                            # masses are GM in km^3/s^2; units km, s
    sim.integrator = "ias15"
    bodies = [(C.JUPITER, C.GM_JUPITER)] + [(b, C.GM_GALILEAN[b]) for b in C.GALILEANS] + \
        [(b, C.GM_DE440[b]) for b in (C.SUN, C.MERCURY_BARY, C.VENUS_BARY, C.EARTH, C.MOON, C.MARS_BARY,
                                      C.SATURN_BARY, C.URANUS_BARY, C.NEPTUNE_BARY, C.PLUTO_BARY)]
    for body, gm in bodies:
        s = ephemeris.state(body, 0.0)[0]
        sim.add(m=gm, x=s[0], y=s[1], z=s[2], vx=s[3], vy=s[4], vz=s[5])
    bary = ephemeris.state(5, 0.0)[0]
    h = himalia0 + bary
    sim.add(m=0.0, x=h[0], y=h[1], z=h[2], vx=h[3], vy=h[4], vz=h[5])
    sim.N_active = len(bodies)
    rebx = reboundx.Extras(sim)
    harmonics = rebx.load_force("gravitational_harmonics")
    rebx.add_force(harmonics)
    jupiter = sim.particles[0]
    jupiter.params["J2"], jupiter.params["J4"] = C.JUPITER_J2, C.JUPITER_J4
    jupiter.params["R_eq"] = C.JUPITER_REFERENCE_RADIUS_KM
    # REBOUNDx's harmonics act about the z axis: integrate in a frame whose z is Jupiter's pole (fixed at J2000)
    pole = C.jupiter_pole_unit_vector(0.0)
    rotation = rebound.Rotation.to_new_axes(newz=list(pole))
    sim.rotate(rotation)
    sim.integrate(t_end)
    sim.rotate(rotation.inverse())
    ps = sim.particles
    system = [ps[i] for i in range(5)]
    bary_nbody = sum(np.array(p.xyz) * p.m for p in system) / sum(p.m for p in system)
    himalia_nbody = np.array(ps[len(bodies)].xyz) - bary_nbody
    moon_drift = max(np.linalg.norm(np.array(ps[1 + m].xyz) - np.array(ps[0].xyz)
                                    - ephemeris.position(b, t_end, center=C.JUPITER)[0]) for m, b in
                     enumerate(C.GALILEANS))
    ours = propagate(himalia0, 0.0, [t_end], model=ForceModel(zonal_degrees=(2, 4)))
    gap = np.linalg.norm(ours.states[0, 0, :3] - himalia_nbody)
    no_moons = propagate(himalia0, 0.0, [t_end], model=ForceModel(zonal_degrees=(2, 4), galileans=False))
    moon_effect = np.linalg.norm(ours.states[0, 0, :3] - no_moons.states[0, 0, :3])
    print(f"N-body vs model after 2 yr: {gap:.3f} km; N-body moons drift from L1.2 by up to {moon_drift:.0f} km; "
          f"the moons' whole effect on Himalia (point masses vs lumped into Jupiter) is {moon_effect:.1f} km")
    assert gap < 1.0


def test_bad_input_is_refused_with_a_clear_message(himalia0):
    with pytest.raises(ValueError, match="satellite #0 is not finite"):
        propagate(np.array([np.nan, 0, 0, 0, 0, 0]), 0.0, [1.0])
    with pytest.raises(ValueError, match=r"shape \(6,\) or \(n_sat, 6\)"):
        propagate(himalia0[:5], 0.0, [1.0])
    with pytest.raises(ValueError, match="inside Jupiter"):
        propagate(np.array([1e3, 0, 0, 0, 1, 0]), 0.0, [1.0])
    with pytest.raises(EphemerisError, match="leaves the ephemeris span .*de421"):
        propagate(himalia0, 0.0, [60 * YEAR_S], ephemeris=Ephemeris(de421_kernel_path()))
    with pytest.raises(ValueError, match="finite TDB"):
        propagate(himalia0, 0.0, [np.inf])
    with pytest.raises(ValueError, match="step must be a positive"):
        propagate(himalia0, 0.0, [1.0], step=-5)
    with pytest.raises(ValueError, match="satellite_gm has 2 values for 1"):
        propagate(himalia0, 0.0, [1.0], model=ForceModel(satellite_gm=(1.0, 2.0)))


def test_dense_output_equals_landing_the_integrator_on_each_epoch(himalia0):
    """Hermite interpolation between grid nodes vs exact landing: within the integrator's own error (cm)."""
    epochs = np.sort(np.random.default_rng(5).uniform(-8 * YEAR_S, 8 * YEAR_S, 300))
    dense = propagate(himalia0, 0.0, epochs, stm=True)
    exact = propagate(himalia0, 0.0, epochs, stm=True, dense=False)
    gap = np.linalg.norm(dense.states[:, 0, :3] - exact.states[:, 0, :3], axis=1).max() * 1e3
    print(f"dense vs exact landing over 16 yr: {gap:.3f} m")
    assert gap < 0.2
    assert np.abs(dense.stm - exact.stm).max() / np.abs(exact.stm).max() < 1e-8
    assert np.abs(dense.states[:, 0, 3:] - exact.states[:, 0, 3:]).max() < 1e-8        # km/s (see docstring)
    subset = propagate(himalia0, 0.0, epochs[::7], stm=True)
    assert np.array_equal(subset.states, dense.states[::7])          # the orbit does not depend on the outputs


def test_a_given_jupiter_gm_is_keplers_over_100_orbits(himalia0):
    """The two-body limit with another GM of Jupiter (ForceModel.gm_jupiter_km3_s2; the moons' mass lumped in) is
    Kepler's problem with that GM plus the Galileans', and differs from the default by what Kepler says."""
    gm = C.GM_JUPITER * (1 + 1e-4)
    system = gm + sum(C.GM_GALILEAN.values())
    period = state_to_elements(himalia0, system).period_days * 86400.0
    epochs = np.linspace(-50 * period, 50 * period, 41)
    model = ForceModel(**{**ForceModel.two_body().__dict__, "gm_jupiter_km3_s2": gm})
    result = propagate(himalia0, 0.0, epochs, model=model)
    truth = kepler_propagate(himalia0, system, epochs)
    relative = np.linalg.norm(result.states[:, 0, :3] - truth[:, :3], axis=1) / np.linalg.norm(truth[:, :3], axis=1)
    default = kepler_propagate(himalia0, C.GM_JUPITER_SYSTEM, epochs)
    moved = np.linalg.norm(default[:, :3] - truth[:, :3], axis=1) / np.linalg.norm(truth[:, :3], axis=1)
    assert relative.max() < 1e-9 and moved.max() > 1e-3
