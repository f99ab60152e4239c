"""The embedded table of Gaia DR3's error common to the moons of a visit (orbitfit.observations.gaia_visits):

    python benchmarks/gaia_visit_offsets.py data/gaia_visits/dr3_visit_offsets.csv     # ~2 min on 2 cores

fits the 8 moons with the default options to every embedded data set, their transits as Gaia gave them with 7 mas
along the scan each (gaia_floors="common", the default until 2026-12-05: a fit that weights its transits by the
moons' own floors absorbs more of the visits' common error into its orbit, so its residuals say less of it: tau 2.66
mas against 3.20, both below the 5.2 that held-out transits share; and the own floors are derived from these fits), and
writes each moon's mean AL residual in each Gaia visit (`GaiaVisitOffsets.from_residuals`), with the command, date
and version in the file's header; prints tau (the common error) and s (one moon's visit mean about it). Measured
2026-12-03: 15 visits, 92 (visit, moon) rows; tau 3.83 mas, s 4.12 mas; rewritten 2026-12-04 under that day's
default (the periodic RA* apparition prior; 77 s): tau 3.08, s 4.06, the 2014-15 visits' means nearer zero (visit 2
-6.7 -> -4.8 mas), a change of about one standard error of tau^2 over 15 visits. Rewritten 2026-12-05 under the
default with the zenith level: tau 3.05, s 4.09; and that afternoon with the transits' axes from Gaia's scanning
law (orbitfit.observations.gaia.scan_axes; 71 s): tau 3.20, s 3.76. Written to another file on 2026-12-07
under that day's default (the positions reduced against Gaia DR2 in an apparition bias of their own,
FitOptions.gaia_reduced_bias "own"): tau 3.34, s 3.74; Himalia's visit means moved by up to 2.1 mas (visit 1: 2.8 ->
4.9), those of Elara, Lysithea and Pasiphae by less than 1, the others' not at all. Not embedded: tau feeds every
transit's floor (gaia.VISIT_COMMON_AL_MAS, 3.20) and the moons' own floors were derived on this table, so a new table
means re-deriving both and re-measuring every moon's harness; 3.20 -> 3.34 is within tau's own noise over 15 visits.
What the correction does to predictions is `python benchmarks/validation.py --visits` (the harness, every moon under
one held-out rule).
"""
import sys
import time
import warnings

import numpy as np

import orbitfit
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.observations.datasets import load_all
from orbitfit.observations.gaia_visits import GaiaVisitOffsets
from orbitfit.validation import fitted_transit_residuals


def write(path):
    residuals = {}
    for name in gomes_junior_2016_orbits():
        observations = load_all(name, gaia_transits=True, gaia_visit_offsets=None, gaia_floors="common")[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solution = fit_orbit(observations, gomes_junior_2016_orbit(name), FitOptions())
        residuals[solution.body] = fitted_transit_residuals(solution)
        print(f"{name}: {len(residuals[solution.body][0])} transits", flush=True)
    offsets = GaiaVisitOffsets.from_residuals(residuals, meta={
        "what": "each moon's mean along-scan residual (mas) in each Gaia DR3 visit, its fit of every embedded data "
                "set with the default options, transits as Gaia gave them with a 7 mas along-scan floor each "
                "(gaia_floors='common'; orbitfit.observations.gaia_visits)",
        "written_by": "python benchmarks/gaia_visit_offsets.py " + path,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "orbitfit": orbitfit.__version__})
    tau2, s2 = offsets.variances()
    offsets.meta.update(tau_mas=round(np.sqrt(tau2), 3), one_moon_visit_mean_mas=round(np.sqrt(s2), 3))
    offsets.write(path)
    print(f"{path}: {len(offsets.visit)} rows, {len(np.unique(offsets.visit))} visits; tau {np.sqrt(tau2):.2f} mas, "
          f"one moon's visit mean {np.sqrt(s2):.2f} mas")


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):    # `--help` is not a file to write
        sys.exit(__doc__)
    write(sys.argv[1])
