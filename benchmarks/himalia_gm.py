"""Himalia's GM from Elara's motion: a family fit (Himalia + Elara, Himalia's GM free) of every embedded data set,
with and without the positions before 1960 (read since issue 17: Elara passed 65 000 km from Himalia in 1949.5, and
only plates before that encounter see the mean motion it changed), without and with Emelyanov's (2005) value as a
prior, with each member's apparition biases (the default options of 2026-12-02) and without biases.

Each fit prints its formal sigma and the delete-a-data-set jackknife sigma of the GM (every data set of both
members left out in turn, linearised at the solution: FamilySolution.gm_leave_one_out, the deletion formula of
orbitfit.estimation.influence), which sees the systematic errors of whole data sets that the formal sigma does not.
Then the leave-one-out table of the default fit by data set and by decade, and (--refits N) real refits without
the N data sets that move the GM most, against their linearised values (the check of the linearisation).

    python benchmarks/himalia_gm.py                                   # the five fits (~6 min on 2 cores)
    python benchmarks/himalia_gm.py --refits 3                        # + three refits (~4 min more)
    python benchmarks/himalia_gm.py --markdown benchmarks/results/himalia_gm.md    # README's table rows
    python benchmarks/himalia_gm.py --only-default --companion-file data/companions/himalia.toml
        # Himalia's state and GM from the default fit: the companion that orbitfit.companions puts in the fits of
        # Elara, Lysithea and Leda

Literature: 0.28 +- 0.04 km^3/s^2 (Emelyanov 2005, A&A 438, L33, from old plates); JPL 0.13-0.28 (Brozovic &
Jacobson 2017). README's GM table is this script's --markdown output (tests/test_readme.py checks it is there).
"""
import argparse
import sys
import time
import warnings

import numpy as np

from orbitfit.times import UTC_START_JD    # before 1960 the times are UT (orbitfit.times.delta_t_seconds)

HIMALIA, ELARA = 506, 507
EMELYANOV_2005 = (0.28, 0.04)
DEFAULT_FIT = "every data set, no prior, apparition biases (default of 2026-12-02)"


def family_fit(data, starts, prior=None, bias_groups="apparition"):
    from orbitfit.estimation.family import fit_family
    from orbitfit.estimation.options import INDEPENDENT_APPARITION_PRIORS, FitOptions
    start = time.perf_counter()
    # the apparition biases independent and the covariance of their prior alone, as in the README's table (the
    # defaults of 2026-12-02 and -03), and no error shared by the moons' predictions (its state part widens the
    # GM's sigma: shared_error.state_part), every ground position of an apparition in its bias (before 2026-12-07)
    options = FitOptions(bias_groups=bias_groups, apparition_bias_scatter=None, shared_sky_error_mas=0.0,
                         gaia_reduced_bias="apparition", **INDEPENDENT_APPARITION_PRIORS)
    family = fit_family(data, starts, options, fit_gm=(HIMALIA,),
                        gm={HIMALIA: prior[0]} if prior else None, gm_prior_sigma=prior[1] if prior else None)
    return family, time.perf_counter() - start


def write_companion_file(family, path, command):
    """Himalia's fitted state (relative to 5, ICRF, at the family's epoch) and GM with its formal and jackknife
    sigma, as the TOML file that orbitfit.companions reads, atomically."""
    from orbitfit.files import atomic_path
    from orbitfit.provenance import versions
    himalia = family[HIMALIA].orbit
    text = "\n".join([
        "# Himalia as the massive companion of the moons of its group (orbitfit.companions), written by",
        f"#   {command}",
        "# A family fit of Himalia and Elara (default options, Himalia's GM free, no prior) to every embedded data",
        "# set of both (1894-2022); the state is Himalia's, the GM sigma the formal one and the delete-a-data-set",
        "# jackknife's (FamilySolution.gm_jackknife_sigma). Literature: 0.28 +- 0.04 (Emelyanov 2005), JPL 0.13-0.28.",
        f"fitted_at = \"{family.meta['fitted_at']}\"",
        f"orbitfit = \"{versions().get('orbitfit', 'unknown')}\"",
        "body = 506",
        "centre = 5",
        "frame = \"ICRF\"",
        f"epoch_tdb_s = {himalia.epoch!r}",
        "state_km_kms = [" + ", ".join(repr(float(v)) for v in himalia.state) + "]",
        f"gm_km3_s2 = {family.gm[HIMALIA]!r}",
        f"gm_sigma_formal_km3_s2 = {family.gm_sigma(HIMALIA)!r}",
        f"gm_sigma_jackknife_km3_s2 = {family.gm_jackknife_sigma(HIMALIA)!r}",
        f"positions = {{ himalia = {len(family[HIMALIA].observations)}, elara = {len(family[ELARA].observations)} }}",
        ""])
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)


