"""The orbitfit command line.

    orbitfit demo                      fit Himalia to the embedded GJ15 positions, print residuals and elements
    orbitfit fit FILE... [options]     fit one satellite to observation files (or a TOML config), --json for scripts
    orbitfit ephem SOLUTION.h5 ...     SPK kernel and RA/Dec/sigma tables from a saved solution
    orbitfit sigma SOLUTION.h5 ...     1-sigma and error ellipses on the sky at dates (linear or Monte Carlo)
    orbitfit predict SOLUTION.h5 ...   stellar occultation candidates from a star list, shadow-path map
    orbitfit occultation add SOLUTION.h5 EVENT.toml   add chords (or occultation positions), refit, report changes
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from .offline import astropy_offline
from .progress import fit_logger

FIT_OPTION_KEYS = ("night_deweighting", "estimate_floors", "reject_outliers", "chi2_reject", "chi2_readmit",
                   "max_iterations", "step", "weight_groups", "use_given_sigma", "max_rejected_fraction",
                   "bias_groups", "bias_prior_mas")


class UsageError(ValueError):
    """Bad command-line or configuration input."""


def _tdb_seconds(text, scale="tdb"):
    from .times import tdb_seconds
    try:
        return tdb_seconds(text, scale=scale)
    except ValueError as exc:
        raise UsageError(f"cannot read the date {text!r} ({exc}); use ISO like 2000-01-01T12:00") from None


def _write_atomic(path, text):
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _solution_report(solution, elapsed, outputs):
    residuals = solution.residuals()
    el, sig = solution.elements()
    stats = lambda t: [dict(zip(t.colnames, [v.item() if hasattr(v, "item") else v for v in row])) for row in t]
    return {
        "body": int(solution.body),
        "epoch_tdb_s": solution.epoch,
        "n_observations": len(residuals),
        "n_rejected": int((~solution.accepted).sum()),
        "chi2_per_dof": solution.chi2 / max(solution.dof, 1),
        "iterations": len(solution.history),
        "seconds": round(elapsed, 3),
        "state_km_kms": solution.state.tolist(),
        "sigma_km_kms": solution.sigma.tolist(),
        "elements": {"centre": "Jupiter (599)", "plane": "ICRF equator", "gm_km3_s2": el.gm,
                     **{k: {"value": float(v), "sigma": float(s)} for k, v, s in
                        zip(("a_km", "e", "inclination_deg", "node_deg", "periapsis_deg", "true_anomaly_deg"),
                            el.as_array(), sig)}},
        "statistics_accepted": stats(solution.statistics(None))[0],
        "statistics_all": stats(solution.statistics(None, include_rejected=True))[0],
        "per_observer": stats(solution.statistics("observer")),
        "per_dataset": stats(solution.statistics("dataset")),
        "site_biases": None if solution.biases is None else stats(solution.biases),
        "statistics_orbit_only": stats(solution.statistics(None, orbit_only=True))[0],
        "outputs": outputs,
    }


def _print_report(report, solution):
    print(solution.summary())
    print("per site (accepted):")
    for row in report["per_observer"]:
        print(f"  {row['observer']:>6s} n={row['n']:5d}  RA* {row['mean_ra_mas']:+7.1f} +- {row['std_ra_mas']:5.1f}  "
              f"Dec {row['mean_dec_mas']:+7.1f} +- {row['std_dec_mas']:5.1f} mas")
    for name, path in report["outputs"].items():
        print(f"written {name}: {path}")


def _save_outputs(solution, out_dir, stem):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    archive = solution.save(out / f"{stem}.h5")
    table = solution.residuals()
    tmp = out / f"{stem}_residuals.ecsv.tmp"
    table.write(tmp, format="ascii.ecsv", overwrite=True)
    tmp.replace(out / f"{stem}_residuals.ecsv")
    return {"solution": str(archive), "residuals": str(out / f"{stem}_residuals.ecsv")}


def command_demo(args):
    """Fit Himalia to its 1234 GJ15 positions from seed 003's starting orbit (the STE data set)."""
    import orbitfit
    from .paths import data_path
    Path(args.out).mkdir(parents=True, exist_ok=True)          # fail before the fit, not after it
    observations, report = orbitfit.read(data_path("gj15", "Himalia.dat"))
    start = time.perf_counter()
    options = orbitfit.FitOptions.seed003()          # seed 003's STE weighting: positions alike, <= 1% flagged
    log, bar = fit_logger("fitting Himalia", enabled=not args.json)
    solution = orbitfit.fit(observations, orbitfit.seed003_orbit("Himalia"), options, log=log)
    bar.close()
    elapsed = time.perf_counter() - start
    outputs = _save_outputs(solution, args.out, "himalia_gj15")
    result = _solution_report(solution, elapsed, outputs)
    result["read"] = {"read": report.read, "kept": report.kept, "rejected": len(report.rejected)}
    _write_atomic(Path(args.out) / "himalia_gj15.json", json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"orbitfit demo: Himalia from {report.kept} GJ15 positions (Gomes-Junior et al. 2015), fitted in "
              f"{elapsed:.1f} s; seed 003's STE had RA* -15 +- 66, Dec -7 +- 54 mas")
        _print_report(result, solution)
    return 0


