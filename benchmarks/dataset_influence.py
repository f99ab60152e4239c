"""Which data sets make the prediction of held-out Gaia DR3 transits worse (`orbitfit.validation.dataset_influence`):
for one moon, the harness (`gaia_cut`, default options) repeated without each data set of >= 20 fitted rows.

    python benchmarks/dataset_influence.py Sinope all       # moon, mode (cut: data before 2016-06-01; all: every row)
    python benchmarks/dataset_influence.py Lysithea all --visits    # transits freed of Gaia's common visit error
    python benchmarks/dataset_influence.py every all --visits       # every moon: the data sets beyond chance
    python benchmarks/dataset_influence.py every all --visits --gaia-floors common   # 7 mas per transit (the
        # default before 2026-12-05 evening; each moon's own floor by default)
    python benchmarks/dataset_influence.py every all --visits --held-out-common   # the held-out transits freed of
        # what the other moons' held-out transits share in each visit (rule_held_out_offsets; ~60 min, or run
        # two halves, e.g. Himalia,Elara,Lysithea,Leda and Pasiphae,Sinope,Carme,Ananke, on two cores, each with
        # OMP_NUM_THREADS=1: two processes with the BLAS default threads ran ~3x slower, 2026-12-06)

Columns: rows fitted, AL rms without the data set, the change when it is added (d_rms > 0: it makes the prediction
worse) and that change's noise: paired bootstrap over the held-out transits (noise_mas) and over the held-out Gaia
visits, each visit's transits drawn together (noise_visits_mas: a visit's transits share the orbit's error and
Gaia's own); what an honestly weighted data set does by chance (honest_d_rms_95_mas, p_worse); and the same with
every other weight held (d_rms_held_mas, honest_d_rms_held_95_mas, p_worse_held: `dataset_influence`).
The runs as they were measured, option by option since 2026-12-02 (which data sets stood out and why), are in
docs/validation.md, "Does one data set make the prediction worse?".
"""
import argparse
import time
import warnings

import numpy as np

from orbitfit.estimation.options import FitOptions
from orbitfit.estimation.published import gomes_junior_2016_orbits
from orbitfit.observations.datasets import load_all
from orbitfit.validation import DEFAULT_CUT, dataset_influence, rule_held_out_offsets, rule_visit_offsets
from orbitfit.validation.influence import NOT_NESTED_NOTE


P_WORSE = 0.05          # with --every: the data sets listed, those an honest one would beat this rarely


