"""Is Gaia's error common to the moons of one visit the same for every moon? The embedded table of visit offsets
(data/gaia_visits/dr3_visit_offsets.csv: each moon's mean along-scan residual in each DR3 visit, its fit of every
embedded data set) read pair by pair: for two moons seen in one visit the mean of the product of their visit means
estimates what they share (their own errors are independent), split by whether both belong to the Himalia group
(Himalia, Elara, Lysithea, Leda: 11-12.5 million km from Jupiter), both to the outer retrograde moons (Pasiphae,
Sinope, Carme, Ananke: 22-26 million km, so about twice as far from Jupiter on the sky) or one to each; 90% ranges
from a bootstrap over the visits. Then, with --harness, what a loading per group would do to the harness (every
moon under one held-out rule, `orbitfit.validation.common_visit_harness`): a what-if that replaces, for this run
only, the one common error of `orbitfit.observations.gaia` (VISIT_COMMON_AL_MAS, 3.2 mas) by the group's (in each
transit's floor as Gaia gave it and in what the correction takes out of it), and the correction of a moon's transits
by the other moons' means each scaled by the ratio of the loadings.

    python benchmarks/gaia_visit_groups.py                       # the pairs (a second)
    python benchmarks/gaia_visit_groups.py --harness cut         # and the harness (~3 min on one core; all: ~3,
                                                                 # folds ~8)

Measured 2026-12-07: pairs within the Himalia group share 20.5 mas^2 (37 pairs; 90%: 8.0-31.7), within the outer
moons 6.5 (73; 0.6-13.7), across 10.5 (142; 3.8-17.2): one error per visit, 4.5 mas strong in the Himalia group's
transits and 2.6 in the outer moons' (the cross term 10.5 is what one such error gives, 4.5 x 2.6 = 11.6); the
group's share is not above the outer moons' in 4% of the bootstrap draws. Every moon of the group shares 16-25
mas^2 with the others of the group, every outer moon 5-7 with the outer ones. Nearer Jupiter on the sky the common
error is larger: Jupiter's scattered light is one candidate cause. Harness with the loadings 4.53 / 2.56 (against
the default's 3.2 for every moon; AL rms over the moons, z rms): cut 7.73 -> 7.66 mas, z 0.79 -> 0.78; all 7.51 ->
7.34, z 0.79 -> 0.76; folds 9.90 -> 9.62, z 0.98 -> 0.93 (Sinope's z one year ahead 0.43 -> 0.51, Pasiphae's 0.66
-> 0.72, Himalia's 0.88 -> 0.81; Lysithea 15.3 -> 14.5 mas, and 19.1 -> 18.1 one apparition away). A few tenths of a
mas everywhere, within the noise of so few visits: not adopted (docs/validation.md, "The transits' error by
apparition and by visit").
"""
import argparse
import itertools
import time
import warnings

import numpy as np

from orbitfit.observations import gaia, gaia_visits
from orbitfit.observations.gaia_visits import GaiaVisitOffsets

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
        mine = {v: m for v, b, m in zip(offsets.visit, offsets.body, offsets.mean_al_mas) if b == body}
        with_group = {g: [m * mo for v, b, mo in zip(offsets.visit, offsets.body, offsets.mean_al_mas)
                          if b != body and b in g and v in mine for m in (mine[v],)] for g in (HIMALIA_GROUP, OUTER)}
        print(f"  {body}: {np.mean(with_group[HIMALIA_GROUP]):5.1f} | {np.mean(with_group[OUTER]):5.1f}")
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
        margin = 0.5 * self.meta.get("gap_days", gaia_visits.VISIT_GAP_DAYS) * 86400.0
        for i in np.nonzero(np.isfinite(value))[0]:
            here = (self.start_tdb_s - margin <= tdb[i]) & (tdb[i] <= self.end_tdb_s + margin) & (self.body != body)
            value[i] = loading(body) * np.mean(self.mean_al_mas[here] / [loading(b) for b in self.body[here]])
        return value, sigma, count

    gaia.transit_al_floor_mas = floor
    gaia_visits._without_common_error = without_common_error
    GaiaVisitOffsets.offset = offset


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--harness", choices=("cut", "all", "folds"), help="also run the harness with the loadings")
    args = parser.parse_args()
    inner, outer = print_pairs(GaiaVisitOffsets.read())
    print(f"loadings: Himalia group {inner:.2f} mas, outer moons {outer:.2f} (the default: "
          f"{gaia.VISIT_COMMON_AL_MAS} for every moon)")
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
