"""The validation harness ("predict what you did not fit", `orbitfit.validation`) for the 8 main irregular moons:
each weighting is judged on the Gaia DR3 transits after 2016-06-01, which its fit never saw.

    python benchmarks/validation.py                 # every test, every option set (~40 min on 2 cores)
    python benchmarks/validation.py --options defaults "no biases" --moons Leda
    python benchmarks/validation.py --options defaults "independent biases" "apparition biases" \
        --markdown benchmarks/results/validation.md   # ~32 min
    python benchmarks/validation.py --shared        # default fits alone vs with the other moons' apparition biases
                                                    # as prior (shared_bias_harness; cut, all, folds; ~30 min)
    python benchmarks/validation.py --shared --markdown benchmarks/results/shared_biases.md
    python benchmarks/validation.py --options defaults "independent biases" "apparition biases" --cut 2012-01-01 \
        --tests cut --markdown benchmarks/results/validation_2012.md   # years ahead (~10 min; also 2008-01-01 with
                                                                       # "no biases" too)
    python benchmarks/validation.py --options "apparition biases" "observatory biases" --tests cut all \
        --markdown benchmarks/results/observatory_biases.md   # every observatory biased (also --cut 2012-01-01)
    python benchmarks/validation.py --options "correlated biases" "periodic biases" \
        --markdown benchmarks/results/apparition_correlation.md   # apparition biases correlated a priori (~20 min;
                                                                  # also --cut 2012-01-01 / 2008-01-01 --tests cut)
    python benchmarks/validation.py --visits --options "ground bias"   # one more bias, shared by all the ground
                                    # positions of a moon (an option; docs/validation.md; also --cut 2012-01-01)
    python benchmarks/validation.py --visits --options timing --tests cut all   # an epoch error per observatory
                                    # along the motion (an option, not adopted: docs/validation.md, "Along the
                                    # motion"; also --tests cut --cut 2012-01-01)
    python benchmarks/validation.py --visits --options "no zenith"   # the default of 2026-12-04, without the
                                    # displacement towards the zenith (docs/validation.md; also --cut 2012-01-01)
    python benchmarks/validation.py --oppositions   # also leave-one-opposition-out on the ground data (slow)
    python benchmarks/validation.py --visits --markdown benchmarks/results/gaia_visits.md
                                    # the default fits: transits as Gaia gave them vs freed of their visit's error
                                    # common to the moons (common_visit_harness; cut, all, folds; ~14 min), each
                                    # moon's change with its 90% over resamplings of the held-out visits
    python benchmarks/validation.py --visits --tests cut --cut 2012-01-01 \
        --spread-markdown benchmarks/results/honest_spread_2012.md   # years ahead, each moon against what an honest
                                                                     # sigma gives (~12 min; also 2008-01-01)
    python benchmarks/validation.py --visits --options "independent biases"  # one option set instead of the defaults
    python benchmarks/validation.py --visits --tests cut all folds --moons Himalia Elara Pasiphae \
        --options "gaia reductions apparition"   # the positions reduced against Gaia DR2 in their apparition's
                                                 # bias, the default before 2026-12-07 ("... unbiased": none)
    python benchmarks/validation.py --visits --markdown benchmarks/results/gaia_visits.md \
        --spread-markdown benchmarks/results/honest_spread.md   # also each moon against what an honest sigma gives

The option sets other than the defaults are fitted as their tables were measured: 7 mas along the scan for every
Gaia transit (load_all's gaia_floors="common") and no error shared by the moons' predictions in sigma
(shared_sky_error_mas=0), the positions reduced against Gaia DR2 in their apparition's bias
(gaia_reduced_bias="apparition"); the defaults with the moons' own floors and 3.8 mas shared (since 2026-12-05
evening) and those positions' own apparition bias (since 2026-12-07).

Columns: held-out transits (n), AL rms and mean (mas), rms of AL / combined sigma (z; 1 for an honest covariance),
the fraction within 1 sigma (0.68 for Gaussian errors), the Gaia visits (transits < 10 days apart share the
orbit's error), the held-out residuals beyond 3 sigma and the AL and z rms of the others. "cut": fitted to the
data before the cut only; "all": to every embedded row but the held-out transits (ground data of 2016-2022
included); "folds": each apparition's transits held out in turn, everything else fitted (`gaia_folds`). The spread table
(--spread-markdown) also counts the moons whose z rms lies within 0.7 - 1.3 (issue 15's window, read moon by moon)
and how often an honest sigma puts all of them there (0.011 one year ahead, 2026-12-06).
"""
import argparse
import time