def every_moon(mode, offsets, cut=DEFAULT_CUT, options=None, held_out=None, moons=None, bases=None,
               observations=None):
    """The acceptance's view: for each moon, the data sets whose addition worsens the held-out AL rms beyond what an
    honestly weighted one does by chance, one at a time (p_worse < P_WORSE; of N honest data sets 0.05 N are by
    chance) and with the moon's data sets read together (`beyond_chance`, Holm: any honest one flagged at most 5% of
    the time). held_out: `rule_held_out_offsets` (--held-out-common); moons: the names (default the 8); bases:
    {name: the moon's fit of the rule} when already made (rule_held_out_offsets returns them); observations: {name:
    table} (default load_all's, transits as Gaia gave them)."""
    counts = np.zeros(6, dtype=int)          # tested, alone, together; the same with the other weights held
    for name in moons or gomes_junior_2016_orbits():
        t0 = time.perf_counter()
        base, table = dataset_influence(name, options or FitOptions(), cut=cut, mode=mode, gaia_offsets=offsets,
                                        held_out_offsets=held_out, base=(bases or {}).get(name),
                                        observations=(observations or {}).get(name))
        describe = lambda row: (f"{row['dataset']} {row['d_rms_mas'].value:+.2f} (95% "
                                f"{row['honest_d_rms_95_mas'].value:.2f}, p {row['p_worse']:.4f}; held-out noise "
                                f"{row['noise_visits_mas'].value:.2f}; weights held {row['d_rms_held_mas'].value:+.2f}"
                                f" (95% {row['honest_d_rms_held_95_mas'].value:.2f}, p {row['p_worse_held']:.4f}))")
        worse = [describe(row) for row in table if row["p_worse"] < P_WORSE and row["d_rms_mas"].value > 0]
        together = [describe(row) for row in table if row["beyond_chance"]]
        held = [str(row["dataset"]) for row in table if row["beyond_chance_held"]]
        held_alone = [str(row["dataset"]) for row in table
                      if row["p_worse_held"] < P_WORSE and row["d_rms_held_mas"].value > 0]
        held_tested = int(np.isfinite(np.asarray(table["p_worse_held"], float)).sum())
        tested = int(np.isfinite(np.asarray(table["p_worse"], float)).sum())
        widening = [str(row["dataset"]) for row in table if row["note"] == NOT_NESTED_NOTE]
        untested = f" (no honest spread for {', '.join(widening)}: sigma grows with it)" if widening else ""
        # the acceptance's own words: no data set worsens the prediction by more than its held-out noise
        excess = table["d_rms_mas"].value - table["noise_visits_mas"].value
        most = table[int(np.nanargmax(excess))] if len(table) else None
        largest = "-" if most is None else (f"{most['dataset']} {most['d_rms_mas'].value:+.2f} (held-out noise "
                                             f"{most['noise_visits_mas'].value:.2f})")
        print(f"{name}, gaia {mode}: AL rms {base.summary['rms_mas']:.1f} mas, {tested} data sets{untested}; one at a "
              f"time {len(worse)} beyond chance where an honest fit has {P_WORSE * tested:.1f}: "
              f"{'; '.join(worse) or '-'}; "
              f"read together {len(together)}: {'; '.join(together) or '-'}; with the other weights held "
              f"({held_tested} tested) one at a time {len(held_alone)} ({', '.join(held_alone) or '-'}), read "
              f"together {len(held)} ({', '.join(held) or '-'}); furthest above its held-out noise: "
              f"{largest} ({time.perf_counter() - t0:.0f} s)", flush=True)
        counts += [tested, len(worse), len(together), held_tested, len(held_alone), len(held)]
    print(f"over the moons: refits {counts[0]} tested, {counts[1]} beyond chance one at a time (honest "
          f"{P_WORSE * counts[0]:.1f}), {counts[2]} read together; with the other weights held {counts[3]} tested, "
          f"{counts[4]} one at a time (honest {P_WORSE * counts[3]:.1f}), {counts[5]} read together")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("moon", nargs="?", default="Sinope", help="a moon's name, 'every', or names joined by "
                                                                  "commas (each as 'every' does it)")
    parser.add_argument("mode", nargs="?", default="all", choices=["cut", "all"])
    parser.add_argument("--visits", action="store_true", help="transits freed of Gaia's common visit error")
    parser.add_argument("--cut", default=DEFAULT_CUT, help="the cut (ISO UTC); an earlier one, e.g. 2008-01-01 with "
                                                           "mode cut, asks which data sets spoil a prediction "
                                                           "years ahead (no transit is fitted then: no --visits)")
    parser.add_argument("--held-out-common", action="store_true",
                        help="held-out transits freed of what the other moons' held-out transits share in each Gaia "
                             "visit under the same rule (rule_held_out_offsets, whose fits are the data-set runs' bases)")
    parser.add_argument("--bias-groups", default=None, help="FitOptions.bias_groups instead of the default's, e.g. "
                                                            "apparition+uncatalogued (the default of 2026-12-04)")
    parser.add_argument("--gaia-floors", default="own", choices=["common", "own"],
                        help="the Gaia transits' along-scan floors (load_all's gaia_floors; 'own', each moon's, the "
                             "default since 2026-12-05 evening; 'common': 7 mas each, the default before)")
    args = parser.parse_args()
    name, mode = args.moon, args.mode
    bodies = list(gomes_junior_2016_orbits())
    observations = {b: load_all(b, gaia_visit_offsets=None, gaia_floors=args.gaia_floors)[0] for b in bodies}
    options = FitOptions(**({"bias_groups": args.bias_groups} if args.bias_groups else {}))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")         # the rejection-cap warnings of the refits say nothing new here
        offsets = rule_visit_offsets(bodies, options, test=mode, cut=args.cut, observations=observations) \
            if args.visits else None
        held_out, bases = rule_held_out_offsets(bodies, options, test=mode, cut=args.cut, observations=observations,
                                                gaia_offsets=offsets) if args.held_out_common else (None, {})
        if name == "every" or "," in name:
            return every_moon(mode, offsets, args.cut, options, held_out,
                              None if name == "every" else name.split(","), bases, observations)
        base, table = dataset_influence(name, options, cut=args.cut, mode=mode, gaia_offsets=offsets,
                                        held_out_offsets=held_out, base=bases.get(name),
                                        observations=(observations or {}).get(name))
    s = base.summary
    print(f"{name}, gaia {mode}: {s['n']} held-out transits, AL rms {s['rms_mas']:.1f} mas, mean {s['mean_mas']:+.1f}, "
          f"z rms {s['rms_normalised']:.2f} ({time.perf_counter() - t0:.0f} s)")
    for column in ("rms_without_mas", "d_rms_mas", "noise_mas", "noise_visits_mas", "honest_d_rms_95_mas",
                   "d_rms_held_mas", "honest_d_rms_held_95_mas"):
        table[column].info.format = ".2f"
    table["p_worse"].info.format = table["p_worse_held"].info.format = ".3f"
    table.pprint(max_lines=-1, max_width=-1)


if __name__ == "__main__":
    main()
