"""The six real occultations embedded in data/occultation_events/ (Morgado et al. 2019, A&A 626, L4; Morgado et al.
2022, AJ 163, 240) reduced with the embedded shapes against orbitfit's default ephemeris, compared with the published
positions at the papers' instants. Prints, per event: the method, ours minus published (RA*, Dec, mas), our sigma
and the published one, chi2, the tolerance of issue 16 (max(2 mas, 1.5 x published sigma)) and whether it is met,
and a single chord's side probabilities. The same numbers are asserted by tests/test_real_events.py.

    python benchmarks/real_occultations.py
    python benchmarks/real_occultations.py --markdown benchmarks/results/real_occultations.md   # README's rows

README's table of the events is this script's --markdown output (tests/test_readme.py checks it is there).
"""
import argparse
import math
import time

from dynamics.propagation import default_ephemeris
from orbitfit.occultations.event_files import read_event
from orbitfit.occultations.target import EphemerisTarget
from orbitfit.paths import data_path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--markdown", help="also write README's table rows to this file")
    args = parser.parse_args()
    markdown = ["| event | chords | ours − published RA* / Dec (mas) | σ ours | σ published | within max(2 mas, 1.5σ) |",
                "|---|---|---|---|---|---|"]
    ephemeris = default_ephemeris()
    folder = data_path("occultation_events")
    print(f"{'event':34s} {'method':38s} {'ours - published (mas)':>23s} {'sigma ours':>12s} "
          f"{'published':>10s} {'tolerance':>10s}  chi2/dof  s")
    for path in sorted(folder.glob("*.toml")):
        if path.stem == "shapes":
            continue
        begin = time.perf_counter()
        event, options = read_event(path)
        fit = event.reduce(EphemerisTarget(event.body, ephemeris), ephemeris=ephemeris, side=options["side"])
        published = options["published"]
        ra, dec, cov = fit.radec(published["tdb"])
        d_ra = (ra - published["ra_deg"]) * 3.6e6 * math.cos(math.radians(dec))
        d_dec = (dec - published["dec_deg"]) * 3.6e6
        tolerance = [max(2.0, 1.5 * published["sigma_ra_mas"]), max(2.0, 1.5 * published["sigma_dec_mas"])]
        met = abs(d_ra) <= tolerance[0] and abs(d_dec) <= tolerance[1]
        print(f"{event.name:34s} {fit.method:38s} {d_ra:+10.2f} {d_dec:+10.2f}   "
              f"{math.sqrt(cov[0, 0]):5.2f} {math.sqrt(cov[1, 1]):5.2f}  {published['sigma_ra_mas']:4.1f} "
              f"{published['sigma_dec_mas']:4.1f}  {tolerance[0]:4.1f} {tolerance[1]:4.1f} "
              f"{'ok' if met else 'NO'}  {fit.chi2:5.1f}/{fit.dof:<3d} {time.perf_counter() - begin:.2f}")
        sides = ""
        if fit.side_probabilities:
            sides = ", ".join(f"P({side:+d}) = {p:.3g}" for side, p in
                              sorted(fit.side_probabilities.items(), reverse=True))
            print("    single chord's side: " + sides)
        positive = sum(1 for chord in event.chords if chord.positive)
        negative = len(event.chords) - positive
        chords = f"{positive}" + (f" + {negative} negative" if negative else "") + (f"; {sides}" if sides else "")
        markdown.append(f"| {event.name} | {chords} | {d_ra:+.2f} / {d_dec:+.2f} | "
                        f"{math.sqrt(cov[0, 0]):.2f} / {math.sqrt(cov[1, 1]):.2f} | "
                        f"{published['sigma_ra_mas']:.1f} / {published['sigma_dec_mas']:.1f} | "
                        f"{'yes' if met else '**no**'} |")
    if args.markdown:
        from orbitfit.files import atomic_path
        with atomic_path(args.markdown) as path:
            with open(path, "w", encoding="utf-8") as handle:
                handle.write("\n".join(markdown) + "\n")
        print(f"wrote {args.markdown}")


if __name__ == "__main__":
    main()
