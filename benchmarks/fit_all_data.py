"""Fit the 8 main irregular moons of Jupiter to (a) GJ15 alone and (b) every embedded data set, and print the
residual statistics per data set, the estimated weight floors per group, iterations and time.

    python benchmarks/fit_all_data.py                    # all eight (several minutes)
    python benchmarks/fit_all_data.py Leda Himalia       # some

(a) GJ15 only (data/gj15/<Name>.dat), FitOptions(night_deweighting=False): the STE paper's set-up.
(b) orbitfit.observations.datasets.load_all(<Name>) (GJ15 + NSDB units incl. Gaia DR3 + MPC CSV, deduplicated), default
    FitOptions. Both start from seed 003's published orbit. If (b) fails, it is retried in stages: first the rows
    within the GJ15 years +- 5 yr starting from the (a) solution, then every row starting from that result; both the
    failure and the staged result are printed.
Not a timed test: timings vary with the machine.
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import orbitfit
from orbitfit.estimation.weights import group_keys  # noqa: E402
from orbitfit.observations.datasets import load_all  # noqa: E402
from orbitfit.observations import read_gj15  # noqa: E402
from orbitfit.paths import data_path  # noqa: E402
from orbitfit.estimation.published import gomes_junior_2016_orbits  # noqa: E402
from orbitfit.tables import plain_table

YEAR_S = 365.25 * 86400.0


def fit(observations, initial, options, label):
    start = time.perf_counter()
    try:
        solution = orbitfit.fit(observations, initial, options)
    except orbitfit.FitError as exc:
        print(f"  {label}: FitError after {time.perf_counter() - start:.1f} s: {exc}")
        return None, time.perf_counter() - start
    return solution, time.perf_counter() - start


def per_dataset(solution):
    """Rows: dataset, n, rejected, mean/std RA*, mean/std Dec of the accepted residuals (mas)."""
    table = plain_table(solution.residuals())
    datasets = np.asarray(table["dataset"]).astype(str)
    accepted = np.asarray(table["accepted"], bool)
    ra, dec = np.asarray(table["res_ra_mas"]), np.asarray(table["res_dec_mas"])
    years = np.asarray(table["year"])
    out = []
    for name in sorted(set(datasets), key=lambda d: (-np.sum(datasets == d), d)):
        sel = datasets == name
        ok = sel & accepted
        stats = [np.mean(ra[ok]), np.std(ra[ok]), np.mean(dec[ok]), np.std(dec[ok])] if ok.any() else [np.nan] * 4
        out.append((name, int(sel.sum()), int((sel & ~accepted).sum()), *stats, years[sel].min(), years[sel].max()))
    return out


def print_solution(solution, seconds, label, max_rows=None):
    n = len(solution.accepted)
    n_rej = int((~solution.accepted).sum())
    s = plain_table(solution.statistics(by=None))[0]
    print(f"  {label}: {n} obs, {n_rej} rejected ({100.0 * n_rej / n:.1f}%), chi2/dof "
          f"{solution.chi2 / max(solution.dof, 1):.3f}, {len(solution.history)} iterations, {seconds:.1f} s; "
          f"accepted O-C RA* {s['mean_ra_mas']:+.1f} +- {s['std_ra_mas']:.1f}, Dec {s['mean_dec_mas']:+.1f} +- "
          f"{s['std_dec_mas']:.1f} mas")
    rows = per_dataset(solution)
    print(f"    {'dataset':<18} {'years':>11} {'n':>5} {'rej':>4}   {'RA* mean +- sd':>16}   {'Dec mean +- sd':>16}")
    shown = rows if max_rows is None else rows[:max_rows]
    for name, count, rej, mra, sra, mdec, sdec, y0, y1 in shown:
        print(f"    {name:<18} {int(y0):5d}-{int(y1):5d} {count:5d} {rej:4d}   {mra:+7.0f} +- {sra:6.0f}   "
              f"{mdec:+7.0f} +- {sdec:6.0f}")
    if len(shown) < len(rows):
        rest = rows[len(shown):]
        print(f"    ... {len(rest)} smaller data sets ({sum(r[1] for r in rest)} obs, "
              f"{sum(r[2] for r in rest)} rejected)")
    keys = group_keys(solution.observations, solution.options.weight_groups)
    names = sorted(set(keys))
    group = np.array([names.index(k) for k in keys])
    counts = np.bincount(group, minlength=len(names))
    order = np.argsort(-counts, kind="stable")
    floors = [f"{names[g]} n={counts[g]} {solution.weights.floor_ra[g]:.0f}/{solution.weights.floor_dec[g]:.0f}"
              for g in order if counts[g] >= 10]
    print(f"    floors RA*/Dec (mas) of the {len(floors)} groups (data set:site) with n >= 10 "
          f"(of {len(names)} groups):")
    for k in range(0, len(floors), 3):
        print("      " + ";  ".join(floors[k:k + 3]))


def staged(observations, start_orbit, gj15_years, options_factory):
    """All data in two stages: rows within the GJ15 years +- 5 yr, then all rows."""
    years = 2000.0 + np.asarray(observations["tdb"], float) / YEAR_S
    inner = (years >= gj15_years[0] - 5) & (years <= gj15_years[1] + 5)
    first, t1 = fit(observations[inner], start_orbit, options_factory(), f"stage 1 ({inner.sum()} obs, "
                                                                        f"{gj15_years[0] - 5:.0f}-"
                                                                        f"{gj15_years[1] + 5:.0f})")
    if first is None:
        return None, t1
    second, t2 = fit(observations, first.orbit, options_factory(), f"stage 2 ({len(observations)} obs)")
    return second, t1 + t2


def main(names):
    orbits = gomes_junior_2016_orbits()
    summary = []
    for name in names:
        published = orbits[name]
        print(f"\n=== {name} ({published.naif_id}) ===")
        initial = orbitfit.gomes_junior_2016_orbit(name)
        gj15, _ = read_gj15(str(data_path("gj15", f"{name}.dat")))
        sol_a, t_a = fit(gj15, initial, orbitfit.FitOptions(night_deweighting=False), "(a) GJ15")
        if sol_a is not None:
            print_solution(sol_a, t_a, "(a) GJ15 only, no night de-weighting")
        everything, report = load_all(name)
        print(f"  all data: {report.kept} rows kept of {report.rows} ({len(report.duplicates)} duplicates, "
              f"{len(report.conflicts)} conflicts kept), {len(set(everything['dataset']))} data sets")
        sol_b, t_b = fit(everything, initial, orbitfit.FitOptions(), "(b) all data")
        how = "(b) all data, default options"
        if sol_b is None and sol_a is not None:
            years = 2000.0 + np.asarray(gj15["tdb"], float) / YEAR_S
            sol_b, t_b = staged(everything, sol_a.orbit, (years.min(), years.max()), orbitfit.FitOptions)
            how = "(b) all data, default options, fitted in stages from (a)"
        if sol_b is not None:
            print_solution(sol_b, t_b, how, max_rows=25)
        summary.append((name, sol_a, t_a, sol_b, t_b, len(everything)))

    print("\n=== summary (sd, means: accepted residuals, mas; (b) columns per data set) ===")
    print(f"{'moon':<9} {'(a) n':>6} {'rej':>4} {'RA* sd':>6} {'Dec sd':>6} {'it':>3} {'s':>4}  |  "
          f"{'(b) n':>5} {'rej':>4} {'chi2/dof':>8} {'GJ15 sd RA*/Dec':>15} {'Gaia mean RA*/Dec':>17} "
          f"{'Gaia sd RA*/Dec':>15} {'it':>3} {'s':>4}")
    for name, a, t_a, b, t_b, n_b in summary:
        if a is None:
            left = f"{'FitError':>35}"
        else:
            s = plain_table(a.statistics(by=None))[0]
            left = (f"{len(a.accepted):6d} {int((~a.accepted).sum()):4d} {s['std_ra_mas']:6.0f} "
                    f"{s['std_dec_mas']:6.0f} {len(a.history):3d} {t_a:4.0f}")
        if b is None:
            right = f"{'FitError':>80}"
        else:
            rows = {r[0]: r for r in per_dataset(b)}
            gj, gaia = rows.get("gj15"), rows.get("nsdb:jo0069")
            gj_text = f"{gj[4]:.0f}/{gj[6]:.0f}" if gj else "-"
            gaia_mean = f"{gaia[3]:+.0f}/{gaia[5]:+.0f}" if gaia else "-"
            gaia_sd = f"{gaia[4]:.0f}/{gaia[6]:.0f}" if gaia else "-"
            right = (f"{len(b.accepted):5d} {int((~b.accepted).sum()):4d} {b.chi2 / max(b.dof, 1):8.3f} "
                     f"{gj_text:>15} {gaia_mean:>17} {gaia_sd:>15} {len(b.history):3d} {t_b:4.0f}")
        print(f"{name:<9} {left}  |  {right}")


if __name__ == "__main__":
    if any(arg.startswith("-") for arg in sys.argv[1:]):  # `--help` is not a moon
        sys.exit(__doc__)
    main(sys.argv[1:] or list(gomes_junior_2016_orbits()))
