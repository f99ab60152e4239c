"""Gaia DR3 transit normal points (orbitfit.observations.gaia) for the 8 main irregular moons: the along-scan (AL) residual
scatter of the normal points against an orbit fitted to the transits alone, and to every embedded data set
(default weights, outliers flagged). The first says how good the per-transit AL floor (gaia.AL_FLOOR_MAS) is; the
second shows the tension between Gaia and the ground-based data.

    python benchmarks/gaia_transits.py

Measured (2026-11): transits alone 3.3-7.0 mas AL sd (Himalia 4.7, Elara 5.3, Lysithea 6.0, Leda 6.7,
Pasiphae 3.7, Sinope 7.0, Carme 3.3, Ananke 5.6); with all data 6.7-17.1 mas, 12-43 of 16-43 transits accepted.
"""
import numpy as np

import orbitfit
from orbitfit.observations.datasets import load_all
from orbitfit.estimation.options import FitOptions
from orbitfit.paths import data_path
from orbitfit.estimation.published import gomes_junior_2016_orbits
from orbitfit.tables import plain_table


def along_scan_residuals(solution):
    """AL residual (mas) of each accepted-or-not transit normal point: O-C along its covariance's minor axis."""
    r = plain_table(solution.residuals())
    rows = np.nonzero(np.asarray(r["kind"]) == "gaia_transit")[0]
    out = []
    for i in rows:
        s1, s2, c = r["sigma_ra_mas"][i], r["sigma_dec_mas"][i], solution.weights.corr[i]
        _, v = np.linalg.eigh(np.array([[s1 * s1, c * s1 * s2], [c * s1 * s2, s2 * s2]]))
        out.append(v[:, 0] @ np.array([r["res_ra_mas"][i], r["res_dec_mas"][i]]))
    return np.array(out), rows


def main():
    print("moon       transits | AL sd, transits alone (accepted) | AL sd, all data (accepted)")
    for name in gomes_junior_2016_orbits():
        observations, _ = load_all(name, gaia_transits=True, gaia_visit_offsets=None)
        transit = np.asarray(observations["kind"]).astype(str) == "gaia_transit"
        gj15, _ = orbitfit.read(data_path("gj15", f"{name}.dat"))
        start = orbitfit.fit(gj15, orbitfit.gomes_junior_2016_orbit(name), FitOptions.gomes_junior_2016()).orbit
        cells = []
        for table, options in ((observations[transit], FitOptions(reject_outliers=False, max_iterations=40)),
                               (observations, FitOptions())):
            try:
                solution = orbitfit.fit(table, start, options)
            except orbitfit.FitError as exc:
                cells.append(f"FitError: {exc}"[:40])
                continue
            al, rows = along_scan_residuals(solution)
            cells.append(f"{al.std():5.1f} mas ({solution.accepted[rows].sum()}/{rows.size})")
        print(f"{name:9s} {transit.sum():9d} | {cells[0]:>32s} | {cells[1]:>26s}")


if __name__ == "__main__":
    main()
