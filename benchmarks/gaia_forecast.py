"""What the default fits expect of Gaia's later transits, before anyone has them: each moon fitted to every embedded
data set, and the along-scan (AL) error its σ expects of a Gaia transit in a window (default 2017-06-01 ..
2019-09-30, the transits after DR3 that the fits will be judged on, which the repository does not hold).

A transit's AL error is its own (each moon's floor with Gaia's error common to a visit, and its CCDs' scatter: the
rms of the moon's DR3 transits' own AL σ as Gaia gave them) and the orbit's along that transit's scan (the predicted
sky covariance, the error every moon's prediction shares included, `orbitfit.products.uncertainty.sigma_parts`).
Gaia's epochs are not known in advance, so the orbit's part is averaged over the window: every `--step-days` at
which the moon's solar elongation lets Gaia see it (45 - 135 deg, the spin axis 45 deg from the Sun), along both
scan directions the scanning law allows there (`orbitfit.observations.gaia.scan_candidates`, geocentric: Gaia's
view differs by ~1e-4 of it at 4-6 au).

`--check-cut DATE` first checks the forecast where the answer is known: the harness' "all" test (every moon's fit of
every data set but its DR3 transits after DATE, the fitted transits freed of their visit's common error,
`orbitfit.validation.common_visit_harness`) forecasts DATE .. the last DR3 transit, beside what its σ expects at the
held-out transits' own epochs and scans and the AL rms they were missed by.

    python benchmarks/gaia_forecast.py                          # ~1 min on one core; --markdown FILE writes it
    python benchmarks/gaia_forecast.py --check-cut 2016-06-01 2015-06-01   # ~2.5 min more each
"""
import argparse
import time
import warnings

import numpy as np

from dynamics.constants import EARTH
from orbitfit.estimation.least_squares import fit_orbit
from orbitfit.estimation.published import gomes_junior_2016_orbit, gomes_junior_2016_orbits
from orbitfit.observations.datasets import load_all
from orbitfit.observations.gaia import (SUN_NAIF_ID, TRANSIT_KIND, along_scan_directions, covariance_2x2,
                                        scan_candidates)
from orbitfit.products.uncertainty import sigma_parts, sky_jacobian
from orbitfit.times import iso_utc, tdb_seconds
from orbitfit.validation import common_visit_harness

DAY_S = 86400.0
GAIA_ELONGATION_DEG = (45.0, 135.0)       # a body Gaia's scans reach: within 90 +- 45 deg of the Sun


def transit_sigma_mas(body):
    """The rms of `body`'s DR3 transits' own AL sigma as Gaia gave them (its floor, Gaia's common visit error and
    its CCDs' scatter): what a later transit of it carries of its own."""
    table, _ = load_all(body, gaia_visit_offsets=None)
    transits = table[np.asarray(table["kind"]).astype(str) == TRANSIT_KIND]
    directions = along_scan_directions(transits)
    variance = [d @ covariance_2x2(s_ra, s_dec, corr) @ d
                for d, s_ra, s_dec, corr in zip(directions, transits["sigma_ra_mas"], transits["sigma_dec_mas"],
                                                transits["corr"])]
    return float(np.sqrt(np.mean(variance)))


