"""Family-fit timings (printed): coupled vs block-diagonal STM propagations over the GJ15 span, and GJ15 family
fits (Himalia's GM free) with iterations, seconds per iteration and per evaluation (one coupled propagation plus
the astrometry of every body's observations).  Run: python benchmarks/bench_family.py"""
import time

import numpy as np

from timing import best_of

YEAR = 365.25 * 86400.0



def main():
    from dynamics import ForceModel, propagate
    from dynamics import constants as C
    from dynamics.propagation import default_ephemeris
    from orbitfit.estimation.family import fit_family
    from orbitfit.estimation.options import FitOptions
    from orbitfit.paths import data_path
    from orbitfit.observations.gj15 import read_gj15
    from orbitfit.estimation.published import gomes_junior_2016_orbit

    ephemeris = default_ephemeris()
    names = ("Himalia", "Elara", "Lysithea", "Leda")
    states = np.array([gomes_junior_2016_orbit(name, ephemeris).state for name in names])
    epochs = np.linspace(-4.6 * YEAR, 14.1 * YEAR, 2200)          # GJ15: 1995.4-2014.1, ~2200 positions of 4 moons
    propagate(states[:2], 0.0, epochs, stm="coupled", gm_parameters=(0,))        # compile, tables
    print(f"{'propagation 1995-2014 (dense, 2200 outputs)':52s} {'seconds':>8s} {'particles':>9s}")
    for n_sat in (1, 2, 3, 4):
        gms = (C.GM_HIMALIA,) + (0.0,) * (n_sat - 1)
        model = ForceModel(satellite_gm=gms)
        rows = [("no STM", dict(stm=False), n_sat), ("block-diagonal STM (stm=True)", dict(stm=True), 7 * n_sat),
                ("coupled STM + Himalia GM", dict(stm="coupled", gm_parameters=(0,)), n_sat * (2 + 6 * n_sat))]
        for label, kwargs, particles in rows:
            seconds = best_of(lambda: propagate(states[:n_sat], 0.0, epochs, model=model, ephemeris=ephemeris,
                                               **kwargs))
            print(f"  {n_sat} satellite(s), {label:36s} {seconds:8.3f} {particles:9d}")

    observations = {}
    orbits = {}
    for name in names:
        table, _ = read_gj15(data_path("gj15", f"{name}.dat"))
        body = int(table["body"][0])
        observations[body], orbits[body] = table, gomes_junior_2016_orbit(name, ephemeris)
    print(f"\n{'GJ15 family fit, Himalia GM free':40s} {'n':>5s} {'iter':>5s} {'seconds':>8s} {'s/iter':>7s} "
          f"{'s/eval':>7s}  GM(Himalia) km^3/s^2")
    for count in (2, 3, 4):
        bodies = list(observations)[:count]
        start = time.perf_counter()
        family = fit_family({b: observations[b] for b in bodies}, {b: orbits[b] for b in bodies},
                            FitOptions(night_deweighting=False), fit_gm=(506,))
        elapsed = time.perf_counter() - start
        n_obs = sum(len(observations[b]) for b in bodies)
        n_iter = len(family.history)
        # an iteration evaluates the trial orbit once when undamped; the first evaluation comes before iteration 1
        per_eval = elapsed / (n_iter + 1 + sum(np.log2(1 / h["damping"]) for h in family.history))
        print(f"  {'+'.join(names[:count]):38s} {n_obs:5d} {n_iter:5d} {elapsed:8.2f} {elapsed / n_iter:7.2f} "
              f"{per_eval:7.2f}  {family.gm[506]:+.3f} +- {family.gm_sigma(506):.3f}")


if __name__ == "__main__":
    main()
