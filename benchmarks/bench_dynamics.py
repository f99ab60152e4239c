"""Dynamics timings (printed, not asserted): 20-yr Himalia with the full model, with the STM, microseconds per
force evaluation, how many force calls IAS15 makes per step, numba compile/load time, and 8 satellites in one
propagation.

Run: python benchmarks/bench_dynamics.py
"""
import os
import subprocess
import sys
import time

import numpy as np

from timing import best_of

YEAR = 365.25 * 86400.0



def import_time(clear_cache):
    """Seconds to import dynamics.propagation in a fresh process (numba compiles, or loads its cache)."""
    code = "import time; t=time.perf_counter(); import dynamics.propagation; print(time.perf_counter()-t)"
    env = dict(os.environ, NUMBA_CACHE_DIR=os.path.join("/tmp", "orbitfit-bench-numba")) if clear_cache else None
    if clear_cache:
        subprocess.run(["rm", "-rf", env["NUMBA_CACHE_DIR"]], check=True)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def calls_per_step(state, model, stm, ephemeris, steps=400):
    """How often IAS15 calls the compiled force per fixed step (the predictor-corrector iterates until its
    corrections stop shrinking: the Galilean moons' 1.8-7 d periods take more iterations than a smooth force): the
    callback wrapped in a Python function that counts, over `steps` steps from 2000."""
    import ctypes
    from dynamics import forces
    from dynamics.propagation import DEFAULT_STEP_S, _simulation, _variational_setup
    variational = _variational_setup(1, stm, ())
    fast, slow = ephemeris.perturber_tables(-DEFAULT_STEP_S, (steps + 2) * DEFAULT_STEP_S)
    buf = forces.build_buffer(model, 1, variational.mode, 0.0, fast, slow)
    sim = _simulation(np.asarray(state)[None], variational, buf, DEFAULT_STEP_S)
    calls = [0]

    def counting(simulation):
        calls[0] += 1
        forces.rebound_additional_forces.ctypes(ctypes.addressof(simulation.contents))
    sim.additional_forces = counting
    sim.integrate(steps * DEFAULT_STEP_S, exact_finish_time=1)
    return calls[0] / steps


def main():
    print(f"import with numba compilation (empty cache): {import_time(True):.2f} s")
    print(f"import with numba cache (second process):    {import_time(False):.2f} s")

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
    from conftest import himalia_state_bary
    from dynamics import forces, propagate
    from dynamics.propagation import default_ephemeris, perturber_tables
    from dynamics.elements import Elements, elements_to_state, jovicentric_to_barycentric
    from dynamics import constants as C

    ephemeris = default_ephemeris()
    himalia = himalia_state_bary(ephemeris)
    epochs = np.linspace(0, 20 * YEAR, 1234)            # as many outputs as GJ15 Himalia positions
    start = time.perf_counter()
    propagate(himalia, 0.0, epochs)
    print(f"20-yr Himalia, full model, 1234 outputs, cold tables: {time.perf_counter() - start:.3f} s")
    print(f"20-yr Himalia, full model, 1234 outputs, warm:        {best_of(lambda: propagate(himalia, 0.0, epochs)):.3f} s")
    print(f"20-yr Himalia with 6x6 STM, warm:                     "
          f"{best_of(lambda: propagate(himalia, 0.0, epochs, stm=True)):.3f} s")

    fast, slow = perturber_tables(ephemeris, 0.0, 20 * YEAR)
    model = forces.ForceModel()
    buf = forces.build_buffer(model, 1, False, 0.0, fast, slow)
    particles = np.zeros(forces.PARTICLE_DOUBLES)
    particles[:3] = himalia[:3]
    forces.evaluate(0.0, buf, particles, 1)
    n = 200000
    times = np.random.default_rng(0).uniform(0, 20 * YEAR, n)
    start = time.perf_counter()
    for t in times[:20000]:
        forces.evaluate(t, buf, particles, 1)
    per_call_python = (time.perf_counter() - start) / 20000
    from numba import njit

    @njit
    def loop(times, buf, particles):
        for t in times:
            forces.evaluate(t, buf, particles, 1)
    loop(times[:10], buf, particles)
    start = time.perf_counter()
    loop(times, buf, particles)
    print(f"force evaluation (1 satellite, full model, compiled loop): {(time.perf_counter() - start) / n * 1e6:.2f} us "
          f"(from Python: {per_call_python * 1e6:.1f} us incl. call overhead)")

    for label, chosen in (("full model", model), ("no Galilean moons", forces.ForceModel(galileans=False))):
        print(f"force calls per 1-d step, {label}: " + ", ".join(
            f"{calls_per_step(himalia, chosen, stm, ephemeris):.1f} {'with' if stm else 'without'} STM"
            for stm in (False, True)))

    rows = [("Himalia", 11372100, 0.166, 45.14, 39.77, 351.48, 97.35), ("Elara", 11741170, 0.222, 28.64, 68.42, 179.82, 339.08),
            ("Lysithea", 11739900, 0.136, 51.12, 5.53, 53.0, 318.9), ("Leda", 11140300, 0.173, 16.15, 272.6, 212.2, 218.8),
            ("Pasiphae", 23425000, 0.379, 152.44, 284.59, 135.96, 236.97), ("Sinope", 22968800, 0.316, 157.76, 256.62, 298.38, 167.57),
            ("Carme", 24202924, 0.242, 147.13, 154.01, 47.90, 234.41), ("Ananke", 21683800, 0.380, 172.29, 56.9, 123.3, 231.24)]
    states = np.array([jovicentric_to_barycentric(elements_to_state(Elements(*r[1:], gm=C.GM_JUPITER_SYSTEM)), 0.0,
                                                  ephemeris) for r in rows])
    one = best_of(lambda: propagate(states[0], 0.0, epochs))
    eight = best_of(lambda: propagate(states, 0.0, epochs))
    eight_stm = best_of(lambda: propagate(states, 0.0, epochs, stm=True))
    print(f"8 satellites of seed 003 in one propagation: {eight:.3f} s = {eight / one:.2f} x one satellite "
          f"(with STMs: {eight_stm:.3f} s)")


if __name__ == "__main__":
    main()
