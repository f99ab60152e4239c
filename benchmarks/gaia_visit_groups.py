"""Is Gaia's error common to the moons of one visit the same for every moon? The embedded table of visit offsets
(data/gaia_visits/dr3_visit_offsets.csv: each moon's mean along-scan residual in each DR3 visit, its fit of every
embedded data set) read pair by pair: for two moons seen in one visit the mean of the product of their visit means
estimates what they share (their own errors are independent), split by whether both belong to the Himalia group
(Himalia, Elara, Lysithea, Leda: 11-12.5 million km from Jupiter), both to the outer retrograde moons (Pasiphae,
Sinope, Carme, Ananke: 22-26 million km) or one to each; 90% ranges from a bootstrap over the visits. With
--transits the same from today's default fits, then transit by transit: the AL rms by the transit's separation
from Jupiter, and the mean product of two moons' transits of one visit by the time between them and by group. With
--harness, what a loading per group would do to the harness (every moon under one held-out rule,
`orbitfit.validation.common_visit_harness`): a what-if that replaces, for this run only, the one common error of
`orbitfit.observations.gaia` (VISIT_COMMON_AL_MAS, 3.2 mas) by the group's (in each transit's floor as Gaia gave it
and in what the correction takes out of it), and corrects a moon's transits by the other moons' means each scaled
by the ratio of the loadings.

    python benchmarks/gaia_visit_groups.py                       # the embedded table's pairs (a second)
    python benchmarks/gaia_visit_groups.py --transits            # and today's fits (~1.5 min on 2 cores)
    python benchmarks/gaia_visit_groups.py --harness cut         # and the harness (~3 min on one core; all: ~3,
                                                                 # folds ~8)

Measured 2026-12-07. The embedded table (fits of 2026-12-05 with a 7 mas floor for every transit): pairs within the
Himalia group share 20.5 mas^2 (37 pairs; 90%: 8.0-31.7), within the outer moons 6.5 (73; 0.6-13.7), across 10.5
(142; 3.8-17.2), as if one error per visit were 4.5 mas strong in the group's transits and 2.6 in the outer moons'
(4.5 x 2.6 = 11.6, the cross term); the group's share not above the outer moons' in 4% of the draws. Today's
default fits (each moon's own floor) read the same way: 10.5, 5.0 and 7.2 mas^2 (not above in 13%; Leda no longer
shares it: 2.1 | -1.4). Transit by transit (every pair of two moons' transits in one visit, so the 2017-02 burst
weighs most; +- a bootstrap over the visits): 2.3 +- 5.0 mas^2 within the group, 2.4 +- 2.5 within the outer moons,
1.9 +- 2.7 across, which cannot tell. Nor does a transit's error grow towards Jupiter (AL rms 2.9 mas within 0.4
deg of it, 3.6-5.9 beyond) or with the time between two moons' transits (4.8 +- 3.7 mas^2 within a minute, 4.4 +-
2.4 at 0.5-6 h, 3.0 +- 3.1 at 6 h - 2 d). Harness with the table's loadings 4.53 / 2.56 (against 3.2 for every
moon; AL rms over the moons, z rms): cut 7.73 -> 7.66 mas, z 0.79 -> 0.78; all 7.51 -> 7.34, z 0.79 -> 0.76; folds
9.90 -> 9.62, z 0.98 -> 0.93 (Sinope's z one year ahead 0.43 -> 0.51, Pasiphae's 0.66 -> 0.72, Himalia's 0.88 ->
0.81; Lysithea 15.3 -> 14.5 mas, and 19.1 -> 18.1 one apparition away). A structure that fades with the fits and the
weighting, and a few tenths of a mas on the harness: not adopted (docs/validation.md, "The transits' error by
apparition and by visit").
"""
import argparse
import itertools
import time
import warnings

import numpy as np

from orbitfit.observations import gaia, gaia_visits
from orbitfit.observations.gaia_visits import GaiaVisitOffsets, visit_index

HIMALIA_GROUP = (506, 507, 510, 513)
OUTER = (508, 509, 511, 512)


def pair_products(offsets, visits):
    """{"group": mean product of two moons' visit means over the pairs in `visits`, ...} and the pair counts."""
    products = {"Himalia group": [], "outer": [], "across": []}
    for v in visits:
        here = offsets.visit == v
        for (a, ma), (b, mb) in itertools.combinations(zip(offsets.body[here], offsets.mean_al_mas[here]), 2):
            key = ("Himalia group" if a in HIMALIA_GROUP and b in HIMALIA_GROUP else
                   "outer" if a in OUTER and b in OUTER else "across")
            products[key].append(ma * mb)
    return {k: float(np.mean(v)) for k, v in products.items()}, {k: len(v) for k, v in products.items()}