def _load_config(path):
    from .toml_files import read_toml
    config = read_toml(path, UsageError, "config file")
    allowed = ("files", "body", "start", "epoch", "out", "seed003_weighting", "options")
    unknown = set(config) - set(allowed)
    if unknown:
        raise UsageError(f"{path}: unknown keys {sorted(unknown)}; allowed: {', '.join(allowed)}")
    bad = set(config.get("options", {})) - set(FIT_OPTION_KEYS)
    if bad:
        raise UsageError(f"{path}: unknown [options] {sorted(bad)}; allowed: {', '.join(FIT_OPTION_KEYS)}")
    return config


def command_fit(args):
    """Fit one satellite to observation files."""
    import orbitfit
    from .observations import Observations
    config = _load_config(args.config) if args.config else {}
    files = list(args.files) or list(config.get("files", []))
    if not files:
        raise UsageError("no observation files given (positional FILE arguments or 'files' in the config)")
    tables = []
    for name in files:
        if not Path(name).exists():
            raise UsageError(f"observation file not found: {name}")
        table, report = orbitfit.read(name)
        if not args.json:
            print(report)
        tables.append(table)
    observations = Observations.concatenate(tables)
    body = args.body or config.get("body")
    bodies = sorted(set(np.asarray(observations["body"]).tolist()))
    if body is None:
        if len(bodies) != 1:
            raise UsageError(f"the files hold several bodies {bodies}: choose one with --body")
        body = bodies[0]
    observations = observations[np.asarray(observations["body"]) == int(body)]
    if len(observations) == 0:
        raise UsageError(f"no observations of body {body} in the files (bodies present: {bodies})")
    start_spec = args.start or config.get("start", "seed003")
    initial = _initial_orbit(start_spec, int(body), observations)
    preset = orbitfit.FitOptions.seed003 if (args.seed003_weighting or config.get("seed003_weighting")) \
        else orbitfit.FitOptions
    options = preset(**config.get("options", {}))
    for key in FIT_OPTION_KEYS:
        value = getattr(args, key, None)
        if value is not None:
            setattr(options, key, value)
    epoch = args.epoch or config.get("epoch")
    if epoch:
        options.epoch = _tdb_seconds(epoch)
    begin = time.perf_counter()
    log, bar = fit_logger(f"fitting {body}", enabled=not args.json, max_iterations=options.max_iterations)
    solution = orbitfit.fit(observations, initial, options, log=log)
    bar.close()
    elapsed = time.perf_counter() - begin
    outputs = _save_outputs(solution, args.out or config.get("out", "orbitfit-fit"), f"fit_{body}")
    result = _solution_report(solution, elapsed, outputs)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_report(result, solution)
    return 0


def _load_solution(path):
    from .solution import ArchiveError, Solution
    if not Path(path).exists():
        raise UsageError(f"solution archive not found: {path}")
    try:
        return Solution.load(path)
    except ArchiveError as exc:
        raise UsageError(str(exc)) from None


def _epochs(args, solution):
    """TDB epochs from --dates (comma-separated ISO, UTC) or --start/--stop/--step-days."""
    if args.dates:
        return np.array([_tdb_seconds(d.strip(), "utc") for d in args.dates.split(",") if d.strip()])
    if not (args.start and args.stop):
        raise UsageError("give --dates D1,D2,... or --start and --stop (ISO dates, UTC)")
    start, stop = _tdb_seconds(args.start, "utc"), _tdb_seconds(args.stop, "utc")
    if stop <= start:
        raise UsageError(f"--stop {args.stop} is not after --start {args.start}")
    step = args.step_days * 86400.0
    if step <= 0 or (stop - start) / step > 1e6:
        raise UsageError(f"--step-days {args.step_days} gives too many or no epochs")
    return np.arange(start, stop + 0.5 * step, step)


