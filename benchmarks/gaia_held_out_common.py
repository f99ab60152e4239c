"""Gaia's error common to the moons of one visit, seen in predictions rather than in fits: each moon's Gaia cut test
(`orbitfit.validation.gaia_cut`, default options, transits as Gaia gave them), its held-out residuals averaged per
Gaia visit and moon, and the common part estimated across the moons by the method of moments
(`GaiaVisitOffsets.variances`). The moons' orbit errors are independent of each other, so what they share in a visit
is Gaia's (or a cause common to every moon's fit); a fit that saw the visit absorbs part of it instead, most at the
end of its arc (the embedded table's estimate from fitted residuals is 3.1 mas; 3.8 from the fits of 2026-12-03).

    python benchmarks/gaia_held_out_common.py           # mode cut (~4 min on 2 cores); --mode all, --mode folds
    python benchmarks/gaia_held_out_common.py --cut 2012-01-01     # years ahead (also 2008-01-01)
    python benchmarks/gaia_held_out_common.py --cut 2015-06-01 --until 2016-06-01 --size-shared   # out of the cut
                                                  # test's sample: the year it fits and never predicts

The figures below were measured with the defaults of their day. The defaults changed since (the periodic RA*
apparition prior on 2026-12-04, the zenith level on 2026-12-05: CHANGELOG, issue 15), so a run today prints
other figures; the same reading of them is what the script is for.

Measured 2026-12-03 (cut 2016-06-01, 6 visits seen by 5-7 moons): tau 5.6 mas, one moon's visit mean about it 7.3
mas; the last DR3 visit (2017-02-22 ... 28) mean -11.7 mas (Elara +1, Lysithea -22, Leda -19, Pasiphae -10, Carme
-9): much of Lysithea's and Leda's held-out miss there is shared with the other moons. One apparition away
(--mode folds, 15 visits seen by 2-8 moons) the shared part is larger: tau 9.6 mas, one moon's visit mean about it
9.4; 2015-04-25 all five moons +8 ... +30 (mean +19.1), 2015-05-30 all seven -4 ... -43 (mean -18.5), 2014-12-14
seven of eight -8 ... -22: an apparition's held-out transits are missed the same way by every moon's fit. The
signs alternate with the scan's orientation: one sky offset per apparition common to the eight moons, fitted to
their held-out AL residuals, is RA* -17.6 Dec +6.1 mas in 2014/15 (AL rms 16.0 -> 10.4 mas; Himalia 12.2 -> 2.0,
Elara 16.2 -> 5.0, Sinope 18.2 -> 6.8, Carme 26.3 -> 14.1), -9.4 +2.1 in 2015/16 (13.9 -> 12.4), +6.3 -9.1 in
2016/17 (10.6 -> 7.5). Whatever moves every moon together (the Jupiter system's place, ~55 km at 4.4 au for 17 mas;
a Gaia error over a sky region and months; the catalogue zones of the ground data) is what the folds' sigma lacks.
Re-measured 2026-12-05 (evening; the default of that day, the scanning law's axes; 1 and 3 min): cut tau 6.0 mas,
one moon's visit mean about it 5.8 (2016-12-09 all seven moons -12 ... -3, mean -8.2; 2017-01-13 all seven +1 ...
+14, +8.4; the last visit -10.2), one offset common to the moons RA* +5.7 Dec -7.5 (AL rms 9.3 -> 6.8); folds tau
8.3, about it 8.2 (2015-04-25 all five +7 ... +27, mean +16.8; 2015-05-29 all seven -39 ... -6, -15.1), the
apparitions' common offsets RA* -17.2 Dec +7.0 (2014/15; 13.8 -> 7.6), -7.3 +1.3 (2015/16; 9.3 -> 7.9), +9.3 -11.5
(2016/17; 13.1 -> 9.0). The fitted residuals' estimate of the same visits' common error is 3.2 mas. Years ahead
(--cut 2012-01-01 / 2008-01-01, no transit fitted): tau 9.6 / 16.3 mas, but one moon's visit mean about it 23.9 /
26.2 mas: there each moon's own orbit error dominates (which its sigma covers: the harness's z 0.78 / 0.94), and the
common part grows from ~6 mas one year ahead to ~10 and ~16.
With each moon's own floor (--gaia-floors own, the default since that evening; 4 and 11 min): cut tau 5.2 mas, one
moon's visit mean about it 6.1 (the last visit -9.2; one offset common to the moons RA* +5.2 Dec -6.4, AL rms 8.2 ->
6.2); folds tau 7.7, about it 7.9 (apparitions' common offsets RA* -16.4 Dec +7.3, -5.9 +0.0, +7.8 -7.5). Beyond
Gaia's own error common to a visit (3.2 mas, in each held-out transit's sigma) the predictions share sqrt(5.2^2 -
3.2^2) = 4.1 mas one year ahead and 7.0 one apparition away (per-visit moments); FitOptions.shared_sky_error_mas,
3.8, is sized by --size-shared on pairs of moons with the fits' responses (3.65 without the responses).
The last lines (2026-12-06, the default with the shared error in sigma; 4 and 11 min) set the held-out common error
of each visit against the fitted one (the embedded table's): one year ahead 2.07 x (6 visits, correlation 0.86), one
apparition away 2.05 x (15 visits, correlation 0.95, 7.9 against 3.6 mas rms, 3.0 mas about the line), moon by moon
1.53 x and 1.65 x. Two moons' held-out means in two visits of one apparition multiply to -10.7 and -8.9 mas^2
(one offset per apparition gives them s^2 c > 0): the shared error is not all constant within an apparition. Whether
it is Gaia's own visit error, larger than fitted residuals show, or the predictions' (the default's model): a
simulation through the fits, benchmarks/shared_error_structure.py.
2026-12-07 (~5 min each on one core): the cut test's own year gives s = 3.81 mas again (109 pairs); the year before
it (--cut 2015-06-01 --until 2016-06-01: 2015-06 ... 2016-05 predicted by the fits before, 79 pairs in 4 visits)
4.79 (4.97 without the responses; tau 6.2 mas against 5.2, the one-visit mean product 34.9 mas^2 against 23.5;
two visits of one apparition -21.0, as the cut test's -10.7): the size measured out of the cut test's sample, which
it judges in docs/validation.md ("The error every moon's prediction shares").
"""
import argparse

