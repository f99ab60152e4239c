"""A timing-like term in the ground positions, site by site: the part of each accepted position's residual along the
moon's apparent motion, read as an error of its epoch (a diagnostic; nothing in the default models it).

    python benchmarks/site_timing.py            # the 8 moons' default fits to every embedded data set (~3 min)
    python benchmarks/site_timing.py Himalia Elara

A position taken at t + dt but dated t sits v dt off its computed place, v the apparent rate there (mas/s; Jupiter's
geocentric motion dominates it: 3.7-4.7 mas/s median over the moons' rows). For each accepted ground position with a
neighbour of the same site and data set 1 min - 0.3 d away, v is the computed place's change between the two (the
computed place is O - C of the fit, its biases in). The positions of one night share their errors (the default fit
estimates that correlation, median 0.48 for Himalia), so the unit is the night: per site, dt solves r = v dt in least
squares over the nights' weighted means of the residual r (RA*, Dec) and of v, its sigma from the nights' scatter;
"with an offset" also fits one constant (RA*, Dec) offset per site, which a site observing on one side of opposition
alone cannot tell from dt (the last column). Printed: per site of >= 15 nights over all moons, then per moon, data set
and year for the sites beyond 3 sigma. Without a timing-like term z has rms 1 over the sites.

Measured 2026-12-07 (default options; 37 sites): z rms 1.53 alone, 2.00 with the offset, where 1 is expected; beyond
3 sigma only Calar Alto (G36, NSDB's MPC units, 285 nights) +7.6 +- 1.6 s and the plates of 1904-13 (754, 15 nights,
a dt of -1758 s that stands for their large offsets, not a clock). GJ15's two sites: OPD (874) +4.4 +- 1.6 s, OHP
(511) -3.6 +- 1.3 s. Taken row by row, as if the rows of a night were independent, the same data say 874 +5.1 +- 0.5 s
(z 10) and z rms 2.8: the night is the honest unit. G36's term changes from apparition to apparition (2013 -10 +- 6 s,
2017 +12 +- 3 s): an along-motion error of up to ~50 mas (exposure mid-times, trailed images centred unlike the stars,
or a clock). One epoch error per observatory (bias_groups "apparition+uncatalogued+zenith+timing", an option) moves
the harness by less than its noise, and is not adopted; one per site and apparition (an experiment) predicts worse
(docs/validation.md, "Along the motion").
"""
import sys
import warnings

import numpy as np

import orbitfit
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits

MAS_PER_DEG = 3.6e6
MIN_NIGHTS = 15
NEIGHBOUR_S = (60.0, 0.3 * 86400.0)


def rows_with_rates(moon):
    """The accepted ground positions of `moon`'s default all-data fit that have a neighbour for the rate: a dict of
    arrays (site, data set, year, residual and apparent rate in RA* and Dec, sigma)."""
    observations, _ = orbitfit.load_all(moon)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        solution = orbitfit.fit(observations, gomes_junior_2016_orbit(moon))
    table, residuals = solution.observations, solution.residuals(time=False)
    t, ra, dec = (np.asarray(table[c], float) for c in ("tdb", "ra_deg", "dec_deg"))
    r_ra, r_dec = residuals["res_ra_mas"].value, residuals["res_dec_mas"].value
    computed_ra = ra - r_ra / (MAS_PER_DEG * np.cos(np.radians(dec)))
    computed_dec = dec - r_dec / MAS_PER_DEG
    site, dataset = np.asarray(table["observer"]).astype(str), np.asarray(table["dataset"]).astype(str)
    v_ra, v_dec = np.full(t.size, np.nan), np.full(t.size, np.nan)
    order = np.lexsort((t, dataset, site))
    for a, b in zip(order[:-1], order[1:]):
        gap = t[b] - t[a]
        if site[a] == site[b] and dataset[a] == dataset[b] and NEIGHBOUR_S[0] < gap < NEIGHBOUR_S[1]:
            rate = ((computed_ra[b] - computed_ra[a]) * np.cos(np.radians(dec[a])) * MAS_PER_DEG / gap,
                    (computed_dec[b] - computed_dec[a]) * MAS_PER_DEG / gap)
            for i in (a, b):
                if np.isnan(v_ra[i]):
                    v_ra[i], v_dec[i] = rate
    use = (np.asarray(solution.accepted) & (np.asarray(table["kind"]).astype(str) == "optical")
           & np.isfinite(v_ra))
    sigma = np.hypot(residuals["sigma_ra_mas"].value, residuals["sigma_dec_mas"].value) / np.sqrt(2)
    print(f"{moon}: {use.sum()} ground positions with a rate, median |v| "
          f"{np.median(np.hypot(v_ra, v_dec)[use]):.2f} mas/s", flush=True)
    # nights: a site's positions of this moon with no gap of 0.3 d (a night shares its errors: the unit of the fit)
    night = np.zeros(t.size, int)
    gaps = (site[order][1:] != site[order][:-1]) | (np.diff(t[order]) > NEIGHBOUR_S[1])
    night[order] = np.concatenate([[0], np.cumsum(gaps)])
    return dict(moon=np.full(use.sum(), moon), site=site[use], dataset=dataset[use],
                year=(2000 + t[use] / 3.15576e7).astype(int), r_ra=r_ra[use], r_dec=r_dec[use], v_ra=v_ra[use],
                v_dec=v_dec[use], sigma=sigma[use], night=np.char.add(f"{moon}:", night[use].astype(str)))


