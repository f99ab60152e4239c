"""Which data drive one fold of the Gaia folds test (`orbitfit.validation.gaia_folds`): the fold's held-out transits
predicted by fits that leave out ground data near it, or far from it, with their orbit sigma along the scan.

    python benchmarks/fold_diagnostics.py Carme 2015        # ~3 min on 2 cores

The figures below were measured with the defaults of their day. The defaults changed since (the periodic RA*
apparition prior on 2026-12-04, the zenith level on 2026-12-05: CHANGELOG, issue 15), so a run today prints
other figures; the same reading of them is what the script is for.

Measured 2026-12-03 (default options, transits as Gaia gave them), Carme's 2014/15 transits (AL mas; orbit sigma):

    every ground position              -22.4  30.9  29.6 -21.1   (3.5  8.4  8.4  7.2)
    without the fold's apparition      -21.3  28.5  27.2 -19.6   (3.5  8.8  8.8  7.5)
    without 2013-2018                  -21.0  27.9  26.6 -18.8   (3.7  9.3  9.3  7.9)
    only before 2013                   -21.4  29.3  28.0 -20.2   (3.9 10.0 10.0  8.5)
    only since 2005                    -20.4  20.4  19.1 -14.1   (4.0  9.8  9.8  8.0)

The miss does not come from the ground data near the fold; the alternating sign follows the scan's orientation
(the along-scan axis is taken northward), as one sky offset of ~30 mas of the whole apparition would.
"""
import argparse

import numpy as np

from orbitfit.estimation.weights import apparition_year
from orbitfit.observations.datasets import load_all
from orbitfit.times import JULIAN_YEAR_S
from orbitfit.validation import GAIA_TRANSIT, gaia_folds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("moon")
    parser.add_argument("apparition", type=int, help="the fold: apparition year of the held-out transits")
    args = parser.parse_args()
    observations = load_all(args.moon, gaia_transits=True, gaia_visit_offsets=None)[0]
    transit = np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT
    apparition = apparition_year(observations["tdb"])
    year = 2000.0 + np.asarray(observations["tdb"], float) / JULIAN_YEAR_S
    variants = {"every ground position": np.ones(len(observations), bool),
                "without the fold's apparition": transit | (apparition != args.apparition),
                "without 2013-2018": transit | (year < 2013) | (year > 2018),
                "only before 2013": transit | (year < 2013),
                "only since 2005": transit | (year >= 2005)}
    for label, keep in variants.items():
        result = gaia_folds(args.moon, observations=observations[keep])
        table = result.table
        fold = np.asarray(table["apparition"]) == args.apparition
        if not fold.any():
            raise SystemExit(f"no fold {args.apparition} for {args.moon}: folds {sorted(set(table['apparition']))}")
        s = result.summary
        print(f"{label:32s} {np.array2string(table['al_mas'].value[fold], precision=1)} "
              f"({np.array2string(table['sigma_orbit_al_mas'].value[fold], precision=1)}); every fold: AL rms "
              f"{s['rms_mas']:.1f}, z {s['rms_normalised']:.2f}, chance of a z this large {s['p_rms_normalised']:.2f}")


if __name__ == "__main__":
    main()