import numpy as np

from orbitfit.bodies import NAIF_BY_NAME
from orbitfit.estimation.published import gomes_junior_2016_orbits
from orbitfit.observations.datasets import load_all
from orbitfit.observations.gaia import along_scan_directions
from orbitfit.observations.gaia_visits import GaiaVisitOffsets
from orbitfit.times import JULIAN_YEAR_S, to_tdb_seconds
from orbitfit.validation import DEFAULT_CUT, GAIA_TRANSIT, gaia_cut, gaia_folds

GROSS_MAS = 80.0         # held-out residuals are larger than fitted ones (Leda's -32); only blunders left out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="cut", choices=["cut", "all", "folds"])
    parser.add_argument("--cut", default=DEFAULT_CUT, help=f"the cut date of modes cut and all (default {DEFAULT_CUT})")
    parser.add_argument("--until", default=None,
                        help="modes cut and all: only the held-out transits before this date (ISO UTC), e.g. the "
                             "apparition after the cut alone")
    parser.add_argument("--size-shared", action="store_true",
                        help="mode cut: also the size of the error every moon's prediction shares as its model has it "
                             "(FitOptions.shared_sky_error_mas: one sky offset per apparition, the fits' response)")
    parser.add_argument("--gaia-floors", default="own", choices=["common", "own"],
                        help="the transits' along-scan floors (load_all's gaia_floors: 'own' the default since "
                             "2026-12-05 evening, 'common' 7 mas each)")
    args = parser.parse_args()
    residuals, rows, fits = {}, [], {}
    for name in gomes_junior_2016_orbits():
        observations = load_all(name, gaia_transits=True, gaia_visit_offsets=None, gaia_floors=args.gaia_floors)[0]
        result = (gaia_folds(name, observations=observations) if args.mode == "folds"
                  else gaia_cut(name, cut=args.cut, mode=args.mode, observations=observations))
        table = result.table
        if args.until is not None and args.mode != "folds":
            table = table[table["tdb"].value < to_tdb_seconds(args.until, "--until")]
        residuals[NAIF_BY_NAME[name.lower()]] = (table["tdb"].value, table["al_mas"].value)
        print(f"{name:9s} held-out AL (mas): {np.array2string(table['al_mas'].value, precision=0)}", flush=True)
        transits = observations[np.asarray(observations["kind"]).astype(str) == GAIA_TRANSIT]
        row_of = {float(t): i for i, t in enumerate(np.asarray(transits["tdb"], float))}
        directions = along_scan_directions(transits)[[row_of[float(t)] for t in table["tdb"].value]]
        group = np.asarray(table["apparition"]) if "apparition" in table.colnames else np.zeros(len(table), int)
        fits[name] = (result.solution, table, directions)
        rows += [(name, g, al, d) for g, al, d in zip(group, table["al_mas"].value, directions)]
    offsets = GaiaVisitOffsets.from_residuals(residuals, gross_mas=GROSS_MAS)
    tau2, s2 = offsets.variances()
    print(f"\nheld-out ({args.mode}): common error tau {np.sqrt(tau2):.1f} mas, one moon's visit mean about it "
          f"{np.sqrt(s2):.1f} mas")
    for visit in np.unique(offsets.visit):
        here = offsets.visit == visit
        if here.sum() < 2:
            continue
        year = 2000.0 + offsets.start_tdb_s[here][0] / JULIAN_YEAR_S
        moons = " ".join(f"{b}:{m:+.0f}({n})" for b, m, n in zip(offsets.body[here], offsets.mean_al_mas[here],
                                                                 offsets.n_transits[here]))
        print(f"visit {visit} {year:.3f}: {moons}  mean {offsets.mean_al_mas[here].mean():+.1f}")
    common_sky_offsets(rows)
    against_fitted(residuals)
    visit_pairs(residuals, rows)
    if args.size_shared and args.mode != "folds":
        shared_size(fits)