def timing(rows, mask, offset):
    """(dt s, its sigma, nights): r = v dt (+ a constant RA*, Dec offset) over the nights' weighted means of r and
    v, the nights alike; the sigma from the nights' own scatter about the fit (the positions of one night share
    errors, so the rows' sigmas would make dt look several times surer than it is)."""
    nights = np.unique(rows["night"][mask])
    means = []
    for night in nights:
        here = mask & (rows["night"] == night)
        w = 1.0 / rows["sigma"][here] ** 2
        means.append([np.average(rows[c][here], weights=w) for c in ("r_ra", "r_dec", "v_ra", "v_dec")])
    means = np.array(means)
    n = len(nights)
    r = np.concatenate([means[:, 0], means[:, 1]])
    columns = [np.concatenate([means[:, 2], means[:, 3]])]
    if offset:
        columns += [np.concatenate([np.ones(n), np.zeros(n)]), np.concatenate([np.zeros(n), np.ones(n)])]
    A = np.column_stack(columns)
    if r.size <= A.shape[1] + 2:
        return np.nan, np.nan, n
    x, *_ = np.linalg.lstsq(A, r, rcond=None)
    e = r - A @ x
    return float(x[0]), float(np.sqrt(np.linalg.inv(A.T @ A)[0, 0] * (e @ e) / (r.size - A.shape[1]))), n


def main(moons):
    parts = [rows_with_rates(moon) for moon in moons]
    rows = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    sites = [s for s in np.unique(rows["site"]) if np.unique(rows["night"][rows["site"] == s]).size >= MIN_NIGHTS]
    results = []
    for s in sites:
        mask = rows["site"] == s
        alone, with_offset = timing(rows, mask, False), timing(rows, mask, True)
        results.append((s, alone, with_offset, float(np.mean(rows["v_ra"][mask] > 0))))
    results.sort(key=lambda item: -abs(item[2][0] / item[2][1]))
    print(f"\n| site | nights | dt alone (s) | dt with an offset (s) | z | share of rows moving east |")
    print("|---|---|---|---|---|---|")
    for s, (a, sa, n), (b, sb, _), east in results:
        print(f"| {s} | {n} | {a:+.2f} ± {sa:.2f} | {b:+.2f} ± {sb:.2f} | {b / sb:+.1f} | {east:.2f} |")
    z_alone = np.array([a / sa for _, (a, sa, _), _, _ in results])
    z_offset = np.array([b / sb for _, _, (b, sb, _), _ in results])
    print(f"\n{len(results)} sites of >= {MIN_NIGHTS} nights: z rms {np.sqrt(np.mean(z_alone ** 2)):.2f} alone, "
          f"{np.sqrt(np.mean(z_offset ** 2)):.2f} with an offset (1 for no timing-like term); "
          f"{int(np.sum(np.abs(z_offset) > 3))} beyond 3 sigma")
    for s, _, (b, sb, _), _ in results:
        if abs(b / sb) <= 3:
            continue
        print(f"\nsite {s}, with an offset per part:")
        for key in ("moon", "dataset", "year"):
            for value in np.unique(rows[key][rows["site"] == s]):
                mask = (rows["site"] == s) & (rows[key] == value)
                if np.unique(rows["night"][mask]).size >= 8:
                    dt, sd, n = timing(rows, mask, True)
                    print(f"  {key} {value}: {n} nights, dt {dt:+.2f} ± {sd:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1:] or list(gomes_junior_2016_orbits()))
