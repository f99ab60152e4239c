"""What the commands share: usage errors, dates, solution archives, the fit report and atomic outputs."""
from __future__ import annotations

from pathlib import Path

import numpy as np


class UsageError(ValueError):
    """Bad command-line or configuration input."""


def parse_date(text, scale="tdb"):
    from ..times import tdb_seconds
    try:
        return tdb_seconds(text, scale=scale)
    except ValueError as exc:
        raise UsageError(f"cannot read the date {text!r} ({exc}); use ISO like 2000-01-01T12:00") from None


def write_atomic(path, text):
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def solution_report(solution, elapsed, outputs):
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


def print_report(report, solution):
    print(solution.summary())
    print("per site (accepted):")
    for row in report["per_observer"]:
        print(f"  {row['observer']:>6s} n={row['n']:5d}  RA* {row['mean_ra_mas']:+7.1f} +- {row['std_ra_mas']:5.1f}  "
              f"Dec {row['mean_dec_mas']:+7.1f} +- {row['std_dec_mas']:5.1f} mas")
    for name, path in report["outputs"].items():
        print(f"written {name}: {path}")


def save_outputs(solution, out_dir, stem):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    archive = solution.save(out / f"{stem}.h5")
    table = solution.residuals()
    tmp = out / f"{stem}_residuals.ecsv.tmp"
    table.write(tmp, format="ascii.ecsv", overwrite=True)
    tmp.replace(out / f"{stem}_residuals.ecsv")
    return {"solution": str(archive), "residuals": str(out / f"{stem}_residuals.ecsv")}


def load_solution(path):
    from ..archive import ArchiveError
    from ..solution import Solution
    if not Path(path).exists():
        raise UsageError(f"solution archive not found: {path}")
    try:
        return Solution.load(path)
    except ArchiveError as exc:
        raise UsageError(str(exc)) from None


def requested_epochs(args, solution):
    """TDB epochs from --dates (comma-separated ISO, UTC) or --start/--stop/--step-days."""
    if args.dates:
        return np.array([parse_date(d.strip(), "utc") for d in args.dates.split(",") if d.strip()])
    if not (args.start and args.stop):
        raise UsageError("give --dates D1,D2,... or --start and --stop (ISO dates, UTC)")
    start, stop = parse_date(args.start, "utc"), parse_date(args.stop, "utc")
    if stop <= start:
        raise UsageError(f"--stop {args.stop} is not after --start {args.start}")
    step = args.step_days * 86400.0
    if step <= 0 or (stop - start) / step > 1e6:
        raise UsageError(f"--step-days {args.step_days} gives too many or no epochs")
    return np.arange(start, stop + 0.5 * step, step)
