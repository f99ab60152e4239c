"""The force model of Gomes-Junior et al. (2016, eq. 1-2), compiled with numba, and its analytic Jacobian.

Origin: the Jupiter-system barycentre (NAIF 5), ICRF axes, km, s. For a satellite at x (relative to 5):
  * Jupiter as a point mass at its centre (599) plus zonal harmonics J2, J4, J6 about its IAU pole;
  * the Galilean moons as point masses (no indirect term: 5 is their barycentre with Jupiter, so internal forces
    do not accelerate the origin);
  * Sun, planets, Earth, Moon, Pluto with the indirect term (the acceleration of 5 itself, as in the DE);
  * mutual attraction between integrated satellites that are given a GM.
Every term can be switched off. Velocity-independent, so the variational equations need only da/dx.

Everything the compiled code needs sits in one float64 buffer (layout below) whose address REBOUND carries in
`sim.extras`; the compiled callback reads REBOUND's structs by address, so no Python runs during integration.
numba keys its cache of a function on the function's file: the callback lives here with the force it calls (edited in
another file, a force ran stale, measured 2026-12-07), and what it reads of REBOUND's structs is a closure (below).
Particle layout in the REBOUND simulation: n_sat satellites, then, if the STM is wanted, for each of the first
n_stm satellites i (all of them by default) P variational particles at n_sat + P i + k, particle (i, k) = d x_i / d p_k:
  * STM_BLOCK (P = 6): the columns of satellite i's own 6x6 state-transition matrix (p = its own initial state);
  * STM_COUPLED (P = 6 n_sat + n_gm): p = all satellites' initial states, then the GMs of chosen satellites, so
    that the mutual attraction couples the satellites' variations (a family fit with a satellite's GM free).
"""
from __future__ import annotations

import ctypes

import numpy as np
import rebound
from numba import carray, cfunc, njit, types
from numba.extending import intrinsic

from . import constants as C
from . import numba_cache, tables
from .chebyshev import ChebyshevRecords
from .force_model import ForceModel      # the terms and constants a run uses; evaluated here

ON_DISK = numba_cache.can_cache(__file__)   # numba keeps the compiled code on disk (False: none writable, in memory)

# --- buffer layout -----------------------------------------------------------------------------------------------
H_NSAT, H_STM, H_T0, H_GMJ, H_R, H_J2, H_J4, H_J6 = 0, 1, 2, 3, 4, 5, 6, 7
H_FAST = 8            # t_start, segment, n_segments, n_coef, n_vectors, offset of coefficients
H_SLOW = 14
H_GM_MOONS = 20       # 4 values, order of tables.FAST_BODIES[1:]
H_GM_SLOW = 24        # 10 values, order of tables.SLOW_BODIES
H_SCRATCH = 34        # perturber positions: 5 fast + 11 slow vectors = 48 values
H_CENTRE_AT_ORIGIN = 82   # 1: Jupiter's point mass sits at 5 (Galileans off: their mass is lumped into Jupiter)
H_RECORD = 83         # grid step (s, signed; 0 = no recording), offset of the record area, number of grid nodes
H_NPARAM = 86         # P, variational particles per satellite (0 without STM)
H_NSTM = 87           # satellites with variational particles: the first n_stm (all in the coupled mode)
H_GM_SATS = 88        # n_sat GM values, then (coupled mode) the satellite index of each GM parameter, then the
                      # work area (WORK_FIXED + 6 n_sat values), the indirect terms and the perturber cache
                      # (CACHE_SLOTS), then the coefficient tables, then the record area
WORK_FIXED = 12       # the work area: one satellite's acceleration (3) and its Jacobian (3x3), then (coupled mode)
                      # the pair geometry of _coupled_variations (n_sat x 6): one buffer serves one simulation at a
                      # time (propagation.py builds one per integration direction and thread)
