"""The validation harness ("predict what you did not fit", `orbitfit.validation`) for the 8 main irregular moons:
each weighting is judged on the Gaia DR3 transits after 2016-06-01, which its fit never saw.

    python benchmarks/validation.py                 # Gaia cut and all-data tests, every option set (~10 min)
    python benchmarks/validation.py --oppositions   # also leave-one-opposition-out on the ground data (slow)

Columns: held-out transits (n), AL rms and mean (mas), rms of AL / combined sigma (z; 1 for an honest covariance),
the fraction within 1 sigma (0.68 for Gaussian errors). "cut": fitted to the data before the cut only; "all": to
every embedded row but the held-out transits (ground data of 2016-2022 included).
"""
import argparse
import time

import numpy as np

from orbitfit.estimation.gauss_newton import FitError
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.observations.datasets import load_all
from orbitfit.observations.gj15 import read_gj15
from orbitfit.paths import data_path
from orbitfit.validation import gaia_cut, leave_one_opposition_out

OPTION_SETS = {
    "defaults": lambda: FitOptions(),
    "estimated nights": lambda: FitOptions(night_deweighting="estimated"),
    "estimated + biases": lambda: FitOptions(night_deweighting="estimated", bias_groups="dataset"),
    "estimated + seasons": lambda: FitOptions(night_deweighting="estimated", bias_groups="season"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oppositions", action="store_true", help="also leave one opposition out (slow)")
    parser.add_argument("--moons", nargs="*", default=list(gomes_junior_2016_orbits()))
    args = parser.parse_args()
    print(f"{'moon':9s} {'options':18s} {'test':8s} {'n':>3s} {'AL rms':>7s} {'mean':>7s} {'z rms':>6s} {'1sig':>5s} "
          f"{'s':>4s}")
    totals = {}
    for name in args.moons:
        observations = load_all(name, gaia_transits=True)[0]
        gj15, _ = read_gj15(data_path("gj15", f"{name}.dat"))
        # one start for every run: the GJ15 fit from the published elements (arcsecond start -> mas start)
        start = fit_orbit(gj15, gomes_junior_2016_orbit(name), FitOptions.gomes_junior_2016()).orbit
        for label, options in OPTION_SETS.items():
            for mode in ("cut", "all"):
                t0 = time.perf_counter()
                try:
                    s = gaia_cut(name, options(), mode=mode, observations=observations, start=start).summary
                except FitError as exc:
                    print(f"{name:9s} {label:18s} {'gaia ' + mode:8s} no convergence: {str(exc).splitlines()[0]}")
                    continue
                totals.setdefault((label, mode), []).append(s)
                print(f"{name:9s} {label:18s} {'gaia ' + mode:8s} {s['n']:3d} {s['rms_mas']:7.1f} {s['mean_mas']:+7.1f} "
                      f"{s['rms_normalised']:6.2f} {s['within_1sigma']:5.2f} {time.perf_counter() - t0:4.0f}")
            if args.oppositions:
                t0 = time.perf_counter()
                r = leave_one_opposition_out(name, options(), observations=observations, start=start)
                s = r.summary
                print(f"{name:9s} {label:18s} {'opp.':8s} {s['n']:3d} {s['rms_mas']:7.1f} {s['mean_mas']:+7.1f} "
                      f"{s['rms_normalised']:6.2f} {s['within_1sigma']:5.2f} {time.perf_counter() - t0:4.0f} "
                      f"({r.notes['n_oppositions']} apparitions)")
    print("\nover the moons: worst AL rms, range of z rms")
    for (label, mode), rows in totals.items():
        rms = [s["rms_mas"] for s in rows]
        z = [s["rms_normalised"] for s in rows]
        print(f"  {label:18s} gaia {mode:3s}: AL rms {min(rms):5.1f} - {max(rms):5.1f} mas (worst "
              f"{args.moons[int(np.argmax(rms))]}), z rms {min(z):.2f} - {max(z):.2f}")


if __name__ == "__main__":
    main()