def print_pairs(offsets, draws=4000):
    visits = np.unique(offsets.visit)
    shared, counts = pair_products(offsets, visits)
    rng = np.random.default_rng(0)
    boots = [pair_products(offsets, rng.choice(visits, visits.size))[0] for _ in range(draws)]
    print(f"{visits.size} visits; mean product of two moons' visit means (mas^2), 90% of a bootstrap over visits:")
    for key, value in shared.items():
        spread = np.percentile([b[key] for b in boots], [5, 95])
        print(f"  {key:14s} {value:6.1f}  ({spread[0]:5.1f} .. {spread[1]:5.1f}), {counts[key]} pairs")
    difference = np.array([b["Himalia group"] - b["outer"] for b in boots])
    print(f"  Himalia group's not above the outer moons' in {np.mean(difference <= 0):.3f} of the draws")
    print("each moon's mean product with the others' (mas^2): with the Himalia group | with the outer moons")
    for body in HIMALIA_GROUP + OUTER:
        mine = offsets.body == body
        own = dict(zip(offsets.visit[mine], offsets.mean_al_mas[mine]))           # visit -> this moon's mean
        others = ~mine & np.isin(offsets.visit, list(own))
        products = offsets.mean_al_mas[others] * np.array([own[v] for v in offsets.visit[others]])
        in_group = np.isin(offsets.body[others], HIMALIA_GROUP)
        print(f"  {body}: {products[in_group].mean():5.1f} | {products[~in_group].mean():5.1f}")
    return np.sqrt(shared["Himalia group"]), np.sqrt(shared["outer"])


def use_group_loadings(inner_mas, outer_mas):
    """For this process only: each moon's visit error `inner_mas` or `outer_mas` in place of VISIT_COMMON_AL_MAS
    (its transits' floor as Gaia gave them, what the correction takes out) and the correction scaled by loadings."""
    loading = lambda body: inner_mas if int(body) in HIMALIA_GROUP else outer_mas

    def floor(body):
        own = gaia.CORRECTED_AL_FLOOR_MAS.get(int(body))
        return gaia.AL_FLOOR_MAS if own is None else float(np.hypot(own, loading(body)))

    plain_without = gaia_visits._without_common_error

    def without_common_error(table, row, along):
        return plain_without(table, row, along, tau_mas=loading(table["body"][row]))

    plain_offset = GaiaVisitOffsets.offset

    def offset(self, body, tdb):
        tdb = np.atleast_1d(np.asarray(tdb, float))
        value, sigma, count = plain_offset(self, body, tdb)
        for i in np.nonzero(np.isfinite(value))[0]:
            here = self.others_in_visit(body, tdb[i])
            value[i] = loading(body) * np.mean(self.mean_al_mas[here] / [loading(b) for b in self.body[here]])
        return value, sigma, count

    gaia.transit_al_floor_mas = floor
    gaia_visits._without_common_error = without_common_error
    GaiaVisitOffsets.offset = offset


def transit_residuals():
    """{NAIF id: (tdb s, AL residual mas, separation from Jupiter deg)} of each moon's transits as Gaia gave them,
    against its default fit of every embedded data set (today's: the embedded table's fits had 7 mas floors)."""
    from dynamics import constants as C
    from orbitfit.estimation.least_squares import fit_orbit
    from orbitfit.estimation.options import FitOptions
    from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
    from orbitfit.observations.datasets import load_all
    from orbitfit.observations.observers import Observers
    from orbitfit.validation import GAIA_TRANSIT, along_scan
    out = {}
    for name in gomes_junior_2016_orbits():
        solution = fit_orbit(load_all(name, gaia_visit_offsets=None)[0], gomes_junior_2016_orbit(name), FitOptions())
        transits = solution.observations[np.asarray(solution.observations["kind"]).astype(str) == GAIA_TRANSIT]
        tdb = np.asarray(transits["tdb"], float)
        ephemeris = solution.model.ephemeris
        observer = Observers(ephemeris).positions(
            np.asarray(transits["observer"]).astype(str), tdb,
            np.column_stack([transits["obs_x_km"], transits["obs_y_km"], transits["obs_z_km"]]),
            str(transits["obs_frame"][0]))
        jupiter = ephemeris.position(C.JUPITER, tdb) - observer
        ra, dec = np.radians(np.asarray(transits["ra_deg"], float)), np.radians(np.asarray(transits["dec_deg"], float))
        moon = np.column_stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
        cosine = np.sum(moon * jupiter, axis=1) / np.linalg.norm(jupiter, axis=1)
        separation = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
        out[solution.body] = (tdb, along_scan(solution, transits)["al_mas"].value, separation)
        print(f"  {name}: {len(tdb)} transits", flush=True)
    return out