CACHE_SLOTS = 8       # after the work area: the slow bodies' indirect terms now (3 per body), then the scratch and
                      # indirect terms at the last 8 epochs, then the slot to fill next: IAS15 evaluates the force at
                      # its 8 Gauss-Radau nodes once per predictor-corrector iteration, at the same epochs each time,
                      # so tables and indirect terms are evaluated once per node (the same numbers, the same bits)
STM_NONE, STM_BLOCK, STM_COUPLED = 0, 1, 2      # values of buf[H_STM]
N_FAST = len(tables.FAST_BODIES)
N_SLOW = len(tables.SLOW_BODIES)
N_SCRATCH = 3 * (N_FAST + N_SLOW + 1)          # the fast bodies, the slow ones and Jupiter's pole
N_INDIRECT = 3 * N_SLOW                         # each slow body's acceleration of the origin 5 (km/s^2)
CACHE_SLOT = 1 + N_SCRATCH + N_INDIRECT         # an epoch (TDB s), the scratch and the indirect terms at it
PARTICLE_DOUBLES = ctypes.sizeof(rebound.Particle) // 8      # 14 in REBOUND 5: x y z vx vy vz ax ay az m ...

# The installed REBOUND's layout: offsets (bytes) of sim.t, N, particles, extras; doubles per particle. The callback
# closes over it (numba keys a closure's cache on its values, a global's not at all); evaluate() reads no layout.
REBOUND_LAYOUT = (rebound.Simulation.t.offset, rebound.Simulation.N.offset, rebound.Simulation._particles.offset,
                  rebound.Simulation.extras.offset, PARTICLE_DOUBLES)
assert rebound.Particle.x.offset == 0 and rebound.Particle.vx.offset == 24 and rebound.Particle.ax.offset == 48
assert (H_GM_SLOW, H_SCRATCH, H_CENTRE_AT_ORIGIN) == (H_GM_MOONS + N_FAST - 1, H_GM_SLOW + N_SLOW,
                                                     H_SCRATCH + N_SCRATCH), "tables' bodies changed: edit the layout"


def stm_mode(stm):
    """STM_NONE, STM_BLOCK or STM_COUPLED from propagate()'s `stm` argument (False, True or "coupled")."""
    if isinstance(stm, str):
        if stm != "coupled":
            raise ValueError(f"stm must be False, True or 'coupled', not {stm!r}")
        return STM_COUPLED
    return STM_BLOCK if stm else STM_NONE


def n_parameters(n_sat, stm, gm_parameters=()):
    """P: the variational particles per satellite for this STM mode."""
    mode = stm_mode(stm)
    return {STM_NONE: 0, STM_BLOCK: 6, STM_COUPLED: 6 * n_sat + len(gm_parameters)}[mode]


def n_stm_satellites(n_sat, stm, stm_satellites=None):
    """How many of the n_sat satellites (the first ones) carry variational particles."""
    mode = stm_mode(stm)
    if mode == STM_NONE:
        return 0
    if stm_satellites is None:
        return n_sat
    n_stm = int(stm_satellites)
    if mode == STM_COUPLED and n_stm != n_sat:
        raise ValueError("the coupled STM needs every satellite's variations (stm_satellites = n_sat)")
    if not 0 < n_stm <= n_sat:
        raise ValueError(f"stm_satellites must be in 1..{n_sat}, got {stm_satellites}")
    return n_stm


