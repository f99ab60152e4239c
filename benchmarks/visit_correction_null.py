"""Does the visit correction carry information, moon by moon? Each moon's held-out AL rms with its fitted transits
as Gaia gave them, freed of their visit's common error as the other moons' fits measure it (the default), reweighted
only (the offsets set to 0: the transits lose Gaia's visit error from their variance and are not moved), and under
every other sign pattern of the same offsets over the Gaia visits that correct this moon's fitted transits (the
same size, no knowledge of which way each visit erred; every moon's rows of a visit flipped together). If the real
signs beat most other patterns, they carry information for that moon; if not, its change is one that a correction
of that size makes whichever way it points. The patterns are enumerated (2^V for V visits, at most 4 in the
all-2015 test), so the rank is exact, and coarse: with 3 visits the best rank is 1 of 8; beyond 5 visits a seeded
sample of MAX_PATTERNS of them is fitted.

    python benchmarks/visit_correction_null.py --markdown benchmarks/results/visit_correction_null_all_2015.md
        # all 2015: two years ahead (~80 min on one core; --workers 2 on two cores ~40 min)
    python benchmarks/visit_correction_null.py --cut 2016-06-01 --tests cut \
        --markdown benchmarks/results/visit_correction_null_cut.md      # one year ahead (~35 min with --workers 2)
    python benchmarks/visit_correction_null.py --cut 2016-06-01 --tests all --workers 2 \
        --markdown benchmarks/results/visit_correction_null_all_cut.md  # the same, later ground data fitted (26 min)
    python benchmarks/visit_correction_null.py --cut 2016-06-01 --tests cut --joint --workers 2
        # the harness' own figure, the rms over the moons, each pattern over every correcting visit applied to all
        # the moons at once (no independence between moons assumed; 31 sampled patterns)

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
Himalia, Sinope and Ananke, whose +1.9 and +3.8 mas are what corrections of that size do with any signs; read
together, signs without information rank as well 0.28 of the time (0.11 with mid-ranks).

One year ahead (cut 2016-06-01, 4 - 8 visits per moon, 31 sampled patterns beyond 5; the table in
benchmarks/results/visit_correction_null_cut.md): the real signs beat every other pattern for Lysithea (-1.2 mas)
and Carme (-3.2; the reweighting alone -2.5, other signs' median -0.7), 4 - 7 of 31 do better for Pasiphae (-1.8),
Sinope and Ananke, and Himalia, Elara and Leda (changes within 0.1 mas) rank in the middle; read together 0.05
(0.02 with mid-ranks). --joint, the rms over the moons with each pattern over the 8 correcting visits applied to
all the moons at once (232 fits, 1274 s on 2 workers): as given 8.58 mas, reweighted only -0.03, real signs -0.85,
other signs median +0.56 (-0.99 .. +2.95), 1 of 31 better: chance 0.06. With every later ground position fitted
(--tests all, one year ahead; benchmarks/results/visit_correction_null_all_cut.md, 240 fits, 1537 s on 2 workers):
the real signs again first for Lysithea and Carme, read together 0.03 (0.01 with mid-ranks); the rms over the moons
8.59 as given, 8.52 reweighted only, 7.49 corrected. There the signs carry information. Two
years ahead (--joint, all 2015, 4 visits, every pattern; 102 fits, 664 s on 2 workers): as given 17.15 mas,
reweighted only +0.02, real signs -0.26, other signs median +0.59 (-0.36 .. +1.49), 1 of 15 better: chance 0.12,
leaning the real way without showing it.
"""
import argparse
import itertools
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from multiprocessing import get_context

import numpy as np
from scipy.stats import chi2

from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.files import atomic_path
from orbitfit.observations.datasets import load_all
from orbitfit.times import to_tdb_seconds
from orbitfit.validation import DEFAULT_CUT, GAIA_TRANSIT, gaia_cut, rule_visit_offsets


MAX_PATTERNS = 31      # other sign patterns fitted per moon: all of them up to 5 visits, a sample beyond
# the default options of the tables' day (2026-12-06): the positions reduced against Gaia DR2 in their apparition's
# bias (the default since 2026-12-07 gives them their own), so that the commands reproduce the tables
OPTIONS_OF_THE_TABLES = {"gaia_reduced_bias": "apparition"}


def flipped(offsets, signs):
    """The offsets with the sign of each Gaia visit's rows multiplied by signs[visit] (every moon's rows alike)."""
    return replace(offsets, mean_al_mas=offsets.mean_al_mas * np.asarray([signs.get(int(v), 1.0)
                                                                          for v in offsets.visit]))


def signed(value_mas):
    """A change in mas as the documents print it: its sign always, a true minus sign."""
    return f"{value_mas:+.1f}".replace("-", "\u2212")


