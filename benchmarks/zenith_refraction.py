"""Differential colour refraction in the embedded ground data: each moon fitted to every embedded data set with the
"zenith" level (`bias_groups="apparition+uncatalogued+zenith"`: one displacement k_up tan z towards the zenith and
one k_across tan z at right angles, shared by all its ground positions, prior 30 mas per unit tan z), and the
moons' weighted means. Refraction gives k_up only; k_across is the control. And, from the same fits, the ground
O-C of 2010 on against the orbit alone (every fitted offset added back), projected towards each row's zenith:
its weighted mean over the northern and over the southern sites (a diagnostic that needs no model of it).

    python benchmarks/zenith_refraction.py          # ~4 min on one core

Measured 2026-12-05 (mas per unit tan z; the ground rows' median tan z 0.7-0.8):
    Himalia +15.2 +- 3.2 (across -0.7 +- 3.0), Elara +30.2 +- 4.8, Lysithea +20.8 +- 10.5, Leda +9.8 +- 19.3,
    Pasiphae +10.1 +- 3.8, Sinope -5.3 +- 7.0, Carme +8.6 +- 6.2, Ananke +4.7 +- 9.1
    weighted mean k_up +13.8 +- 1.9 (chi2 22.2 for 7 dof); k_across -2.2 +- 1.7 (chi2 6.3 for 7 dof)
    O-C towards the zenith since 2010, northern sites +3.4 (Himalia) ... +126.9 mas (Leda), southern -76.0 (Sinope)
    ... +23.8 (Pasiphae): larger in the north for every moon, positive in the south for 5 of 8
"""
import time
import warnings

import numpy as np

from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.observations.datasets import load_all
from orbitfit.observations.observers import site_itrs_km
from orbitfit.observations.refraction import zenith_geometry

ZENITH = "apparition+uncatalogued+zenith"


def hemisphere_means(solution):
    """{"north"/"south": (weighted mean mas, rows)} of the accepted ground O-C (orbit alone) since 2010 projected
    towards the zenith, by the sign of the site's latitude."""
    observations = solution.observations
    tan_z, sin_q, cos_q = zenith_geometry(observations)
    r = solution.residuals(time=False)
    up = ((np.asarray(r["res_ra_mas"]) + np.asarray(r["bias_ra_mas"])) * sin_q +
          (np.asarray(r["res_dec_mas"]) + np.asarray(r["bias_dec_mas"])) * cos_q)
    sigma = np.hypot(np.asarray(r["sigma_ra_mas"]) * sin_q, np.asarray(r["sigma_dec_mas"]) * cos_q)
    frame = np.asarray(observations["obs_frame"]).astype(str)
    codes = np.asarray(observations["observer"]).astype(str)
    z = np.where(frame == "geocentric", np.asarray(observations["obs_z_km"], float), np.nan)
    for code in set(codes[np.isfinite(tan_z) & (frame == "")]):
        z[(codes == code) & (frame == "")] = site_itrs_km(code)[2]
    use = np.isfinite(tan_z) & np.asarray(r["accepted"]) & (np.asarray(r["year"]) >= 2010)
    out = {}
    for label, side in (("north", z > 0), ("south", z < 0)):
        k = use & side
        w = 1.0 / sigma[k] ** 2
        out[label] = (float(np.sum(w * up[k]) / w.sum()) if k.any() else float("nan"), int(k.sum()))
    return out


def main():
    values = []
    for name in gomes_junior_2016_orbits():
        observations = load_all(name)[0]
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # the rejection cap's warnings say nothing new here
            solution = fit_orbit(observations, gomes_junior_2016_orbit(name), FitOptions(bias_groups=ZENITH))
        row = solution.biases[list(solution.biases["group"]).index("zenith")]
        values.append([row["bias_ra_mas"], row["sigma_ra_mas"], row["bias_dec_mas"], row["sigma_dec_mas"]])
        sides = hemisphere_means(solution)
        print(f"{name:9s} {row['n']:5d} ground rows, median tan z {np.nanmedian(zenith_geometry(observations)[0]):.2f}:"
              f" k_up {row['bias_ra_mas']:+6.1f} +- {row['sigma_ra_mas']:4.1f}, k_across {row['bias_dec_mas']:+6.1f}"
              f" +- {row['sigma_dec_mas']:4.1f} mas per unit tan z; O-C towards the zenith since 2010, northern sites "
              f"{sides['north'][0]:+6.1f} mas ({sides['north'][1]}), southern {sides['south'][0]:+6.1f} "
              f"({sides['south'][1]}) ({time.perf_counter() - t0:.0f} s)", flush=True)
    values = np.array(values)
    for column, label in ((0, "k_up"), (2, "k_across")):
        weights = 1.0 / values[:, column + 1] ** 2
        mean = np.sum(weights * values[:, column]) / weights.sum()
        chi2 = np.sum(weights * (values[:, column] - mean) ** 2)
        print(f"weighted mean {label} {mean:+.1f} +- {1.0 / np.sqrt(weights.sum()):.1f} mas per unit tan z "
              f"(chi2 {chi2:.1f} for {len(values) - 1} dof)")


if __name__ == "__main__":
    main()