def main():
    from orbitfit.estimation.published import gomes_junior_2016_orbit
    from orbitfit.observations.datasets import load_all
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refits", type=int, default=0, help="refit without the N data sets that move the GM most")
    parser.add_argument("--only-default", action="store_true", help="only the default fit (and its refits)")
    parser.add_argument("--markdown", help="also write README's table rows to this file")
    parser.add_argument("--companion-file", help="write Himalia's fitted state and GM (the default fit) to this file")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    data = {HIMALIA: load_all("Himalia")[0], ELARA: load_all("Elara")[0]}
    starts = {HIMALIA: gomes_junior_2016_orbit("Himalia"), ELARA: gomes_junior_2016_orbit("Elara")}

    def since_1960(table):
        return table[np.asarray(table["utc_jd1"]) + np.asarray(table["utc_jd2"]) >= UTC_START_JD]

    modern = {body: since_1960(table) for body, table in data.items()}
    print(f"Himalia {len(data[HIMALIA])} positions ({len(modern[HIMALIA])} since 1960), Elara {len(data[ELARA])} "
          f"({len(modern[ELARA])} since 1960)")
    fits = ((DEFAULT_FIT, data, None, "apparition"),
            ("every data set, no prior, no biases", data, None, None),
            ("since 1960, no prior, apparition biases", modern, None, "apparition"),
            ("every data set, prior 0.28 +- 0.04, apparition biases", data, EMELYANOV_2005, "apparition"),
            ("since 1960, prior 0.28 +- 0.04, apparition biases", modern, EMELYANOV_2005, "apparition"))
    if args.only_default:
        fits = fits[:1]
    header = ("| fit | GM (km³/s²) | formal σ | jackknife σ | largest shift (data set left out) | χ²/dof |",
              "|---|---|---|---|---|---|")
    print(f"{'fit':56s} {'GM':>7s} {'formal':>7s} {'jack':>7s}  {'largest shift':28s} {'chi2/dof':>8s} {'s':>5s}")
    markdown, families = list(header), {}
    for label, subset, prior, biases in fits:
        family, seconds = family_fit(subset, starts, prior, biases)
        families[label] = family
        table = family.gm_leave_one_out(HIMALIA)
        top = f"{table['shift'][0]:+.3f} ({table['member'][0]}:{table['dataset'][0]})"
        gm, formal, jack = family.gm[HIMALIA], family.gm_sigma(HIMALIA), family.gm_jackknife_sigma(HIMALIA)
        chi2 = family.chi2 / family.dof
        print(f"{label:56s} {gm:7.3f} {formal:7.3f} {jack:7.3f}  {top:28s} {chi2:8.3f} {seconds:5.0f}", flush=True)
        markdown.append(f"| {label} | {gm:.3f} | {formal:.3f} | {jack:.3f} | {top} | {chi2:.3f} |")

    family = families[DEFAULT_FIT]
    table = family.gm_leave_one_out(HIMALIA)
    print(f"\n{DEFAULT_FIT}: GM without each data set (linearised; {len(table)} data sets of both members, the 15 "
          f"largest shifts):")
    table[:15].pprint(max_lines=-1, max_width=-1)
    decades = family.gm_leave_one_out(HIMALIA, by="decade")
    decades = decades[decades["member"] == ELARA]
    decades.sort("decade")
    print("\nwithout each decade of Elara's positions (linearised):")
    decades.pprint(max_lines=-1, max_width=-1)

    if args.companion_file:
        write_companion_file(family, args.companion_file, " ".join(["python benchmarks/himalia_gm.py"] + sys.argv[1:]))
        print(f"\nwrote {args.companion_file}")
    if args.refits:
        print(f"\nrefits without the {args.refits} data sets that move the GM most (linearised -> refit):")
        for row in table[:args.refits]:
            member, name = int(row["member"]), str(row["dataset"])
            subset = dict(data)
            subset[member] = data[member][np.asarray(data[member]["dataset"]).astype(str) != name]
            refit, seconds = family_fit(subset, starts)
            print(f"  without {member}:{name:14s} ({row['rows']:4d}) linearised {row['gm_without']:.4f} +- "
                  f"{row['sigma_without']:.4f}, refit {refit.gm[HIMALIA]:.4f} +- {refit.gm_sigma(HIMALIA):.4f} "
                  f"({seconds:.0f} s)", flush=True)
    if args.markdown:
        from orbitfit.files import atomic_path
        with atomic_path(args.markdown) as path:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("\n".join(markdown) + "\n")
        print(f"\nwrote {args.markdown}")


if __name__ == "__main__":
    main()