def combined_chance(better, patterns):
    """How often signs without information would rank as well as the real ones did, over the moons read together:
    Fisher's combination of each moon's rank, p = (better + 1) / (patterns + 1) (the real pattern counted among
    them; conservative for such coarse ranks) and with mid-ranks, (better + 0.5) / (patterns + 1). The moons are
    taken as independent (they share the offsets, so this is an approximation). Returns (conservative, mid-rank)."""
    better, patterns = np.asarray(better, float), np.asarray(patterns, float)
    return tuple(float(chi2.sf(-2.0 * np.sum(np.log((better + shift) / (patterns + 1))), 2 * better.size))
                 for shift in (1.0, 0.5))


def visits_that_correct(offsets, body, tdb):
    """The visits whose offsets move `body`'s transits at epochs `tdb` (the fitted ones): flipping any other
    visit leaves its fit as it is."""
    base = offsets.offset(body, tdb)[0]
    return [int(v) for v in np.unique(offsets.visit)
            if not np.allclose(flipped(offsets, {int(v): -1.0}).offset(body, tdb)[0], base, equal_nan=True)]


def correcting_visits(table, offsets, cut_tdb):
    """The visits whose offsets move the moon's fitted transits (those before the cut) in `table`."""
    tdb = np.asarray(table["tdb"], float)
    fitted = tdb[(np.asarray(table["kind"]).astype(str) == GAIA_TRANSIT) & (tdb < cut_tdb)]
    return visits_that_correct(offsets, int(table["body"][0]), fitted)


def sign_patterns(count):
    """Every sign pattern of `count` visits but the real one (all +1), or beyond MAX_PATTERNS a seeded sample."""
    patterns = list(itertools.product((1.0, -1.0), repeat=count))[1:]
    if len(patterns) > MAX_PATTERNS:           # many visits (the one-year test): a seeded sample of them
        keep = np.random.default_rng(1).choice(len(patterns), MAX_PATTERNS, replace=False)
        patterns = [patterns[i] for i in sorted(keep)]
    return patterns


def harness_rms(task):
    """One moon's held-out AL rms (mas) under one correction; task = (name, observations, cut, test, offsets)."""
    name, table, cut, test, gaia_offsets = task
    return gaia_cut(name, FitOptions(**OPTIONS_OF_THE_TABLES), cut, mode=test, observations=table,
                    start=gomes_junior_2016_orbit(name), gaia_offsets=gaia_offsets).summary["rms_mas"]


def fit_all(work, workers):
    """harness_rms of every task, in their order: in `workers` spawned processes of one BLAS thread each, or here."""
    if workers <= 1:
        return [harness_rms(task) for task in work]
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, "1")              # one BLAS thread per worker (spawned ones read it)
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        return list(pool.map(harness_rms, work))