def build_buffer(model: ForceModel, n_sat, stm, tdb0, fast: ChebyshevRecords, slow: ChebyshevRecords,
                 record_step=0.0, record_nodes=0, gm_parameters=(), stm_satellites=None):
    """The float64 buffer the compiled force reads (see the layout constants above).

    stm: False, True (each satellite's own 6x6 STM) or "coupled" (d x_i / d p for p = every satellite's initial
    state and the GMs of the satellites listed in gm_parameters, indices into the satellites).
    stm_satellites: with stm=True, only the first this many satellites carry an STM (default all): massive
    companions integrated alongside a massless target need none (their motion does not depend on it).

    record_step, record_nodes: if given, every force evaluation at t = k * record_step (k < record_nodes), i.e. at
    the start of each fixed integrator step, stores x, v, a of every particle in the record area
    (node k, particle p at offset + (k * n_particles + p) * 9), for dense output by Hermite interpolation.
    """
    mode = stm_mode(stm)
    gm_parameters = tuple(int(g) for g in gm_parameters)
    if gm_parameters and mode != STM_COUPLED:
        raise ValueError("GM parameters need stm='coupled'")
    if any(not 0 <= g < n_sat for g in gm_parameters) or len(set(gm_parameters)) != len(gm_parameters):
        raise ValueError(f"gm_parameters must be distinct satellite indices in 0..{n_sat - 1}, got {gm_parameters}")
    gm_sats = np.zeros(n_sat)
    if model.satellite_gm:
        if len(model.satellite_gm) != n_sat:
            raise ValueError(f"satellite_gm has {len(model.satellite_gm)} values for {n_sat} satellites")
        gm_sats[:] = model.satellite_gm
    n_par = n_parameters(n_sat, stm, gm_parameters)
    n_stm = n_stm_satellites(n_sat, mode, stm_satellites)
    cache_start = H_GM_SATS + n_sat + len(gm_parameters) + WORK_FIXED + 6 * n_sat
    head = np.zeros(cache_start + N_INDIRECT + CACHE_SLOTS * CACHE_SLOT + 1)
    head[cache_start + N_INDIRECT:-1] = np.nan   # no epoch cached yet (NaN equals nothing)
    head[-1] = 0.0                               # the slot to fill next
    head[H_NSAT], head[H_STM], head[H_T0] = n_sat, float(mode), tdb0
    head[H_NPARAM], head[H_NSTM] = n_par, n_stm
    galilean_gms = dict(zip(C.GALILEANS, model.galilean_gms()))
    # without the moons their mass is lumped into Jupiter's point mass: the system GM
    lumped = model.jupiter_gm() + (0.0 if model.galileans else sum(galilean_gms.values()))
    head[H_GMJ] = lumped if model.jupiter else 0.0
    head[H_CENTRE_AT_ORIGIN] = 0.0 if model.galileans else 1.0
    head[H_R] = C.JUPITER_REFERENCE_RADIUS_KM
    for degree, slot, value in zip((2, 4, 6), (H_J2, H_J4, H_J6), model.zonal_coefficients()):
        head[slot] = value if (model.jupiter and degree in model.zonal_degrees) else 0.0
    for slot, body in enumerate(tables.FAST_BODIES[1:]):
        head[H_GM_MOONS + slot] = galilean_gms[body] if model.galileans else 0.0
    for slot, body in enumerate(tables.SLOW_BODIES):
        on = {C.SUN: model.sun, C.PLUTO_BARY: model.pluto}.get(body, model.planets)
        head[H_GM_SLOW + slot] = C.GM_DE440[body] if on else 0.0
    head[H_GM_SATS:H_GM_SATS + n_sat] = gm_sats
    head[H_GM_SATS + n_sat:H_GM_SATS + n_sat + len(gm_parameters)] = gm_parameters
    offset = head.size
    for base, table in ((H_FAST, fast), (H_SLOW, slow)):
        n_seg, n_vec3, n_coef = table.coefficients.shape
        head[base:base + 6] = (table.t_start, table.record_s, n_seg, n_coef, n_vec3 // 3, offset)
        offset += table.coefficients.size
    n_particles = n_sat + n_stm * n_par
    head[H_RECORD:H_RECORD + 3] = (record_step, offset, record_nodes)
    record = np.full(record_nodes * n_particles * 9, np.nan)
    return np.concatenate([head, fast.coefficients.ravel(), slow.coefficients.ravel(), record])


# --- compiled pieces ---------------------------------------------------------------------------------------------
@njit(cache=ON_DISK, fastmath=False)
def point_mass(d0, d1, d2, gm, acc, jac, with_jacobian=True):
    """Add -gm d/|d|^3 to acc and (if asked) its Jacobian -gm (I/r^3 - 3 d d^T / r^5) to jac (3x3)."""
    r2 = d0 * d0 + d1 * d1 + d2 * d2
    r = np.sqrt(r2)
    ir3 = 1.0 / (r2 * r)
    acc[0] -= gm * d0 * ir3
    acc[1] -= gm * d1 * ir3
    acc[2] -= gm * d2 * ir3
    if not with_jacobian:
        return
    ir5 = ir3 / r2
    d = (d0, d1, d2)
    for i in range(3):
        for j in range(3):
            jac[i, j] += gm * 3.0 * d[i] * d[j] * ir5
        jac[i, i] -= gm * ir3


@njit(cache=ON_DISK)
def _legendre(n, s):
    """P_n(s), P_n'(s), P_n''(s) for n = 2, 4, 6."""
    s2 = s * s
    if n == 2:
        return 0.5 * (3.0 * s2 - 1.0), 3.0 * s, 3.0
    if n == 4:
        return ((35.0 * s2 - 30.0) * s2 + 3.0) / 8.0, (35.0 * s2 - 15.0) * s / 2.0, (105.0 * s2 - 15.0) / 2.0
    return ((((231.0 * s2 - 315.0) * s2 + 105.0) * s2 - 5.0) / 16.0,
            ((1386.0 * s2 - 1260.0) * s2 + 210.0) * s / 16.0,
            ((6930.0 * s2 - 3780.0) * s2 + 210.0) / 16.0)


@njit(cache=ON_DISK)
def zonal(d0, d1, d2, pole, gm, radius, j2, j4, j6, acc, jac, with_jacobian=True):
    """Add the J2/J4/J6 acceleration and its Jacobian.

    With K = gm J_n R^n, s = sin(latitude) = u.d/r:  a_n = A u + B d, where
    A = -K P_n'(s) / r^(n+2),  B = K (s P_n'(s) + (n+1) P_n(s)) / r^(n+3);
    da/dd = u grad(A)^T + d grad(B)^T + B I, with grad r = d/r and grad s = u/r - s d/r^2.
    """
    u0, u1, u2 = pole[0], pole[1], pole[2]
    r2 = d0 * d0 + d1 * d1 + d2 * d2
    r = np.sqrt(r2)
    s = (d0 * u0 + d1 * u1 + d2 * u2) / r
    d = (d0, d1, d2)
    u = (u0, u1, u2)
    for n, jn in ((2, j2), (4, j4), (6, j6)):
        if jn == 0.0:
            continue
        k = gm * jn * radius ** n
        p, dp, ddp = _legendre(n, s)
        rn2 = r ** (n + 2)
        a_coef = -k * dp / rn2
        b_coef = k * (s * dp + (n + 1) * p) / (rn2 * r)
        da_dr = k * (n + 2) * dp / (rn2 * r)
        da_ds = -k * ddp / rn2
        db_dr = -(n + 3) * b_coef / r
        db_ds = k * ((n + 2) * dp + s * ddp) / (rn2 * r)
        for i in range(3):
            acc[i] += a_coef * u[i] + b_coef * d[i]
        if not with_jacobian:
            continue
        for j in range(3):
            grad_r = d[j] / r
            grad_s = u[j] / r - s * d[j] / r2
            ga = da_dr * grad_r + da_ds * grad_s
            gb = db_dr * grad_r + db_ds * grad_s
            for i in range(3):
                jac[i, j] += u[i] * ga + d[i] * gb
            jac[j, j] += b_coef


@njit(cache=ON_DISK)
def _chebyshev_vectors(buf, base, t, out, out_start):
    """Evaluate one Chebyshev table (header at buf[base:base+6]) at TDB t into out[out_start:]."""
    t_start, segment = buf[base], buf[base + 1]
    n_seg, n_coef, n_vec, offset = int(buf[base + 2]), int(buf[base + 3]), int(buf[base + 4]), int(buf[base + 5])
    index = int(np.floor((t - t_start) / segment))
    if index < 0:
        index = 0
    elif index >= n_seg:
        index = n_seg - 1
    x = 2.0 * (t - t_start - index * segment) / segment - 1.0
    start = offset + index * n_vec * 3 * n_coef
    for v in range(n_vec):
        # Clenshaw recurrence sum_k c_k T_k(x) of x, y and z side by side: three independent chains keep the CPU's
        # pipeline full where one waits on each step's result (the same operations in the same order as one
        # component at a time, so the same bits; propagations ~13% faster, measured 2026-12-07)
        rx, ry, rz = start + 3 * v * n_coef, start + (3 * v + 1) * n_coef, start + (3 * v + 2) * n_coef
        x1 = x2 = y1 = y2 = z1 = z2 = 0.0
        for k in range(n_coef - 1, 0, -1):
            x1, x2 = 2.0 * x * x1 - x2 + buf[rx + k], x1
            y1, y2 = 2.0 * x * y1 - y2 + buf[ry + k], y1
            z1, z2 = 2.0 * x * z1 - z2 + buf[rz + k], z1
        out[out_start + 3 * v] = x * x1 - x2 + buf[rx]
        out[out_start + 3 * v + 1] = x * y1 - y2 + buf[ry]
        out[out_start + 3 * v + 2] = x * z1 - z2 + buf[rz]


@njit(cache=ON_DISK)
def evaluate(t_rel, buf, particles, n_particles):
    """Set accelerations of all particles (REBOUND's layout, x y z vx vy vz ax ay az first) at t_rel s past epoch."""
    stride = particles.size // n_particles      # REBOUND's doubles per particle, whatever the installed version's
    n_sat = int(buf[H_NSAT])
    stm = buf[H_STM] != STM_NONE
    coupled = buf[H_STM] == STM_COUPLED
    n_par = int(buf[H_NPARAM])
    n_stm = int(buf[H_NSTM])
    t = buf[H_T0] + t_rel
    indirect = _perturbers(buf, t)
    slow0 = H_SCRATCH + 3 * N_FAST
    pole = buf[slow0 + 3 * N_SLOW: slow0 + 3 * N_SLOW + 3]
    gm_j, radius, j2, j4, j6 = buf[H_GMJ], buf[H_R], buf[H_J2], buf[H_J4], buf[H_J6]
    centre_at_origin = buf[H_CENTRE_AT_ORIGIN] != 0.0
    work = _work_start(buf)
    acc = buf[work:work + 3]
    jac = buf[work + 3:work + WORK_FIXED].reshape((3, 3))
    for i in range(n_sat):
        p = i * stride
        x0, x1, x2 = particles[p], particles[p + 1], particles[p + 2]
        acc[:] = 0.0
        want_jac = stm and i < n_stm
        if want_jac:
            jac[:, :] = 0.0
        if gm_j != 0.0:
            if centre_at_origin:
                d0, d1, d2 = x0, x1, x2
            else:
                d0, d1, d2 = x0 - buf[H_SCRATCH], x1 - buf[H_SCRATCH + 1], x2 - buf[H_SCRATCH + 2]
            point_mass(d0, d1, d2, gm_j, acc, jac, want_jac)
            if j2 != 0.0 or j4 != 0.0 or j6 != 0.0:
                zonal(d0, d1, d2, pole, gm_j, radius, j2, j4, j6, acc, jac, want_jac)
        for m in range(N_FAST - 1):
            gm = buf[H_GM_MOONS + m]
            if gm != 0.0:
                q = H_SCRATCH + 3 * (m + 1)
                point_mass(x0 - buf[q], x1 - buf[q + 1], x2 - buf[q + 2], gm, acc, jac, want_jac)
        for b in range(N_SLOW):
            gm = buf[H_GM_SLOW + b]
            if gm != 0.0:
                q = slow0 + 3 * b
                r0, r1, r2 = buf[q], buf[q + 1], buf[q + 2]
                point_mass(x0 - r0, x1 - r1, x2 - r2, gm, acc, jac, want_jac)
                # indirect term: minus the acceleration of the origin (5) by the same body (_perturbers)
                acc[0] -= buf[indirect + 3 * b]
                acc[1] -= buf[indirect + 3 * b + 1]
                acc[2] -= buf[indirect + 3 * b + 2]
        for other in range(n_sat):
            gm = buf[H_GM_SATS + other]
            if gm != 0.0 and other != i:
                o = other * stride
                point_mass(x0 - particles[o], x1 - particles[o + 1], x2 - particles[o + 2], gm, acc, jac, want_jac)
        particles[p + 6], particles[p + 7], particles[p + 8] = acc[0], acc[1], acc[2]
        if coupled:
            _coupled_variations(i, n_sat, n_par, buf, particles, stride, jac, work + WORK_FIXED)
        elif want_jac:
            # variational particles of satellite i: d(delta v)/dt = (da/dx) delta x. Cross-satellite terms of the
            # mutual attraction are left out: each satellite's STM is its own 6x6 block.
            for k in range(n_par):
                v = (n_sat + n_par * i + k) * stride
                for row in range(3):
                    particles[v + 6 + row] = (jac[row, 0] * particles[v] + jac[row, 1] * particles[v + 1]
                                              + jac[row, 2] * particles[v + 2])
    for extra in range(n_sat + n_stm * n_par, n_particles):
        particles[extra * stride + 6: extra * stride + 9] = 0.0
    record_step = buf[H_RECORD]
    if record_step != 0.0:
        k = t_rel / record_step
        node = int(np.floor(k + 0.5))
        if abs(k - node) < 1e-9 * max(1.0, abs(k)) and 0 <= node < int(buf[H_RECORD + 2]):
            base = int(buf[H_RECORD + 1]) + node * n_particles * 9
            for p in range(n_particles):
                for c in range(9):
                    buf[base + 9 * p + c] = particles[p * stride + c]


@njit(cache=ON_DISK)
def _perturbers(buf, t):
    """The perturbers' positions and Jupiter's pole at TDB t into the scratch and the slow bodies' indirect terms
    gm r / |r|^3, from the last CACHE_SLOTS epochs' cache or else the tables (then kept); returns the terms' index."""
    indirect = _work_start(buf) + WORK_FIXED + 6 * int(buf[H_NSAT])
    cache = indirect + N_INDIRECT
    for slot in range(CACHE_SLOTS):
        start = cache + slot * CACHE_SLOT
        if buf[start] == t:
            buf[H_SCRATCH:H_SCRATCH + N_SCRATCH] = buf[start + 1:start + 1 + N_SCRATCH]
            buf[indirect:indirect + N_INDIRECT] = buf[start + 1 + N_SCRATCH:start + CACHE_SLOT]
            return indirect
    _chebyshev_vectors(buf, H_FAST, t, buf, H_SCRATCH)
    _chebyshev_vectors(buf, H_SLOW, t, buf, H_SCRATCH + 3 * N_FAST)
    slow0 = H_SCRATCH + 3 * N_FAST
    for b in range(N_SLOW):
        gm = buf[H_GM_SLOW + b]
        q = slow0 + 3 * b
        r0, r1, r2 = buf[q], buf[q + 1], buf[q + 2]
        rho3 = (r0 * r0 + r1 * r1 + r2 * r2) ** 1.5
        buf[indirect + 3 * b] = gm * r0 / rho3
        buf[indirect + 3 * b + 1] = gm * r1 / rho3
        buf[indirect + 3 * b + 2] = gm * r2 / rho3
    fill = cache + CACHE_SLOTS * CACHE_SLOT
    slot = int(buf[fill])
    start = cache + slot * CACHE_SLOT
    buf[start] = t
    buf[start + 1:start + 1 + N_SCRATCH] = buf[H_SCRATCH:H_SCRATCH + N_SCRATCH]
    buf[start + 1 + N_SCRATCH:start + CACHE_SLOT] = buf[indirect:indirect + N_INDIRECT]
    buf[fill] = float((slot + 1) % CACHE_SLOTS)
    return indirect


@njit(cache=ON_DISK)
def _coupled_variations(i, n_sat, n_par, buf, particles, stride, jac, geometry_start):
    """Variational accelerations of satellite i's particles (i, k) = d x_i / d p_k in the coupled mode.

    a_i = ... - sum_l GM_l d_il / |d_il|^3 with d_il = x_i - x_l (point_mass above), so
      d a_i / d x_l = +GM_l (I/r^3 - 3 d d^T/r^5)  (minus the pair's term in jac = d a_i / d x_i),
      d a_i / d GM_l = -d_il / r^3                  (also when GM_l is 0: a parameter may start there).
    No indirect term: satellites do not accelerate the origin 5 in this model.
    """
    n_gm_first = 6 * n_sat              # columns 0..6n-1: initial states; then one column per GM parameter
    p = i * stride
    geometry = buf[geometry_start:geometry_start + 6 * n_sat].reshape((n_sat, 6))   # d (3), 1/r^3, 1/r^5, GM
    for other in range(n_sat):
        o = other * stride
        d0 = particles[p] - particles[o]
        d1 = particles[p + 1] - particles[o + 1]
        d2 = particles[p + 2] - particles[o + 2]
        geometry[other, 5] = buf[H_GM_SATS + other] if other != i else 0.0
        if other == i:
            continue
        r2 = d0 * d0 + d1 * d1 + d2 * d2
        ir3 = 1.0 / (r2 * np.sqrt(r2))
        geometry[other, 0], geometry[other, 1], geometry[other, 2] = d0, d1, d2
        geometry[other, 3], geometry[other, 4] = ir3, ir3 / r2
    for k in range(n_par):
        v = (n_sat + n_par * i + k) * stride
        a0 = jac[0, 0] * particles[v] + jac[0, 1] * particles[v + 1] + jac[0, 2] * particles[v + 2]
        a1 = jac[1, 0] * particles[v] + jac[1, 1] * particles[v + 1] + jac[1, 2] * particles[v + 2]
        a2 = jac[2, 0] * particles[v] + jac[2, 1] * particles[v + 1] + jac[2, 2] * particles[v + 2]
        for other in range(n_sat):
            gm = geometry[other, 5]
            if gm == 0.0:
                continue
            u = (n_sat + n_par * other + k) * stride
            d0, d1, d2, ir3, ir5 = geometry[other, 0], geometry[other, 1], geometry[other, 2], \
                geometry[other, 3], geometry[other, 4]
            along = 3.0 * ir5 * (d0 * particles[u] + d1 * particles[u + 1] + d2 * particles[u + 2])
            a0 += gm * (particles[u] * ir3 - d0 * along)
            a1 += gm * (particles[u + 1] * ir3 - d1 * along)
            a2 += gm * (particles[u + 2] * ir3 - d2 * along)
        if k >= n_gm_first:
            source = int(buf[H_GM_SATS + n_sat + k - n_gm_first])
            if source != i:
                a0 -= geometry[source, 0] * geometry[source, 3]
                a1 -= geometry[source, 1] * geometry[source, 3]
                a2 -= geometry[source, 2] * geometry[source, 3]
        particles[v + 6], particles[v + 7], particles[v + 8] = a0, a1, a2


@njit(cache=ON_DISK)
def buffer_length(head):
    """The length of the buffer whose header is `head` (the callback sees only its address)."""
    n_sat = int(head[H_NSAT])
    fast_end = int(head[H_FAST + 5]) + int(head[H_FAST + 2] * head[H_FAST + 3] * head[H_FAST + 4] * 3)
    slow_end = int(head[H_SLOW + 5]) + int(head[H_SLOW + 2] * head[H_SLOW + 3] * head[H_SLOW + 4] * 3)
    n_par = int(head[H_NPARAM])
    particles = n_sat + int(head[H_NSTM]) * n_par
    record_end = int(head[H_RECORD + 1]) + int(head[H_RECORD + 2]) * particles * 9
    cache_end = _work_start(head) + WORK_FIXED + 6 * n_sat + N_INDIRECT + CACHE_SLOTS * CACHE_SLOT + 1
    return max(fast_end, slow_end, record_end, cache_end)


@njit(cache=ON_DISK)
def _work_start(buf):
    """Index of the work area, after the GMs (and GM parameters); the indirect terms start WORK_FIXED + 6 n_sat on."""
    n_sat = int(buf[H_NSAT])
    n_gm = int(buf[H_NPARAM]) - 6 * n_sat if buf[H_STM] == STM_COUPLED else 0
    return H_GM_SATS + n_sat + n_gm


# --- the C callback REBOUND calls --------------------------------------------------------------------------------
def _pointer_cast(element_type):
    """A numba intrinsic turning an integer address into a pointer to `element_type` (structs read by address)."""
    pointer = types.CPointer(element_type)

    def cast(typingctx, address):
        def codegen(context, builder, sig, args):
            return builder.inttoptr(args[0], context.get_value_type(pointer))
        return pointer(types.intp), codegen
    cast.__name__ = cast.__qualname__ = f"_{element_type}_pointer"
    return intrinsic(cast)


_double_pointer, _int_pointer = _pointer_cast(types.float64), _pointer_cast(types.intp)


def _rebound_callback(layout):
    """REBOUND's additional_forces for a struct layout, compiled (and cached) once per layout: see REBOUND_LAYOUT."""
    sim_t, sim_n, sim_particles, sim_extras, particle_doubles = layout
    @cfunc(types.void(types.intp), cache=ON_DISK)
    def rebound_additional_forces(sim_address):
        t_rel = _double_pointer(sim_address + sim_t)[0]
        n_particles = _int_pointer(sim_address + sim_n)[0]
        particles_address = _int_pointer(sim_address + sim_particles)[0]
        buf_address = _int_pointer(sim_address + sim_extras)[0]
        head = carray(_double_pointer(buf_address), (H_GM_SATS,))
        buf = carray(_double_pointer(buf_address), (buffer_length(head),))
        particles = carray(_double_pointer(particles_address), (n_particles * particle_doubles,))
        evaluate(t_rel, buf, particles, n_particles)
    return rebound_additional_forces


rebound_additional_forces = _rebound_callback(REBOUND_LAYOUT)


def accelerations(tdb_seconds, positions, model: ForceModel, fast, slow, stm_positions=None, gm_parameters=None):
    """Python entry to the compiled force (tests, checks): positions (n_sat, 3) km at one TDB epoch.

    Returns accelerations (n_sat, 3) km/s^2, and if stm_positions (n_sat, 6, 3) is given, the variational
    accelerations (n_sat, 6, 3) = (da/dx) . delta x. With gm_parameters (a tuple, possibly empty) the coupled
    mode: stm_positions (n_sat, P, 3), P = 6 n_sat + len(gm_parameters), returns (n_sat, P, 3).
    """
    positions = np.atleast_2d(np.asarray(positions, dtype=float))
    n_sat = positions.shape[0]
    stm = stm_positions is not None
    mode = "coupled" if (stm and gm_parameters is not None) else stm
    gm_parameters = tuple(gm_parameters or ())
    n_par = n_parameters(n_sat, mode, gm_parameters)
    buf = build_buffer(model, n_sat, mode, tdb_seconds, fast, slow, gm_parameters=gm_parameters)
    n_particles = n_sat * (1 + n_par)
    particles = np.zeros((n_particles, PARTICLE_DOUBLES))
    particles[:n_sat, :3] = positions
    if stm:
        particles[n_sat:, :3] = np.asarray(stm_positions, dtype=float).reshape(-1, 3)
    flat = particles.ravel()
    evaluate(0.0, buf, flat, n_particles)           # flat is a view of particles: they hold the result
    acc = particles[:n_sat, 6:9].copy()
    return (acc, particles[n_sat:, 6:9].reshape(n_sat, n_par, 3).copy()) if stm else acc
