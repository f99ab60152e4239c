"""The scatter of the fitted biases, the measurement behind the priors in orbitfit.estimation.options: each of the
8 moons fitted to every embedded data set with the biases of one level under a loose prior, the apparition priors
independent, then the variance component tau of b_i ~ N(0, tau^2 + s_i^2) by EM over all their RA*/Dec coordinates
(and per moon): `orbitfit.estimation.bias_scatter` (`loose_fit`, `variance_component`), which
tests/test_bias_scatter.py runs on Lysithea.

    python benchmarks/bias_variance.py                      # uncatalogued observatories (UNCATALOGUED_PRIOR_MAS);
                                                            # ~2 min on 2 cores; 2026-12-03: 298 coordinates, 159 mas
    python benchmarks/bias_variance.py --level apparition   # apparitions since 1960 (BIAS_PRIOR_MAS); ~2 min;
                                                            # 2026-12-03: 644 coordinates, 74 mas (moons 20-235);
                                                            # by era (2026-12-05): 1960-79 432 mas, 1980-94 320,
                                                            # 1995-2009 56, 2010- 46; with the transits' axes from
                                                            # Gaia's scanning law (2026-12-05 afternoon): 444, 320,
                                                            # 55, 45 (all 79): the same within their noise;
                                                            # per moon in 1995-2009 (2026-12-06): Himalia 25,
                                                            # Elara 20, Lysithea 157, Leda 22, Pasiphae 42, Sinope
                                                            # 76, Carme 44, Ananke 117 (options'
                                                            # MOON_APPARITION_SCATTER_MAS); --cut 2016-06-01: 26,
                                                            # 16, 165, 16, 35, 86, 40, 117
    python benchmarks/bias_variance.py --level observatory  # the catalogued observatories' own biases over the
                                                            # apparitions' ("apparition+observatory"); ~3 min;
                                                            # 2026-12-04: 36 coordinates, 3 mas (Lysithea 46 from
                                                            # 511 and 809, Leda 30 from 809, the others 1-5)
    python benchmarks/bias_variance.py --level ground       # one bias shared by all of a moon's ground positions
                                                            # ("apparition+uncatalogued+ground"); ~2 min;
                                                            # 2026-12-04: 16 coordinates, 8 mas (RA* 2, Dec 12);
                                                            # what they share: Dec +10.2 +- 3.5 mas, RA* +1.8 +- 3.7
    python benchmarks/bias_variance.py --lags               # the apparition biases' correlation from one
                                                            # apparition to the next (below); ~4 min
    python benchmarks/bias_variance.py --lags --cut 2016-06-01   # the same from the data before the cut

Per moon, the uncatalogued level (2026-12-04, the same 159 mas over all): Himalia 308, Elara 158, Lysithea 58, Leda
139, Pasiphae 152, Sinope 138, Carme 151, Ananke 128 mas. Lysithea's 58 as its own prior did not mend its held-out
misfit (cut 15.7 -> 16.1 mas, all 16.9 -> 17.8; years ahead cut 2012 15.5 -> 14.3), so the prior stays one for all.

--lags: the default fits as a user makes them (`load_all` with its defaults: the transits freed of their visit's
common error), but with the apparition biases' priors independent (the correlation is what is measured; prior
BIAS_PRIOR_MAS, not loosened: a loose prior lets a faint moon's biases take its orbit's error,
which is not what the prior describes), each apparition bias since 1960 freed of its prior
(`orbitfit.estimation.shared_biases.data_only`: estimate d_i of variance D_i), and the autocovariance of the
biases of one moon L oppositions apart by the method of moments, pooled over the moons and weighted by
1 / ((P^2 + D_i)(P^2 + D_j)): C(0) = mean(d_i^2 - D_i), C(L) = mean(d_i d_j); printed as C(L) / C(0). An
apparition's stars are the next one's neighbours on the sky (Jupiter moves ~30 deg a year), so their zonal errors
need not be independent. Measured 2026-12-03 (8 moons, 1960-2022, 113-209 pairs per lag): RA* lag 1 +0.49, 2
+0.12, 6 -0.63, 11 +0.67 (Jupiter back among the same stars), 14 -0.16: a sinusoid of Jupiter's longitude carries
0.56 of the variance (the lags' rms about it 0.16, about zero 0.41); Dec lag 1 -0.03, no such pattern (share 0.15,
rms 0.32 against 0.34). Fitted to the data before the harness' cut only (`--lags --cut 2016-06-01`, which owes
nothing to the held-out transits; measured 2026-12-04, 72-165 pairs per lag): RA* lag 1 +0.50, 6 -0.64, 11 +0.77,
share 0.51 (rms about it 0.28, about zero 0.44); Dec share 0.12. The pairs of one moon are not independent: read
the lags as a pattern, not to 0.01. (The
option set "correlated biases" of benchmarks/validation.py uses a first estimate, 0.47 / 0.07, from the same fits
with lags counted in calendar years since 1995.)
"""
import argparse
import warnings

