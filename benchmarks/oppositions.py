"""Leave one opposition out on the ground data (`orbitfit.validation.leave_one_opposition_out`), the 8 main irregular
moons under the default options: each apparition of Jupiter with >= 10 accepted ground positions held out in turn and
predicted by a fit of every other row (Gaia transits and the other apparitions), the fitted biases the rows share with
other apparitions applied, their sigma the observation's, the orbit's and the spread of the apparition's own bias.

    python benchmarks/oppositions.py                       # every moon (~23 min on 2 cores, 2026-12-07)
    python benchmarks/oppositions.py --moons Leda Sinope   # some
    python benchmarks/oppositions.py --moons Himalia Elara Pasiphae --since 2016 --gaia-reduced-bias apparition
                                      # the Gaia-era apparitions, the Gaia DR2 reductions in their apparition's
                                      # bias (the default before 2026-12-07; the default: their own)
    python benchmarks/oppositions.py --moons Himalia Elara Pasiphae --since 2016 --gaia-reduced-bias none
                                      # ... and with none: the share their own bias should hold (its prior, 15 mas)
    python benchmarks/oppositions.py --markdown benchmarks/results/oppositions.md \\
        --datasets-markdown benchmarks/results/oppositions_datasets.md \\
        --eras-markdown benchmarks/results/oppositions_eras.md

Prints, per moon, the held-out rows and apparitions, the rms and mean of the residuals in RA* and Dec (mas), the z
rms over both coordinates and what an honest sigma gives it (central 90%, and the chance of a z rms this large: small
means sigma too small, near 1 too large), the z rms of the apparitions' mean residuals (RA* and Dec; the sharper test
of the bias' spread and the orbit's sigma) with its chance; then per data set (those with >= --min-rows held-out
rows).
Not a timed test: the times vary with the machine.
"""
import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial

import numpy as np

from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbits


def run(name, since=None, gaia_reduced_bias=None):
    """One moon's leave-one-opposition-out under the defaults (or another FitOptions.gaia_reduced_bias than the
    default's; only the apparitions from `since` on): (name, summary, per data set rows, seconds)."""
    from orbitfit.validation import leave_one_opposition_out
    from orbitfit.validation.oppositions import by_group
    t0 = time.perf_counter()
    options = FitOptions() if gaia_reduced_bias is None else FitOptions(gaia_reduced_bias=gaia_reduced_bias)
    result = leave_one_opposition_out(name, options, apparitions=None if since is None else range(since, 2200))
    rows = by_group(result, "dataset")
    per_dataset = [{key: (rows[key][k].value if hasattr(rows[key][k], "value") else rows[key][k])
                    for key in rows.colnames} for k in range(len(rows))]
    means = result.notes["apparition_means"]
    summary = dict(result.summary, apparitions=result.notes["n_oppositions"],
                   means=[(int(means["opposition"][k]), *(float(means[c][k].value) for c in
                          ("mean_ra_mas", "sigma_mean_ra_mas", "mean_dec_mas", "sigma_mean_dec_mas")))
                          for k in range(len(means))],
                   gaia_reduced=gaia_reduced_means(result))
    return name, summary, per_dataset, time.perf_counter() - t0


def gaia_reduced_means(result, min_rows=10):
    """Per held-out apparition, the mean residual of the positions reduced against Gaia (RA*, Dec, mas; the mean of
    their nightly means) and its sigma (the orbit's, median over the rows, and the nightly means' scatter over their
    number; for one night the rows' own sigma, undivided): [(year, rows, nights, mean_ra, sigma_ra, mean_dec,
    sigma_dec)]. With gaia_reduced_bias "none" their
    spread beyond sigma is the share an apparition bias of their own should hold (`share_beyond`)."""
    from orbitfit.estimation.weights import night_index, reduced_against_gaia
    table, full = result.table, result.solution
    rows = np.asarray(table["row"])
    gaia = reduced_against_gaia(full.observations)[rows]
    night = night_index(full.observations, full.observations["tdb"])[0][rows]
    years = np.asarray(table["opposition"])
    out = []
    for year in sorted(set(years[gaia])):
        m = gaia & (years == year)
        if m.sum() < min_rows:
            continue
        nights = np.unique(night[m])
        record = [int(year), int(m.sum()), int(nights.size)]
        for c in ("ra", "dec"):
            res = table[f"res_{c}_mas"].value[m]
            own = getattr(full.weights, f"sigma_{c}")[rows[m]]
            orbit2 = np.median(table[f"sigma_{c}_mas"].value[m] ** 2 - own ** 2
                               - table[f"sigma_unknown_bias_{c}_mas"].value[m] ** 2)
            nightly = np.array([res[night[m] == k].mean() for k in nights])
            spread2 = np.var(nightly, ddof=1) / nightly.size if nightly.size > 1 else own.mean() ** 2
            record += [float(nightly.mean()), float(np.sqrt(max(orbit2, 0.0) + spread2))]
        out.append(tuple(record))
    return out