import numpy as np

from orbitfit.estimation.gauss_newton import FitError
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import INDEPENDENT_APPARITION_PRIORS, FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.estimation.shared_biases import MOON_SIGMA_MAS, moon_sigma
from orbitfit.observations.datasets import load_all
from orbitfit.observations.gj15 import read_gj15
from orbitfit.paths import data_path
from orbitfit.chance import honest_spread_of_groups, least_likely_chance_together
from orbitfit.validation import (DEFAULT_CUT, Resamplings, common_visit_harness, gaia_cut, gaia_folds,
                                 joint_covariance, leave_one_opposition_out, shared_bias_harness)

# the tables' words for each option set (the tables of README.md and docs/validation.md are this script's
# --markdown output)
TABLE_LABELS = {"defaults": "default: apparition + uncatalogued-site biases and a displacement towards the zenith, the RA* apparition biases partly a sinusoid of Jupiter's longitude, estimated night correlation, the covariance considering the apparition biases' scatter by era (in 1995–2009 each moon's own), each moon's own Gaia floor and the error the moons' predictions share, the positions reduced against Gaia DR2 in an apparition bias of their own (since 2026-12-07; transits as Gaia gave them)",
                 "era scatter": "the same with the apparition biases' scatter by era alone, the same for every moon (`apparition_bias_scatter=\"era\"`, default of 2026-12-05 evening; transits as Gaia gave them)",
                 "prior only": "the same with the covariance of the biases' prior alone (`apparition_bias_scatter=None`, default of 2026-12-05 morning; transits as Gaia gave them)",
                 "timing": "the default and an epoch error per observatory along the apparent motion (`bias_groups=\"apparition+uncatalogued+zenith+timing\"`, prior 10 s)",
                 "no zenith": "the same without the displacement towards the zenith (`bias_groups=\"apparition+uncatalogued\"`, default of 2026-12-04)",
                 "independent biases": "apparition biases independent between apparitions (`apparition_bias_periodic_ra=0`, default of 2026-12-03)",
                 "apparition biases": "apparition biases alone (`bias_groups=\"apparition\"`, default of 2026-12-02)",
                 "observatory biases": "apparition + observatory biases (`bias_groups=\"apparition+observatory\"`)",
                 "no biases": "no biases (`bias_groups=None`, default of 2026-12-01)",
                 "veres2017": "Vereš et al. 2017 night rule, no biases (before)",
                 "season biases": "season biases (per data set, site and apparition)",
                 "correlated biases": "default, apparition biases correlated between consecutive apparitions",
                 "periodic biases": "default, RA* apparition biases partly a sinusoid of Jupiter's longitude",
                 "ground bias": "default and one offset of all the ground-based positions (`bias_groups=\"apparition+uncatalogued+ground\"`)",
                 "gaia reductions unbiased": "default, but the positions reduced against Gaia DR2 without an apparition bias (`gaia_reduced_bias=\"none\"`)",
                 "gaia reductions apparition": "default, but the positions reduced against Gaia DR2 in their apparition's bias (`gaia_reduced_bias=\"apparition\"`, default of 2026-12-06)"}