def joint_null(args, observations, offsets, zero, moons):
    """The harness' own figure, the AL rms over the moons, under the real correction and under sign patterns over
    every visit that corrects any moon, each pattern applied to every moon at once (so no moons are taken as
    independent: a visit's sign is the same in every fit that holds it). Each moon's fit depends only on the signs
    of its own visits, so a pattern whose signs repeat a moon's earlier one reuses that fit."""
    cut = to_tdb_seconds(args.cut, "cut")
    correcting = {name: correcting_visits(observations[name], offsets, cut) for name in moons}
    visits = sorted(set().union(*correcting.values()))
    patterns = sign_patterns(len(visits))
    corrections = {"given": None, "reweighted": zero, "real": offsets}
    keys = {"given": {m: "given" for m in moons}, "reweighted": {m: "reweighted" for m in moons},
            "real": {m: "real" for m in moons}}
    for i, signs in enumerate(patterns):
        sign_of = dict(zip(visits, signs))
        keys[i] = {}
        for m in moons:
            own = tuple(sign_of[v] for v in correcting[m])
            keys[i][m] = "real" if all(x > 0 for x in own) else own
            corrections.setdefault((m, own), flipped(offsets, sign_of))
    tasks = sorted({(m, k) for pattern in keys.values() for m, k in pattern.items()}, key=str)
    work = [(m, observations[m], args.cut, args.tests, corrections[k] if k in ("given", "reweighted", "real")
             else corrections[(m, k)]) for m, k in tasks]
    t0 = time.perf_counter()
    print(f"{len(visits)} visits correct the {len(moons)} moons; {len(patterns)} other sign patterns; "
          f"{len(work)} fits on {args.workers} worker(s)", flush=True)
    rms = dict(zip(tasks, fit_all(work, args.workers)))
    over = {label: float(np.sqrt(np.mean([rms[(m, k)] ** 2 for m, k in pattern.items()])))
            for label, pattern in keys.items()}
    given, reweighted, real = over["given"], over["reweighted"] - over["given"], over["real"] - over["given"]
    others = np.array([over[i] - given for i in range(len(patterns))])
    better = int(np.sum(others < real - 0.05))
    chance = (better + 1) / (others.size + 1)
    print(f"rms over the {len(moons)} moons ({time.perf_counter() - t0:.0f} s): as given {given:.2f} mas, reweighted "
          f"only {reweighted:+.2f}, real signs {real:+.2f}; other signs median {np.median(others):+.2f} "
          f"({others.min():+.2f} .. {others.max():+.2f}), {better} of {others.size} better: chance {chance:.2f}")
    row = (f"| {args.tests} {args.cut} | {given:.1f} | {signed(reweighted)} | {signed(real)} | {len(visits)} | "
           f"{signed(np.median(others))} ({signed(others.min())} … {signed(others.max())}) | {better} of "
           f"{others.size} | {chance:.2f} |")
    header = ["| test | as given: AL rms over the moons (mas) | reweighted only | real signs | visits | other signs: "
              "median (range) | other signs better | chance |", "|---|---|---|---|---|---|---|---|"]
    return header, [row]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", default="all", choices=["cut", "all"])
    parser.add_argument("--cut", default="2015-06-01", help="the held-out transits' start (default 2015-06-01: the "
                        f"harness' test nearest the later transits; {DEFAULT_CUT} is the harness' own)")
    parser.add_argument("--moons", default=",".join(gomes_junior_2016_orbits()),
                        help="the moons whose predictions are judged, with commas (the offsets always come from "
                             "all eight)")
    parser.add_argument("--markdown", help="also write the table as markdown rows to this file (docs/validation.md "
                        "pastes it; tests/test_readme.py checks that it does)")
    parser.add_argument("--joint", action="store_true",
                        help="judge the rms over the moons, each sign pattern applied to every moon at once")
    parser.add_argument("--workers", type=int, default=1, help="processes fitting at once (one per core)")
    args = parser.parse_args()
    every = list(gomes_junior_2016_orbits())
    observations = {name: load_all(name, gaia_visit_offsets=None)[0] for name in every}
    t0 = time.perf_counter()
    offsets = rule_visit_offsets(every, FitOptions(**OPTIONS_OF_THE_TABLES), test=args.tests, cut=args.cut,
                                 observations=observations)
    print(f"the rule's visit offsets from the 8 moons' fits ({time.perf_counter() - t0:.0f} s)", flush=True)
    zero = replace(offsets, mean_al_mas=np.zeros_like(offsets.mean_al_mas))
    if args.joint:
        header, rows = joint_null(args, observations, offsets, zero, args.moons.split(","))
        write_rows(args.markdown, header, rows)
        return
    cut = to_tdb_seconds(args.cut, "cut")
    moons, work, plan = args.moons.split(","), [], {}
    for name in moons:            # per moon: as given, reweighted only, real signs, then the other sign patterns
        visits = correcting_visits(observations[name], offsets, cut)
        patterns = sign_patterns(len(visits))
        corrections = [None, zero, offsets] + [flipped(offsets, dict(zip(visits, signs))) for signs in patterns]
        plan[name] = (len(visits), len(work), len(corrections))
        work += [(name, observations[name], args.cut, args.tests, correction) for correction in corrections]
    t0 = time.perf_counter()
    print(f"{len(work)} fits on {args.workers} worker(s)", flush=True)
    values = fit_all(work, args.workers)
    print(f"({time.perf_counter() - t0:.0f} s)\n{'moon':9s} {'as given':>8s} {'reweighted only':>15s} {'real':>6s} "
          f"{'visits':>6s} {'other signs: median (range)':>28s} {'better':>6s}")
    rows, ranks = [], []
    for name in moons:
        n_visits, first, count = plan[name]
        given, *changed = values[first:first + count]
        reweighted, real = changed[0] - given, changed[1] - given
        others = np.array(changed[2:]) - given
        spread = (f"{np.median(others):+8.1f} ({others.min():+.1f} .. {others.max():+.1f})" if others.size
                  else f"{'':>8s} (none)")
        better = int(np.sum(others < real - 0.05))
        if np.any(np.abs(np.append(others, real)) >= 0.05):      # a correction that moves nothing ranks nothing
            ranks.append((better, others.size))
        print(f"{name:9s} {given:8.1f} {reweighted:+15.1f} {real:+6.1f} {n_visits:6d} {spread:>28s} "
              f"{better:3d}/{others.size:<2d}", flush=True)
        others_cell = (f"{signed(np.median(others))} ({signed(others.min())} … {signed(others.max())})"
                       if others.size else "(none)")
        rows.append(f"| {name} | {given:.1f} | {signed(reweighted)} | {signed(real)} | {n_visits} | "
                    f"{others_cell} | {better} of {others.size} |")
    if ranks:
        conservative, mid = combined_chance(*zip(*ranks))
        print(f"read together ({len(ranks)} moons whose correction moves them): signs without information rank as "
              f"well {conservative:.2f} of the time (Fisher; {mid:.2f} with mid-ranks)")
    write_rows(args.markdown, ["| moon | as given (mas) | reweighted only | real signs | visits | other signs: median "
                               "(range) | other signs better |", "|---|---|---|---|---|---|---|"], rows)


def write_rows(path, header, rows):
    """The markdown table to `path` (atomically), if a path is given."""
    if path:
        with atomic_path(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write("\n".join(header + rows) + "\n")


if __name__ == "__main__":
    main()