def share_beyond(means, sigmas):
    """The spread s (mas) with sum(m^2 / (sigma^2 + s^2)) = n: what the means scatter by beyond their sigma (0 when
    they scatter less)."""
    from scipy.optimize import brentq
    m, sigma = np.asarray(means, float), np.asarray(sigmas, float)
    excess = lambda v: np.sum(m ** 2 / (sigma ** 2 + v)) - m.size   # noqa: E731
    return 0.0 if m.size == 0 or excess(0.0) <= 0 else float(np.sqrt(brentq(excess, 0.0, 1e6)))


ERAS = ((1890, 1959, "before 1960"), (1960, 1994, "1960 – 1994"), (1995, 2100, "since 1995"))


def eras(results, moons):
    """The apparitions' mean residuals over their sigma by era, pooled over the moons and moon by moon: count
    (RA* and Dec), z rms, and the chance of a z rms this large for an honest sigma (chi-square). Prints them and
    returns the pooled rows as markdown."""
    from scipy.stats import chi2
    print("\nthe apparitions' mean residuals by era: z rms (means, RA* and Dec), chance of one this large")
    lines = []
    for first, last, label in ERAS:
        pooled, parts = [], []
        for name in moons:
            z = [m / s for year, m_ra, s_ra, m_dec, s_dec in results[name][0]["means"] if first <= year <= last
                 for m, s in ((m_ra, s_ra), (m_dec, s_dec))]
            pooled += z
            if z:
                parts.append(f"{name} {np.sqrt(np.mean(np.square(z))):.2f} ({len(z)})")
        if not pooled:
            continue
        z = np.array(pooled)
        p = chi2.sf(np.sum(z ** 2), z.size)
        print(f"  {label:12s} {z.size:4d} means: z rms {np.sqrt(np.mean(z ** 2)):.2f}, chance {p:.3f}; "
              + ", ".join(parts))
        lines.append(f"| {label} | {z.size} | {np.sqrt(np.mean(z ** 2)):.2f} | {p:.3f} | {'; '.join(parts)} |")
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moons", nargs="*", default=list(gomes_junior_2016_orbits()))
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--min-rows", type=int, default=50, help="data sets printed: at least this many held-out rows")
    parser.add_argument("--beyond", type=float, default=2.0, help="apparitions printed: mean beyond this many sigma")
    parser.add_argument("--since", type=int, help="hold out only the apparitions from this year on")
    parser.add_argument("--gaia-reduced-bias", choices=("apparition", "own", "none"),
                        help="the positions reduced against Gaia: their apparition's bias, one of their own (the "
                             "default's), or none (FitOptions.gaia_reduced_bias)")
    parser.add_argument("--markdown", help="the moons' table rows to this file")
    parser.add_argument("--datasets-markdown", help="the data sets' table rows to this file")
    parser.add_argument("--eras-markdown", help="the apparitions' means by era, table rows to this file")
    args = parser.parse_args()
    moon_lines, dataset_lines = [], []
    with ProcessPoolExecutor(args.workers) as pool:
        work = partial(run, since=args.since, gaia_reduced_bias=args.gaia_reduced_bias)
        results = {name: out for name, *out in pool.map(work, args.moons)}
    print(f"{'moon':9s} {'rows':>5s} {'app.':>4s} {'rms RA*':>7s} {'rms Dec':>7s} {'mean RA*':>8s} {'mean Dec':>8s} "
          f"{'z rms':>6s} {'honest 90%':>11s} {'p':>5s} {'means: z rms':>12s} {'p':>5s} {'s':>5s}")
    for name in args.moons:
        s, per_dataset, seconds = results[name]
        n = sum(d["n"] for d in per_dataset)
        ra = np.sqrt(sum(d["rms_ra_mas"] ** 2 * d["n"] for d in per_dataset) / n)
        dec = np.sqrt(sum(d["rms_dec_mas"] ** 2 * d["n"] for d in per_dataset) / n)
        mean_ra = sum(d["mean_ra_mas"] * d["n"] for d in per_dataset) / n
        mean_dec = sum(d["mean_dec_mas"] * d["n"] for d in per_dataset) / n
        low, high = s["honest_rms_normalised_90"]
        print(f"{name:9s} {n:5d} {s['apparitions']:4d} {ra:7.0f} {dec:7.0f} {mean_ra:+8.0f} {mean_dec:+8.0f} "
              f"{s['rms_normalised']:6.2f} {low:5.2f}-{high:4.2f} {s['p_rms_normalised']:5.2f} "
              f"{s['rms_normalised_means']:12.2f} {s['p_rms_normalised_means']:5.2f} {seconds:5.0f}")
        moon_lines.append(f"| {name} | {n} ({s['apparitions']}) | {ra:.0f} | {dec:.0f} | {mean_ra:+.0f} | "
                          f"{mean_dec:+.0f} | {s['rms_normalised']:.2f} | {low:.2f} – {high:.2f} | "
                          f"{s['p_rms_normalised']:.2f} | {s['rms_normalised_means']:.2f} | "
                          f"{s['p_rms_normalised_means']:.2f} |")
    print("\nper data set (held-out rows >= %d): rows, apparitions, rms and mean RA*/Dec (mas), z rms" % args.min_rows)
    for name in args.moons:
        for d in results[name][1]:
            if d["n"] < args.min_rows:
                continue
            print(f"  {name:9s} {d['dataset']:14s} {d['n']:5d} {d['apparitions']:3d} {d['rms_ra_mas']:6.0f} "
                  f"{d['rms_dec_mas']:6.0f} {d['mean_ra_mas']:+6.0f} {d['mean_dec_mas']:+6.0f} "
                  f"{d['rms_normalised']:5.2f}")
            dataset_lines.append(f"| {name} | {d['dataset']} | {d['n']} ({d['apparitions']}) | "
                                 f"{d['rms_ra_mas']:.0f} | {d['rms_dec_mas']:.0f} | {d['mean_ra_mas']:+.0f} | "
                                 f"{d['mean_dec_mas']:+.0f} | {d['rms_normalised']:.2f} |")
    print(f"\napparitions whose mean residual is beyond {args.beyond:g} sigma (RA* or Dec): year, mean / sigma (mas)")
    for name in args.moons:
        for year, m_ra, s_ra, m_dec, s_dec in results[name][0]["means"]:
            if max(abs(m_ra / s_ra), abs(m_dec / s_dec)) > args.beyond:
                print(f"  {name:9s} {year}  RA* {m_ra:+7.0f} / {s_ra:5.0f}  Dec {m_dec:+7.0f} / {s_dec:5.0f}")
    era_lines = eras(results, args.moons)
    reduced = [(name, *r) for name in args.moons for r in results[name][0]["gaia_reduced"]]
    if reduced:
        mode = args.gaia_reduced_bias or FitOptions().gaia_reduced_bias
        print(f"\nthe positions reduced against Gaia, mean residual per held-out apparition (gaia_reduced_bias "
              f"{mode!r}): year, rows, nights, RA* and Dec mean / sigma (mas)")
        for name, year, n, nights, m_ra, s_ra, m_dec, s_dec in reduced:
            print(f"  {name:9s} {year} {n:5d} {nights:3d}  RA* {m_ra:+6.1f} / {s_ra:5.1f}  Dec {m_dec:+6.1f} / "
                  f"{s_dec:5.1f}")
        print(f"  their spread beyond sigma ({len(reduced)} means): RA* "
              f"{share_beyond([r[4] for r in reduced], [r[5] for r in reduced]):.1f} mas, Dec "
              f"{share_beyond([r[6] for r in reduced], [r[7] for r in reduced]):.1f} mas")
    for path, lines in ((args.markdown, moon_lines), (args.datasets_markdown, dataset_lines),
                        (args.eras_markdown, era_lines)):
        if path:
            from orbitfit.files import atomic_path
            with atomic_path(path) as tmp:
                with open(tmp, "w", encoding="utf-8") as handle:
                    handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
