"""Where each moon's predicted sky sigma comes from: each of the 8 moons fitted with the default options to every
embedded data set, then sigma_s (geocentric) at the given dates and its parts, which add in squares
(`orbitfit.products.uncertainty.sigma_parts`): the fit's weights and the biases' prior (what more astrometry of the
kind fitted shrinks), the apparition biases' scatter beyond their prior, and the error every moon's prediction
shares (what no more astrometry of the moon shrinks away from its precise observations).

    python benchmarks/sigma_parts.py                         # ~2 min on one core; --markdown FILE writes the table
    python benchmarks/sigma_parts.py --dates 2027-06-01 2031-07-01
"""
import argparse
import time
import warnings

from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.observations.datasets import load_all
from orbitfit.products.uncertainty import SIGMA_PARTS, sky_uncertainty

LABELS = {"weights": "weights and prior", "bias_scatter": "biases' scatter", "shared": "shared error"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moons", nargs="*", default=list(gomes_junior_2016_orbits()))
    parser.add_argument("--dates", nargs="*", default=["2026-12-01", "2031-07-01"], help="ISO dates (UTC)")
    parser.add_argument("--markdown", help="also write the table (Markdown) to this file")
    args = parser.parse_args()
    header = ("| moon | date (UTC) | σ_s (mas) | " + " | ".join(LABELS[p] for p in SIGMA_PARTS)
              + " | shared, share of σ_s² |")
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    print(header)
    for name in args.moons:
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solution = fit_orbit(load_all(name)[0], gomes_junior_2016_orbit(name))
        table = sky_uncertainty(solution, args.dates)
        for date, row in zip(args.dates, table):
            total = row["sigma_s_mas"].value
            parts = [row[f"sigma_s_{p}_mas"].value for p in SIGMA_PARTS]
            line = (f"| {name} | {date} | {total:.1f} | " + " | ".join(f"{v:.1f}" for v in parts)
                    + f" | {parts[-1] ** 2 / total ** 2:.0%} |")
            rows.append(line)
            print(line, flush=True)
        print(f"  ({name}: fit and sigma in {time.perf_counter() - started:.0f} s)", flush=True)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
