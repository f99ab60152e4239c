"""What each moon's held-out σ along the scan is made of, beside what its held-out transits miss by: the harness's
test (default "cut": the transits after 2016-06-01 predicted from the data before, every moon under one held-out rule
with its fitted transits freed of their visit's common error, `orbitfit.validation.common_visit_harness`), each
held-out transit's variance split into the parts that add up to it (`along_scan` and its meta):

* own: the transit's own AL σ (its moon's floor and Gaia's error common to the visit, as Gaia gave it);
* weights: the orbit's σ from the fit's weights and the biases' prior;
* scatter: the apparition biases' scatter beyond their prior (a consider term);
* shared: the error every moon's prediction shares (a consider term, `FitOptions.shared_sky_error_mas`).

Each printed as the rms over the moon's held-out transits of its σ (mas); then the AL rms of the misses and the z rms
(AL / σ, the harness's figure), and the z rms with σ the transit's own alone: a moon whose misses are smaller than
its transits' own σ (z below 1 on "own" alone) has a σ made wide by its floor, not by its orbit.

    python benchmarks/held_out_sigma_parts.py            # ~2.5 min on one core
    python benchmarks/held_out_sigma_parts.py --test all

Measured 2026-12-07, "cut" (AL rms mas; σ parts rms mas; z rms; z on the transit's own σ alone):
Himalia 6.1; own 4.5, weights 2.4, scatter 0.5, shared 4.1; z 0.88, 1.34. Elara 6.5; 5.0, 3.6, 0.7, 5.4; 0.82, 1.29.
Lysithea 15.3; 6.0, 8.1, 19.3, 4.8; 1.08, 2.57. Leda 9.2; 4.1, 4.7, 2.0, 6.5; 0.98, 2.35. Pasiphae 4.9; 4.3, 2.5,
0.8, 5.7; 0.66, 1.15. Sinope 2.9; 4.6, 3.0, 1.1, 3.7; 0.43, 0.63. Carme 3.7; 5.4, 6.8, 3.5, 6.3; 0.47, 0.69. Ananke
5.6; 4.3, 1.9, 1.2, 4.9; 0.80, 1.26. Sinope's and Carme's misses are below their transits' own σ.
"""
import argparse
import warnings

import numpy as np

from orbitfit.estimation.published import gomes_junior_2016_orbits
from orbitfit.validation import common_visit_harness


def parts(result):
    """{part: rms over the held-out transits of its AL sigma (mas)}, the AL rms, z rms and z rms on `own` alone."""
    table = result.table
    meta = table.meta
    al, own = table["al_mas"].value, table["sigma_al_mas"].value
    r, excess = meta["bias_scatter_al_mas"], meta["bias_excess_mas2"]
    scatter = np.einsum("nm,mk,nk->n", r, excess, r) if r.size else np.zeros(al.size)
    shared = meta["shared_variance_mas2"] * np.sum(meta["shared_al"] ** 2, axis=1)
    weights = np.diag(meta["orbit_assumed_mas2"])
    rms = lambda variance: float(np.sqrt(np.mean(variance)))
    return {"own": rms(own ** 2), "weights": rms(weights), "scatter": rms(scatter), "shared": rms(shared),
            "al_rms": rms(al ** 2), "z_rms": rms(table["normalised"] ** 2), "z_own": rms((al / own) ** 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--test", choices=("cut", "all"), default="cut")
    args = parser.parse_args()
    warnings.simplefilter("ignore")              # the refits' rejection-cap warnings say nothing new here
    bodies = list(gomes_junior_2016_orbits())
    _, corrected, _ = common_visit_harness(bodies, test=args.test)
    print(f"{args.test}: moon, held-out transits, AL rms (mas) | sigma parts, rms over the transits (mas): own "
          f"weights scatter shared | z rms, z rms on the transit's own sigma alone")
    for body in bodies:
        p = parts(corrected[body])
        print(f"{body:9s} {len(corrected[body].table):3d} {p['al_rms']:6.1f} | {p['own']:5.1f} {p['weights']:7.1f} "
              f"{p['scatter']:7.1f} {p['shared']:6.1f} | {p['z_rms']:5.2f} {p['z_own']:5.2f}", flush=True)


if __name__ == "__main__":
    main()
