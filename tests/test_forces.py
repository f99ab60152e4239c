"""The force model: zonal field against its potential and REBOUNDx, every Jacobian against finite differences."""
import ctypes

import numpy as np
import pytest
import rebound
import reboundx

from dynamics import constants as C
from dynamics import forces, tables

GM = C.GM_JUPITER
R = C.JUPITER_REFERENCE_RADIUS_KM
POINTS = np.array([[1.1e7, 2.0e6, 3.0e6], [-4.0e5, 2.0e5, 6.0e5], [3.0e5, -1.0e5, -2.0e4], [1.5e5, 0.0, 9.0e4]])
POLE = C.jupiter_pole_unit_vector(0.0)


def zonal_acc_jac(d, j2=C.JUPITER_J2, j4=C.JUPITER_J4, j6=C.JUPITER_J6, pole=POLE):
    acc, jac = np.zeros(3), np.zeros((3, 3))
    forces.zonal(d[0], d[1], d[2], pole, GM, R, j2, j4, j6, acc, jac)
    return acc, jac


def zonal_potential(d, j2=C.JUPITER_J2, j4=C.JUPITER_J4, j6=C.JUPITER_J6, pole=POLE):
    """The zonal part of Jupiter's potential energy per unit mass, sum_n GM J_n R^n P_n(sin phi) / r^(n+1) (km^2/s^2),
    written here from the Legendre polynomials, apart from the compiled force: the acceleration is minus its
    gradient."""
    r = np.linalg.norm(d)
    s = d @ pole / r
    legendre = {2: (3 * s ** 2 - 1) / 2, 4: (35 * s ** 4 - 30 * s ** 2 + 3) / 8,
                6: (231 * s ** 6 - 315 * s ** 4 + 105 * s ** 2 - 5) / 16}
    return sum(GM * jn * R ** n * legendre[n] / r ** (n + 1) for n, jn in ((2, j2), (4, j4), (6, j6)))


@pytest.mark.parametrize("d", POINTS)
def test_zonal_acceleration_is_minus_gradient_of_potential(d):
    acc, _ = zonal_acc_jac(d)
    gradient = np.zeros(3)
    for k in range(3):
        h = np.zeros(3)
        h[k] = 1e-4 * np.linalg.norm(d)
        # 4th-order central difference of the potential
        f = zonal_potential
        gradient[k] = (-f(d + 2 * h) + 8 * f(d + h) - 8 * f(d - h) + f(d - 2 * h)) / (12 * h[k])
    assert np.abs(acc + gradient).max() / np.linalg.norm(acc) < 1e-8


@pytest.mark.parametrize("d", POINTS)
def test_j2_j4_agree_with_reboundx(d):
    """REBOUNDx gravitational_harmonics (J2, J4 about the z axis) as an independent oracle."""
    sim = rebound.Simulation()
    sim.G = 1.0
    sim.add(m=GM)
    sim.add(x=d[0], y=d[1], z=d[2])
    sim.gravity = "none"                       # only the harmonics
    rebx = reboundx.Extras(sim)
    harmonics = rebx.load_force("gravitational_harmonics")
    rebx.add_force(harmonics)
    sim.particles[0].params["J2"] = C.JUPITER_J2
    sim.particles[0].params["J4"] = C.JUPITER_J4
    sim.particles[0].params["R_eq"] = R
    rebound.clibrebound.reb_simulation_update_acceleration(ctypes.byref(sim))
    oracle = np.array([sim.particles[1].ax, sim.particles[1].ay, sim.particles[1].az])
    ours, _ = zonal_acc_jac(d, j6=0.0, pole=np.array([0.0, 0.0, 1.0]))
    assert np.abs(ours - oracle).max() / np.linalg.norm(oracle) < 1e-12


def fd_jacobian(acceleration, x, h):
    jac = np.zeros((3, 3))
    for k in range(3):
        step = np.zeros(3)
        step[k] = h
        jac[:, k] = (acceleration(x + step) - acceleration(x - step)) / (2 * h)
    return jac


def assert_jacobian(analytic, numeric, tol=1e-7):
    assert np.abs(analytic - numeric).max() / np.abs(numeric).max() < tol


