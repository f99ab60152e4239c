"""What the moons' held-out predictions share, a per-apparition offset or Gaia's own visit error? A linear simulation
through the real fits, set beside what the harness measures.

The held-out Gaia transits after 2016-06-01 (the harness' cut test) share more per visit than Gaia's visit error as
fitted residuals show it (3.2 mas): 5.2 mas. Two readings fit that one number:
  M1, the default's model: Gaia's visit error 3.2 mas along the scan, plus one sky offset per apparition, s = 3.8 mas
      per axis (FitOptions.shared_sky_error_mas), in every observation and every prediction of that apparition;
  M2: Gaia's visit error alone, 4.85 mas along the scan (3.2 (+) 3.65), in the transits only, nothing in a prediction.
They differ for a user: under M1 every predicted position carries s, under M2 none does. This script draws both
through each moon's linearised fits (the all-data fit as the embedded visit table was made, 7 mas per transit, and
the cut fit), with every row's own noise (its weight; a transit's along-scan noise its moon's own floor,
gaia.CORRECTED_AL_FLOOR_MAS), and prints what each gives for four figures of the held-out visit means, beside the
figures measured on the real held-out residuals: the held-out common error of a visit against the fitted one (the
embedded table's; slope and correlation over the visits seen by >= 2 moons), and two moons' held-out visit means
multiplied, in one visit, in two visits of one apparition and in two apparitions.

    python benchmarks/shared_error_structure.py               # ~12 min on one core (16 fits, 300 draws per model)
    python benchmarks/shared_error_structure.py --mode folds  # each apparition's transits from every other row

Measured 2026-12-06, cut (default options; median and central 90% of 300 draws):
    measured:  slope 2.07, correlation 0.86; products: one visit +23.5, two visits of one apparition -10.7,
               two apparitions +0.5 mas^2; rms of the held-out visit means 5.7, of the fitted 2.3 mas
    M1:        slope 1.52 (1.04 .. 2.21), corr 0.88 (0.47 .. 0.98); one visit +21.0 (1.1 .. 61.5), two visits
               +4.4 (-10.4 .. 65.4), two apparitions +0.6 (-22.7 .. 20.7); rms 5.2 (2.5 .. 8.4), 2.9 (1.5 .. 4.7)
    M2:        slope 1.46 (1.07 .. 2.22), corr 0.90 (0.60 .. 0.98); one visit +21.7 (2.9 .. 63.7), two visits -1.5
               (-16.6 .. 26.9), two apparitions +0.5 (-20.9 .. 16.9); rms 5.2 (2.9 .. 8.7), 3.1 (1.5 .. 5.2)
Both readings give the measured slope, correlation and one-visit product; the two-visit product, -10.7, is just
beyond M1's 5% edge and inside M2's range: one year of held-out visits cannot tell the two apart.
Folds (~25 min; 15 visits):
    measured:  slope 2.05, correlation 0.95; one visit +62.5, two visits -8.9, two apparitions +8.3; rms 7.9, 3.6
    M1:        slope 1.62 (1.30 .. 2.05), corr 0.90 (0.80 .. 0.95); one visit +21.8 (6.2 .. 69.4), two visits +4.8
               (-5.1 .. 31.8), two apparitions -1.7 (-17.1 .. 6.9); rms 5.6 (3.7 .. 9.3), 3.1 (2.1 .. 4.7)
    M2:        slope 1.43 (1.19 .. 1.74), corr 0.91 (0.82 .. 0.96); one visit +23.7 (6.2 .. 56.9), two visits -0.6
               (-8.7 .. 13.8), two apparitions -0.5 (-8.6 .. 3.9); rms 5.6 (3.6 .. 7.9), 3.5 (2.4 .. 4.7)
One apparition away neither reading gives what was measured: an error correlated between apparitions, alternating
between the visits of one, larger than Gaia's alone; M1 comes nearer (slope and one-visit product inside). The
default keeps M1, the nearer reading and the wide side for a user's sigma (docs/validation.md, "The error every
moon's prediction shares").
"""
import argparse

import numpy as np

import orbitfit.estimation.least_squares as least_squares
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.estimation.weights import apparition_year, whiten
from orbitfit.observations.datasets import load_all
from orbitfit.observations.gaia import CORRECTED_AL_FLOOR_MAS, VISIT_COMMON_AL_MAS, along_scan_directions
from orbitfit.observations.gaia_visits import GaiaVisitOffsets, visit_index
from orbitfit.orbit import Orbit
from orbitfit.products.uncertainty import sky_jacobian
from orbitfit.validation import DEFAULT_CUT, GAIA_TRANSIT, along_scan
from orbitfit.times import to_tdb_seconds