import numpy as np

from orbitfit.estimation.bias_scatter import (GROUPS, level_coordinates, loose_fit, of_level,
                                              variance_component)
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.options import (BIAS_PRIOR_MAS, INDEPENDENT_APPARITION_PRIORS, UNCATALOGUED_PRIOR_MAS,
                                        FitOptions)
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.estimation.shared_biases import data_only
from orbitfit.estimation.weights import JUPITER_LONGITUDE_STEP_RAD, JUPITER_OPPOSITION_TDB_S, JUPITER_SYNODIC_S
from orbitfit.times import JULIAN_YEAR_S, to_tdb_seconds
from orbitfit.observations.datasets import load_all

# --level apparition also prints the scatter per era: before Hipparcos (1997) and Tycho-2 (2000) positions were
# reduced against catalogues with zonal errors of 0.1-0.3" (AGK3, SAO, PPM), then UCAC/2MASS, since 2016 Gaia
ERAS = ((1960, 1979), (1980, 1994), (1995, 2009), (2010, 2030))
PRIORS = {"uncatalogued": ("UNCATALOGUED_PRIOR_MAS", UNCATALOGUED_PRIOR_MAS),
          "apparition": ("BIAS_PRIOR_MAS", BIAS_PRIOR_MAS),
          "observatory": ("BIAS_PRIOR_MAS", BIAS_PRIOR_MAS),
          "ground": ("BIAS_PRIOR_MAS", BIAS_PRIOR_MAS)}
# the lags assume independent biases (the variance component's model; the lags are what a correlated prior would
# impose), so their fits take independent apparition priors whatever the default (as `loose_fit` does)
INDEPENDENT = INDEPENDENT_APPARITION_PRIORS
MAX_LAG = 14                       # oppositions; Jupiter comes back to the same stars after 11 (11.86 years)


def opposition_of_year(year):
    """The opposition number (`opposition_number`) of the apparition whose mean opposition falls in `year`."""
    first_opposition_year = 2000.0 + JUPITER_OPPOSITION_TDB_S / JULIAN_YEAR_S
    return int(np.ceil((year - first_opposition_year) / (JUPITER_SYNODIC_S / JULIAN_YEAR_S)))


def lag_correlations(series, prior_mas, max_lag=MAX_LAG):
    """{lag: (C(lag) / C(0), pairs)} of the biases in `series` ([(opposition numbers, estimates, variances)] per
    moon and coordinate), by the method of moments (module docstring)."""
    sums, weights, pairs = np.zeros(max_lag + 1), np.zeros(max_lag + 1), np.zeros(max_lag + 1, dtype=int)
    for number, d, D in series:
        w = 1.0 / (prior_mas ** 2 + D)
        for i in range(len(d)):
            for j in range(i, len(d)):
                lag = abs(number[j] - number[i])
                if lag <= max_lag:
                    sums[lag] += w[i] * w[j] * (d[i] * d[j] - (D[i] if i == j else 0.0))
                    weights[lag] += w[i] * w[j]
                    pairs[lag] += 1
    covariance = sums / np.where(weights > 0, weights, np.nan)
    return {lag: (covariance[lag] / covariance[0], int(pairs[lag])) for lag in range(max_lag + 1)}