def against_fitted(residuals):
    """The held-out common error of each visit (the mean over the moons of their visit means) against the fitted
    one (the embedded table's, from fits of every data set, data/gaia_visits/dr3_visit_offsets.csv), the same moons:
    if what the held-out predictions share in a visit is Gaia's error of that visit, the fits saw it too, shrunk by
    what each moon's orbit took up of it (the visit's leverage), and the two line up; an error of the predictions
    common to the moons (the Jupiter system's place, the ground data's catalogue zones) would not."""
    table = GaiaVisitOffsets.read()
    margin = 0.5 * table.meta.get("gap_days", 2.0) * 86400.0
    held, fitted, pairs = [], [], []
    for visit in np.unique(table.visit):
        here = table.visit == visit
        h, f = [], []
        for body, mean in zip(table.body[here], table.mean_al_mas[here]):
            if body not in residuals:
                continue
            tdb, al = residuals[body]
            mine = ((tdb >= table.start_tdb_s[here][0] - margin) & (tdb <= table.end_tdb_s[here][0] + margin)
                    & (np.abs(al) <= GROSS_MAS))
            if mine.any():
                h.append(al[mine].mean())
                f.append(mean)
        pairs += list(zip(h, f))
        if len(h) >= 2:
            held.append(np.mean(h))
            fitted.append(np.mean(f))
    if len(held) < 3:
        return
    held, fitted, pairs = np.array(held), np.array(fitted), np.array(pairs)
    slope = held @ fitted / (fitted @ fitted)
    per_moon = pairs[:, 0] @ pairs[:, 1] / (pairs[:, 1] @ pairs[:, 1])
    rms = lambda x: np.sqrt(np.mean(x ** 2))
    print(f"\nheld-out against fitted visit means (embedded table), {held.size} visits of >= 2 moons: rms "
          f"{rms(held):.1f} against {rms(fitted):.1f} mas, correlation {np.corrcoef(held, fitted)[0, 1]:.2f}, "
          f"held-out = {slope:.2f} x fitted, rms about that {rms(held - slope * fitted):.1f} mas; moon by moon "
          f"({len(pairs)} visit means) {per_moon:.2f} x, correlation {np.corrcoef(pairs[:, 0], pairs[:, 1])[0, 1]:.2f}")