@pytest.mark.parametrize("d", POINTS)
def test_zonal_jacobian(d):
    _, jac = zonal_acc_jac(d)
    assert_jacobian(jac, fd_jacobian(lambda x: zonal_acc_jac(x)[0], d, 1e-4 * np.linalg.norm(d)))


@pytest.mark.parametrize("d", POINTS)
def test_point_mass_jacobian(d):
    def acc_jac(x):
        acc, jac = np.zeros(3), np.zeros((3, 3))
        forces.point_mass(x[0], x[1], x[2], GM, acc, jac)
        return acc, jac
    assert_jacobian(acc_jac(d)[1], fd_jacobian(lambda x: acc_jac(x)[0], d, 1e-4 * np.linalg.norm(d)))


@pytest.fixture(scope="module")
def month_tables(ephemeris):
    return tables.fast_table(ephemeris, 0.0, 40 * 86400.0), tables.slow_table(ephemeris, 0.0, 40 * 86400.0)


TERMS = {
    "jupiter+zonal": forces.ForceModel(galileans=False, sun=False, planets=False, pluto=False),
    "galileans": forces.ForceModel(jupiter=False, sun=False, planets=False, pluto=False),
    "sun": forces.ForceModel(jupiter=False, galileans=False, planets=False, pluto=False),
    "planets+moon": forces.ForceModel(jupiter=False, galileans=False, sun=False, pluto=False),
    "pluto": forces.ForceModel(jupiter=False, galileans=False, sun=False, planets=False),
    "full": forces.ForceModel(),
}


@pytest.mark.parametrize("term", list(TERMS))
def test_each_force_term_jacobian_through_the_compiled_force(term, month_tables):
    """The variational accelerations of the compiled force equal a finite-difference Jacobian of that term."""
    fast, slow = month_tables
    model = TERMS[term]
    t = 12.3 * 86400.0
    for x in ([1.1e7, 2.0e6, 3.0e6], [-2.0e7, 8.0e6, -1.0e6], [1.5e6, 1.0e5, -2.0e5]):
        x = np.array(x)
        unit_columns = np.zeros((1, 6, 3))
        unit_columns[0, :3, :] = np.eye(3)
        _, variational = forces.accelerations(t, x[None], model, fast, slow, stm_positions=unit_columns)
        analytic = variational[0, :3, :].T          # column k = J e_k
        numeric = fd_jacobian(lambda y: forces.accelerations(t, y[None], model, fast, slow)[0], x,
                              1e-5 * np.linalg.norm(x))
        assert_jacobian(analytic, numeric)


def test_mutual_attraction_and_its_jacobian(month_tables):
    """Two satellites with GMs attract each other (seed 003 eq. 1); the self-Jacobian block is exact."""
    fast, slow = month_tables
    gm_a, gm_b = 0.28, 0.05
    model = forces.ForceModel(jupiter=False, galileans=False, sun=False, planets=False, pluto=False,
                              satellite_gm=(gm_a, gm_b))
    xa, xb = np.array([1.1e7, 2.0e6, 3.0e6]), np.array([1.1e7 + 5e4, 2.0e6 - 3e4, 3.0e6 + 1e4])
    acc = forces.accelerations(0.0, np.array([xa, xb]), model, fast, slow)
    d = xa - xb
    assert np.allclose(acc[0], -gm_b * d / np.linalg.norm(d) ** 3, rtol=1e-14)
    assert np.allclose(acc[1], gm_a * d / np.linalg.norm(d) ** 3, rtol=1e-14)
    columns = np.zeros((2, 6, 3))
    columns[:, :3, :] = np.eye(3)
    _, variational = forces.accelerations(0.0, np.array([xa, xb]), model, fast, slow, stm_positions=columns)
    numeric = fd_jacobian(lambda y: forces.accelerations(0.0, np.array([y, xb]), model, fast, slow)[0], xa, 10.0)
    assert_jacobian(variational[0, :3, :].T, numeric)


