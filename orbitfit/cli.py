"""The orbitfit command line.

    orbitfit demo                      fit Himalia to the embedded GJ15 positions, print residuals and elements
    orbitfit fit FILE... [options]     fit one satellite to observation files (or a TOML config), --json for scripts
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from pathlib import Path

import numpy as np

FIT_OPTION_KEYS = ("night_deweighting", "estimate_floors", "reject_outliers", "chi2_reject", "chi2_readmit",
                   "max_iterations", "step")


class UsageError(ValueError):
    """Bad command-line or configuration input."""


def _tdb_seconds(text):
    from astropy.time import Time
    from dynamics import constants as C
    try:
        t = Time(text, scale="tdb")
    except ValueError as exc:
        raise UsageError(f"cannot read the date {text!r} ({exc}); use ISO like 2000-01-01T12:00") from None
    return float((t.jd1 - C.J2000_JD + t.jd2) * C.SECONDS_PER_DAY)


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
    observations, report = orbitfit.read(data_path("gj15", "Himalia.dat"))
    start = time.perf_counter()
    options = orbitfit.FitOptions(night_deweighting=False)          # seed 003's STE weighting: every position
    solution = orbitfit.fit(observations, orbitfit.seed003_orbit("Himalia"), options)
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
    try:
        with open(path, "rb") as handle:
            config = tomllib.load(handle)
    except FileNotFoundError:
        raise UsageError(f"config file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from None
    unknown = set(config) - {"files", "body", "start", "epoch", "out", "options"}
    if unknown:
        raise UsageError(f"{path}: unknown keys {sorted(unknown)}; allowed: files, body, start, epoch, out, options")
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
    options = orbitfit.FitOptions(**config.get("options", {}))
    for key in FIT_OPTION_KEYS:
        value = getattr(args, key, None)
        if value is not None:
            setattr(options, key, value)
    epoch = args.epoch or config.get("epoch")
    if epoch:
        options.epoch = _tdb_seconds(epoch)
    begin = time.perf_counter()
    solution = orbitfit.fit(observations, initial, options)
    elapsed = time.perf_counter() - begin
    outputs = _save_outputs(solution, args.out or config.get("out", "orbitfit-fit"), f"fit_{body}")
    result = _solution_report(solution, elapsed, outputs)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_report(result, solution)
    return 0


def _initial_orbit(spec, body, observations):
    from .starting_orbits import NAIF_ID, seed003_orbit
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
            from .initial_orbit import initial_orbit
        except ImportError:
            raise UsageError("automatic initial orbits are not available in this version") from None
        return initial_orbit(observations)
    raise UsageError(f"unknown --start {spec!r}: use 'seed003' or 'auto'")


def build_parser():
    parser = argparse.ArgumentParser(prog="orbitfit", description="Orbits and special-tailored ephemerides of "
                                     "planetary satellites for stellar-occultation work.")
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
    fit.add_argument("--json", action="store_true", help="print machine-readable JSON")
    fit.set_defaults(func=command_fit)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from .least_squares import FitError
    from .readers.core import ObservationFormatError
    try:
        return args.func(args)
    except (UsageError, FitError, ObservationFormatError, FileNotFoundError, KeyError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        if getattr(args, "json", False):
            print(json.dumps({"error": str(message), "command": args.command}))
        print(f"orbitfit {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