def visit_pairs(residuals, rows):
    """Two moons' held-out visit means: their mean product in one visit, in two visits of one apparition and in two
    apparitions, beside the same sky offset's share c = d_m . d_n (the scans' directions). One sky offset per
    apparition (FitOptions.shared_sky_error_mas) gives two visits of an apparition a product of s^2 c as one visit
    less Gaia's own visit error; an error per visit gives them none."""
    from orbitfit.estimation.weights import apparition_year
    from orbitfit.observations.gaia_visits import visit_index
    directions = {}
    for name, _, al, d in rows:
        directions.setdefault(NAIF_BY_NAME[name.lower()], []).append(d)
    bodies = list(residuals)
    visits = visit_index(np.concatenate([residuals[b][0] for b in bodies]))
    parts, start = {}, 0
    for b in bodies:
        tdb, al = residuals[b]
        keep = np.abs(al) <= GROSS_MAS
        parts[b] = (al[keep], np.asarray(directions[b])[keep], visits[start:start + tdb.size][keep],
                    apparition_year(tdb[keep]))
        start += tdb.size
    sums = {"one visit": [], "two visits of one apparition": [], "two apparitions": []}
    for a, m in enumerate(bodies):
        for n in bodies[a + 1:]:
            rm, dm, vm, ym = parts[m]
            rn, dn, vn, yn = parts[n]
            for v in set(vm):
                for w in set(vn):
                    i, j = vm == v, vn == w
                    key = ("one visit" if v == w else "two visits of one apparition" if ym[i][0] == yn[j][0]
                           else "two apparitions")
                    sums[key].append((rm[i].mean() * rn[j].mean(), dm[i].mean(0) @ dn[j].mean(0)))
    print("two moons' held-out visit means (mas^2; c: one sky offset's share along both scans)")
    for key, values in sums.items():
        if values:
            values = np.array(values)
            print(f"  {key}: {len(values)} pairs, mean product {values[:, 0].mean():+.1f}, "
                  f"mean c {values[:, 1].mean():.2f}")


