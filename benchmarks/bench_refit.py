"""Refit after an occultation (issue 6 target: <= 3 s): add chords to an existing solution and refit from it.

Two cases, each with a SYNTHETIC event made from a "truth" orbit drawn from the solution's covariance (x5 for
Himalia, x1 for Kallichore), a star on the truth's line of sight, chords timed from the truth:
* Himalia, 1234 GJ15 positions + 3 chords (radius 75 km);
* Kallichore, 41 positions + 1 chord (radius 1 km).
Prints the time of the chord reduction and of the refit (iterations, seconds per iteration), the cross-track
sigma before and after, and how far the refit's prediction lands from the truth. The fits made first (from seed 003
and from an automatic initial orbit) are not timed.

    python benchmarks/bench_refit.py
"""
import dataclasses
import time

import numpy as np

import orbitfit
from dynamics import constants as C
import orbitfit.occultations as occ
from orbitfit.occultations import chords
from orbitfit.orbit import Orbit
from orbitfit.paths import data_path
from orbitfit.times import to_tdb_seconds


def synthetic_event(solution, when, radius_km, offsets_km, scale, seed):
    rng = np.random.default_rng(seed)
    truth = dataclasses.replace(solution, orbit=Orbit(solution.body, solution.epoch, rng.multivariate_normal(
        solution.state, scale ** 2 * solution.covariance)))
    t0 = to_tdb_seconds(when)
    target, ephemeris, _ = occ.as_target(truth, t0 - C.SECONDS_PER_DAY, t0 + C.SECONDS_PER_DAY)
    star = occ.synthetic_star(target, t0, ephemeris)
    true_event = occ.predict(target, star, t0, radius_km=radius_km, ephemeris=ephemeris)
    sites = occ.stations_across(true_event, offsets_km)
    contacts = occ.contact_times(true_event, sites)
    chord_list = [occ.Chord(site, float(a), float(b), sigma_s=0.05, name=f"station {i}")
                  for i, (site, (a, b)) in enumerate(zip(sites, contacts))]
    return occ.ObservedOccultation(solution.body, star, chord_list, radius_km, star_sigma_mas=(0.2, 0.2),
                                      name=f"SYNTHETIC {len(sites)} chords"), truth, target, ephemeris


def run(label, solution, when, radius_km, offsets_km, scale, seed):
    event, truth, truth_target, ephemeris = synthetic_event(solution, when, radius_km, offsets_km, scale, seed)
    start = time.perf_counter()
    centre = event.reduce(solution)
    reduce_s = time.perf_counter() - start
    start = time.perf_counter()
    refit = orbitfit.refit(solution, centre.observations())
    refit_s = time.perf_counter() - start
    before = occ.predict(solution, event.star, centre.tdb, radius_km=radius_km)
    after = occ.predict(refit, event.star, centre.tdb, radius_km=radius_km)
    truth_plane = occ.fundamental_plane(truth_target, event.star, [centre.tdb], ephemeris, star_tdb=before.tdb)
    miss = lambda ev: np.hypot(ev.plane_at([centre.tdb]).f[0] - truth_plane.f[0],
                               ev.plane_at([centre.tdb]).g[0] - truth_plane.g[0])
    iterations = len(refit.history)
    print(f"{label}: {len(solution.observations)} positions + {len(event.positive())} chord(s)")
    print(f"  chord reduction {reduce_s:.2f} s ({centre.method}); refit {refit_s:.2f} s, {iterations} iterations "
          f"({refit_s / iterations:.2f} s per iteration)")
    print(f"  cross-track sigma at the event {before.cross_track_sigma_km():.1f} km -> "
          f"{after.cross_track_sigma_km():.2f} km; distance of the predicted centre from the truth "
          f"{miss(before):.1f} km -> {miss(after):.3f} km")
    return refit_s


def main():
    print("orbitfit refit-after-occultation benchmark (target <= 3 s)")
    observations, _ = orbitfit.read(data_path("gj15", "Himalia.dat"))
    himalia = orbitfit.fit(observations, orbitfit.gomes_junior_2016_orbit("Himalia"))
    run("Himalia", himalia, "2023-10-01T03:00:00", 75.0, (-40.0, 10.0, 55.0), 5.0, 1)
    kallichore_obs, _ = orbitfit.read(data_path("kallichore", "kallichore_nsdb_astrometry.csv"))
    kallichore = orbitfit.fit(kallichore_obs, orbitfit.initial_orbit(kallichore_obs))
    run("Kallichore", kallichore, "2025-12-15T00:00:00", 1.0, (0.4,), 1.0, 2025)


if __name__ == "__main__":
    main()