SHARED_MAS, GAIA_ALONE_MAS = 3.8, float(np.hypot(VISIT_COMMON_AL_MAS, 3.65))
DRAWS = 300


def linearised_fit(observations, name):
    """The fit of `observations` with what its last Gauss-Newton step knew: whitened design rows, accepted rows,
    the normal matrix' inverse, the transition from the fit's pivot to its epoch. fit_orbit keeps values, not
    matrices, so the design is taken where the fit hands it to the shared error's response."""
    held = {}
    respond = least_squares.state_response

    def keep(fit, data, tdb, names=None):
        held.update(fit=fit, design=fit.evaluation.design.copy(), extra=fit.evaluation.extra, tdb=np.asarray(tdb))
        return respond(fit, data, tdb, names)
    least_squares.state_response = keep
    try:
        solution = least_squares.fit_orbit(observations, gomes_junior_2016_orbit(name))
    finally:
        least_squares.state_response = respond
    if not held:
        raise SystemExit("the fit computed no shared-error response (FitOptions.shared_sky_error_mas = 0?): the "
                         "design is taken where it does")
    fit, design = held["fit"], held["design"]
    weights, accepted = fit.weights.for_normal_equations(), np.asarray(fit.accepted, bool)
    zero = np.zeros(accepted.size)
    _, _, d_ra, d_dec = whiten(zero, zero, weights, design)
    a = np.concatenate([d_ra[accepted], d_dec[accepted]] + ([held["extra"][0]] if held["extra"] is not None else []))
    scale = np.linalg.norm(a, axis=0)
    scale[scale == 0] = 1.0
    inverse = np.linalg.inv((a / scale).T @ (a / scale)) / np.outer(scale, scale)   # as solve_normal scales
    pivot = least_squares.integration_epoch(held["tdb"])
    _, phi = least_squares.transition(solution.model, Orbit(solution.body, pivot, fit.parameters[:6]), solution.epoch)
    table = solution.observations
    gaia = (np.asarray(table["kind"]).astype(str) == GAIA_TRANSIT) & accepted
    directions = np.zeros((len(table), 2))
    directions[gaia] = along_scan_directions(table[gaia])
    keys = [f"{source}:{line}" for source, line in zip(np.asarray(table["source"]).astype(str),
                                                        np.asarray(table["line"]))]
    return {"keys": keys, "solution": solution, "design": design, "weights": weights, "accepted": accepted,
            "d_ra": d_ra, "d_dec": d_dec, "inverse": inverse, "phi": phi, "tdb": np.asarray(table["tdb"], float),
            "gaia": gaia, "directions": directions, "floor": CORRECTED_AL_FLOOR_MAS[solution.body]}


def moved(fit, e_ra, e_dec):
    """The parameters' change when every row's position is off by (e_ra, e_dec) mas: N^-1 A^T W e."""
    w_ra, w_dec = whiten(e_ra, e_dec, fit["weights"])
    rows = fit["accepted"]
    return fit["inverse"] @ (fit["d_ra"][rows].T @ w_ra[rows] + fit["d_dec"][rows].T @ w_dec[rows])


def row_noise(fit, rng):
    """Each row's own error drawn from its weight; a transit's along the scan its moon's own floor (the visit's
    common error is drawn apart)."""
    w = fit["weights"]
    z1, z2 = rng.standard_normal((2, w.sigma_ra.size))
    ra, dec = w.sigma_ra * z1, w.sigma_dec * (w.corr * z1 + np.sqrt(1 - w.corr ** 2) * z2)
    g, d = fit["gaia"], fit["directions"]
    along = d[g, 0] * ra[g] + d[g, 1] * dec[g]
    sigma = np.sqrt(d[g, 0] ** 2 * w.sigma_ra[g] ** 2 + d[g, 1] ** 2 * w.sigma_dec[g] ** 2
                    + 2 * d[g, 0] * d[g, 1] * w.corr[g] * w.sigma_ra[g] * w.sigma_dec[g])
    change = (fit["floor"] / sigma - 1.0) * along
    ra[g] += change * d[g, 0]
    dec[g] += change * d[g, 1]
    return ra, dec