def orbit_al_sigma_mas(solution, start, stop, step_days):
    """(rms over the window of the orbit's AL sigma, epochs Gaia can see the moon): the predicted sky covariance
    along both scan directions the scanning law allows at each epoch every `step_days` in start .. stop (UTC ISO)
    with the moon 45 - 135 deg from the Sun, geocentric."""
    epochs = np.arange(tdb_seconds(start), tdb_seconds(stop), step_days * DAY_S)
    result, jacobian = sky_jacobian(solution, epochs)
    ephemeris = solution.model.ephemeris
    to_sun = ephemeris.position(SUN_NAIF_ID, epochs) - ephemeris.position(EARTH, epochs)
    covariance = sum(sigma_parts(solution, epochs, jacobian).values())            # (n, 2, 2) mas^2
    variances = []
    for i in range(len(epochs)):
        ra, dec = np.radians(result.ra_deg[i]), np.radians(result.dec_deg[i])
        body = np.array([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
        elongation = np.degrees(np.arccos(body @ to_sun[i] / np.linalg.norm(to_sun[i])))
        if not GAIA_ELONGATION_DEG[0] <= elongation <= GAIA_ELONGATION_DEG[1]:
            continue
        directions, _, _ = scan_candidates(result.ra_deg[i], result.dec_deg[i], to_sun[i])
        variances.extend(d @ covariance[i] @ d for d in directions)
    return float(np.sqrt(np.mean(variances))), len(variances) // 2


def forecast_row(solution, start, stop, step_days, own):
    """(the orbit's AL sigma over the window, epochs Gaia sees the moon, the expected AL rms with the transit's
    own sigma `own`)."""
    orbit, seen = orbit_al_sigma_mas(solution, start, stop, step_days)
    return orbit, seen, float(np.hypot(orbit, own))


def rms(values):
    return float(np.sqrt(np.mean(np.square(values))))


def check(names, cut, step_days, own, rows):
    """The forecast from the harness' "all" fits of every data set but the DR3 transits after `cut` (`own`: {moon:
    its transits' own AL sigma}), beside their own expectation at the held-out transits and what those were missed
    by."""
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, corrected, _ = common_visit_harness(names, test="all", cut=cut)
    print(f"(harness fits: {time.perf_counter() - started:.0f} s)")
    header = ("| moon | held out after | transits | orbit's AL σ over the window (mas) | expected AL rms | at the "
              "held-out transits: expected | measured AL rms |")
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    print(header)
    columns = []
    for name in names:
        result = corrected[name]
        table = result.table
        stop = iso_utc(float(np.max(table["tdb"].value)) + DAY_S)[:10]
        orbit, _, expected = forecast_row(result.solution, cut, stop, step_days, own[name])
        at_epochs = float(np.sqrt(np.mean(np.diag(table.meta["covariance_mas2"]))))
        line = (f"| {name} | {cut} | {len(table)} | {orbit:.1f} | {expected:.1f} | {at_epochs:.1f} | "
                f"{result.summary['rms_mas']:.1f} |")
        lines.append(line)
        print(line, flush=True)
        columns.append((orbit, expected, at_epochs, result.summary["rms_mas"]))
    orbit, expected, at_epochs, measured = (rms(c) for c in zip(*columns))
    lines.append(f"| rms over the moons | {cut} | | {orbit:.1f} | {expected:.1f} | {at_epochs:.1f} | {measured:.1f} |")
    print(lines[-1])
    rows.extend(["", *lines])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moons", nargs="*", default=list(gomes_junior_2016_orbits()))
    parser.add_argument("--window", nargs=2, default=["2017-06-01", "2019-09-30"], metavar=("START", "STOP"),
                        help="UTC dates (default: the later transits the fits will be judged on)")
    parser.add_argument("--step-days", type=float, default=5.0)
    parser.add_argument("--check-cut", nargs="*", default=[], metavar="DATE",
                        help="also forecast the DR3 transits after each date from the harness' 'all' fits, beside "
                             "what was measured")
    parser.add_argument("--markdown", help="also write the tables (Markdown) to this file")
    args = parser.parse_args()
    start, stop = args.window
    header = ("| moon | window | epochs Gaia sees it | transit's own AL σ (mas) | orbit's AL σ | expected AL rms |")
    rows = [header, "|" + "---|" * (header.count("|") - 1)]
    print(header)
    columns, owns = [], {}
    for name in args.moons:
        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            solution = fit_orbit(load_all(name)[0], gomes_junior_2016_orbit(name))
        own = owns[name] = transit_sigma_mas(name)
        orbit, seen, expected = forecast_row(solution, start, stop, args.step_days, own)
        line = f"| {name} | {start} … {stop} | {seen} | {own:.1f} | {orbit:.1f} | {expected:.1f} |"
        rows.append(line)
        print(line, f" ({time.perf_counter() - started:.0f} s)", flush=True)
        columns.append((own, orbit, expected))
    own, orbit, expected = (rms(c) for c in zip(*columns))
    rows.append(f"| rms over the moons | {start} … {stop} | | {own:.1f} | {orbit:.1f} | {expected:.1f} |")
    print(rows[-1])
    for cut in args.check_cut:
        check(args.moons, cut, args.step_days, owns, rows)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as handle:
            handle.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
