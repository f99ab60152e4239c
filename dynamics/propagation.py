"""Numerical propagation of satellite states around Jupiter, optionally with state-transition matrices.

Engine: REBOUND's IAS15 with a fixed step (epsilon = 0): at origin 5 the adaptive step mis-judges the Galilean
quadrupole (930 km off at epsilon 1e-9, measured). Default step 1 d; tests/test_propagation.py proves by step halving
that it changes a 20-yr Himalia orbit by far less than a metre.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import rebound

from . import constants as C
from . import forces
from .ephemeris import Ephemeris, EphemerisError
from .spk import tdb_seconds_to_iso

DEFAULT_STEP_S = 1.0 * C.SECONDS_PER_DAY

_default_ephemeris = None


def default_ephemeris():
    """The shared default Ephemeris (de440 + built-in Galilean theory), created on first use."""
    global _default_ephemeris
    if _default_ephemeris is None:
        _default_ephemeris = Ephemeris()
    return _default_ephemeris


@dataclass
class Propagation:
    """States (and STMs) of n_sat satellites at n_epochs TDB epochs, relative to NAIF 5, ICRF.

    epochs: (n_epochs,) TDB s past J2000, in the order requested.
    states: (n_epochs, n_sat, 6) km, km/s.
    stm: (n_epochs, n_stm, 6, 6) d state(t) / d state(t0) of the first n_stm satellites (all unless propagate was
        given stm_satellites), or None; with stm="coupled" (n_epochs, n_sat, 6, P):
        d state_i(t) / d p, p = (state_0(t0), ..., state_{n_sat-1}(t0), GM of each satellite in gm_parameters).
    gm_parameters: satellite indices whose GM is a parameter (coupled mode), in the order of the STM's columns.
    """
    epoch0: float
    epochs: np.ndarray
    states: np.ndarray
    stm: np.ndarray | None
    step: float
    model: forces.ForceModel
    ephemeris: Ephemeris
    gm_parameters: tuple = ()


def perturber_tables(ephemeris, t_lo, t_hi):
    """(fast, slow) perturber tables covering [t_lo, t_hi]: `ephemeris.perturber_tables` (which builds and keeps
    them, see tables.PerturberTables); kept as a function for tests/test_coupled_stm.py and the benchmarks."""
    return ephemeris.perturber_tables(t_lo, t_hi)


def _check_inputs(states0, epoch0, epochs, step, ephemeris):
    states0 = np.asarray(states0, dtype=float)
    if states0.ndim == 1:
        states0 = states0[None, :]
    if states0.ndim != 2 or states0.shape[1] != 6:
        raise ValueError(f"initial states must have shape (6,) or (n_sat, 6), got {states0.shape}")
    bad = ~np.all(np.isfinite(states0), axis=1)
    if bad.any():
        raise ValueError(f"initial state of satellite #{int(np.argmax(bad))} is not finite: "
                         f"{states0[np.argmax(bad)].tolist()}")
    radius = np.linalg.norm(states0[:, :3], axis=1)
    if np.any(radius < C.JUPITER_REFERENCE_RADIUS_KM):
        i = int(np.argmax(radius < C.JUPITER_REFERENCE_RADIUS_KM))
        raise ValueError(f"initial position of satellite #{i} is inside Jupiter ({radius[i]:.0f} km from 5)")
    epochs = np.atleast_1d(np.asarray(epochs, dtype=float))
    if epochs.ndim != 1 or not np.all(np.isfinite(epochs)) or not np.isfinite(epoch0):
        raise ValueError("epochs must be a 1-D array of finite TDB seconds past J2000")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive number of seconds, got {step}")
    lo, hi = ephemeris.span_seconds()
    need_lo, need_hi = min(epoch0, epochs.min()) - 2 * step, max(epoch0, epochs.max()) + 2 * step
    if need_lo < lo or need_hi > hi:
        raise EphemerisError(
            f"propagation {tdb_seconds_to_iso(need_lo)} .. {tdb_seconds_to_iso(need_hi)} TDB leaves the ephemeris "
            f"span {tdb_seconds_to_iso(lo)} .. {tdb_seconds_to_iso(hi)} ({ephemeris.description})")
    return states0, epochs


def propagate(states0, epoch0, epochs, model=None, ephemeris=None, stm=False, step=DEFAULT_STEP_S, dense=True,
              gm_parameters=(), stm_satellites=None):
    """Propagate satellite states from `epoch0` to `epochs` (before and/or after it).

    states0: (n_sat, 6) or (6,) km, km/s relative to the Jupiter-system barycentre (NAIF 5), ICRF axes.
    epoch0, epochs: TDB seconds past J2000 TDB.
    model: forces.ForceModel (default: the full model). ephemeris: dynamics.Ephemeris (default de440).
    stm: False; True: also integrate each satellite's 6x6 state-transition matrix (variational equations; the
        mutual attraction's cross terms between satellites are left out); "coupled": the full variational
        equations of the n_sat satellites with respect to P = 6 n_sat + len(gm_parameters) parameters, every
        satellite's initial state and the GMs of the satellites listed in `gm_parameters` (indices into states0),
        including the mutual attraction's cross terms (a family fit). Costs n_sat (1 + P) integrated particles.
    gm_parameters: with stm="coupled", satellites whose GM (model.satellite_gm, may be 0) is a parameter.
    stm_satellites: with stm=True, only the first this many satellites get an STM (default all); the others are
        massive companions whose motion does not depend on the massless satellites before them. Each satellite's
        variations are 6 more integrated particles: Elara's 1905-2022 propagation from 1968 with Himalia alongside
        took 1.59 s with both STMs, 1.21-1.26 s with Elara's alone (2 cores, measured 2026-12-02).
    dense: integrate on the fixed grid epoch0 + k * step only and interpolate the outputs (quintic Hermite from
        x, v, a recorded at the grid nodes by the compiled force): the cost does not grow with the number of
        epochs and the orbit does not depend on which epochs are asked for. dense=False lands the integrator on
        every epoch instead. Measured (tests/test_propagation.py): positions agree to ~5 cm (the integrator's own
        step error) and STMs to 1e-11, but interpolated velocities carry ~1e-9 km/s: use dense=False when a
        propagated state becomes the initial condition of a long new propagation.
    Returns a Propagation.
    """
    model = model or forces.ForceModel()
    ephemeris = ephemeris or default_ephemeris()
    states0, epochs = _check_inputs(states0, float(epoch0), epochs, float(step), ephemeris)
    n_sat = states0.shape[0]
    gm_parameters = tuple(int(g) for g in gm_parameters)
    stm = _variational_setup(n_sat, stm, gm_parameters, stm_satellites)
    fast, slow = ephemeris.perturber_tables(min(epoch0, epochs.min()) - 2 * step,
                                            max(epoch0, epochs.max()) + 2 * step)
    n_particles = n_sat + stm.n_stm * stm.n_par
    particles = np.empty((epochs.size, n_particles, 6))
    forward, backward = np.nonzero(epochs >= epoch0)[0], np.nonzero(epochs < epoch0)[0]
    if dense and forward.size and backward.size:
        # the two directions are independent integrations; REBOUND runs without the GIL (ctypes call, compiled
        # force), so on two cores they overlap
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = [pool.submit(_dense_run, states0, epoch0, epochs[chosen], sign * step, model, stm, fast, slow)
                    for chosen, sign in ((forward, 1.0), (backward, -1.0))]
            particles[forward], particles[backward] = runs[0].result(), runs[1].result()
        return _result(particles, n_sat, stm, epoch0, epochs, step, model, ephemeris)
    for direction in (+1.0, -1.0):
        chosen = forward if direction > 0 else backward
        if chosen.size == 0:
            continue
        if dense:
            particles[chosen] = _dense_run(states0, epoch0, epochs[chosen], direction * step, model, stm, fast,
                                           slow)
        else:
            buf = forces.build_buffer(model, n_sat, stm.mode, float(epoch0), fast, slow,
                                      gm_parameters=gm_parameters, stm_satellites=stm.n_stm or None)
            sim = _simulation(states0, stm, buf, direction * step)    # `buf` stays alive in this scope
            for index in chosen[np.argsort(direction * epochs[chosen], kind="stable")]:
                sim.integrate(epochs[index] - epoch0, exact_finish_time=1)
                xyz, vel = _read_particles(sim)
                particles[index, :, :3], particles[index, :, 3:] = xyz, vel
    return _result(particles, n_sat, stm, epoch0, epochs, step, model, ephemeris)


@dataclass(frozen=True)
class _Variational:
    """What the variational particles are: the STM mode as propagate() was given it, P, the GM parameters and
    how many satellites (the first ones) carry them."""
    mode: object                  # False, True or "coupled"
    n_par: int
    gm_parameters: tuple
    n_stm: int

    def __bool__(self):
        return self.n_par > 0

    def initial(self, n_sat):
        """(n_stm * P, 6) initial states of the variational particles: (i, k) = d x_i(t0) / d p_k."""
        start = np.zeros((self.n_stm, self.n_par, 6))
        for i in range(self.n_stm):
            first = 6 * i if self.mode == "coupled" else 0      # block mode: each satellite's own identity
            start[i, first:first + 6] = np.eye(6)
        return start.reshape(-1, 6)


def _variational_setup(n_sat, stm, gm_parameters, stm_satellites=None):
    mode = forces.stm_mode(stm)
    if gm_parameters and mode != forces.STM_COUPLED:
        raise ValueError("gm_parameters need stm='coupled'")
    if any(not 0 <= g < n_sat for g in gm_parameters) or len(set(gm_parameters)) != len(gm_parameters):
        raise ValueError(f"gm_parameters must be distinct satellite indices in 0..{n_sat - 1}, got {gm_parameters}")
    mode = {forces.STM_NONE: False, forces.STM_BLOCK: True, forces.STM_COUPLED: "coupled"}[mode]
    return _Variational(mode, forces.n_parameters(n_sat, mode, gm_parameters), gm_parameters,
                        forces.n_stm_satellites(n_sat, mode, stm_satellites))


def _result(particles, n_sat, stm, epoch0, epochs, step, model, ephemeris):
    if not np.all(np.isfinite(particles)):
        raise FloatingPointError("propagation produced non-finite states (collision with a perturber?)")
    out_states = particles[:, :n_sat].copy()
    out_stm = None
    if stm:
        # variational particle (i, k) holds column k of satellite i's STM (of d x_i / d p in the coupled mode)
        out_stm = np.transpose(particles[:, n_sat:].reshape(epochs.size, stm.n_stm, stm.n_par, 6),
                               (0, 1, 3, 2)).copy()
    return Propagation(float(epoch0), epochs, out_states, out_stm, float(step), model, ephemeris,
                       stm.gm_parameters)


def _dense_run(states0, epoch0, epochs, dt, model, stm, fast, slow):
    """Integrate over the grid covering `epochs` (one direction) and Hermite-interpolate every particle there."""
    n_sat = states0.shape[0]
    n_particles = n_sat + stm.n_stm * stm.n_par
    k_float = (epochs - epoch0) / dt                           # >= 0 in this direction
    n_nodes = int(np.floor(k_float.max())) + 2                 # every epoch lies between two recorded nodes
    buf = forces.build_buffer(model, n_sat, stm.mode, float(epoch0), fast, slow, record_step=dt, record_nodes=n_nodes,
                              gm_parameters=stm.gm_parameters, stm_satellites=stm.n_stm or None)
    sim = _simulation(states0, stm, buf, dt)                   # `buf` stays alive in this scope
    sim.integrate(n_nodes * dt, exact_finish_time=1)           # node n_nodes - 1 is the start of the last step
    offset = int(buf[forces.H_RECORD + 1])
    record = buf[offset:offset + n_nodes * n_particles * 9].reshape(n_nodes, n_particles, 9)
    if not np.all(np.isfinite(record)):
        missing = int(np.argmax(~np.all(np.isfinite(record), axis=(1, 2))))
        raise RuntimeError(f"dense output: grid node {missing} was not recorded by the force (integrator changed?)")
    node = np.minimum(np.floor(k_float).astype(int), n_nodes - 2)
    return hermite5(record[node], record[node + 1], (k_float - node)[:, None, None], dt)


def hermite5(start, end, u, h):
    """Quintic Hermite interpolation between two nodes holding (x, v, a) in [..., 0:3], [3:6], [6:9].

    u in [0, 1] is the fraction of the step h (signed). Returns (..., 6): position and velocity.
    Error ~ h^6 x^(6) / 46080: < 1e-7 km for a 250-d orbit with h = 1 d (tests/test_propagation.py).
    """
    x0, v0, a0 = start[..., 0:3], start[..., 3:6] * h, start[..., 6:9] * h * h
    x1, v1, a1 = end[..., 0:3], end[..., 3:6] * h, end[..., 6:9] * h * h
    u2, u3 = u * u, u * u * u
    u4, u5 = u3 * u, u3 * u2
    position = ((1 - 10 * u3 + 15 * u4 - 6 * u5) * x0 + (u - 6 * u3 + 8 * u4 - 3 * u5) * v0
                + (0.5 * u2 - 1.5 * u3 + 1.5 * u4 - 0.5 * u5) * a0 + (0.5 * u3 - u4 + 0.5 * u5) * a1
                + (-4 * u3 + 7 * u4 - 3 * u5) * v1 + (10 * u3 - 15 * u4 + 6 * u5) * x1)
    velocity = ((-30 * u2 + 60 * u3 - 30 * u4) * x0 + (1 - 18 * u2 + 32 * u3 - 15 * u4) * v0
                + (u - 4.5 * u2 + 6 * u3 - 2.5 * u4) * a0 + (1.5 * u2 - 4 * u3 + 2.5 * u4) * a1
                + (-12 * u2 + 28 * u3 - 15 * u4) * v1 + (30 * u2 - 60 * u3 + 30 * u4) * x1) / h
    return np.concatenate([position, velocity], axis=-1)


def _simulation(states0, stm, buf, dt):
    sim = rebound.Simulation()
    sim.integrator = "ias15"
    sim.integrator.epsilon = 0.0            # fixed step
    sim.gravity = "none"                    # every force, point masses included, comes from our compiled function
    sim.dt = dt
    n_sat = states0.shape[0]
    for state in states0:
        sim.add(m=0.0, x=state[0], y=state[1], z=state[2], vx=state[3], vy=state[4], vz=state[5])
    if stm:
        for unit in stm.initial(n_sat):
            sim.add(m=0.0, x=unit[0], y=unit[1], z=unit[2], vx=unit[3], vy=unit[4], vz=unit[5])
    sim.N_active = 0
    sim.extras = buf.ctypes.data
    sim.additional_forces = forces.rebound_additional_forces.address
    return sim


def _read_particles(sim):
    n = sim.N
    xyz = np.empty((n, 3))
    vel = np.empty((n, 3))
    sim.serialize_particle_data(xyz=xyz, vxvyvz=vel)
    return xyz, vel
