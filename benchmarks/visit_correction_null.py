"""Does the visit correction carry information, moon by moon? Each moon's held-out AL rms with its fitted transits
as Gaia gave them, freed of their visit's common error as the other moons' fits measure it (the default), reweighted
only (the offsets set to 0: the transits lose Gaia's visit error from their variance and are not moved), and under
every other sign pattern of the same offsets over the Gaia visits that correct this moon's fitted transits (the
same size, no knowledge of which way each visit erred; every moon's rows of a visit flipped together). If the real
signs beat most other patterns, they carry information for that moon; if not, its change is one that a correction
of that size makes whichever way it points. The patterns are enumerated (2^V for V visits, at most 4 in the
all-2015 test), so the rank is exact, and coarse: with 3 visits the best rank is 1 of 8; beyond 5 visits a seeded
sample of MAX_PATTERNS of them is fitted.

    python benchmarks/visit_correction_null.py      # all 2015: two years ahead (~40 min on 2 cores, two halves of
                                                    # the moons with --moons)
    python benchmarks/visit_correction_null.py --cut 2016-06-01 --tests cut     # one year ahead

The offsets are the rule's (`orbitfit.validation.rule_visit_offsets`: every moon's fit of the same held-out rule),
as `benchmarks/validation.py --visits` makes them; "cut" and "all" only.

Measured 2026-12-06, all 2015 (the transits after 2015-06-01 held out, every other row fitted; changes of AL rms
in mas against the transits as Gaia gave them; "better": the other sign patterns that beat the real one by more
than 0.05 mas):

    moon      as given  reweighted only   real  visits  other signs: median (range)  better
    Himalia      6.9         +0.4         -0.3     4       +0.7 (-1.6 .. +1.6)        6/15
    Elara       15.2         -0.4         -6.8     3       +3.4 (-5.6 .. +6.3)        0/7
    Lysithea    16.5         +0.0         -0.1     2       +0.4 (+0.3 .. +0.6)        0/3
    Leda        34.7         +0.0         +0.0     1       -0.0                       0/1
    Pasiphae    10.5         -0.2         -0.8     4       +2.5 (-0.9 .. +4.7)        1/15
    Sinope       5.6         -0.1         +1.9     4       +0.5 (-0.9 .. +3.1)        9/15
    Carme       16.7         -0.1         -0.9     3       +0.8 (-1.8 .. +1.8)        2/7
    Ananke      13.3         +0.7         +3.8     4       +1.2 (-1.4 .. +8.0)        9/15
The real signs rank first or second for Elara, Lysithea and Pasiphae, third of 8 for Carme, and in the middle for
Himalia, Sinope and Ananke, whose +1.9 and +3.8 mas are what corrections of that size do with any signs.
"""
import argparse
import itertools
import time
from dataclasses import replace

import numpy as np

from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.observations.datasets import load_all
from orbitfit.times import to_tdb_seconds
from orbitfit.validation import DEFAULT_CUT, GAIA_TRANSIT, gaia_cut, rule_visit_offsets


MAX_PATTERNS = 31      # other sign patterns fitted per moon: all of them up to 5 visits, a sample beyond


def flipped(offsets, signs):
    """The offsets with the sign of each Gaia visit's rows multiplied by signs[visit] (every moon's rows alike)."""
    return replace(offsets, mean_al_mas=offsets.mean_al_mas * np.asarray([signs.get(int(v), 1.0)
                                                                          for v in offsets.visit]))


def visits_that_correct(offsets, body, tdb):
    """The visits whose offsets move `body`'s transits at epochs `tdb` (the fitted ones): flipping any other
    visit leaves its fit as it is."""
    base = offsets.offset(body, tdb)[0]
    return [int(v) for v in np.unique(offsets.visit)
            if not np.allclose(flipped(offsets, {int(v): -1.0}).offset(body, tdb)[0], base, equal_nan=True)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", default="all", choices=["cut", "all"])
    parser.add_argument("--cut", default="2015-06-01", help="the held-out transits' start (default 2015-06-01: the "
                        f"harness' test nearest the later transits; {DEFAULT_CUT} is the harness' own)")
    parser.add_argument("--moons", default=",".join(gomes_junior_2016_orbits()),
                        help="the moons whose predictions are judged, with commas (the offsets always come from "
                             "all eight)")
    args = parser.parse_args()
    every = list(gomes_junior_2016_orbits())
    observations = {name: load_all(name, gaia_visit_offsets=None)[0] for name in every}
    t0 = time.perf_counter()
    offsets = rule_visit_offsets(every, FitOptions(), test=args.tests, cut=args.cut, observations=observations)
    print(f"the rule's visit offsets from the 8 moons' fits ({time.perf_counter() - t0:.0f} s)", flush=True)
    zero = replace(offsets, mean_al_mas=np.zeros_like(offsets.mean_al_mas))
    cut = to_tdb_seconds(args.cut, "cut")
    print(f"{'moon':9s} {'as given':>8s} {'reweighted only':>15s} {'real':>6s} {'visits':>6s} "
          f"{'other signs: median (range)':>28s} {'better':>6s}")
    for name in args.moons.split(","):
        t0 = time.perf_counter()
        table = observations[name]
        tdb = np.asarray(table["tdb"], float)
        fitted = tdb[(np.asarray(table["kind"]).astype(str) == GAIA_TRANSIT) & (tdb < cut)]
        body = int(table["body"][0])
        visits = visits_that_correct(offsets, body, fitted)

        def rms(gaia_offsets):
            return gaia_cut(name, FitOptions(), args.cut, mode=args.tests, observations=table,
                            start=gomes_junior_2016_orbit(name), gaia_offsets=gaia_offsets).summary["rms_mas"]
        given = rms(None)
        reweighted, real = rms(zero) - given, rms(offsets) - given
        patterns = list(itertools.product((1.0, -1.0), repeat=len(visits)))[1:]
        if len(patterns) > MAX_PATTERNS:           # many visits (the one-year test): a seeded sample of them
            keep = np.random.default_rng(1).choice(len(patterns), MAX_PATTERNS, replace=False)
            patterns = [patterns[i] for i in sorted(keep)]
        others = np.array([rms(flipped(offsets, dict(zip(visits, signs)))) - given for signs in patterns])
        spread = (f"{np.median(others):+8.1f} ({others.min():+.1f} .. {others.max():+.1f})" if others.size
                  else f"{'':>8s} (none)")
        print(f"{name:9s} {given:8.1f} {reweighted:+15.1f} {real:+6.1f} {len(visits):6d} {spread:>28s} "
              f"{int(np.sum(others < real - 0.05)):3d}/{others.size:<2d}   ({time.perf_counter() - t0:.0f} s)",
              flush=True)


if __name__ == "__main__":
    main()
