"""Perturber ephemerides and their Chebyshev tables against the sources they come from."""
import astronomy
import numpy as np
import pytest

from dynamics import constants as C
from dynamics import tables
from dynamics.ephemeris import Ephemeris, EphemerisError, _astronomy_engine_moons, de421_kernel_path

YEAR = 365.25 * 86400.0


def test_vectorised_moon_theory_equals_astronomy_engine():
    epochs = np.array([-3.0e8, 0.0, 1.234e8, 6.3e8])
    ours = _astronomy_engine_moons(epochs)
    for i, t in enumerate(epochs):
        system = astronomy.JupiterMoons(astronomy.Time.FromTerrestrialTime(t / 86400.0))
        for m, moon in enumerate((system.io, system.europa, system.ganymede, system.callisto)):
            ref = np.array([moon.x, moon.y, moon.z]) * C.AU_KM
            assert np.linalg.norm(ours[m, i, :3] - ref) < 1e-5          # km (1 cm)


def test_jupiter_centre_balances_the_moons(ephemeris):
    """599 and the moons relative to 5 satisfy the barycentre definition; 599 is 50-250 km from 5."""
    states = ephemeris.jupiter_system_states(np.linspace(0, YEAR, 50))
    gms = np.array([C.GM_JUPITER] + [C.GM_GALILEAN[b] for b in C.GALILEANS])
    moment = np.einsum("b,bnk->nk", gms, states[:, :, :3])
    assert np.abs(moment).max() / C.GM_JUPITER_SYSTEM < 1e-9
    offset = np.linalg.norm(states[0, :, :3], axis=1)
    assert 0 < offset.min() and offset.max() < 250


def test_positions_match_de_kernel_and_de_versions_differ(ephemeris):
    from jplephem.spk import SPK
    t = np.array([0.0, 3.0e8])
    with SPK.open(ephemeris.de_kernel) as kernel:
        ref = kernel[0, 5].compute(C.J2000_JD, t / 86400.0).T
    assert np.abs(ephemeris.position(5, t) - ref).max() < 1e-9
    de421 = Ephemeris(de421_kernel_path())
    gap = np.linalg.norm(ephemeris.position(5, t) - de421.position(5, t), axis=1)
    assert np.all((gap > 10) & (gap < 300))          # DE versions differ by tens of km at Jupiter (DE421 vs DE423: 47 km)


@pytest.mark.parametrize("group", ["fast", "slow"])
def test_chebyshev_tables_reproduce_the_ephemeris(group, ephemeris):
    """Interpolation error of the perturber tables is below 3 cm (fast: 599+moons, slow: Sun..Pluto+pole)."""
    t0, t1 = 1.0e8, 1.0e8 + 200 * 86400.0
    t = np.random.default_rng(1).uniform(t0, t1, 300)
    if group == "fast":
        table = tables.fast_table(ephemeris, t0, t1)
        truth = np.transpose(ephemeris.jupiter_system_states(t)[:, :, :3], (1, 0, 2))
        err = np.abs(table.evaluate(t).reshape(t.size, -1, 3) - truth).max()
    else:
        table = tables.slow_table(ephemeris, t0, t1)
        values = table.evaluate(t).reshape(t.size, -1, 3)
        truth = np.stack([ephemeris.position(b, t, center=5) for b in tables.SLOW_BODIES], axis=1)
        err = np.abs(values[:, :-1] - truth).max()
        assert np.abs(values[:, -1] - C.jupiter_pole_unit_vector(t)).max() < 1e-12
    print(f"{group} table max interpolation error: {err * 1e3:.2e} m")
    assert err < 3e-5


def test_positions_of_several_bodies_are_each_bodys_position_bit_for_bit(ephemeris):
    """Ephemeris.positions (the slow table's sampler: the centre read once) gives exactly what `position` gives body
    by body, for DE bodies, the Galilean moons and Jupiter's centre, about NAIF 5 and about the SSB."""
    t = np.linspace(-3.0e9, 8.0e8, 57)
    targets = (*tables.SLOW_BODIES, C.JUPITER, *C.GALILEANS)
    for center in (C.JUPITER_BARY, C.SSB, C.EARTH):
        together = ephemeris.positions(targets, t, center=center)
        apart = np.concatenate([ephemeris.position(b, t, center=center) for b in targets], axis=1)
        assert together.shape == (t.size, 3 * len(targets)) and np.array_equal(together, apart)
    with pytest.raises(EphemerisError, match="unknown body id 12345"):
        ephemeris.positions((C.SUN, 12345), t)


def test_bad_requests_say_what_and_where(ephemeris):
    with pytest.raises(EphemerisError, match="unknown body id 12345"):
        ephemeris.position(12345, 0.0)
    with pytest.raises(EphemerisError, match="outside the ephemeris span"):
        Ephemeris(de421_kernel_path()).position(5, 80 * YEAR)
    with pytest.raises(FileNotFoundError, match="no_such_kernel.bsp"):
        Ephemeris("/tmp/no_such_kernel.bsp")
    with pytest.raises(EphemerisError, match="non-finite"):
        ephemeris.position(5, [0.0, np.nan])


def test_galilean_moons_from_a_satellite_kernel_that_stops_at_5(ephemeris, tmp_path):
    """A satellite SPK with 501-504 relative to 5 and no 5 -> 0 (chained through the DE kernel, dynamics.spk)
    reproduces the states it was written from to its fit error; epochs beyond it are refused."""
    import spiceypy
    from dynamics.chebyshev import ChebyshevRecords
    t0, t1 = 1.0e8, 1.0e8 + 20 * 86400.0
    path = str(tmp_path / "moons.bsp")
    handle = spiceypy.spkopn(path, "orbitfit test moons", 0)
    try:
        for index, body in enumerate(C.GALILEANS):
            records = ChebyshevRecords.from_function(
                lambda t: ephemeris.jupiter_system_states(t)[1 + index, :, :3], t0, t1, 86400.0, 14)
            spiceypy.spkw02(handle, body, C.JUPITER_BARY, "J2000", records.t_start, records.t_end, f"moon {body}",
                            records.record_s, records.n_records, records.degree, records.coefficients.ravel(),
                            records.t_start)
    finally:
        spiceypy.spkcls(handle)
    from_kernel = Ephemeris(ephemeris.de_kernel, moons=path)
    t = np.random.default_rng(2).uniform(t0, t1, 100)
    gap = np.abs(from_kernel.jupiter_system_states(t)[:, :, :3] - ephemeris.jupiter_system_states(t)[:, :, :3])
    assert gap.max() < 3e-5                                   # km: 599 from the moons, as the built-in theory does
    assert np.abs(from_kernel.position(501, t) - ephemeris.position(501, t)).max() < 3e-5
    with pytest.raises(EphemerisError, match="outside the ephemeris span"):
        from_kernel.position(501, t1 + 86400.0)
