"""Does the measurement of a moon's apparition scatter (`orbitfit.estimation.bias_scatter`, the source of
options.MOON_APPARITION_SCATTER_MAS) give back a scatter that is known? A closed loop on the moon's real sampling:
its fit of every embedded data set (`loose_fit`, level "apparition") gives the orbit and each row's settled sigma;
synthetic positions are that orbit's plus noise of those sigmas (a Gaia transit's from its own 2x2 covariance) plus,
for every apparition of 1995-2009, one RA*/Dec offset drawn from N(0, tau^2) per axis
(`orbitfit.simulation.simulate_like`); the same measurement then runs on them. With --nights the rows of one
site's night also share the part of their variance the fit estimated (its intra-night correlation per weight group),
as the real data do; without it the rows are independent.

    python benchmarks/bias_scatter_closed_loop.py Lysithea --tau 25 157 --draws 8      # ~3 min on one core
    python benchmarks/bias_scatter_closed_loop.py Lysithea --tau 25 157 --draws 8 --nights
    python benchmarks/bias_scatter_closed_loop.py Lysithea --draws 8 --nights --site-scatter 58 --sites uncatalogued

What it answers: whether a moon's data could have measured a small scatter (Lysithea's 157 mas against Himalia's
25), and whether the measurement is biased by the orbit taking part of the offsets.

Measured 2026-12-06, mean +- sd over 8 draws (docs/validation.md, "The apparition biases' scatter"): rows
independent, Lysithea 25 -> 18.9 +- 5.8 and 157 -> 149.5 +- 22.3, Himalia 22.5 +- 3.6 and 151.1 +- 22.1; with
--nights, Lysithea 25.7 +- 15.4 and 152.9 +- 26.6, Himalia 26.2 +- 5.1 and 155.7 +- 23.7.
With --nights --site-scatter 58 --sites uncatalogued (2026-12-07): Lysithea 30.3 +- 9.4 and 151.4 +- 18.2,
Himalia 23.2 +- 5.0 and 163.8 +- 25.9; with --sites observatory (every site, catalogued ones too): Lysithea 59.0 +-
16.7 and 179.9 +- 25.3, Himalia 50.5 +- 9.8 and 176.4 +- 16.6.
"""
import argparse

import numpy as np

from orbitfit.estimation.bias_scatter import apparition_scatter, loose_fit
from orbitfit.estimation.options import MOON_APPARITION_SCATTER_FROM, MOON_APPARITION_SCATTER_UNTIL
from orbitfit.estimation.published import gomes_junior_2016_orbit
from orbitfit.observations.datasets import load_all
from orbitfit.simulation import simulate_like


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("moon")
    parser.add_argument("--tau", type=float, nargs="+", default=[25.0, 157.0], help="injected scatters, mas")
    parser.add_argument("--draws", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--nights", action="store_true", help="the rows of a night share their fitted correlation")
    parser.add_argument("--site-scatter", type=float, default=0.0,
                        help="also one RA*/Dec offset per observatory drawn with this scatter (mas), which the "
                             "measurement's fit models only for uncatalogued sites of >= 20 positions")
    parser.add_argument("--sites", choices=("observatory", "uncatalogued"), default="observatory",
                        help="which positions get the site offsets: every site's, or those without a catalogue")
    args = parser.parse_args()
    start = gomes_junior_2016_orbit(args.moon)
    observations = load_all(args.moon, gaia_transits=True, gaia_visit_offsets=None)[0]
    base = loose_fit(observations, start, "apparition")
    measured, count = apparition_scatter(base, MOON_APPARITION_SCATTER_FROM, MOON_APPARITION_SCATTER_UNTIL)
    print(f"{args.moon}: real data {measured:.1f} mas from {count} coordinates", flush=True)
    rng = np.random.default_rng(args.seed)
    for tau in args.tau:
        found = []
        for _ in range(args.draws):
            table = simulate_like(base, rng, tau, (MOON_APPARITION_SCATTER_FROM, MOON_APPARITION_SCATTER_UNTIL),
                                  night_correlation=args.nights, site_scatter_mas=args.site_scatter,
                                  sites=args.sites)
            found.append(apparition_scatter(loose_fit(table, base.orbit, "apparition"),
                                            MOON_APPARITION_SCATTER_FROM, MOON_APPARITION_SCATTER_UNTIL)[0])
            print(f"  injected {tau:.0f} mas: measured {found[-1]:.1f}", flush=True)
        spread = np.std(found, ddof=1) if len(found) > 1 else 0.0
        print(f"  injected {tau:.0f} mas: measured {np.mean(found):.1f} +- {spread:.1f} (mean +- sd over "
              f"{len(found)} draws)", flush=True)


if __name__ == "__main__":
    main()
