"""Coupled variational equations (propagate(stm="coupled", gm_parameters=...)): d x_i / d p for p = every
satellite's initial state and chosen satellites' GMs, against central finite differences of propagate.

Finite differences are limited by the integrator's own noise (IAS15's corrector iterations differ by ~1e-8 km
between neighbouring runs) for small columns, and by the orbit's non-linearity for large steps: the steps below
(10-100 km, 1e-5-1e-4 km/s, 1-100% of a GM) were chosen by scanning, and the printed figures are the agreement.
"""
import numpy as np
import pytest

from dynamics import ForceModel, constants as C, forces, propagate
from dynamics.propagation import perturber_tables
from orbitfit.estimation.published import gomes_junior_2016_orbit

from conftest import YEAR_S

NAMES = ("Himalia", "Elara", "Lysithea")
EPOCHS = np.array([-1 * YEAR_S, 2 * YEAR_S, 4 * YEAR_S])


@pytest.fixture(scope="module")
def family(ephemeris):
    return np.array([gomes_junior_2016_orbit(name, ephemeris).state for name in NAMES])


def finite_differences(states, gms, gm_parameters, columns, state_step, gm_steps, dense=True):
    """Central differences of the (n_epochs, n_sat, 6) states for the chosen parameter columns."""
    n_sat = states.shape[0]
    out = {}
    for k in columns:
        runs = []
        for sign in (1.0, -1.0):
            s, g = states.copy(), list(gms)
            if k < 6 * n_sat:
                step = state_step * (1.0 if k % 6 < 3 else 1e-6)        # km, km/s
                s[k // 6, k % 6] += sign * step
            else:
                step = gm_steps[k - 6 * n_sat]
                g[gm_parameters[k - 6 * n_sat]] += sign * step
            runs.append(propagate(s, 0.0, EPOCHS, model=ForceModel(satellite_gm=tuple(g)), dense=dense).states)
        out[k] = (runs[0] - runs[1]) / (2 * step)
    return out


def block_errors(stm, numeric, n_sat):
    """Worst relative error (position and velocity parts separately) per kind of block: 'self' (d x_i / d x_i(0)),
    'cross' (d x_i / d x_l(0), l != i) and 'gm'; entries where the derivative is exactly zero must be zero.
    Errors are relative to the block's largest value over the epochs: a cross block grows from ~1e-12 (km/s per
    km one year back) to 1e-8, and its first epochs are below the finite differences' noise."""
    worst = {}
    for k, fd in numeric.items():
        for i in range(n_sat):
            kind = "gm" if k >= 6 * n_sat else ("self" if k // 6 == i else "cross")
            for part in (slice(0, 3), slice(3, 6)):
                a, b = stm[:, i, part, k], fd[:, i, part]
                if not np.any(b):
                    assert not np.any(a), f"column {k} satellite {i}: zero by FD, not in the STM"
                    continue
                error = np.linalg.norm(a - b, axis=1).max() / np.linalg.norm(b, axis=1).max()
                worst[kind] = max(worst.get(kind, 0.0), error)
    return worst


@pytest.mark.parametrize("dense", [True, False])
def test_coupled_stm_with_exaggerated_gms_equals_finite_differences(family, dense):
    """Himalia 1000x its GM, Elara a GM of 20 km^3/s^2 (both parameters), massless Lysithea, over 5 yr: every
    one of the 20 columns (self blocks, cross-satellite blocks, GM columns)."""
    gms = (1000 * C.GM_HIMALIA, 20.0, 0.0)
    run = propagate(family, 0.0, EPOCHS, model=ForceModel(satellite_gm=gms), stm="coupled", gm_parameters=(0, 1),
                    dense=dense)
    assert run.stm.shape == (3, 3, 6, 20) and run.gm_parameters == (0, 1)
    numeric = finite_differences(family, gms, (0, 1), range(20), 10.0, (0.01 * gms[0], 0.3 * gms[1]), dense)
    worst = block_errors(run.stm, numeric, 3)
    print(f"coupled STM vs FD, exaggerated GMs, dense={dense}: "
          + ", ".join(f"{kind} {error:.1e}" for kind, error in worst.items()))
    assert worst["self"] < 1e-6 and worst["cross"] < 1e-4 and worst["gm"] < 1e-5
    # massless Lysithea pulls nobody: its initial state leaves the others alone (exactly, not just by FD)
    assert not np.any(run.stm[:, :2, :, 12:18])


def test_coupled_stm_with_himalias_real_gm_equals_finite_differences(family):
    """Himalia's GM from dynamics.constants (0.28 km^3/s^2) acting on massless Elara: the cross block
    d Elara / d Himalia(0) and the GM column, tiny (1e-4 km/km), still match finite differences."""
    states, gms = family[:2], (C.GM_HIMALIA, 0.0)
    run = propagate(states, 0.0, EPOCHS, model=ForceModel(satellite_gm=gms), stm="coupled", gm_parameters=(0,))
    # the response to GM is linear to ~1e-7, so a step of the whole GM is fine and beats the integrator noise
    numeric = finite_differences(states, gms, (0,), [0, 1, 2, 3, 4, 5, 12], 30.0, (C.GM_HIMALIA,))
    worst = block_errors(run.stm, numeric, 2)
    print("coupled STM vs FD, Himalia's real GM: " + ", ".join(f"{k} {e:.1e}" for k, e in worst.items()))
    assert worst["cross"] < 1e-4 and worst["gm"] < 1e-6 and worst["self"] < 1e-6
    assert not np.any(run.stm[:, 0, :, 6:12]) and not np.any(run.stm[:, 0, :, 12])   # Elara is massless


def test_without_satellite_gms_the_coupled_stm_is_block_diagonal(family):
    """No mutual attraction: the diagonal blocks equal stm=True's 6x6 STMs, the cross blocks vanish exactly, and
    the orbits are those of the propagation without STM."""
    epochs = np.linspace(-2 * YEAR_S, 6 * YEAR_S, 9)
    block = propagate(family, 0.0, epochs, stm=True)
    coupled = propagate(family, 0.0, epochs, stm="coupled")
    assert coupled.stm.shape == (9, 3, 6, 18)
    gap = 0.0
    for i in range(3):
        diagonal = coupled.stm[:, i, :, 6 * i:6 * i + 6]
        gap = max(gap, np.abs(diagonal - block.stm[:, i]).max() / np.abs(block.stm[:, i]).max())
        others = np.delete(coupled.stm[:, i], np.s_[6 * i:6 * i + 6], axis=2)
        assert not np.any(others)
    print(f"coupled vs block-diagonal STM without satellite GMs: max relative difference {gap:.1e}")
    assert gap < 1e-12
    assert np.abs(coupled.states - propagate(family, 0.0, epochs).states).max() < 1e-9      # km, km/s


def test_dense_and_landed_coupled_stm_agree(family):
    epochs = np.sort(np.random.default_rng(1).uniform(-3 * YEAR_S, 3 * YEAR_S, 40))
    model = ForceModel(satellite_gm=(100 * C.GM_HIMALIA, 0.0, 0.0))
    dense = propagate(family, 0.0, epochs, model=model, stm="coupled", gm_parameters=(0,))
    exact = propagate(family, 0.0, epochs, model=model, stm="coupled", gm_parameters=(0,), dense=False)
    assert np.abs(dense.stm - exact.stm).max() / np.abs(exact.stm).max() < 1e-8
    assert np.abs(dense.stm[..., 18] - exact.stm[..., 18]).max() / np.abs(exact.stm[..., 18]).max() < 1e-8


def test_compiled_coupled_jacobian_equals_finite_differences(ephemeris):
    """One force evaluation: variational accelerations (i, k) = sum_l (d a_i / d x_l) dx_(l,k) + d a_i / d GM_k,
    with unit position variations, against central differences of the accelerations (full force model)."""
    fast, slow = perturber_tables(ephemeris, 0.0, 40 * 86400.0)
    x = np.array([[1.1e7, 2.0e6, 3.0e6], [1.1e7 + 5e5, 2.0e6 - 3e5, 3.0e6 + 1e5], [-9e6, 4e6, 1e6]])
    gms = (280.0, 0.0, 5.0)                 # a GM parameter may start at 0 (satellite 1)
    model = ForceModel(satellite_gm=gms)
    gm_parameters = (0, 1)
    n_par = 18 + len(gm_parameters)
    columns = np.zeros((3, n_par, 3))
    for i in range(3):
        columns[i, 6 * i:6 * i + 3] = np.eye(3)         # (i, 6i + c) = unit position variation of satellite i
    t = 12.3 * 86400.0
    _, variational = forces.accelerations(t, x, model, fast, slow, stm_positions=columns, gm_parameters=gm_parameters)
    worst = 0.0
    for k in range(n_par):
        if k < 18 and k % 6 >= 3:
            assert not np.any(variational[:, k])          # velocity columns: the force is velocity-independent
            continue
        plus_x, minus_x, plus_g, minus_g = x.copy(), x.copy(), list(gms), list(gms)
        if k < 18:
            step = 10.0
            plus_x[k // 6, k % 6] += step
            minus_x[k // 6, k % 6] -= step
        else:
            step = 1.0
            plus_g[gm_parameters[k - 18]] += step
            minus_g[gm_parameters[k - 18]] -= step
        numeric = (forces.accelerations(t, plus_x, ForceModel(satellite_gm=tuple(plus_g)), fast, slow)
                   - forces.accelerations(t, minus_x, ForceModel(satellite_gm=tuple(minus_g)), fast, slow)) / (2 * step)
        worst = max(worst, np.abs(variational[:, k] - numeric).max() / np.abs(numeric).max())
    assert worst < 1e-6


def test_bad_gm_parameters_are_refused(family):
    with pytest.raises(ValueError, match="stm='coupled'"):
        propagate(family, 0.0, [1.0], stm=True, gm_parameters=(0,))
    with pytest.raises(ValueError, match="distinct satellite indices"):
        propagate(family, 0.0, [1.0], stm="coupled", gm_parameters=(3,))
    with pytest.raises(ValueError, match="stm must be"):
        propagate(family, 0.0, [1.0], stm="full")
