"""Occultation candidate search: 10^6 random stars scattered around Himalia's geocentric path over one year.

Prints the time of each stage of `orbitfit.occultations.search` (target build, grid, star matching, refinement) and
how many candidates survive. Target (issue 6): <= 60 s for 10^6 stars over one year on the lab's 2 cores.

    python benchmarks/bench_occultation.py [n_stars] [band_arcsec]

Stars: uniform along the path in time, Gaussian across it (sigma = band_arcsec, default 600" = 10'), with Gaia-like
proper motions (N(0, 8 mas/yr) each, 1% with 50-500 mas/yr), parallaxes (exponential, mean 0.5 mas) and G mags
(12-20). The GJ15 Himalia fit is made first (not part of the timed search).
"""
import sys
import time

import numpy as np

import orbitfit
from dynamics import constants as C
import orbitfit.occultations as occ
from orbitfit.model import astrometric
from orbitfit.paths import data_path
from orbitfit.times import to_tdb_seconds


def random_stars(target, ephemeris, start, stop, n, band_arcsec, rng):
    t = rng.uniform(start, stop, n)
    earth = ephemeris.position(C.EARTH, t)
    body = astrometric(t, earth, target)
    east = np.stack([-np.sin(np.radians(body.ra_deg)), np.cos(np.radians(body.ra_deg)), np.zeros(n)], axis=1)
    north = np.cross(body.unit, east)
    angle = rng.uniform(0, 2 * np.pi, n)
    r = np.abs(rng.normal(0, band_arcsec, n)) / 206264.806
    w = body.unit + (east * np.cos(angle)[:, None] + north * np.sin(angle)[:, None]) * r[:, None]
    ra = np.degrees(np.arctan2(w[:, 1], w[:, 0])) % 360
    dec = np.degrees(np.arcsin(w[:, 2] / np.linalg.norm(w, axis=1)))
    pmra, pmdec = rng.normal(0, 8, n), rng.normal(0, 8, n)
    fast = rng.random(n) < 0.01
    pmra[fast] *= rng.uniform(6, 60, fast.sum())
    pmdec[fast] *= rng.uniform(6, 60, fast.sum())
    return occ.Star(ra, dec, pmra, pmdec, rng.exponential(0.5, n), 0.0, 2016.0, rng.uniform(12, 20, n),
                    np.arange(n, dtype=np.int64))


def main():
    n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 1_000_000
    band = float(sys.argv[2]) if len(sys.argv) > 2 else 600.0
    clock = time.perf_counter()
    observations, _ = orbitfit.read(data_path("gj15", "Himalia.dat"))
    solution = orbitfit.fit(observations, orbitfit.gomes_junior_2016_orbit("Himalia"))
    print(f"GJ15 Himalia fit: {time.perf_counter() - clock:.1f} s")
    start, stop = to_tdb_seconds("2019-01-01"), to_tdb_seconds("2020-01-01")

    clock = time.perf_counter()
    target = occ.SolutionTarget(solution, start - 2 * 86400, stop + 2 * 86400)
    print(f"SolutionTarget over one year (integration + Chebyshev fit): {time.perf_counter() - clock:.2f} s")
    rng = np.random.default_rng(2019)
    clock = time.perf_counter()
    stars = random_stars(target, target.ephemeris, start, stop, n, band, rng)
    print(f"{n} random stars (+-{band:.0f}\" around the path): generated in {time.perf_counter() - clock:.2f} s")

    clock = time.perf_counter()
    found, stats = occ.search(target, stars, start, stop, radius_km=75.0, return_stats=True)
    elapsed = time.perf_counter() - clock
    print(f"search, one year, {n} stars, step {found.meta['step_s']:.0f} s: {elapsed:.2f} s "
          f"({stats['n_grid']} grid epochs, {stats['n_near']} stars near the path, {stats['n_refined']} encounters "
          f"refined, {len(found)} events with C/A < {found.meta['max_ca_km']:.0f} km)  target <= 60 s")

    clock = time.perf_counter()
    found_solution = occ.search(solution, stars, start, stop, radius_km=75.0)
    print(f"the same search from the Solution (builds its SolutionTarget): {time.perf_counter() - clock:.2f} s, "
          f"{len(found_solution)} events")
    clock = time.perf_counter()
    table = found.table
    print(f"event table ({len(table)} rows, sub-body longitude etc.): {time.perf_counter() - clock:.2f} s")
    if len(found):
        event = found[int(np.argmin(table["ca_km"]))]
        clock = time.perf_counter()
        path = event.path(solution=solution)
        print(f"one shadow path ({len(path.labels)} lines x {path.tdb.size} instants, incl. sky covariance): "
              f"{time.perf_counter() - clock:.2f} s")
        print(event)


if __name__ == "__main__":
    if sys.argv[1:2] and sys.argv[1].startswith("-"):      # `--help` is not a number of stars
        sys.exit(__doc__)
    main()