def print_transits(residuals, gross_mas=gaia_visits.GROSS_MAS):
    """Transit by transit: the AL rms by separation from Jupiter, and what two moons' transits of one visit share
    by the time between them and by group."""
    names = np.concatenate([[b] * len(r[0]) for b, r in residuals.items()])
    tdb, al, separation = (np.concatenate([r[k] for r in residuals.values()]) for k in range(3))
    keep = np.abs(al) <= gross_mas
    names, tdb, al, separation = names[keep], tdb[keep], al[keep], separation[keep]
    print(f"{keep.sum()} transits within {gross_mas:g} mas of their fits; AL rms by separation from Jupiter:")
    for lo, hi in ((0.0, 0.4), (0.4, 0.6), (0.6, 0.8), (0.8, 1.0), (1.0, 1.5), (1.5, 2.5)):
        here = (separation >= lo) & (separation < hi)
        print(f"  {lo:.1f}-{hi:.1f} deg: {here.sum():3d} transits, {np.sqrt(np.mean(al[here] ** 2)):.2f} mas")
    visit = visit_index(tdb)
    i, j = np.triu_indices(al.size, 1)
    other = (names[i] != names[j]) & (visit[i] == visit[j])
    i, j = i[other], j[other]
    product, apart, pair_visit = al[i] * al[j], np.abs(tdb[i] - tdb[j]), visit[i]
    inner = np.isin(names, HIMALIA_GROUP)
    rng = np.random.default_rng(0)

    def line(label, chosen):
        """The mean product of the chosen pairs, +- its sd over a bootstrap of the visits (pairs of one visit are
        not independent)."""
        visits = np.unique(pair_visit[chosen])
        draws = []
        for _ in range(1000):
            count = np.bincount(np.searchsorted(visits, rng.choice(visits, visits.size)), minlength=visits.size)
            weight = np.where(chosen, count[np.clip(np.searchsorted(visits, pair_visit), 0, visits.size - 1)], 0)
            draws.append(np.sum(weight * product) / max(np.sum(weight), 1))
        print(f"  {label:34s} {chosen.sum():4d} pairs in {visits.size:2d} visits, {product[chosen].mean():5.2f} "
              f"+- {np.std(draws):.2f} mas^2")
    print("two moons' transits of one visit, mean product of their AL residuals (+- bootstrap over the visits):")
    for lo, hi, label in ((0, 60, "within a minute"), (60, 1800, "1-30 min apart"), (1800, 21600, "0.5-6 h apart"),
                          (21600, 2 * 86400, "6 h - 2 d apart")):
        line(label, (apart >= lo) & (apart < hi))
    for both, label in ((2, "both of the Himalia group"), (1, "one of each"), (0, "both outer")):
        line(label, inner[i].astype(int) + inner[j].astype(int) == both)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transits", action="store_true", help="also fit the 8 moons and read their transits one by "
                        "one (separation from Jupiter, time between two moons' transits; ~1.5 min on 2 cores)")
    parser.add_argument("--harness", choices=("cut", "all", "folds"), help="also run the harness with the loadings")
    args = parser.parse_args()
    inner, outer = print_pairs(GaiaVisitOffsets.read())
    print(f"loadings: Himalia group {inner:.2f} mas, outer moons {outer:.2f} (the default: "
          f"{gaia.VISIT_COMMON_AL_MAS} for every moon)")
    if args.transits:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            residuals = transit_residuals()
        print("the same pairs of moons' visit means, from today's default fits:")
        print_pairs(GaiaVisitOffsets.from_residuals({b: r[:2] for b, r in residuals.items()}))
        print_transits(residuals)
    if not args.harness:
        return
    from orbitfit.estimation.published import gomes_junior_2016_orbits
    from orbitfit.validation import common_visit_harness
    warnings.simplefilter("ignore")              # the refits' rejection-cap warnings say nothing new here
    use_group_loadings(inner, outer)
    started, bodies = time.perf_counter(), list(gomes_junior_2016_orbits())
    corrected = common_visit_harness(bodies, test=args.harness)[1]
    figures = {b: (corrected[b].summary["rms_mas"], corrected[b].summary["rms_normalised"]) for b in bodies}
    for body, (rms, z) in figures.items():
        print(f"{body:9s} AL rms {rms:5.1f} mas, z rms {z:.2f}")
    rms_over = lambda k: np.sqrt(np.mean([f[k] ** 2 for f in figures.values()]))
    print(f"{args.harness}: rms over the moons {rms_over(0):.2f} mas, z {rms_over(1):.2f} "
          f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