def command_ephem(args):
    """SPK kernel and/or ephemeris table (RA, Dec with sigma, distance) from a saved solution."""
    from .products import export
    solution = _load_solution(args.solution)
    outputs = {}
    if args.spk:
        span = (_tdb_seconds(args.start, "utc"), _tdb_seconds(args.stop, "utc")) if args.start and args.stop else None
        if span is not None and span[1] <= span[0]:
            raise UsageError(f"--stop {args.stop} is not after --start {args.start}")
        report = solution.to_spk(args.spk, naif_id=args.naif_id, span=span, spk_type=args.spk_type)
        outputs["spk"] = {"path": report.path, "naif_id": report.naif_id, "center": report.center,
                          "records": report.n_records, "interpolation_error_m": report.max_error_km * 1e3,
                          "start_tdb_s": report.start_tdb, "stop_tdb_s": report.stop_tdb}
    if args.table:
        table = export.ephemeris_table(solution, _epochs(args, solution), observer=args.observer)
        export.write_table(table, args.table)
        outputs["table"] = {"path": args.table, "rows": len(table), "observer": args.observer}
    if not outputs:
        raise UsageError("nothing to do: give --spk FILE and/or --table FILE")
    if args.json:
        print(json.dumps(outputs, indent=2))
    else:
        for kind, info in outputs.items():
            print(f"written {kind}: {info['path']}  " + ", ".join(f"{k}={v}" for k, v in info.items() if k != "path"))
    return 0


@astropy_offline()
def command_sigma(args):
    """1-sigma on the sky (RA*, Dec, sigma_s, ellipse in mas and km) at dates, linear or Monte Carlo."""
    from .products.uncertainty import monte_carlo_sky, sky_uncertainty
    solution = _load_solution(args.solution)
    epochs = _epochs(args, solution)
    if args.clones:
        table, _ = monte_carlo_sky(solution, epochs, n_clones=args.clones, observer=args.observer,
                                   progress=not args.json)
    else:
        table = sky_uncertainty(solution, epochs, observer=args.observer)
    table.meta.update({"body": int(solution.body), "observer": args.observer})
    if args.plot:
        from .products.plots import plot_sigma
        plot_sigma(table, path=args.plot)
    if args.ellipses:
        from .products.plots import plot_sky_ellipses
        plot_sky_ellipses(table, path=args.ellipses)
    columns = ["tdb", "sigma_ra_mas", "sigma_dec_mas", "sigma_s_mas", "major_mas", "minor_mas", "pa_deg",
               "major_km", "minor_km", "distance_km"]
    if args.json:
        print(json.dumps({"body": int(solution.body), "observer": args.observer,
                          "method": f"monte carlo ({args.clones} clones)" if args.clones else "linear",
                          "rows": [{c: float(row[c]) for c in columns} for row in table]}, indent=2))
    else:
        from astropy.time import Time
        from dynamics import constants as C
        print(f"body {solution.body}, observer {args.observer}, "
              f"{'Monte Carlo, %d clones' % args.clones if args.clones else 'linear'} 1-sigma:")
        print(f"{'UTC':23s} {'RA* mas':>8s} {'Dec mas':>8s} {'s mas':>7s} {'major':>7s} {'minor':>7s} {'PA':>6s} "
              f"{'major km':>9s}")
        for row in table:
            utc = Time(C.J2000_JD, row["tdb"] / 86400.0, format="jd", scale="tdb").utc.iso
            print(f"{utc:23s} {row['sigma_ra_mas']:8.2f} {row['sigma_dec_mas']:8.2f} {row['sigma_s_mas']:7.2f} "
                  f"{row['major_mas']:7.2f} {row['minor_mas']:7.2f} {row['pa_deg']:6.1f} {row['major_km']:9.1f}")
        for plot in (args.plot, args.ellipses):
            if plot:
                print(f"written plot: {plot}")
    return 0