INDEPENDENT = INDEPENDENT_APPARITION_PRIORS             # the apparition priors of the defaults before 2026-12-04
TWO_LEVELS = {"bias_groups": "apparition+uncatalogued"}  # the default's levels before 2026-12-05 (no zenith)
# the covariance of the biases' prior alone, as every option set but the defaults was measured (before 2026-12-05's
# consider term of the apparition biases' scatter): their tables stay reproducible
# ... and, as every option set but the defaults was measured (before 2026-12-05 evening), 7 mas along the scan for
# every Gaia transit (gaia_floors_of) and no error shared by the moons' predictions in sigma
# ... and every option set but the defaults was measured (before 2026-12-07) with the positions reduced against Gaia
# DR2 in their apparition's bias
BEFORE_GAIA_REDUCED_OWN = {"gaia_reduced_bias": "apparition"}
BEFORE_OWN_FLOORS = {"shared_sky_error_mas": 0.0, **BEFORE_GAIA_REDUCED_OWN}
PRIOR_ONLY = {"apparition_bias_scatter": None, **BEFORE_OWN_FLOORS}


def gaia_floors_of(label):
    """load_all's gaia_floors for an option set: the moons' own for the defaults, 7 mas ("common") for the others,
    as their tables were measured."""
    own = ("defaults", "era scatter", "gaia reductions unbiased", "gaia reductions apparition", "timing")
    return "own" if label in own else "common"