def lags(moons, cut=None):
    """Print the apparition biases' lag correlations (RA*, Dec) of the default fits (module docstring), of the data
    before `cut` (ISO UTC) if given. The two bias levels of 2026-12-04, on which the docstring's figures were
    measured (GROUPS)."""
    options = FitOptions(**INDEPENDENT, bias_groups=GROUPS["apparition"])
    series = {"ra": [], "dec": []}
    for name in moons:
        observations = load_all(name)[0]
        if cut is not None:
            observations = observations[np.asarray(observations["tdb"], float) < to_tdb_seconds(cut, "cut")]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solution = fit_orbit(observations, gomes_junior_2016_orbit(name), options)   # as a user's fit
        table = solution.biases
        mine = [k for k, g in enumerate(table["group"]) if of_level(g, "apparition")]
        number = np.array([opposition_of_year(int(str(table["group"][k])[-4:])) for k in mine])
        for axis in series:
            d, D = data_only(np.asarray(table[f"bias_{axis}_mas"])[mine], np.asarray(table[f"sigma_{axis}_mas"])[mine],
                             np.asarray(table["prior_sigma_mas"])[mine], np.asarray(table[f"prior_{axis}_mas"])[mine])
            known = np.isfinite(D)
            series[axis].append((number[known], d[known], D[known]))
        print(f"{name:9s} {len(mine)} apparitions", flush=True)
    for axis, label in (("ra", "RA*"), ("dec", "Dec")):
        found = lag_correlations(series[axis], options.bias_prior_mas)
        print(f"{label:4s} " + "  ".join(f"{lag}: {r:+.2f} ({n})" for lag, (r, n) in found.items() if lag > 0))
        lag = np.arange(1, MAX_LAG + 1)
        r = np.array([found[k][0] for k in lag])
        wave = np.cos(JUPITER_LONGITUDE_STEP_RAD * lag)
        share = float(r @ wave / (wave @ wave))
        print(f"     share of a sinusoid of Jupiter's longitude (least squares over lags 1-{MAX_LAG}): {share:.2f}; "
              f"rms of the lags about it {np.sqrt(np.mean((r - share * wave) ** 2)):.2f} (about zero: "
              f"{np.sqrt(np.mean(r ** 2)):.2f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--level", choices=list(PRIORS), default="uncatalogued")
    parser.add_argument("--moons", nargs="*", default=list(gomes_junior_2016_orbits()))
    parser.add_argument("--lags", action="store_true", help="the apparition biases' correlation from one apparition "
                                                            "to the next (default fits)")
    parser.add_argument("--cut", help="only the data before this date (ISO UTC), e.g. 2016-06-01, the harness' cut, "
                                      "so that the figures owe nothing to the held-out transits")
    args = parser.parse_args()
    if args.lags:
        return lags(args.moons, args.cut)
    values, sigmas, axes, years, moons = [], [], [], [], []
    for name in args.moons:
        observations = load_all(name, gaia_transits=True, gaia_visit_offsets=None)[0]
        if args.cut is not None:
            observations = observations[np.asarray(observations["tdb"], float) < to_tdb_seconds(args.cut, "cut")]
        solution = loose_fit(observations, gomes_junior_2016_orbit(name), args.level)
        mine_v, mine_s, mine_axes, keys = level_coordinates(solution, args.level)
        values, sigmas, axes = values + list(mine_v), sigmas + list(mine_s), axes + list(mine_axes)
        years += [int(y) if y.isdigit() else 0 for y in keys]
        moons += [name] * mine_v.size
        print(f"{name:9s} {mine_v.size // 2:3d} {args.level} biases: variance component "
              f"{variance_component(mine_v, mine_s):.0f} mas", flush=True)
    values, sigmas, axes, years = np.array(values), np.array(sigmas), np.array(axes), np.array(years)
    moons = np.array(moons)
    constant, value = PRIORS[args.level]
    print(f"{values.size} coordinates: variance component (ML) {variance_component(values, sigmas):.0f} mas; "
          f"{constant} {value:g}")
    if args.level == "apparition":         # by era: the catalogues the positions were reduced with changed
        for first, last in ERAS:
            era = (years >= first) & (years <= last)
            if era.any():
                print(f"  apparitions {first}-{last}: {era.sum()} coordinates, variance component "
                      f"{variance_component(values[era], sigmas[era]):.0f} mas (median sigma "
                      f"{np.median(sigmas[era]):.0f})")
                print("    per moon: " + ", ".join(
                    f"{name} {variance_component(values[era & (moons == name)], sigmas[era & (moons == name)]):.0f}"
                    f" ({(era & (moons == name)).sum()})" for name in args.moons if (era & (moons == name)).any()))
    # what the component takes for scatter may be one offset the moons share: their weighted mean per axis
    for axis, label in (("ra", "RA*"), ("dec", "Dec")):
        w = 1.0 / sigmas[axes == axis] ** 2
        print(f"  {label}: weighted mean {np.sum(w * values[axes == axis]) / w.sum():+.1f} +- {w.sum() ** -0.5:.1f} "
              f"mas, variance component {variance_component(values[axes == axis], sigmas[axes == axis]):.0f}")


if __name__ == "__main__":
    main()