def command_predict(args):
    """Occultation candidates of a star list by a saved solution's body between two UTC dates."""
    from astropy.table import Table
    from .occultations import occultation
    from .products.export import write_table
    solution = _load_solution(args.solution)
    if not Path(args.stars).exists():
        raise UsageError(f"star list not found: {args.stars}")
    try:
        stars = Table.read(args.stars)
    except Exception as exc:                       # astropy raises many types for unreadable tables
        raise UsageError(f"{args.stars}: not a readable table (CSV/ECSV/FITS with Gaia columns): {exc}") from None
    missing = {"ra", "dec"} - set(stars.colnames)
    if missing:
        raise UsageError(f"{args.stars}: missing columns {sorted(missing)} (Gaia DR3 names: ra, dec, pmra, pmdec, "
                         f"parallax, ref_epoch, phot_g_mean_mag, source_id)")
    start, stop = _tdb_seconds(args.start, "utc"), _tdb_seconds(args.stop, "utc")
    if stop <= start:
        raise UsageError(f"--stop {args.stop} is not after --start {args.start}")
    found = occultation.search(solution, stars, start, stop, args.radius_km, max_ca_arcsec=args.max_ca_arcsec)
    table = found.table
    if args.out:
        write_table(table, args.out)
    if args.map and len(found):
        event = found[0]
        event.plot_map(path=event.path(solution=solution), filename=args.map)
    if args.json:
        rows = [{k: (v.item() if hasattr(v, "item") else v) for k, v in zip(table.colnames, row)} for row in table]
        print(json.dumps({"body": int(solution.body), "n_events": len(table), "events": rows}, indent=2,
                         default=str))
    else:
        print(f"{len(table)} occultation candidate(s) by body {solution.body}, {args.start} .. {args.stop} UTC")
        if len(table):
            table.pprint(max_lines=-1, max_width=-1)
        for label, path in (("events", args.out), ("map", args.map if len(found) else None)):
            if path:
                print(f"written {label}: {path}")
    return 0


def command_occultation_add(args):
    """Add an occultation (chords in a TOML event file, or positions in an observation file) to a saved solution,
    refit from it, and report the change in the orbit and in the predicted positions at --dates."""
    import orbitfit
    from .occultations import chords
    solution = _load_solution(args.solution)
    source = Path(args.occultation)
    if not source.exists():
        raise UsageError(f"occultation file not found: {source}")
    report = {"body": int(solution.body), "input": str(source)}
    Path(args.out).mkdir(parents=True, exist_ok=True)
    begin = time.perf_counter()
    if source.suffix.lower() == ".toml":
        event, event_options = chords.read_event(source)
        if event.body != solution.body:
            raise UsageError(f"{source}: the event is of body {event.body}, the solution of body {solution.body}")
        side = args.side if args.side is not None else event_options["side"]
        centre = event.reduce(solution, side=side, fit_radius=event_options["fit_radius"])
        new_rows = centre.observations()
        along, across = centre.sigmas_along_across_km
        report["centre"] = {"method": centre.method, "tdb": centre.tdb, "offset_east_km": float(centre.offset_km[0]),
                            "offset_north_km": float(centre.offset_km[1]), "sigma_along_km": along,
                            "sigma_across_km": across, "radius_km": centre.radius_km,
                            "radius_sigma_km": centre.radius_sigma_km, "chi2": centre.chi2, "dof": centre.dof,
                            "negative_chords": [{"name": n, "clearance_km": d, "consistent": ok}
                                                for n, d, ok in centre.negative]}
        if not args.json:
            print(centre.summary())
    else:
        table, read_report = orbitfit.read(source)
        if not args.json:
            print(read_report)
        new_rows = table[np.asarray(table["body"]) == solution.body]
        if len(new_rows) == 0:
            raise UsageError(f"{source}: no observations of body {solution.body}")
    log, bar = fit_logger("refitting", enabled=not args.json)
    refit = solution.refit(new_rows, log=log)
    bar.close()
    elapsed = time.perf_counter() - begin
    stem = f"{Path(args.solution).stem}_refit"
    outputs = _save_outputs(refit, args.out, stem)
    report["refit"] = {"seconds": round(elapsed, 3), "iterations": len(refit.history),
                       "n_added": len(new_rows), "chi2_per_dof": refit.chi2 / max(refit.dof, 1),
                       "added_accepted": bool(refit.accepted[-len(new_rows):].all())}
    epochs = _epochs(args, solution) if (args.dates or (args.start and args.stop)) else None
    if epochs is not None:
        changes = solution.compare(refit, epochs, observer=args.observer)
        report["state_change_sigma"] = changes.meta["state_change_sigma"]
        report["predictions"] = [{c: (row[c].item() if hasattr(row[c], "item") else row[c]) for c in changes.colnames}
                                 for row in changes]
    else:
        report["state_change_sigma"] = ((refit.state - solution.state) / solution.sigma).tolist()
    report["outputs"] = outputs
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print(f"refit with {len(new_rows)} occultation row(s) in {elapsed:.1f} s, {len(refit.history)} iterations; "
              f"state change in the old sigma: " + " ".join(f"{v:+.2f}" for v in report["state_change_sigma"]))
        for row in report.get("predictions", []):
            print(f"  {row['utc']}  moved RA* {row['d_ra_mas']:+9.2f} mas, Dec {row['d_dec_mas']:+9.2f} mas; "
                  f"1-sigma RA* {row['sigma_ra_before_mas']:.2f} -> {row['sigma_ra_after_mas']:.2f}, "
                  f"Dec {row['sigma_dec_before_mas']:.2f} -> {row['sigma_dec_after_mas']:.2f} mas")
        for name, path in outputs.items():
            print(f"written {name}: {path}")
    return 0