OPTION_SETS = {
    "defaults": lambda: FitOptions(),   # apparition (RA* partly periodic) + uncatalogued-site biases + zenith, nights,
                                        # the covariance considering the apparition biases' measured scatter
    "prior only": lambda: FitOptions(**PRIOR_ONLY),                     # the default of 2026-12-05 (morning)
    "no zenith": lambda: FitOptions(**TWO_LEVELS, **PRIOR_ONLY),        # the default of 2026-12-04
    "independent biases": lambda: FitOptions(**INDEPENDENT, **TWO_LEVELS, **PRIOR_ONLY),  # the default of 2026-12-03
    "apparition biases": lambda: FitOptions(bias_groups="apparition", **INDEPENDENT, **PRIOR_ONLY),  # of 2026-12-02
    "observatory biases": lambda: FitOptions(bias_groups="apparition+observatory", **INDEPENDENT, **PRIOR_ONLY),
    "no biases": lambda: FitOptions(bias_groups=None, **BEFORE_OWN_FLOORS),                  # the default of 2026-12-01
    "veres2017": lambda: FitOptions(bias_groups=None, night_deweighting="veres2017", **BEFORE_OWN_FLOORS),   # the default before
    "season biases": lambda: FitOptions(bias_groups="season", **INDEPENDENT, **PRIOR_ONLY),   # slow (hundreds of
                                                                                            # parameters)
    # apparition biases correlated between consecutive apparitions, as measured on the default fits' own biases
    "correlated biases": lambda: FitOptions(**{**INDEPENDENT, **TWO_LEVELS, **PRIOR_ONLY,
                                               "apparition_bias_correlation_ra": 0.47,
                                               "apparition_bias_correlation_dec": 0.07}),
    # the RA* apparition biases as a sinusoid of Jupiter's longitude (56% of their variance) and white noise: the
    # default since 2026-12-04, kept by name for the table it was chosen on
    "periodic biases": lambda: FitOptions(apparition_bias_periodic_ra=0.56, **TWO_LEVELS, **PRIOR_ONLY),
    # the default and one offset shared by all of a moon's ground-based positions (prior 30 mas; measured 2026-12-04)
    "ground bias": lambda: FitOptions(bias_groups="apparition+uncatalogued+ground", **PRIOR_ONLY),
    # the default of 2026-12-05 evening: the apparition biases' scatter by era alone, the same for every moon
    "era scatter": lambda: FitOptions(apparition_bias_scatter="era", **BEFORE_GAIA_REDUCED_OWN),
    # the default, but the ground positions reduced against a Gaia catalogue without an apparition bias, or in their
    # apparition's (the default of 2026-12-06; measured 2026-12-07; docs/validation.md, "The positions reduced
    # against Gaia DR2")
    "gaia reductions unbiased": lambda: FitOptions(gaia_reduced_bias="none"),
    "gaia reductions apparition": lambda: FitOptions(**BEFORE_GAIA_REDUCED_OWN),
    # the default and an epoch error per observatory along the apparent motion (prior 10 s; an experiment measured
    # 2026-12-07: benchmarks/site_timing.py, docs/validation.md "Along the motion")
    "timing": lambda: FitOptions(bias_groups="apparition+uncatalogued+zenith+timing"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--oppositions", action="store_true", help="also leave one opposition out (slow)")
    parser.add_argument("--moons", nargs="*", default=list(gomes_junior_2016_orbits()))
    parser.add_argument("--options", nargs="*", default=list(OPTION_SETS), help="option sets to run")
    parser.add_argument("--cut", default="2016-06-01", help="the cut date (ISO UTC); an earlier one tests sigma years "
                                                            "ahead, e.g. --cut 2012-01-01 --options defaults")
    parser.add_argument("--markdown", help="also write the table rows to this file (tests/test_readme.py checks "
                                           "that README.md or docs/validation.md holds them)")
    parser.add_argument("--tests", nargs="*", default=["cut", "all", "folds"], choices=["cut", "all", "folds"],
                        help="which Gaia tests (default all three; years ahead: --cut 2012-01-01 --tests cut)")
    parser.add_argument("--shared", action="store_true", help="the default fits alone and with shared apparition "
                                                              "biases (every moon under each test's rule)")
    parser.add_argument("--visits", action="store_true", help="the default fits with their transits as Gaia gave "
                                                              "them and freed of their visit's common error")
    parser.add_argument("--spread-markdown", help="with --visits: each moon's default figures against what an honest "
                                                  "sigma gives them, as table rows, to this file")
    args = parser.parse_args()
    if args.visits:
        return visits(args.moons, args.tests, args.cut, args.markdown, args.spread_markdown,
                      args.options[0] if len(args.options) == 1 else "defaults")
    if args.shared:
        return shared(args.moons, args.markdown)
    print(f"{'moon':9s} {'options':18s} {'test':8s} {'n':>3s} {'AL rms':>7s} {'mean':>7s} {'z rms':>6s} {'1sig':>5s} "
          f"{'visits':>6s} {'|z|>3':>5s} {'AL rms, z rms of the others':>28s} {'s':>4s}")
    totals = {}
    for name in args.moons:
        observations_of = {floors: load_all(name, gaia_transits=True, gaia_visit_offsets=None, gaia_floors=floors)[0]
                           for floors in {gaia_floors_of(label) for label in args.options}}
        gj15, _ = read_gj15(data_path("gj15", f"{name}.dat"))
        # one start for every run: the GJ15 fit from the published elements (arcsecond start -> mas start)
        start = fit_orbit(gj15, gomes_junior_2016_orbit(name), FitOptions.gomes_junior_2016()).orbit
        for label in args.options:
            options = OPTION_SETS[label]
            observations = observations_of[gaia_floors_of(label)]
            for mode in args.tests:
                t0 = time.perf_counter()
                try:
                    if mode == "folds":
                        s = gaia_folds(name, options(), observations=observations, start=start).summary
                    else:
                        s = gaia_cut(name, options(), args.cut, mode=mode, observations=observations,
                                     start=start).summary
                except FitError as exc:
                    print(f"{name:9s} {label:18s} {'gaia ' + mode:10s} no convergence: {str(exc).splitlines()[0]}")
                    continue
                named = mode if mode == "folds" or args.cut == DEFAULT_CUT else f"{mode} {args.cut[:4]}"
                totals.setdefault((label, named), []).append(s)
                print(f"{name:9s} {label:18s} {'gaia ' + mode:10s} {s['n']:3d} {s['rms_mas']:7.1f} {s['mean_mas']:+7.1f} "
                      f"{s['rms_normalised']:6.2f} {s['within_1sigma']:5.2f} {s['visits']:6d} {s['n_outliers']:5d} "
                      f"{s['rms_mas_inliers']:19.1f} {s['rms_normalised_inliers']:8.2f} {time.perf_counter() - t0:4.0f}")
            if args.oppositions:
                t0 = time.perf_counter()
                r = leave_one_opposition_out(name, options(), observations=observations, start=start)
                s = r.summary
                print(f"{name:9s} {label:18s} {'opp.':8s} {s['n']:3d} {s['rms_mas']:7.1f} {s['mean_mas']:+7.1f} "
                      f"{s['rms_normalised']:6.2f} {s['within_1sigma']:5.2f} {time.perf_counter() - t0:4.0f} "
                      f"({r.notes['n_oppositions']} apparitions)")
    print("\nover the moons: AL rms (range, and the rms of the moons' AL rms), z rms (range, and rms)")
    for (label, mode), rows in totals.items():
        rms = np.array([s["rms_mas"] for s in rows])
        z = np.array([s["rms_normalised"] for s in rows])
        inliers = np.array([s["rms_mas_inliers"] for s in rows])
        print(f"  {label:18s} gaia {mode:5s}: AL rms {rms.min():5.1f} - {rms.max():5.1f} mas (worst "
              f"{args.moons[int(np.argmax(rms))]}), rms {np.sqrt(np.mean(rms ** 2)):5.1f}; z rms {z.min():.2f} - "
              f"{z.max():.2f}, rms {np.sqrt(np.mean(z ** 2)):.2f}; {sum(s['n_outliers'] for s in rows)} held-out "
              f"|z| > 3, without them AL rms {np.sqrt(np.mean(inliers ** 2)):5.1f}")
    table = markdown_rows(totals, args.moons)
    print("\n" + table)
    if args.markdown:
        _write(args.markdown, table)


def _write(path, text):
    """Table rows to `path`, atomically."""
    from orbitfit.files import atomic_path
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")


def markdown_rows(totals, moons):
    """The table rows: per option set and test, the AL rms range over the moons (worst moon), their rms,
    the z rms range and rms, how many moons predict within 10 mas, and the held-out residuals beyond 3 sigma with
    the rms over the moons without them. `totals`: {(label, mode): [summary per moon, in `moons` order]}."""
    lines, seen = [], set()
    for (label, mode), rows in totals.items():
        rms = np.array([s["rms_mas"] for s in rows])
        z = np.array([s["rms_normalised"] for s in rows])
        inliers = np.array([s["rms_mas_inliers"] for s in rows])
        outliers = sum(s["n_outliers"] for s in rows)
        name = "" if label in seen else TABLE_LABELS.get(label, label)
        seen.add(label)
        lines.append(f"| {name} | {mode} | {rms.min():.1f} – {rms.max():.1f} ({moons[int(np.argmax(rms))]}), rms "
                     f"{np.sqrt(np.mean(rms ** 2)):.1f} | {z.min():.2f} – {z.max():.2f}, rms "
                     f"{np.sqrt(np.mean(z ** 2)):.2f} | {int(np.sum(rms <= 10.0))} | {outliers} of "
                     f"{sum(s['n'] for s in rows)}: {np.sqrt(np.mean(inliers ** 2)):.1f} |")
    return "\n".join(line.replace("|  |", "| |") for line in lines)


def shared(moons, markdown=None):
    """Each test with every moon under its held-out rule: alone, then with the others' apparition priors; first the
    moon-specific sigma (MOON_SIGMA_MAS) from the moons fitted alone to every embedded data set. The default
    options of the table's day (2026-12-05 morning: the covariance of the biases' prior alone, PRIOR_ONLY)."""
    options = FitOptions(**PRIOR_ONLY)
    fits = [fit_orbit(load_all(name, gaia_visit_offsets=None)[0], gomes_junior_2016_orbit(name), options)
            for name in moons]
    sigma, n = moon_sigma(fits)
    print(f"one moon's apparition bias about the others' mean: {sigma:.1f} mas ({n} coordinates; MOON_SIGMA_MAS "
          f"{MOON_SIGMA_MAS:g})")
    print(f"{'moon':9s} {'test':9s} {'n':>3s} {'alone: AL rms':>17s} {'z':>5s} {'shared: AL rms':>18s} {'z':>5s}")
    lines = ["| test | alone: AL rms (mas) | z rms | with the others' biases as prior: AL rms | z rms |",
             "|---|---|---|---|---|"]
    for test in ("cut", "all", "folds"):
        t0 = time.perf_counter()
        table, r = _paired(moons, test, *shared_bias_harness(moons, options, test=test), t0)
        worst = [moons[int(np.argmax(table[:, k]))] for k in (0, 2)]
        lines.append(f"| {test} | {table[:, 0].min():.1f} – {table[:, 0].max():.1f} ({worst[0]}), rms {r[0]:.1f} | "
                     f"{r[1]:.2f} | {table[:, 2].min():.1f} – {table[:, 2].max():.1f} ({worst[1]}), rms {r[2]:.1f} | "
                     f"{r[3]:.2f} |")
    if markdown:
        _write(markdown, "\n".join(lines))


def _paired(moons, test, first, second, t0):
    """Print each moon's held-out AL rms and z under two treatments ({moon: HarnessResult} each), the change of AL
    rms with the central 90% of it over resamplings of the held-out Gaia visits (`Resamplings`: a change inside it
    is one another draw of the visits could undo), and their rms over the moons; return (array of rows: AL rms, z
    of the first, of the second; the rms row)."""
    rows = []
    for name in moons:
        a, c = first[name].summary, second[name].summary
        rows.append((a["rms_mas"], a["rms_normalised"], c["rms_mas"], c["rms_normalised"]))
        held = first[name].table
        if not np.array_equal(held["tdb"].value, second[name].table["tdb"].value):
            raise SystemExit(f"{name}: the two treatments hold out different transits")
        change = Resamplings(held["tdb"].value).change(held["al_mas"].value, second[name].table["al_mas"].value)
        low, high = change["visits_90_mas"]
        print(f"{name:9s} {test:9s} {a['n']:3d} {a['rms_mas']:17.1f} {a['rms_normalised']:5.2f} "
              f"{c['rms_mas']:18.1f} {c['rms_normalised']:5.2f} {change['change_mas']:+7.1f} "
              f"({low:+.1f} .. {high:+.1f})")
    table = np.array(rows)
    r = np.sqrt(np.mean(table ** 2, axis=0))
    print(f"{'rms':9s} {test:9s} {'':3s} {r[0]:17.1f} {r[1]:5.2f} {r[2]:18.1f} {r[3]:5.2f}   "
          f"({time.perf_counter() - t0:.0f} s)", flush=True)
    return table, r


def visits(moons, tests, cut, markdown=None, spread_markdown=None, label="defaults"):
    """Each test with every moon under its held-out rule (`common_visit_harness`): the fits (option set `label`,
    default the defaults) with their transits as Gaia gave them, then freed of each visit's error common to the
    moons (the default of `load_all`), estimated from the other moons' fits of the same rule. Then each moon's
    figures against what an honest sigma would give them (`orbitfit.chance.honest_spread`), written to
    `spread_markdown` if given."""
    print(f"{'moon':9s} {'test':9s} {'n':>3s} {'as given: AL rms':>17s} {'z':>5s} {'corrected: AL rms':>18s} "
          f"{'z':>5s} {'change (90% over the visits)':>28s}")
    header = "| test | transits as Gaia gave them: AL rms (mas) | z rms | ≤ 10 mas | freed of their visit's common " \
             "error (default): AL rms | z rms | ≤ 10 mas |"
    lines = [header, "|---|---|---|---|---|---|---|"]
    spread = []
    observations = {name: load_all(name, gaia_visit_offsets=None, gaia_floors=gaia_floors_of(label))[0]
                    for name in moons}
    for test in tests:
        t0 = time.perf_counter()
        named = test if test == "folds" or cut == DEFAULT_CUT else f"{test} {cut[:4]}"
        alone, corrected, _ = common_visit_harness(moons, OPTION_SETS[label](), test=test, cut=cut,
                                                   observations=observations)
        table, r = _paired(moons, named, alone, corrected, t0)
        spread.extend(honest_rows(moons, named, corrected))
        cells = []
        for k in (0, 2):
            worst = moons[int(np.argmax(table[:, k]))]
            cells.append(f"{table[:, k].min():.1f} – {table[:, k].max():.1f} ({worst}), rms {r[k]:.1f} | "
                         f"{r[k + 1]:.2f} | {int(np.sum(table[:, k] <= 10.0))}")
        lines.append(f"| {named} | {cells[0]} | {cells[1]} |")
    print("\n" + "\n".join(lines))
    if markdown:
        _write(markdown, "\n".join(lines))
    spread = [SPREAD_HEADER, "|---|---|---|---|---|---|---|---|"] + spread
    print("\n" + "\n".join(spread))
    if spread_markdown:
        _write(spread_markdown, "\n".join(spread))


PER_MOON_Z_WINDOW = (0.7, 1.3)     # issue 15's acceptance, read moon by moon
SPREAD_HEADER = ("| moon | test | transits (Gaia visits) | AL rms (mas) | an honest sigma expects (90%) | z rms | an honest "
                 "sigma gives (90%) | chance of a z rms this large |")


def honest_rows(moons, test, results):
    """Markdown rows: each moon's held-out AL rms and z rms with the central 90% an honest sigma would give them
    (their predicted covariance: one orbit error for the transits of one visit, Gaia's visit error) and the chance of
    a z rms at least as large."""
    rows = []
    for name in moons:
        s = results[name].summary
        (a, b), (c, d) = s["honest_rms_mas_90"], s["honest_rms_normalised_90"]
        rows.append(f"| {name} | {test} | {s['n']} ({s['visits']}) | {s['rms_mas']:.1f} | {s['expected_rms_mas']:.1f} "
                    f"({a:.1f} – {b:.1f}) | {s['rms_normalised']:.2f} | {c:.2f} – {d:.2f} | "
                    f"{s['p_rms_normalised']:.2f} |")
    # over the moons: the rms of their z rms, and what an honest sigma gives it, the moons drawn together: their
    # predictions share one sky offset per apparition and Gaia's error per visit (`joint_covariance`; drawn moon by
    # moon until 2026-12-07, which narrowed the range: cut 0.77 - 1.25, now below)
    covariance, group = joint_covariance([results[name].table for name in moons])
    draws = honest_spread_of_groups(covariance, group, n_groups=len(moons))   # (draws, moons); NaN: no transits
    z2 = np.nanmean(draws ** 2, axis=1)
    observed = np.sqrt(np.nanmean([results[name].summary["rms_normalised"] ** 2 for name in moons]))
    lo, hi = np.sqrt(np.quantile(z2, [0.05, 0.95]))
    rows.append(f"| rms over the moons | {test} | | | | {observed:.2f} | {lo:.2f} – {hi:.2f} | "
                f"{np.mean(np.sqrt(z2) >= observed):.2f} |")
    # issue 15 asks every moon's z rms within 0.7 - 1.3: how often an honest sigma meets that with so few visits
    # (the moons drawn together)
    within = [bool(PER_MOON_Z_WINDOW[0] <= results[name].summary["rms_normalised"] <= PER_MOON_Z_WINDOW[1])
              for name in moons]
    tested = ~np.isnan(draws[0])
    chance = np.mean(np.all((draws[:, tested] >= PER_MOON_Z_WINDOW[0]) & (draws[:, tested] <= PER_MOON_Z_WINDOW[1]),
                            axis=1))
    rows.append(f"| every moon within {PER_MOON_Z_WINDOW[0]} – {PER_MOON_Z_WINDOW[1]} | {test} | | | | {sum(within)} "
                f"of {len(moons)} | all {len(moons)}: {chance:.3f} | |")
    # the least likely moon read with the others, drawn together: with 8 moons one has a chance below 1/8 by luck
    # alone (1 - (1 - p)^8 were they independent, `least_likely_chance`); a moon without held-out transits (p NaN)
    # is not a test
    tested = [name for name in moons if np.isfinite(results[name].summary["p_rms_normalised"])]
    if tested:
        worst = min(tested, key=lambda name: results[name].summary["p_rms_normalised"])
        chance = least_likely_chance_together(results[worst].summary["p_rms_normalised"], draws)
        rows.append(f"| the least likely moon, read with the other {len(tested) - 1} | {test} | | | | {worst} "
                    f"{results[worst].summary['rms_normalised']:.2f} | | {chance:.2f} |")
    return rows


if __name__ == "__main__":
    main()