def shared_size(fits):
    """The size s of the error every moon's prediction shares, as FitOptions.shared_sky_error_mas models it (one sky
    offset per apparition, N(0, s^2 I), in every observation and prediction of it; the fits follow it through their
    response G, orbitfit.estimation.shared_error): two moons' visit means of held-out AL residuals share Gaia's visit
    error tau^2 plus s^2 c, c the model's cross-covariance for s = 1 (e_k - J_m G^m e against e_k - J_n G^n e, averaged
    over their transits of the visit); s^2 = sum(product - tau^2) / sum(c) over every pair of moons in every visit."""
    from orbitfit.estimation.shared_error import responses
    from orbitfit.estimation.weights import apparition_year
    from orbitfit.observations.gaia import VISIT_COMMON_AL_MAS
    from orbitfit.observations.gaia_visits import visit_index
    from orbitfit.products.uncertainty import sky_jacobian
    parts = {}
    for name, (solution, table, directions) in fits.items():
        tdb, al = table["tdb"].value, table["al_mas"].value
        keep = np.abs(al) <= GROSS_MAS
        by_year, _ = responses(solution)
        parts[name] = (tdb[keep], al[keep], directions[keep], sky_jacobian(solution, tdb[keep])[1],
                       apparition_year(tdb[keep]), by_year)
    visits = visit_index(np.concatenate([p[0] for p in parts.values()]))
    start = 0
    for name, p in list(parts.items()):
        parts[name] = p + (visits[start:start + p[0].size],)
        start += p[0].size
    names = list(parts)
    product, model, flat = [], [], []
    apart, apart_model = [], []          # two moons in two different visits of one apparition
    for a, m in enumerate(names):
        for n in names[a + 1:]:
            tm, rm, dm, jm, ym, gm, vm = parts[m]
            tn, rn, dn, jn, yn, gn, vn = parts[n]
            q = sum((gm[y] @ gn[y].T for y in set(gm) & set(gn)), np.zeros((6, 6)))
            for v in set(vm):
                for w in set(vn):
                    i, j = np.nonzero(vm == v)[0], np.nonzero(vn == w)[0]
                    if v != w and ym[i[0]] != yn[j[0]]:
                        continue
                    c = []
                    for ii in i:
                        for jj in j:
                            cov = ((ym[ii] == yn[jj]) * np.eye(2) - (jn[jj] @ gn.get(int(ym[ii]), np.zeros((6, 2)))).T
                                   - jm[ii] @ gm.get(int(yn[jj]), np.zeros((6, 2))) + jm[ii] @ q @ jn[jj].T)
                            c.append(dm[ii] @ cov @ dn[jj])
                    if v != w:
                        apart.append(rm[i].mean() * rn[j].mean())
                        apart_model.append(np.mean(c))
                        continue
                    product.append(rm[i].mean() * rn[j].mean())
                    model.append(np.mean(c))
                    flat.append(np.mean([dm[ii] @ dn[jj] * (ym[ii] == yn[jj]) for ii in i for jj in j]))
    excess = np.sum(np.array(product) - VISIT_COMMON_AL_MAS ** 2)
    print(f"\nshared error, {len(product)} pairs of moons in a visit: mean product {np.mean(product):.1f} mas^2, "
          f"Gaia's visit error {VISIT_COMMON_AL_MAS:g}^2; s = {np.sqrt(max(excess, 0) / np.sum(model)):.2f} mas with "
          f"the fits' response (mean c {np.mean(model):.2f}), {np.sqrt(max(excess, 0) / np.sum(flat)):.2f} without "
          "(c = d.d)")
    if apart:
        # the model has one offset per apparition: two visits of it share s^2 c as one visit does (less Gaia's own
        # visit error); much less there would say the shared error varies within an apparition
        total = np.sum(apart)
        signed = np.sign(total) * np.sqrt(abs(total) / np.sum(apart_model))
        print(f"two moons in two visits of one apparition, {len(apart)} pairs: mean product {np.mean(apart):.1f} "
              f"mas^2 (mean c {np.mean(apart_model):.2f}); s = {signed:.2f} mas (signed: negative if they "
              "anticorrelate)")


def common_sky_offsets(rows):
    """One (RA*, Dec) sky offset common to every moon's held-out residuals of each held-out group (the apparition
    of a fold; the whole cut): least squares on the AL residuals (each along its own scan direction, those within
    GROSS_MAS), and each moon's AL rms before and after it is taken out."""
    names = np.array([r[0] for r in rows])
    group = np.array([r[1] for r in rows])
    al = np.array([r[2] for r in rows])
    directions = np.array([r[3] for r in rows]).reshape(len(rows), 2)
    print("\nan offset common to the moons, per held-out group (RA*, Dec mas; AL rms before -> after, mas)")
    for g in np.unique(group):
        here = (group == g) & (np.abs(al) <= GROSS_MAS)
        offset, *_ = np.linalg.lstsq(directions[here], al[here], rcond=None)
        left = al[here] - directions[here] @ offset
        per_moon = ", ".join(f"{n} {np.sqrt(np.mean(al[here][names[here] == n] ** 2)):.1f} -> "
                             f"{np.sqrt(np.mean(left[names[here] == n] ** 2)):.1f}" for n in dict.fromkeys(names[here]))
        print(f"{g if g else 'held out'}: {here.sum()} transits of {len(set(names[here]))} moons, RA* {offset[0]:+.1f} "
              f"Dec {offset[1]:+.1f}; AL rms {np.sqrt(np.mean(al[here] ** 2)):.1f} -> {np.sqrt(np.mean(left ** 2)):.1f} "
              f"({per_moon})")


if __name__ == "__main__":
    main()