def _initial_orbit(spec, body, observations):
    from .estimation.published import NAIF_ID, seed003_orbit
    if spec == "seed003":
        names = {v: k for k, v in NAIF_ID.items()}
        if body not in names:
            raise UsageError(f"seed 003 has no starting orbit for body {body}; use --start auto")
        try:
            return seed003_orbit(names[body])
        except KeyError as exc:
            raise UsageError(str(exc)) from None
    if spec == "auto":
        try:
            from .estimation.ranging import initial_orbit
        except ImportError:
            raise UsageError("automatic initial orbits are not available in this version") from None
        return initial_orbit(observations)
    raise UsageError(f"unknown --start {spec!r}: use 'seed003' or 'auto'")


def build_parser():
    parser = argparse.ArgumentParser(prog="orbitfit", description="Orbits and special-tailored ephemerides of "
                                     "planetary satellites for stellar-occultation work.")
    from . import __version__
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="fit Himalia to the embedded GJ15 data (the main job, offline)")
    demo.add_argument("--out", default="orbitfit-demo", help="output directory (default: ./orbitfit-demo)")
    demo.add_argument("--json", action="store_true", help="print machine-readable JSON")
    demo.set_defaults(func=command_demo)

    fit = sub.add_parser("fit", help="fit a satellite's orbit to observation files")
    fit.add_argument("files", nargs="*", help="observation files (GJ15, NSDB, MPC 80-col/CSV, ADES, SORA)")
    fit.add_argument("--config", help="TOML file with files, body, start, epoch, out and [options]")
    fit.add_argument("--body", type=int, help="NAIF id of the satellite (needed if the files hold several)")
    fit.add_argument("--start", help="starting orbit: 'seed003' (default) or 'auto'")
    fit.add_argument("--epoch", help="epoch of the fitted state, TDB ISO date (default: the start's epoch)")
    fit.add_argument("--out", help="output directory (default: ./orbitfit-fit)")
    fit.add_argument("--no-night-deweighting", dest="night_deweighting", action="store_false", default=None,
                     help="do not de-weight nights with many observations")
    fit.add_argument("--no-outlier-rejection", dest="reject_outliers", action="store_false", default=None)
    fit.add_argument("--night-correlation", dest="night_deweighting", action="store_const", const="estimated",
                     help="weight each night by the correlation of its positions' errors, estimated from the "
                     "residuals (night_deweighting='estimated'): an honest covariance when errors are shared "
                     "within a night")
    fit.add_argument("--seed003-weighting", action="store_true", help="seed 003's STE weighting: positions alike, "
                     "no night de-weighting, at most 1%% flagged (FitOptions.seed003())")
    fit.add_argument("--bias-groups", choices=("site", "dataset"), default=None,
                     help="also fit a constant RA*/Dec offset of the ground-based positions per site or data set "
                     "(star-catalogue zonal errors), with a zero-mean prior (--bias-prior-mas)")
    fit.add_argument("--bias-prior-mas", type=float, default=None, help="a-priori sigma of each bias (default 30)")
    fit.add_argument("--json", action="store_true", help="print machine-readable JSON")
    fit.set_defaults(func=command_fit)

    def dates(p):
        p.add_argument("--dates", help="comma-separated ISO dates (UTC)")
        p.add_argument("--start", help="first date, ISO (UTC)")
        p.add_argument("--stop", help="last date, ISO (UTC)")
        p.add_argument("--step-days", type=float, default=10.0, help="spacing of --start..--stop (default 10)")
        p.add_argument("--observer", default="500", help="MPC code of the observer (default 500, geocentre)")
        p.add_argument("--json", action="store_true", help="print machine-readable JSON")

    ephem = sub.add_parser("ephem", help="SPK kernel and ephemeris tables from a saved solution")
    ephem.add_argument("solution", help="solution archive (.h5) written by orbitfit fit / demo")
    ephem.add_argument("--spk", help="write an SPK kernel (centre 5, J2000, TDB) to this path")
    ephem.add_argument("--spk-type", type=int, default=2, choices=(2, 3))
    ephem.add_argument("--naif-id", type=int, help="NAIF id in the kernel (default: the body's)")
    ephem.add_argument("--table", help="write RA/Dec with sigma and distance (.ecsv, .csv or .json)")
    dates(ephem)
    ephem.set_defaults(func=command_ephem)

    sigma = sub.add_parser("sigma", help="1-sigma and error ellipses on the sky at dates")
    sigma.add_argument("solution", help="solution archive (.h5)")
    sigma.add_argument("--clones", type=int, default=0, help="Monte Carlo with this many clones (default: linear)")
    sigma.add_argument("--plot", help="also draw sigma_s(t) to this PNG/PDF")
    sigma.add_argument("--ellipses", help="also draw the 1- and 3-sigma sky error ellipses at up to 6 of the dates "
                       "to this PNG/PDF")
    dates(sigma)
    sigma.set_defaults(func=command_sigma)

    predict = sub.add_parser("predict", help="stellar occultation candidates from a star list (Gaia columns)")
    predict.add_argument("solution", help="solution archive (.h5)")
    predict.add_argument("--stars", required=True, help="CSV/ECSV/FITS table with Gaia DR3 columns (ra, dec, ...)")
    predict.add_argument("--start", required=True, help="first date, ISO (UTC)")
    predict.add_argument("--stop", required=True, help="last date, ISO (UTC)")
    predict.add_argument("--radius-km", type=float, default=0.0, help="the body's radius (km)")
    predict.add_argument("--max-ca-arcsec", type=float, help="keep C/A below this (default: shadow touches Earth)")
    predict.add_argument("--out", help="write the events (.ecsv, .csv or .json)")
    predict.add_argument("--map", help="draw the first event's shadow path (PNG/PDF)")
    predict.add_argument("--json", action="store_true", help="print machine-readable JSON")
    predict.set_defaults(func=command_predict)

    occultation = sub.add_parser("occultation", help="use an observed occultation: add it to a solution and refit")
    occ_sub = occultation.add_subparsers(dest="action", required=True)
    add = occ_sub.add_parser("add", help="add chords (TOML event file) or occultation positions (ADES/SORA file) "
                                         "to a solution and refit", description="Event file format:\n\n" +
                             chords_example(), formatter_class=argparse.RawDescriptionHelpFormatter)
    add.add_argument("solution", help="solution archive (.h5)")
    add.add_argument("occultation", help="event file (.toml with star and chords) or observation file")
    add.add_argument("--side", type=int, choices=(-1, 1), help="single chord: +1 if the station was left of the true "
                     "centre line looking along the shadow's motion (d_km > 0 in predictions), -1 if right; "
                     "default: unknown, across-chord sigma = the radius")
    add.add_argument("--out", default="orbitfit-occultation", help="output directory")
    dates(add)
    add.set_defaults(func=command_occultation_add)
    return parser


def chords_example():
    from .occultations.chords import EVENT_EXAMPLE
    return EVENT_EXAMPLE


def main(argv=None):
    args = build_parser().parse_args(argv)
    from .estimation.least_squares import FitError
    from .observations.core import ObservationFormatError
    try:
        return args.func(args)
    except BrokenPipeError:                   # output piped into `head` and closed: not an error
        sys.stderr.close()
        return 0
    except (UsageError, FitError, ObservationFormatError, OSError, KeyError, ValueError) as exc:
        # every input error of orbitfit is a ValueError subclass with a message naming what and where; OSError:
        # a file or folder that cannot be read or written (named by the system's message)
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        if isinstance(exc, OSError) and exc.filename:
            message = f"{exc.strerror}: {exc.filename}"
        if getattr(args, "json", False):
            print(json.dumps({"error": str(message), "command": args.command}))
        print(f"orbitfit {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