def figures(held, fitted, apparition):
    """Slope and correlation of the held-out visit means over the moons against the fitted ones, two moons' held-out
    visit means multiplied (one visit, two visits of one apparition, two apparitions), and both rms."""
    common = [v for v in held if v in fitted and len(set(held[v]) & set(fitted[v])) >= 2]
    h = np.array([np.mean([held[v][m] for m in set(held[v]) & set(fitted[v])]) for v in common])
    f = np.array([np.mean([fitted[v][m] for m in set(held[v]) & set(fitted[v])]) for v in common])
    products = {"one": [], "apparition": [], "apart": []}
    for v in held:
        for w in held:
            for m in held[v]:
                for n in held[w]:
                    if m < n:
                        kind = "one" if v == w else "apparition" if apparition[v] == apparition[w] else "apart"
                        products[kind].append(held[v][m] * held[w][n])
    rms = lambda x: float(np.sqrt(np.mean(x ** 2)))
    return (float(h @ f / (f @ f)), float(np.corrcoef(h, f)[0, 1]), *(float(np.mean(p)) for p in products.values()),
            rms(h), rms(f))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="cut", choices=["cut", "folds"],
                        help="cut: the transits after 2016-06-01 from the data before; folds: each apparition's "
                             "transits from every other row")
    args = parser.parse_args()
    cut = to_tdb_seconds(DEFAULT_CUT, "cut")
    everything, predictors = {}, []              # predictors: (moon, linearised fit, its held-out transits)
    for name in gomes_junior_2016_orbits():
        everything[name] = linearised_fit(load_all(name, gaia_visit_offsets=None, gaia_floors="common")[0], name)
        table = load_all(name, gaia_visit_offsets=None)[0]
        tdb = np.asarray(table["tdb"], float)
        transit = np.asarray(table["kind"]).astype(str) == GAIA_TRANSIT
        if args.mode == "cut":
            predictors.append((name, linearised_fit(table[tdb < cut], name), table[transit & (tdb >= cut)]))
        else:
            years = apparition_year(tdb)
            for year in np.unique(years[transit]):
                held = transit & (years == year)
                if held.sum() >= 2:                       # as gaia_folds' min_transits
                    predictors.append((name, linearised_fit(table[~held], name), table[held]))
        print(f"{name} fitted", flush=True)
    names = list(everything)
    clock = np.unique(np.concatenate([everything[m]["tdb"][everything[m]["gaia"]] for m in names]))
    visits = visit_index(clock)
    visit_of = lambda t: visits[np.clip(np.searchsorted(clock, t), 0, clock.size - 1)]
    apparition, held = {}, {}
    for m, fit, table in predictors:
        tdb = np.asarray(table["tdb"], float)
        measured = along_scan(fit["solution"], table)
        fit["held"] = {"tdb": tdb, "visit": visit_of(tdb), "directions": along_scan_directions(table),
                       "jacobian": sky_jacobian(fit["solution"], tdb, observer="500")[1],
                       "own": np.sqrt(np.maximum(measured["sigma_al_mas"].value ** 2 - VISIT_COMMON_AL_MAS ** 2, 1.0))}
        fit["visit"] = np.where(fit["gaia"], visit_of(fit["tdb"]), -1)
        apparition.update(zip(fit["held"]["visit"].tolist(), apparition_year(tdb).tolist()))
        al = measured["al_mas"].value
        for v in np.unique(fit["held"]["visit"]):
            here = (fit["held"]["visit"] == v) & (np.abs(al) <= 80.0)
            if here.any():
                held.setdefault(int(v), {})[m] = float(al[here].mean())
    for m in names:
        everything[m]["visit"] = np.where(everything[m]["gaia"], visit_of(everything[m]["tdb"]), -1)
    # one error per observation, the same in every fit that holds it (the fitted residual and the held-out miss of
    # a transit share its own error, as they do in the data): each row's place among the all-data fit's rows
    for m, fit, table in predictors:
        where = {key: i for i, key in enumerate(everything[m]["keys"])}
        fit["rows"] = np.array([where.get(key, -1) for key in fit["keys"]])
        fit["held"]["rows"] = np.array([where.get(f"{a}:{b}", -1) for a, b in
                                        zip(np.asarray(table["source"]).astype(str), np.asarray(table["line"]))])

    # the measured figures: the harness' held-out residuals and the embedded table's fitted visit means
    table = GaiaVisitOffsets.read()
    body_name = {everything[m]["solution"].body: m for m in names}
    fitted = {}
    for start, body, mean in zip(table.start_tdb_s, table.body, table.mean_al_mas):
        fitted.setdefault(int(visit_of(np.array([start]))[0]), {})[body_name[int(body)]] = float(mean)
    report("measured", [figures(held, fitted, apparition)])

    years = sorted(set(apparition_year(np.concatenate([everything[m]["tdb"] for m in names])).tolist()))
    rng = np.random.default_rng(1)
    for label, tau, s in (("M1 (the model)", VISIT_COMMON_AL_MAS, SHARED_MAS),
                          ("M2 (Gaia's alone)", GAIA_ALONE_MAS, 0.0)):
        draws = []
        for _ in range(DRAWS):
            visit_error = rng.normal(0.0, tau, visits.max() + 1)
            offset = {y: rng.normal(0.0, s, 2) for y in years}
            sim_held, sim_fitted, noise = {}, {}, {}
            for m in names:                               # the fitted residuals along the scan
                fit = everything[m]
                noise[m] = row_noise(fit, rng)
                e_ra, e_dec, change = drawn(fit, offset, visit_error, noise[m])
                g, d = fit["gaia"], fit["directions"]
                r_ra = e_ra - fit["design"][:, 0] @ change
                r_dec = e_dec - fit["design"][:, 1] @ change
                along = r_ra[g] * d[g, 0] + r_dec[g] * d[g, 1]
                for v in np.unique(fit["visit"][g]):
                    sim_fitted.setdefault(int(v), {})[m] = float(along[fit["visit"][g] == v].mean())
            for m, fit, _ in predictors:                  # the held-out predictions' misses
                _, _, change = drawn(fit, offset, visit_error, shared_noise(fit, noise[m], rng, fit["rows"]))
                p = fit["held"]
                sky = np.array([offset[int(y)] for y in apparition_year(p["tdb"])])
                n_ra, n_dec = noise[m]
                known = p["rows"] >= 0
                own = rng.standard_normal(p["tdb"].size) * p["own"]
                own[known] = (p["directions"][known, 0] * n_ra[p["rows"][known]]
                              + p["directions"][known, 1] * n_dec[p["rows"][known]])
                miss = (np.einsum("ni,ni->n", p["directions"], sky - p["jacobian"] @ (fit["phi"] @ change[:6]))
                        + visit_error[p["visit"]] + own)
                for v in np.unique(p["visit"]):
                    sim_held.setdefault(int(v), {})[m] = float(miss[p["visit"] == v].mean())
            draws.append(figures(sim_held, sim_fitted, apparition))
        report(label, draws)


