"""Himalia's GM from Elara's motion: a family fit (Himalia + Elara, Himalia's GM free) of every embedded data set,
with and without the positions before 1960 (read since issue 17: Elara passed 65 000 km from Himalia in 1949.5, and
only plates before that encounter see the mean motion it changed), without and with Emelyanov's (2005) value as a
prior, with each member's apparition biases (the default options), and leaving out one of Elara's data sets at a
time (--jackknife, with the biases): the spread of those fits is the GM's sigma from the data sets' own systematic
errors, beside the formal sigma.

    python benchmarks/himalia_gm.py                 # the five fits (~5 min on 2 cores)
    python benchmarks/himalia_gm.py --jackknife     # + one fit per Elara data set of >= 20 positions (26; ~50 min)
    python benchmarks/himalia_gm.py --jackknife --min-rows 80 --skip-headline      # the 9 largest (~15 min)

Literature: 0.28 +- 0.04 km^3/s^2 (Emelyanov 2005, A&A 438, L33, from old plates); JPL 0.13-0.28 (Brozovic &
Jacobson 2017). FitOptions without biases, and the defaults (each member's apparition biases) once.
"""
import argparse
import time
import warnings

import numpy as np

from orbitfit.times import UTC_START_JD    # before 1960 the times are UT (orbitfit.times.delta_t_seconds)

HIMALIA, ELARA = 506, 507
EMELYANOV_2005 = (0.28, 0.04)
MIN_ROWS = 20


def family_gm(data, starts, prior=None, bias_groups=None):
    from orbitfit.estimation.family import fit_family
    from orbitfit.estimation.options import FitOptions
    start = time.perf_counter()
    family = fit_family(data, starts, FitOptions(bias_groups=bias_groups), fit_gm=(HIMALIA,),
                        gm={HIMALIA: prior[0]} if prior else None, gm_prior_sigma=prior[1] if prior else None)
    return family.gm[HIMALIA], family.gm_sigma(HIMALIA), family.chi2 / family.dof, time.perf_counter() - start


def main():
    from orbitfit.estimation.published import gomes_junior_2016_orbit
    from orbitfit.observations.datasets import load_all
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jackknife", action="store_true", help="also leave out each Elara data set in turn")
    parser.add_argument("--min-rows", type=int, default=MIN_ROWS, help=f"only data sets with at least this many "
                                                                       f"Elara positions (default {MIN_ROWS})")
    parser.add_argument("--skip-headline", action="store_true", help="only the jackknife (with its reference fit)")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    data = {HIMALIA: load_all("Himalia")[0], ELARA: load_all("Elara")[0]}
    starts = {HIMALIA: gomes_junior_2016_orbit("Himalia"), ELARA: gomes_junior_2016_orbit("Elara")}

    def since_1960(table):
        return table[np.asarray(table["utc_jd1"]) + np.asarray(table["utc_jd2"]) >= UTC_START_JD]

    modern = {body: since_1960(table) for body, table in data.items()}
    print(f"Himalia {len(data[HIMALIA])} positions ({len(modern[HIMALIA])} since 1960), Elara {len(data[ELARA])} "
          f"({len(modern[ELARA])} since 1960)")
    print(f"{'fit':46s} {'GM km3/s2':>10s} {'sigma':>7s} {'chi2/dof':>8s} {'s':>5s}")
    headline = (("every data set, no prior", data, None, None),
                ("since 1960 only, no prior", modern, None, None),
                ("every data set, no prior, apparition biases", data, None, "apparition"),
                ("every data set, prior 0.28 +- 0.04", data, EMELYANOV_2005, None),
                ("since 1960 only, prior 0.28 +- 0.04", modern, EMELYANOV_2005, None))
    if args.skip_headline:
        headline = [row for row in headline if row[0] == "every data set, no prior, apparition biases"]
    for label, subset, prior, biases in headline:
        gm, sigma, chi2, seconds = family_gm(subset, starts, prior, biases)
        print(f"{label:46s} {gm:10.3f} {sigma:7.3f} {chi2:8.3f} {seconds:5.0f}", flush=True)
        if label == "every data set, no prior, apparition biases":
            full = gm, sigma
    if not args.jackknife:
        return
    datasets = np.asarray(data[ELARA]["dataset"]).astype(str)
    names, counts = np.unique(datasets, return_counts=True)
    print(f"\nleave one Elara data set out (data sets of >= {args.min_rows} positions; every data set, no prior, "
          f"apparition biases):")
    values = []
    for name, count in zip(names, counts):
        if count < args.min_rows:
            continue
        subset = {HIMALIA: data[HIMALIA], ELARA: data[ELARA][datasets != name]}
        gm, sigma, chi2, seconds = family_gm(subset, starts, bias_groups="apparition")
        values.append(gm)
        print(f"  without {name:14s} ({count:4d}) {gm:10.3f} {sigma:7.3f}  shift {gm - full[0]:+7.3f}  {seconds:4.0f} s",
              flush=True)
    values = np.array(values)
    jackknife = np.sqrt((values.size - 1) / values.size * np.sum((values - values.mean()) ** 2))
    print(f"jackknife over {values.size} data sets (the others stay in every fit): sigma {jackknife:.3f} (formal {full[1]:.3f}); GM {full[0]:.3f} "
          f"+- {np.hypot(jackknife, full[1]):.3f} combined")


if __name__ == "__main__":
    main()