def test_sun_with_indirect_term_is_the_solar_tide(month_tables, ephemeris):
    """Near the origin, direct pull minus the origin's acceleration is the tidal field -GM/rho^3 (x - 3(x.u)u)."""
    fast, slow = month_tables
    t = 5 * 86400.0
    x = np.array([1.0e4, -2.0e4, 5.0e3])
    acc = forces.accelerations(t, x[None], TERMS["sun"], fast, slow)[0]
    rho = ephemeris.position(C.SUN, t, center=C.JUPITER_BARY)[0]
    u = rho / np.linalg.norm(rho)
    tide = -C.GM_DE440[C.SUN] / np.linalg.norm(rho) ** 3 * (x - 3 * (x @ u) * u)
    assert np.abs(acc - tide).max() / np.linalg.norm(tide) < 1e-4      # quadratic terms ~ |x|/rho ~ 3e-5


def test_given_constants_enter_the_force_as_their_terms_say(month_tables, ephemeris):
    """Jupiter's GM, its (J2, J4, J6) and the Galileans' GMs may be given (ForceModel's *_km3_s2 and zonal_j246):
    the constants' own values give the default force bit for bit; a GM scales Jupiter's whole pull (point mass and
    zonal terms), the zonal terms are linear in the J's, and a Galilean GM adds that moon's point-mass pull."""
    fast, slow = month_tables
    t = 7.7 * 86400.0
    x = np.array([[1.1e7, 2.0e6, 3.0e6], [-2.0e7, 8.0e6, -1.0e6]])
    acc = lambda model, at=x: forces.accelerations(t, at, model, fast, slow)
    explicit = forces.ForceModel(gm_jupiter_km3_s2=C.GM_JUPITER, zonal_j246=(C.JUPITER_J2, C.JUPITER_J4, C.JUPITER_J6),
                                 gm_galileans_km3_s2=[C.GM_GALILEAN[b] for b in C.GALILEANS])
    assert np.array_equal(acc(explicit), acc(forces.ForceModel()))
    assert "gm_jupiter_km3_s2" in explicit.describe() and "gm_jupiter" not in forces.ForceModel().describe()

    jupiter_only = dict(galileans=False, sun=False, planets=False, pluto=False)
    delta_gm = 1.0e3
    raised = forces.ForceModel(gm_jupiter_km3_s2=C.GM_JUPITER + delta_gm, **jupiter_only)
    lumped = C.GM_JUPITER_SYSTEM                     # without the moons their mass sits in Jupiter's point mass
    assert np.allclose(acc(raised), acc(forces.ForceModel(**jupiter_only)) * (1 + delta_gm / lumped), rtol=1e-13,
                       atol=0)

    inside_io = np.array([[1.5e5, 1.0e5, -5.0e4]])        # 2.6 Jupiter radii: the zonal terms 1e-3 of the pull
    zonal = lambda j: acc(forces.ForceModel(zonal_j246=j, **jupiter_only), inside_io)
    j = np.array([C.JUPITER_J2, C.JUPITER_J4, C.JUPITER_J6])
    step = np.array([1e-4, -2e-5, 5e-6])
    change = zonal(j + step) - zonal(j)
    assert np.allclose(change, zonal(step) - zonal((0.0, 0.0, 0.0)), rtol=1e-6, atol=0)
    assert np.abs(change).max() > 0

    galileans_only = dict(jupiter=False, sun=False, planets=False, pluto=False)
    gms = np.array([C.GM_GALILEAN[b] for b in C.GALILEANS])
    io_doubled = forces.ForceModel(gm_galileans_km3_s2=gms * [2, 1, 1, 1], **galileans_only)
    near = np.array([[1.5e6, 1.0e5, -2.0e5]])         # 1.5 million km out, where Io's pull is not tiny
    change = acc(io_doubled, near) - acc(forces.ForceModel(**galileans_only), near)
    d = ephemeris.position(C.IO, t, center=C.JUPITER_BARY)[0] - near[0]
    pull = C.GM_GALILEAN[C.IO] * d / np.linalg.norm(d) ** 3
    assert np.abs(change[0] - pull).max() < 1e-7 * np.linalg.norm(pull)

    for bad in (dict(zonal_j246=(1e-2, 0.0)), dict(gm_galileans_km3_s2=(1.0, 2.0, 3.0, np.nan)),
                dict(gm_jupiter_km3_s2=-1.0)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            forces.ForceModel(**bad)
    import astropy.units as u
    with pytest.raises(TypeError):              # plain numbers in the unit the name says; units are not stripped
        forces.ForceModel(gm_jupiter_km3_s2=1.27e8 * u.km ** 3 / u.s ** 2)


def test_the_perturber_cache_gives_each_epoch_its_own_positions(month_tables):
    """One buffer called 44 times at 12 epochs in an order that revisits them (as IAS15 revisits its 8 Gauss-Radau
    nodes, and beyond the cache's 8 slots) gives, at every call, the accelerations of a fresh buffer at that epoch."""
    fast, slow = month_tables
    model = forces.ForceModel()
    buf = forces.build_buffer(model, 1, False, 0.0, fast, slow)
    x = np.array([1.1e7, 2.0e6, 3.0e6])
    epochs = np.random.default_rng(5).uniform(0.0, 25 * 86400.0, 12)
    order = np.concatenate([np.tile(epochs[:8], 3), epochs[8:], epochs[:4], epochs[::-1]])
    positions = set()
    for t in order:
        particles = np.zeros(forces.PARTICLE_DOUBLES)
        particles[:3] = x
        forces.evaluate(t, buf, particles, 1)
        fresh = forces.accelerations(t, x[None], model, fast, slow)[0]
        assert np.array_equal(particles[6:9], fresh), t
        positions.add(tuple(buf[forces.H_SCRATCH:forces.H_SCRATCH + forces.N_SCRATCH]))
    assert len(positions) == 12                     # each epoch its own perturber positions


@pytest.mark.parametrize("stm, gm_parameters", [(True, ()), ("coupled", (1,))])
def test_the_force_takes_the_particle_stride_from_its_array(month_tables, stm, gm_parameters):
    """evaluate() reads no REBOUND layout of its own (numba would freeze it into the cache): particles padded to 17
    doubles, as a larger Particle struct would be, get the same accelerations as REBOUND's 14, variations included."""
    fast, slow = month_tables
    model = forces.ForceModel(satellite_gm=(0.1, 0.05))
    rng = np.random.default_rng(3)
    n_sat = 2
    n_particles = n_sat * (1 + forces.n_parameters(n_sat, stm, gm_parameters))
    xyz = np.vstack([[1.1e7, 2.0e6, 3.0e6], [1.2e7, -1.0e6, 2.5e6], rng.normal(size=(n_particles - n_sat, 3))])
    results = []
    for stride in (forces.PARTICLE_DOUBLES, 17):
        buf = forces.build_buffer(model, n_sat, stm, 0.0, fast, slow, gm_parameters=gm_parameters)
        particles = np.zeros((n_particles, stride))
        particles[:, :3] = xyz
        forces.evaluate(86400.0, buf, particles.ravel(), n_particles)
        results.append(particles[:, 6:9])
    assert np.abs(results[0][n_sat:]).max() > 0          # the variations were computed
    assert np.array_equal(results[0], results[1])


def test_the_callback_is_cached_once_per_rebound_struct_layout(tmp_path, monkeypatch):
    """numba freezes the globals a compiled function reads into its cache, which it keys on the function's file, not
    on REBOUND: read as globals, REBOUND's struct offsets would outlive an upgrade of REBOUND alone, and the force
    would read the wrong epoch or particles. The callback closes over them, so each layout is its own cache entry."""
    import numba
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(tmp_path))
    layout = forces.REBOUND_LAYOUT
    assert layout == (rebound.Simulation.t.offset, rebound.Simulation.N.offset, rebound.Simulation._particles.offset,
                      rebound.Simulation.extras.offset, ctypes.sizeof(rebound.Particle) // 8)
    assert forces._rebound_callback(layout).cache_hits == 0           # compiled and saved
    assert forces._rebound_callback(layout).cache_hits == 1           # the same layout: loaded
    moved = (layout[0] + 8,) + layout[1:]                              # as if REBOUND put a field before sim.t
    assert forces._rebound_callback(moved).cache_hits == 0            # compiled afresh, not the cached one
    assert len(list(tmp_path.rglob("*.nbc"))) == 2
