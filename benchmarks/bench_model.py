"""Time the observation model for 10^4 observations (prints figures; not a test).

    python benchmarks/bench_model.py

1. observer SSB positions (3 MPC sites, ITRS -> GCRS with astropy's IERS tables): first call (table loading) and
   warm call;
2. astrometric RA/Dec + partials with the target states already known (a target callable that only extrapolates
   precomputed states linearly, i.e. the model's own cost: light-time iteration, angles, partials);
3. the same with the target read from an SPK (Jupiter barycentre from de421 via jplephem);
4. the same with Sun deflection.
"""
import time

import numpy as np

import orbitfit  # noqa: F401
from dynamics import constants as C
from dynamics.ephemeris import Ephemeris, de421_kernel_path
from orbitfit import model as M
from orbitfit.observations.observers import Observers

N = 10_000


def timed(label, func, repeat=3):
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<62s} {best * 1e3:8.1f} ms")
    return result


def main():
    rng = np.random.default_rng(0)
    tdb = np.sort(rng.uniform(-5, 24, N)) * 365.25 * C.SECONDS_PER_DAY
    codes = rng.choice(["874", "809", "511"], N)
    ephemeris = Ephemeris(de421_kernel_path())
    observers = Observers(ephemeris)

    start = time.perf_counter()
    observers.positions(codes, tdb)
    print(f"{'observer positions, 1e4 epochs, first call (loads IERS tables)':<62s} "
          f"{(time.perf_counter() - start) * 1e3:8.1f} ms")
    observer = timed("observer positions, 1e4 epochs, warm", lambda: observers.positions(codes, tdb))

    jupiter = M.spk_target([], C.JUPITER_BARY, de_kernel=de421_kernel_path())
    known = jupiter(tdb)

    def known_states(t):            # states already computed: only linear extrapolation over the light time
        out = known.copy()
        out[:, :3] += known[:, 3:] * (t - tdb)[:, None]
        return out

    timed("astrometric + partials, target states known", lambda: M.astrometric(
        tdb, observer, known_states, partials=True))
    timed("astrometric + partials, target from SPK (jplephem, 3 reads)", lambda: M.astrometric(
        tdb, observer, jupiter, partials=True))
    sun = ephemeris.position(C.SUN, tdb)
    timed("astrometric + partials + Sun deflection, states known", lambda: M.astrometric(
        tdb, observer, known_states, partials=True, deflection=True, sun_ssb=sun))


if __name__ == "__main__":
    main()