def shared_noise(fit, noise, rng, rows):
    """This fit's rows' own errors taken from the all-data fit's draw (`rows`: each row's place there; -1, a row it
    does not hold, drawn afresh)."""
    fresh_ra, fresh_dec = row_noise(fit, rng)
    known = rows >= 0
    fresh_ra[known], fresh_dec[known] = noise[0][rows[known]], noise[1][rows[known]]
    return fresh_ra, fresh_dec


def drawn(fit, offset, visit_error, noise):
    """One draw of every fitted row's error (its own `noise`, its apparition's sky offset, a transit's visit error
    along the scan) and the parameters' change it makes."""
    sky = np.array([offset[int(y)] for y in apparition_year(fit["tdb"])])
    e_ra, e_dec = noise[0] + sky[:, 0], noise[1] + sky[:, 1]
    g, d = fit["gaia"], fit["directions"]
    e_ra[g] += visit_error[fit["visit"][g]] * d[g, 0]
    e_dec[g] += visit_error[fit["visit"][g]] * d[g, 1]
    return e_ra, e_dec, moved(fit, e_ra, e_dec)


def report(label, draws):
    draws = np.asarray(draws)
    names = ("slope", "correlation", "product one visit", "two visits of one apparition", "two apparitions",
             "rms held-out", "rms fitted")
    if len(draws) == 1:
        print(f"{label}: " + ", ".join(f"{n} {v:+.2f}" for n, v in zip(names, draws[0])), flush=True)
        return
    cell = lambda k: (f"{np.median(draws[:, k]):+.2f} ({np.quantile(draws[:, k], 0.05):+.2f} .. "
                      f"{np.quantile(draws[:, k], 0.95):+.2f})")
    print(f"{label}: " + ", ".join(f"{n} {cell(k)}" for k, n in enumerate(names)), flush=True)


if __name__ == "__main__":
    main()
